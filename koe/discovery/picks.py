"""Editors' picks: staff feature a public post for a while; the author hears of it and
decides about any headline staff propose. A pick shows only while its post is public."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from koe.blogs.models import Post
from koe.core import pagecache
from koe.core.text import clean_line
from koe.discovery.models import Pick
from koe.social.notifications import Kind, notify

MAX_SPAN = timedelta(days=31)
MAX_HEADLINE = 120
FRONT_COUNT = 6
_POST_ID = re.compile(r"^\s*(?:\S*/@[\w-]+/)?(\d{1,18})(?:[/?#]\S*)?\s*$")
Headline = Pick.Headline


# ### Reading ###


def front_picks(now=None):
    """The picks on the front page: showing now, newest first, each post once."""
    live = Pick.objects.live(now).select_related("post__blog__owner", "post__cover")
    seen, picks = set(), []
    for pick in live.order_by("-starts_at", "-id")[: FRONT_COUNT * 2]:
        if pick.post_id not in seen:
            seen.add(pick.post_id)
            picks.append(pick)
    return picks[:FRONT_COUNT]


def earlier_picks(now=None):
    """Picks that have ended, of posts still public: the /picks/ archive."""
    now = now or timezone.now()
    return (
        Pick.objects.filter(ends_at__lte=now)
        .filter(Exists(Post.objects.public().filter(pk=OuterRef("post_id"))))
        .select_related("post__blog__owner", "post__cover")
        .order_by("-ends_at", "-id")
    )


def waiting_headlines(user):
    """Headlines staff proposed for this person's posts, waiting for their answer."""
    return (
        Pick.objects.filter(
            post__blog__owner_id=user.pk,
            headline_status=Headline.PROPOSED,
            ends_at__gt=timezone.now(),
        )
        .select_related("post__blog__owner")
        .order_by("starts_at", "id")
    )


def post_from_reference(text: str) -> Post | None:
    """A post named by its address (…/@name/123/slug) or its number; None when neither."""
    match = _POST_ID.match(text or "")
    if not match:
        return None
    return Post.objects.select_related("blog__owner").filter(pk=int(match.group(1))).first()


# ### Checks ###


def check_staff(user) -> None:
    """Staff, or None: Koe itself, in a command the site's operator runs (`koe demo`)."""
    if user is not None and not (user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can pick posts."))


def check_pick(post: Post | None, starts_at: datetime, ends_at: datetime, headline: str) -> str:
    """The cleaned headline, or a ValidationError naming what is wrong."""
    if post is None or not Post.objects.public().filter(pk=post.pk).exists():
        raise ValidationError(_("Only a public post can be picked."), code="post")
    if ends_at <= starts_at:
        raise ValidationError(_("The end must come after the start."), code="span")
    if ends_at <= timezone.now():
        raise ValidationError(_("The end is already past."), code="span")
    if ends_at - starts_at > MAX_SPAN:
        raise ValidationError(_("A pick lasts at most 31 days."), code="span")
    headline = clean_line(headline or "")
    if len(headline) > MAX_HEADLINE:
        raise ValidationError(
            _("At most %(n)d characters, please."), code="headline", params={"n": MAX_HEADLINE}
        )
    overlapping = Pick.objects.filter(post=post, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if overlapping.exists():
        raise ValidationError(_("This post is already picked for that time."), code="overlap")
    return "" if headline == post.title else headline


def _in_their_language(user, message: str, **params) -> str:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _(message) % params


# ### Actions ###


@transaction.atomic
def do_pick(post, staff_user, *, starts_at, ends_at, headline: str = "") -> Pick:
    check_staff(staff_user)
    # One pick decision per post at a time, so two staff cannot overlap the same post.
    post = Post.objects.select_for_update().select_related("blog__owner").filter(pk=post.pk).first()
    headline = check_pick(post, starts_at, ends_at, headline)
    pick = Pick.objects.create(
        post=post,
        picked_by=staff_user,
        starts_at=starts_at,
        ends_at=ends_at,
        headline=headline,
        headline_status=Headline.PROPOSED if headline else Headline.NONE,
    )
    author = post.blog.owner
    if headline:
        text = _in_their_language(
            author,
            gettext_noop(
                "Editors picked your post for the front page. They propose the headline "
                "“%(headline)s”; it is shown only if you accept it on your dashboard."
            ),
            headline=headline,
        )
    else:
        text = _in_their_language(
            author, gettext_noop("Editors picked your post for the front page.")
        )
    # No actor: the pick is Koe's, and a blogger who blocked a staff member still hears of it.
    notify(author, Kind.PICK, blog=post.blog, post=post, text=text)
    pagecache.touch_site()  # the front page and /picks/ list it
    return pick


@transaction.atomic
def do_end_pick(pick: Pick, staff_user) -> bool:
    """Stop showing a pick now; False when it had ended already."""
    check_staff(staff_user)
    now = timezone.now()
    ended = bool(Pick.objects.filter(pk=pick.pk, ends_at__gt=now).update(ends_at=now))
    if ended:
        pagecache.touch_site()
    return ended


@transaction.atomic
def do_answer_headline(pick: Pick, user, *, accept: bool) -> Pick:
    """The author accepts or declines the headline staff proposed. Only the author may."""
    pick = Pick.objects.select_for_update().select_related("post__blog").get(pk=pick.pk)
    if not user.is_authenticated or pick.post.blog.owner_id != user.pk:
        raise PermissionDenied(_("Only the author can answer."))
    if pick.headline_status not in (Headline.PROPOSED, Headline.ACCEPTED, Headline.DECLINED):
        raise ValidationError(_("No headline was proposed for this pick."), code="headline")
    pick.headline_status = Headline.ACCEPTED if accept else Headline.DECLINED
    pick.save(update_fields=["headline_status"])
    pagecache.touch_site()
    return pick
