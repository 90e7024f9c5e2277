"""Actions on follows and mutes. Each checks, then owns its transaction; all are idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.accounts.services import is_blocked
from koe.blogs.models import Blog
from koe.blogs.services import adjust_follower_count
from koe.social import feed
from koe.social.models import Follow, Mute
from koe.social.notifications import Kind, notify

FOLLOWS_PER_DAY = 200


def check_can_follow(user, blog: Blog) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in to follow blogs."))
    if blog.owner_id == user.pk:
        raise ValidationError(_("You cannot follow your own blog."), code="own_blog")
    if not blog.owner.is_active:
        raise ValidationError(_("This blog is no longer here."), code="gone")
    if is_blocked(blog.owner, user):
        raise PermissionDenied(_("You cannot follow this blog."))
    since = timezone.now() - timedelta(days=1)
    if Follow.objects.filter(follower=user, created_at__gte=since).count() >= FOLLOWS_PER_DAY:
        raise ValidationError(
            _("You can follow up to %(n)d blogs a day. Please try again tomorrow."),
            code="daily_limit",
            params={"n": FOLLOWS_PER_DAY},
        )


def is_following(user, blog: Blog) -> bool:
    return bool(user.is_authenticated) and Follow.objects.filter(follower=user, blog=blog).exists()


def do_follow(
    user, blog: Blog, *, is_public: bool = True, notify_posts: bool = False, source_post=None
):
    """Follow a blog. Returns (follow, created); following again changes nothing."""
    existing = Follow.objects.filter(follower_id=user.pk, blog=blog).first()
    if existing is not None:
        return existing, False
    check_can_follow(user, blog)
    try:
        with transaction.atomic():
            if source_post is not None and source_post.blog_id != blog.pk:
                source_post = None
            follow = Follow.objects.create(
                follower=user,
                blog=blog,
                is_public=is_public,
                notify_posts=notify_posts,
                source_post=source_post,
            )
            adjust_follower_count(blog.pk, +1)
            feed.backfill(user, blog)
            if is_public:
                notify(blog.owner, Kind.FOLLOW, actor=user, blog=blog)
    except IntegrityError:  # a double click raced us to it
        return Follow.objects.get(follower=user, blog=blog), False
    return follow, True


@transaction.atomic
def do_update_follow(user, blog: Blog, *, is_public: bool, notify_posts: bool) -> bool:
    return bool(
        Follow.objects.filter(follower_id=user.pk, blog=blog).update(
            is_public=is_public, notify_posts=notify_posts
        )
    )


@transaction.atomic
def do_unfollow(user, blog: Blog) -> bool:
    """Stop following; True when there was a follow to end."""
    deleted, _rows = Follow.objects.filter(follower_id=user.pk, blog=blog).delete()
    if deleted:
        adjust_follower_count(blog.pk, -1)
        feed.forget_blog(user.pk, blog.pk)
    return bool(deleted)


@transaction.atomic
def do_mute(user, blog: Blog) -> bool:
    if blog.owner_id == user.pk:
        raise ValidationError(_("You cannot mute your own blog."), code="own_blog")
    _mute, created = Mute.objects.get_or_create(user=user, blog=blog)
    return created


@transaction.atomic
def do_unmute(user, blog: Blog) -> bool:
    deleted, _rows = Mute.objects.filter(user=user, blog=blog).delete()
    return bool(deleted)


def end_follows_between(user_a, user_b) -> None:
    """Used when one blocks the other: neither follows the other's blog any more."""
    for follower, owner in ((user_a, user_b), (user_b, user_a)):
        blog = Blog.objects.filter(owner=owner).first()
        if blog is not None:
            do_unfollow(follower, blog)
