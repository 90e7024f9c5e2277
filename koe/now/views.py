"""Koe Now pages: timelines, a post with its thread, and the composer's and buttons' actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.accounts.services import is_blocked
from koe.blogs.services import is_tag_name, normalise_tag
from koe.now import services
from koe.now.events import last_event_id
from koe.now.forms import ComposeForm
from koe.now.models import ShortPost, ShortPostLike

PAGE_SIZE = 30
NEW_LIMIT = 50
THREAD_DEPTH = 20


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 19 else None


def prepare(posts, user) -> list[ShortPost]:
    """Mark what the viewer liked and which reposted originals they may see: two queries."""
    posts = list(posts)
    ids = {p.pk for p in posts} | {p.repost_of_id for p in posts if p.repost_of_id}
    liked = set()
    if user.is_authenticated and ids:
        liked = set(
            ShortPostLike.objects.filter(user=user, post_id__in=ids).values_list(
                "post_id", flat=True
            )
        )
    originals = {p.repost_of_id for p in posts if p.repost_of_id}
    if originals:
        originals = set(
            ShortPost.objects.visible_to(user).filter(pk__in=originals).values_list("pk", flat=True)
        )
    for post in posts:
        post.liked = post.pk in liked
        if post.repost_of_id:
            post.original = post.repost_of if post.repost_of_id in originals else None
            if post.original is not None:
                post.original.liked = post.repost_of_id in liked
    return posts


def _timeline(request, queryset, *, title, stream_url, empty, extra=None):
    queryset = queryset.cards()
    after, before = _int(request.GET.get("after")), _int(request.GET.get("before"))
    if after is not None:  # the "new posts" bar asks for what came since the top one
        posts = prepare(
            reversed(queryset.filter(pk__gt=after).order_by("pk")[:NEW_LIMIT]), request.user
        )
        return render(request, "now/_items.html", {"posts": posts})
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    posts = prepare(queryset[: PAGE_SIZE + 1], request.user)
    more = len(posts) > PAGE_SIZE
    posts = posts[:PAGE_SIZE]
    context = {
        "title": title,
        "posts": posts,
        "stream_url": stream_url,
        "last_event": last_event_id(),
        "older": posts[-1].pk if more else None,
        "empty": empty,
        "form": ComposeForm(),
        **(extra or {}),
    }
    return render(request, "now/timeline.html", context)


@require_safe
def public(request):
    return _timeline(
        request,
        ShortPost.objects.public_timeline(request.user),
        title=_("Koe Now"),
        stream_url=reverse("now:public_stream"),
        empty=_("Nothing here yet. Be the first to post!"),
        extra={"tab": "public"},
    )


@login_required
@require_safe
def home(request):
    return _timeline(
        request,
        ShortPost.objects.home_timeline(request.user),
        title=_("Home timeline"),
        stream_url=reverse("now:home_stream"),
        empty=_("Posts of the people you follow will show here."),
        extra={"tab": "home"},
    )


@require_safe
def tag(request, name):
    name = normalise_tag(name)
    if not is_tag_name(name):
        raise Http404
    return _timeline(
        request,
        ShortPost.objects.tag_timeline(request.user, name),
        title=f"#{name}",
        stream_url=reverse("now:tag_stream", args=[name]),
        empty=_("No short posts with this hashtag yet."),
        extra={"tag": name},
    )


def _author_or_404(username, viewer):
    author = get_object_or_404(get_user_model(), username=username.lower(), is_active=True)
    if is_blocked(author, viewer):
        raise Http404
    return author


@require_safe
def user(request, username):
    author = _author_or_404(username, request.user)
    return _timeline(
        request,
        ShortPost.objects.user_timeline(request.user, author),
        title=_("Short posts by %(name)s") % {"name": author.name},
        stream_url=reverse("now:user_stream", args=[author.username]),
        empty=_("No short posts yet."),
        extra={"author": author},
    )


def _visible_or_404(request, post_id) -> ShortPost:
    return get_object_or_404(ShortPost.objects.visible_to(request.user).cards(), pk=post_id)


@require_safe
def post(request, post_id):
    """A post with the thread it belongs to: the posts it answers, and its replies."""
    post = _visible_or_404(request, post_id)
    visible = ShortPost.objects.visible_to(request.user).cards()
    ancestors, parent_id = [], post.reply_to_id
    while parent_id and len(ancestors) < THREAD_DEPTH:
        parent = visible.filter(pk=parent_id).first()
        if parent is None:
            break
        ancestors.insert(0, parent)
        parent_id = parent.reply_to_id
    replies = visible.filter(reply_to=post).order_by("pk")[:200]
    context = {
        "post": prepare([post], request.user)[0],
        "ancestors": prepare(ancestors, request.user),
        "replies": prepare(replies, request.user),
        "gone_parent": post.is_reply and (not ancestors or ancestors[-1].pk != post.reply_to_id),
        "form": ComposeForm(initial={"reply_to": post.pk}),
    }
    return render(request, "now/post.html", context)


@login_required
@require_POST
@ratelimit(key="user_or_ip", rate="30/m", block=True)
def compose(request):
    form = ComposeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        reply_to = None
        if data["reply_to"]:
            reply_to = ShortPost.objects.filter(pk=data["reply_to"]).first()
        try:
            created = services.do_post(
                request.user,
                text=data["text"],
                visibility=data["visibility"],
                reply_to=reply_to,
                is_reply=bool(data["reply_to"]),
                uploads=request.FILES.getlist("images"),
                alts=[data["alt"]] * len(request.FILES.getlist("images")),
            )
        except ValidationError as e:
            form.add_error(None, e)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Posted."))
            if reply_to is not None:
                return redirect(reply_to.get_absolute_url() + f"#post-{created.pk}")
            return redirect(_next(request, reverse("now:public")))
    return render(request, "now/compose_error.html", {"form": form}, status=400)


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def delete(request, post_id):
    post = get_object_or_404(ShortPost, pk=post_id)
    services.do_delete(request.user, post)  # PermissionDenied → 403
    messages.success(request, _("The post has been deleted."))
    return redirect(_next(request, reverse("now:user", args=[post.author.username])))


def _react(request, post_id, action):
    post = _visible_or_404(request, post_id)
    try:
        action(request.user, post)
    except ValidationError as e:
        return render(
            request, "now/compose_error.html", {"form": None, "errors": e.messages}, status=400
        )
    return redirect(_next(request, post.get_absolute_url()))


@require_POST
@ratelimit(key="user_or_ip", rate="60/m", block=True)
def like(request, post_id):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('now:post', args=[post_id])}")
    unlike = request.POST.get("action") == "unlike"
    return _react(request, post_id, services.do_unlike if unlike else services.do_like)


@login_required
@require_POST
@ratelimit(key="user_or_ip", rate="30/m", block=True)
def repost(request, post_id):
    return _react(request, post_id, services.do_repost)
