"""Comment and like endpoints: parse, check, call an action, answer (htmx or full page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.blogs.models import Post
from koe.social import services
from koe.social.forms import CommentForm
from koe.social.models import Comment, Like
from koe.social.panels import liked_by


def _public_post(username, post_id) -> Post:
    return get_object_or_404(
        Post.objects.public().select_related("blog__owner"),
        pk=post_id,
        blog__owner__username=username.lower(),
    )


@require_POST
@ratelimit(key="ip", rate="10/m", block=True)
@ratelimit(key="ip", rate="100/h", block=True)
def comment(request, username, post_id):
    post = _public_post(username, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            created = services.do_comment(
                post, request.user, body=form.cleaned_data["body"], name=form.cleaned_data["name"]
            )
        except ValidationError as e:
            form.add_error(None, e)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            if created.status == Comment.Status.PENDING:
                messages.info(request, _("Thank you! Your comment will show once it is approved."))
            else:
                messages.success(request, _("Your comment has been posted."))
            return redirect(post.get_absolute_url() + "#comments")
    context = {"post": post, "blog": post.blog, "form": form}
    return render(request, "social/comment_error.html", context, status=400)


@login_required
@require_POST
def moderate_comment(request, comment_id):
    comment = get_object_or_404(
        Comment.objects.select_related("post__blog__owner"),
        pk=comment_id,
        post__blog__owner=request.user,
    )
    if request.POST.get("action") == "approve":
        services.do_approve_comment(comment)
        messages.success(request, _("The comment has been approved."))
    else:
        services.do_delete_comment(comment)
        messages.success(request, _("The comment has been deleted."))
    return redirect(request.POST.get("next") or comment.post.get_absolute_url())


@require_POST
@ratelimit(key="user_or_ip", rate="60/m", block=True)
def like(request, username, post_id):
    post = _public_post(username, post_id)
    try:
        if request.POST.get("action") == "unlike":
            services.do_unlike(post, request.user)
        else:
            services.do_like(post, request.user)
    except PermissionDenied as e:
        if request.htmx:
            return render(request, "social/_message.html", {"message": str(e)}, status=403)
        raise
    post.refresh_from_db(fields=["like_count"])
    if request.htmx:
        context = {"post": post, "liked": liked_by(post, request.user)}
        return render(request, "social/_like.html", context)
    return redirect(post)


@require_safe
def likers(request, username, post_id):
    post = _public_post(username, post_id)
    likes = Like.objects.filter(post=post).select_related("user__blog")[:200]
    return render(request, "social/likers.html", {"post": post, "blog": post.blog, "likes": likes})
