"""Pages of official blogs: the directory, the application page and staff's moderation queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from koe.blogs.models import Blog
from koe.core.decorators import staff_required
from koe.official import directory as queries
from koe.official import services
from koe.official.forms import ApplicationForm, TopBloggerForm
from koe.official.models import OfficialApplication

POSTS_PER_PAGE = 20
BLOGS_PER_PAGE = 24
QUEUE_SIZE = 50


# ### The directory, open to everyone ###


@require_safe
def directory(request, category=None):
    if category is None:
        category = request.GET.get("category", "")
    if category and category not in services.CATEGORY_NAMES:
        raise Http404
    sort = request.GET.get("sort", "")
    sort = sort if sort in queries.SORTS else "followers"
    blogs = Paginator(queries.official_blogs(category, sort), BLOGS_PER_PAGE)
    posts = Paginator(queries.official_posts(category), POSTS_PER_PAGE)
    context = {
        "category": category,
        "category_name": services.CATEGORY_NAMES.get(category, ""),
        "categories": queries.category_counts(),
        "sort": sort,
        "blogs": blogs.get_page(request.GET.get("blogs")),
        "page": posts.get_page(request.GET.get("page")),
    }
    return render(request, "official/directory.html", context)


# ### Applying ###


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    posted = request.method == "POST"
    form = ApplicationForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            services.do_apply(request.user, **form.cleaned_data)
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                form.add_error(None, e)
            else:
                form.add_error(None, e.messages)
        else:
            messages.success(request, _("Thank you. Staff will review your application."))
            return redirect("official:apply")
    context = {
        "form": form,
        "blog": Blog.objects.filter(owner=request.user).first(),
        "applications": OfficialApplication.objects.filter(applicant=request.user)[:20],
        "has_pending": OfficialApplication.objects.pending()
        .filter(applicant=request.user)
        .exists(),
    }
    return render(request, "official/apply.html", context, status=400 if form.errors else 200)


# ### Moderation, staff only ###


def _moderation_page(request, *, status=200, errors=(), failed=None, top_form=None):
    pending = OfficialApplication.objects.pending().select_related("applicant__blog")
    context = {
        "pending": pending.order_by("created_at", "id")[:QUEUE_SIZE],
        "pending_count": pending.count(),
        "official": Paginator(queries.official_blogs(), BLOGS_PER_PAGE * 2).get_page(
            request.GET.get("page")
        ),
        "top_bloggers": queries.top_bloggers()[:100],
        "decided": OfficialApplication.objects.exclude(
            status=OfficialApplication.Status.PENDING
        ).select_related("applicant", "reviewed_by")[:20],
        "errors": errors,
        "failed": failed,
        "reason": request.POST.get("reason", "") if failed else "",
        "top_form": top_form or TopBloggerForm(),
    }
    return render(request, "official/moderation.html", context, status=status)


@staff_required
@require_safe
def moderation(request):
    return _moderation_page(request)


@staff_required
@require_POST
def approve(request, application_id):
    application = get_object_or_404(OfficialApplication, pk=application_id)
    try:
        services.do_approve(application, request.user)
    except ValidationError as e:
        return _moderation_page(request, status=400, errors=e.messages, failed=application.pk)
    messages.success(request, _("Approved: the blog now carries the official badge."))
    return redirect("official:moderation")


@staff_required
@require_POST
def refuse(request, application_id):
    application = get_object_or_404(OfficialApplication, pk=application_id)
    try:
        services.do_refuse(application, request.user, request.POST.get("reason", ""))
    except ValidationError as e:
        return _moderation_page(request, status=400, errors=e.messages, failed=application.pk)
    messages.success(request, _("Refused. The applicant will see your reason."))
    return redirect("official:moderation")


@staff_required
@require_POST
def revoke(request, blog_id):
    blog = get_object_or_404(Blog, pk=blog_id)
    try:
        changed = services.do_revoke(blog, request.user, request.POST.get("reason", ""))
    except ValidationError as e:
        return _moderation_page(request, status=400, errors=e.messages)
    if changed:
        messages.success(request, _("The official badge has been removed."))
    else:
        messages.info(request, _("This blog was not an official blog."))
    return redirect("official:moderation")


@staff_required
@require_POST
def top_blogger(request):
    form = TopBloggerForm(request.POST)
    if not form.is_valid():
        return _moderation_page(request, status=400, top_form=form)
    username = form.cleaned_data["username"].strip().lstrip("@").lower()
    blog = Blog.objects.filter(owner__username=username, owner__is_active=True).first()
    if blog is None:
        form.add_error("username", _("There is no blog with this username."))
        return _moderation_page(request, status=400, top_form=form)
    on = form.cleaned_data["on"]
    if services.do_set_top_blogger(blog, request.user, on):
        if on:
            messages.success(request, _("@%(name)s is now a top blogger.") % {"name": username})
        else:
            messages.success(
                request, _("@%(name)s is no longer a top blogger.") % {"name": username}
            )
    else:
        messages.info(
            request, _("Nothing to change: @%(name)s is like that already.") % {"name": username}
        )
    return redirect("official:moderation")
