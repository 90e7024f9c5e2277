"""Staff take a blog out of the rankings (for manipulation) with a reason, and put it back."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.blogs.models import Blog
from koe.core import pagecache
from koe.core.text import clean_line
from koe.discovery.models import RankingExclusion
from koe.discovery.ranking_tasks import recompute_rankings

MAX_REASON = 300


def check_staff(user) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can change the rankings."))


def _clean_reason(reason: str) -> str:
    reason = clean_line(reason or "")
    if not reason:
        raise ValidationError(_("Please give a reason; the blogger will see it."), code="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(
            _("At most %(n)d characters, please."), code="reason", params={"n": MAX_REASON}
        )
    return reason


def exclusion_of(blog) -> RankingExclusion | None:
    return RankingExclusion.objects.active().filter(blog_id=blog.pk).first()


@transaction.atomic
def do_exclude(blog: Blog, staff_user, reason: str) -> RankingExclusion:
    """Take a blog out of every ranking; it leaves the pages at once. A repeat changes nothing."""
    check_staff(staff_user)
    reason = _clean_reason(reason)
    Blog.objects.select_for_update().filter(pk=blog.pk).first()  # one decision at a time
    current = exclusion_of(blog)
    if current is not None:
        return current
    exclusion = RankingExclusion.objects.create(blog=blog, reason=reason, excluded_by=staff_user)
    pagecache.touch_site()  # cached ranking pages leave the blog out at once
    transaction.on_commit(_recompute_soon)
    return exclusion


@transaction.atomic
def do_restore(blog: Blog, staff_user) -> bool:
    """Put a blog back; False when it was not taken out."""
    check_staff(staff_user)
    changed = (
        RankingExclusion.objects.active()
        .filter(blog_id=blog.pk)
        .update(restored_at=timezone.now(), restored_by=staff_user)
    )
    if changed:
        pagecache.touch_site()
        transaction.on_commit(_recompute_soon)
    return bool(changed)


def _recompute_soon() -> None:
    recompute_rankings()
