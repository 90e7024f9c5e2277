"""Follow, unfollow, follow options, mute; the lists of followers and followed blogs."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.blogs.models import Post
from koe.blogs.views.public import blog_or_404
from koe.social import follows
from koe.social.models import Follow
from koe.social.panels import follow_context


def _answer(request, blog):
    """htmx swaps the follow box in place; a plain form goes back to the blog."""
    if request.htmx:
        blog.refresh_from_db(fields=["follower_count"])  # the action changed it in the database
        return render(request, "social/_follow.html", follow_context(request, blog))
    return redirect(request.POST.get("next") or blog.get_absolute_url())


def _post_followed_from(request, blog):
    """The public post of this blog whose page the follow button was pressed on, if any."""
    try:
        match = resolve(urlsplit(request.META.get("HTTP_REFERER", "")).path)
    except (Resolver404, ValueError):
        return None
    if match.view_name not in ("blogs:post", "blogs:post_slug"):
        return None
    return Post.objects.public().filter(blog=blog, pk=match.kwargs.get("post_id")).first()


@require_POST
@ratelimit(key="user_or_ip", rate="60/m", block=True)
def follow(request, username):
    blog = blog_or_404(username)
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={blog.get_absolute_url()}")
    try:
        _follow, created = follows.do_follow(
            request.user,
            blog,
            is_public=request.POST.get("hidden") != "on",
            notify_posts=request.POST.get("notify_posts") == "on",
            source_post=_post_followed_from(request, blog),
        )
    except (PermissionDenied, ValidationError) as e:
        message = " ".join(getattr(e, "messages", [str(e)]))
        if request.htmx:
            return render(request, "social/_message.html", {"message": message}, status=400)
        messages.error(request, message)
        return redirect(blog)
    if not request.htmx:
        if created:
            messages.success(request, _("You now follow %(blog)s.") % {"blog": blog.title})
        else:
            messages.info(request, _("You follow this blog already."))
    return _answer(request, blog)


@login_required
@require_POST
def unfollow(request, username):
    blog = blog_or_404(username)
    ended = follows.do_unfollow(request.user, blog)
    if not request.htmx:
        if ended:
            messages.success(request, _("You no longer follow %(blog)s.") % {"blog": blog.title})
        else:
            messages.info(request, _("You do not follow this blog."))
    return _answer(request, blog)


@login_required
@require_POST
def follow_options(request, username):
    blog = blog_or_404(username)
    follows.do_update_follow(
        request.user,
        blog,
        is_public=request.POST.get("hidden") != "on",
        notify_posts=request.POST.get("notify_posts") == "on",
    )
    if not request.htmx:
        messages.success(request, _("Saved."))
    return _answer(request, blog)


@login_required
@require_POST
def mute(request, username):
    blog = blog_or_404(username)
    try:
        if request.POST.get("action") == "unmute":
            follows.do_unmute(request.user, blog)
            messages.success(request, _("%(blog)s is no longer muted.") % {"blog": blog.title})
        else:
            follows.do_mute(request.user, blog)
            messages.success(
                request,
                _("Muted: %(blog)s no longer shows in your feed and notifications.")
                % {"blog": blog.title},
            )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect(blog)


@require_safe
def followers(request, username):
    blog = blog_or_404(username)
    if not blog.show_followers and request.user.pk != blog.owner_id:
        raise Http404
    # Hidden follows are left out for everyone: that is what the follower chose.
    listed = (
        Follow.objects.filter(blog=blog, is_public=True, follower__is_active=True)
        .select_related("follower__blog")
        .order_by("-created_at")
    )
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    context = {"blog": blog, "page": page, "people": [f.follower for f in page]}
    return render(request, "social/followers.html", context)


@require_safe
def following(request, username):
    blog = blog_or_404(username)
    listed = (
        Follow.objects.filter(follower=blog.owner, is_public=True, blog__owner__is_active=True)
        .select_related("blog__owner")
        .order_by("-created_at")
    )
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(request, "social/following.html", {"blog": blog, "page": page})
