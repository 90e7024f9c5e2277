"""Safety check-ins (安否確認) and the people others are looking for.

A check-in tells the person's followers (a background job, safe to repeat) and marks as
found every open search whose name folds to the person's display name or username.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from huey.contrib.djhuey import db_task

from koe.accounts.services import blocked_user_ids
from koe.blogs.models import Blog
from koe.core.text import clean_line
from koe.crisis.models import MAX_AREA, MAX_MESSAGE, MAX_NAME, MAX_NOTE, CheckIn, Crisis, LookingFor
from koe.crisis.names import fold, person_key
from koe.crisis.services import check_active
from koe.social.models import Follow, Notification
from koe.social.notifications import Kind, notify

#: Open searches one person may keep in one crisis.
MAX_OPEN_SEARCHES = 20
SEARCH_RESULTS = 50


def _in_their_language(user, wording: str, **params) -> str:
    """Callers mark `wording` with gettext_noop, so the catalogue has it."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _(wording) % params


def _short(field: str, value: str, limit: int) -> str:
    value = clean_line(value or "")
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(n)d characters, please.") % {"n": limit}}, code="length"
        )
    return value


def _require_person(user) -> None:
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Please log in to do this."))


# ### Check-ins ###


@transaction.atomic
def do_check_in(
    user, crisis: Crisis, *, message: str = "", area: str = "", tell: bool = True
) -> tuple[CheckIn, bool]:
    """Say "I am safe". A second check-in replaces the words of the first and tells nobody again.

    `tell=False` (the demo's weeks-old record) marks searches found but notifies nobody.
    """
    _require_person(user)
    check_active(crisis)
    message = _short("message", message, MAX_MESSAGE)
    area = _short("area", area, MAX_AREA)
    key = person_key(user.display_name, user.username)
    checkin = CheckIn.objects.filter(crisis=crisis, user=user).first()
    created = checkin is None
    if created:
        try:
            with transaction.atomic():
                checkin = CheckIn.objects.create(
                    crisis=crisis, user=user, message=message, area=area, search_key=key
                )
        except IntegrityError:  # a double tap: the first one counts
            return CheckIn.objects.get(crisis=crisis, user=user), False
    else:
        checkin.message, checkin.area, checkin.search_key = message, area, key
        checkin.save(update_fields=["message", "area", "search_key", "updated_at"])
    _mark_searches_found(checkin, tell=tell)
    if created and tell:
        transaction.on_commit(lambda: notify_followers_of_checkin(checkin.pk))
    return checkin, created


def _mark_searches_found(checkin: CheckIn, *, tell: bool) -> int:
    user = checkin.user
    keys = {fold(user.display_name), fold(user.username)} - {""}
    searches = (
        LookingFor.objects.filter(
            crisis_id=checkin.crisis_id, found_at__isnull=True, name_key__in=keys
        )
        # Deny by default: a person who blocked the seeker (or was blocked) is not found for them.
        .exclude(seeker_id__in=blocked_user_ids(user))
        .select_related("seeker")
    )
    found = 0
    for search in searches:
        search.found_checkin, search.found_at = checkin, timezone.now()
        search.save(update_fields=["found_checkin", "found_at"])
        found += 1
        if not tell:
            continue
        text = _in_their_language(
            search.seeker,
            gettext_noop("%(name)s, whom you are looking for, has checked in as safe."),
            name=user.name,
        )
        notify(search.seeker, Kind.SAFETY, actor=user, target=checkin, text=text)
    return found


@db_task(retries=3, retry_delay=5)
def notify_followers_of_checkin(checkin_id: int) -> int:
    """Tell everyone who follows the person's blog. Safe to repeat: nobody is told twice."""
    checkin = CheckIn.objects.select_related("user", "crisis").filter(pk=checkin_id).first()
    if checkin is None:
        return 0
    user = checkin.user
    blog = Blog.objects.filter(owner_id=user.pk).first()  # followers follow the person's blog
    if blog is None:
        return 0
    told = Notification.objects.filter(
        kind=Kind.SAFETY, actor=user, created_at__gte=checkin.created_at
    ).values("recipient_id")
    follows = (
        Follow.objects.filter(blog=blog).exclude(follower_id__in=told).select_related("follower")
    )
    sent = 0
    for follow in follows.iterator():
        reader = follow.follower
        if checkin.message:
            text = _in_their_language(
                reader,
                gettext_noop("%(name)s is safe (%(crisis)s): %(message)s"),
                name=user.name,
                crisis=checkin.crisis.name,
                message=checkin.message,
            )
        else:
            text = _in_their_language(
                reader,
                gettext_noop("%(name)s is safe (%(crisis)s)."),
                name=user.name,
                crisis=checkin.crisis.name,
            )
        with transaction.atomic():
            sent += bool(
                notify(reader, Kind.SAFETY, actor=user, blog=blog, target=checkin, text=text)
            )
    return sent


def search_checkins(crisis: Crisis, query: str, viewer=None):
    """Check-ins whose person's name holds the query, folded; none for an empty query."""
    key = fold(query)[:MAX_NAME]
    if not key:
        return CheckIn.objects.none()
    found = CheckIn.objects.filter(
        crisis=crisis, search_key__contains=key, user__is_active=True
    ).select_related("user")
    hidden = blocked_user_ids(viewer) if viewer is not None else set()
    if hidden:
        found = found.exclude(user_id__in=hidden)
    return found.order_by("-updated_at", "-id")[:SEARCH_RESULTS]


# ### Looking for someone ###


@transaction.atomic
def do_look_for(user, crisis: Crisis, *, name: str, area: str = "", note: str = "") -> LookingFor:
    """Register someone the person is looking for; found at once if they have checked in."""
    _require_person(user)
    check_active(crisis)
    name = _short("name", name, MAX_NAME)
    if not fold(name):
        raise ValidationError({"name": _("Please give their name.")}, code="required")
    area = _short("area", area, MAX_AREA)
    note = _short("note", note, MAX_NOTE)
    open_ones = LookingFor.objects.filter(crisis=crisis, seeker=user, found_at__isnull=True)
    if open_ones.count() >= MAX_OPEN_SEARCHES:
        raise ValidationError(
            _("You can look for up to %(n)d people at once.") % {"n": MAX_OPEN_SEARCHES},
            code="too_many",
        )
    key = fold(name)
    search = LookingFor.objects.create(
        crisis=crisis, seeker=user, name=name, area=area, note=note, name_key=key
    )
    # Deny by default: a person who blocked the seeker is not found for them.
    hidden = blocked_user_ids(user)
    match = (
        CheckIn.objects.filter(crisis=crisis, user__is_active=True)
        .filter(Q(search_key__startswith=f"{key}|") | Q(search_key__endswith=f"|{key}"))
        .exclude(user_id__in=hidden)
        .order_by("-updated_at")
        .first()
    )
    if match is not None:
        search.found_checkin, search.found_at = match, timezone.now()
        search.save(update_fields=["found_checkin", "found_at"])
    return search


@transaction.atomic
def do_mark_found(user, search: LookingFor) -> bool:
    """The seeker found them another way. False when it was marked already."""
    if not (user and user.is_authenticated and user.pk == search.seeker_id):
        raise PermissionDenied(_("Only the person who is looking can mark this."))
    return bool(
        LookingFor.objects.filter(pk=search.pk, found_at__isnull=True).update(
            found_at=timezone.now()
        )
    )
