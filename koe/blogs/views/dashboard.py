"""The signed-in blogger's pages: dashboard, editor, images, categories, blog settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from koe.blogs import services
from koe.blogs.forms import (
    AutosaveForm,
    BlogSettingsForm,
    CategoryForm,
    ImageUploadForm,
    PostForm,
    PreviewForm,
)
from koe.blogs.models import Blog, Category, Image, Post
from koe.core import text
from koe.core.decorators import login_required_json

WRITE_RATE = "120/m"


def my_blog(request) -> Blog:
    blog = getattr(request.user, "blog", None)
    if blog is None:
        blog = services.do_create_blog(request.user, title=request.user.name[:80])
    return blog


def _my_post(request, post_id) -> Post:
    return get_object_or_404(Post, pk=post_id, blog__owner=request.user)


def _errors(form) -> JsonResponse:
    return JsonResponse({"errors": form.errors.get_json_data()}, status=400)


@login_required
def dashboard(request):
    blog = my_blog(request)
    posts = blog.posts.select_related("category").order_by("-updated_at", "-id")
    status = request.GET.get("status")
    if status == "draft":
        posts = posts.filter(status=Post.Status.DRAFT)
    elif status == "scheduled":
        posts = posts.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())
    elif status == "published":
        posts = posts.published()
    page = Paginator(posts, 30).get_page(request.GET.get("page"))
    return render(request, "blogs/dashboard.html", {"blog": blog, "page": page, "status": status})


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def edit_post(request, post_id=None):
    blog = my_blog(request)
    post = _my_post(request, post_id) if post_id else None
    if request.method == "POST":
        form = PostForm(blog, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            publish = "publish" in request.POST
            try:
                post = services.do_save_post(
                    blog,
                    post=post,
                    title=data["title"],
                    body=data["body"],
                    tags=data["tags"],
                    category=data["category"],
                    visibility=data["visibility"],
                    publish=publish,
                    publish_at=data["publish_at"],
                    is_sponsored=data["is_sponsored"],
                    allow_reblogs=data["allow_reblogs"],
                )
            except ValidationError as e:
                form.add_error(None, e)
            else:
                if post.is_scheduled:
                    when = formats.date_format(
                        timezone.localtime(post.published_at), "DATETIME_FORMAT"
                    )
                    messages.success(request, _("Scheduled for %(when)s.") % {"when": when})
                elif publish:
                    messages.success(request, _("Published."))
                    return redirect(post)
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("blogs:edit_post", post_id=post.pk)
    elif post:
        form = PostForm(blog, initial=PostForm.initial_for(post))
    else:
        form = PostForm(blog, initial={"visibility": Post.Visibility.PUBLIC, "allow_reblogs": True})
    context = {
        "blog": blog,
        "post": post,
        "form": form,
        "images": Image.objects.filter(owner=request.user)[:24],
        "max_upload_bytes": settings.KOE_MAX_UPLOAD_BYTES,
    }
    return render(request, "blogs/editor.html", context, status=400 if form.errors else 200)


@login_required_json
@require_POST
@ratelimit(key="user", rate=WRITE_RATE, block=True)
def autosave(request, post_id=None):
    blog = my_blog(request)
    post = _my_post(request, post_id) if post_id else None
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    post = services.do_autosave_draft(
        blog, post=post, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
    )
    return JsonResponse(
        {
            "id": post.pk,
            "status": post.status,
            "saved_at": timezone.localtime(post.updated_at).strftime("%H:%M:%S"),
            "autosave_url": reverse("blogs:autosave", args=[post.pk]),
            "form_url": reverse("blogs:edit_post", args=[post.pk]),
        }
    )


@login_required_json
@require_POST
@ratelimit(key="user", rate=WRITE_RATE, block=True)
def preview(request):
    form = PreviewForm(request.POST)
    if not form.is_valid():
        # The field's own message: "too long" for a long text, "null characters" for NUL.
        return HttpResponse(escape(" ".join(form.errors["body"])), status=400)
    return HttpResponse(text.render_markdown(form.cleaned_data["body"]))


@login_required
@require_http_methods(["GET", "POST"])
def delete_post(request, post_id):
    post = _my_post(request, post_id)
    if request.method == "POST":
        services.do_delete_post(post)
        messages.success(request, _("The post has been deleted."))
        return redirect("blogs:dashboard")
    return render(request, "blogs/confirm_delete.html", {"post": post})


@login_required_json
@require_POST
@ratelimit(key="user", rate="30/m", block=True)
def upload_image(request):
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _errors(form)
    try:
        image = services.do_upload_image(
            request.user, form.cleaned_data["file"], alt=form.cleaned_data["alt"]
        )
    except ValidationError as e:
        return JsonResponse({"errors": {"file": [{"message": m} for m in e.messages]}}, status=400)
    alt = image.alt.replace("]", "") or _("image")
    return JsonResponse(
        {
            "id": image.pk,
            "url": image.display_url,
            "thumb_url": image.thumb_url,
            "width": image.width,
            "height": image.height,
            "markdown": f"![{alt}]({image.display_url})",
        },
        status=201,
    )


@login_required
@require_http_methods(["GET", "POST"])
def blog_settings(request):
    blog = my_blog(request)
    posted = request.method == "POST"  # an empty POST is refused, not shown as a new form
    form = BlogSettingsForm(
        request.POST if posted else None, request.FILES if posted else None, instance=blog
    )
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            services.do_update_blog(
                blog,
                header_upload=data.pop("header_upload", None),
                remove_header=data.pop("remove_header", False),
                **data,
            )
            messages.success(request, _("Your blog's settings have been saved."))
            return redirect("blogs:settings")
        blog.refresh_from_db()
    status = 400 if form.errors else 200
    return render(request, "blogs/settings.html", {"blog": blog, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def categories(request, category_id=None):
    blog = my_blog(request)
    category = get_object_or_404(Category, pk=category_id, blog=blog) if category_id else None
    form = CategoryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if "delete" in request.POST and category:
            services.do_delete_category(category)
            messages.success(request, _("The category has been deleted."))
            return redirect("blogs:categories")
        if form.is_valid():
            try:
                services.do_save_category(blog, form.cleaned_data["name"], category)
            except ValidationError as e:
                form.add_error("name", e)
            else:
                messages.success(request, _("Saved."))
                return redirect("blogs:categories")
    status = 400 if form.errors else 200
    context = {"blog": blog, "form": form, "categories": blog.categories.all()}
    return render(request, "blogs/categories.html", context, status=status)
