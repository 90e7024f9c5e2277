"""Actions on memberships (アメンバー) and reblogs (リブログ): each owns its transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.accounts.services import is_blocked
from koe.blogs import services
from koe.blogs.models import Blog, Membership, Post
from koe.blogs.signals import membership_decided, membership_requested, post_reblogged
from koe.core import text


def check_not_blocked(blog: Blog, user) -> None:
    if is_blocked(blog.owner, user):
        raise PermissionDenied(_("You cannot do this on this blog."))


# ### Memberships ###


def do_request_membership(blog: Blog, user, *, is_secret: bool = False) -> Membership:
    """Ask to become a member; asking again returns the existing request or membership."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in to ask for membership."))
    if blog.owner_id == user.pk:
        raise ValidationError(_("This is your own blog."), code="own_blog")
    check_not_blocked(blog, user)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(blog=blog, member=user, is_secret=is_secret)
            membership_requested.send(sender=Membership, membership=membership)
    except IntegrityError:
        return Membership.objects.get(blog=blog, member=user)
    return membership


@transaction.atomic
def do_decide_membership(membership: Membership, *, approve: bool) -> Membership | None:
    """The blogger approves or refuses a request; refusing removes it."""
    membership = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if membership is None:
        return None
    if approve:
        if membership.status != Membership.Status.APPROVED:
            membership.status = Membership.Status.APPROVED
            membership.decided_at = timezone.now()
            membership.save(update_fields=["status", "decided_at"])
            membership_decided.send(sender=Membership, membership=membership, approved=True)
        return membership
    membership_decided.send(sender=Membership, membership=membership, approved=False)
    membership.delete()
    return None


@transaction.atomic
def do_end_membership(blog: Blog, user) -> bool:
    """A member leaves, or the blogger removes them. Safe to repeat."""
    deleted, _rows = Membership.objects.filter(blog=blog, member=user).delete()
    return bool(deleted)


def is_member(blog: Blog, user) -> bool:
    return (
        bool(user.is_authenticated)
        and Membership.objects.filter(
            blog=blog, member_id=user.pk, status=Membership.Status.APPROVED
        ).exists()
    )


def approved_member_ids(blog: Blog):
    """A subquery of the ids of the blog's approved members."""
    return Membership.objects.filter(blog=blog, status=Membership.Status.APPROVED).values(
        "member_id"
    )


def membership_of(blog: Blog, user) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(blog=blog, member_id=user.pk).first()


# ### Reblogs ###


def check_can_reblog(original: Post, user) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in to reblog."))
    if not original.is_public:
        raise PermissionDenied(_("Only public posts can be reblogged."))
    if not original.allow_reblogs:
        raise PermissionDenied(_("The author does not allow reblogs of this post."))
    if original.blog.owner_id == user.pk:
        raise ValidationError(_("You cannot reblog your own post."), code="own_post")
    check_not_blocked(original.blog, user)


@transaction.atomic
def do_reblog(original: Post, user, *, comment: str = "") -> Post:
    """Publish a post in the reader's own blog that carries the original as a card."""
    check_can_reblog(original, user)
    blog = user.blog
    existing = Post.objects.filter(blog=blog, reblog_of=original).first()
    if existing is not None:
        return existing
    # The title comes from the reblogger's own words, never the original's: if the
    # original later turns private, nothing of it may live on in other blogs.
    words = text.clean_text(comment)[:5000]
    first_line = text.clean_line(words.split("\n", 1)[0])[:60]
    reblog = services.do_save_post(blog, title=first_line or _("Reblog"), body=words, publish=True)
    Post.objects.filter(pk=reblog.pk).update(reblog_of=original)
    reblog.reblog_of = original
    post_reblogged.send(sender=Post, reblog=reblog, original=original)
    return reblog
