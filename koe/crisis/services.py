"""Actions on a crisis: declare, end, designate accounts, post and pin alerts.

Each checks who may act, owns its transaction, and clears the banner's cache after commit.
A `staff_user` of None is Koe itself: an operator's command or the demo.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.blogs.models import Blog
from koe.blogs.services import MAX_TAG_LENGTH, is_tag_name, normalise_tag
from koe.core import pagecache
from koe.core.text import clean_line, clean_text
from koe.crisis.models import MAX_ALERT, MAX_AREA, MAX_AREAS, MAX_NAME, Alert, Crisis, Designation

BANNER_KEY = "crisis:active:v1"
#: Several processes each cache the banner; a minute bounds how late one may learn of a change.
BANNER_SECONDS = 60
#: Clocks differ a little between a phone and the server.
CLOCK_SKEW = timedelta(minutes=5)
#: A crisis declared late may start back to this far.
OLDEST_START = timedelta(days=30)
_AREA_SPLIT = re.compile(r"[,、，\n]+")
_NOT_TAG = re.compile(r"[^\w\u30fc\u3005]+")


# ### Who may do what ###


def is_verified(user) -> bool:
    """An official blog's owner: staff confirmed who they are."""
    return Blog.objects.filter(owner_id=user.pk).exclude(official_category="").exists()


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def can_declare(user) -> bool:
    if _is_staff(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    designated = Designation.objects.filter(user_id=user.pk, crisis__isnull=True).exists()
    return designated and is_verified(user)


def can_post_alert(user, crisis: Crisis) -> bool:
    if _is_staff(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    designated = (
        Designation.objects.filter(user_id=user.pk)
        .filter(Q(crisis__isnull=True) | Q(crisis_id=crisis.pk))
        .exists()
    )
    return designated and is_verified(user)


def check_can_declare(user) -> None:
    if user is not None and not can_declare(user):
        raise PermissionDenied(
            _("Only staff or designated official accounts can declare or end a crisis.")
        )


def check_can_post_alert(user, crisis: Crisis) -> None:
    if user is not None and not can_post_alert(user, crisis):
        raise PermissionDenied(
            _("Only staff or designated official accounts can post alerts in this crisis.")
        )


def check_active(crisis: Crisis) -> None:
    if not crisis.is_active:
        raise ValidationError(
            _("This crisis has ended; its page is kept as a record."), code="ended"
        )


# ### Declaring and ending ###


def _tag_part(text: str) -> str:
    return _NOT_TAG.sub("", normalise_tag(text))


def hashtags_for(name: str, area: str, areas: list[str]) -> list[dict[str, str]]:
    """One hashtag for the whole crisis and one per smaller area: 能登地震, 能登地震_輪島."""
    base = _tag_part(name)[:30] or _tag_part(area)[:30]
    tags = []
    if is_tag_name(base):
        tags.append({"area": area, "tag": base})
    for each in areas:
        tag = f"{base}_{_tag_part(each)}"[:MAX_TAG_LENGTH].strip("_")
        if is_tag_name(tag) and tag not in {t["tag"] for t in tags}:
            tags.append({"area": each, "tag": tag})
    return tags


def check_crisis(
    *, name: str, area: str, started_at: datetime | None, areas: str = "", now=None
) -> tuple[str, str, datetime, list[str]]:
    """The cleaned fields, or a ValidationError naming each thing that is wrong."""
    now = now or timezone.now()
    errors = {}
    name = clean_line(name or "")
    area = clean_line(area or "")
    for field, value, limit, missing in (
        ("name", name, MAX_NAME, _("Please name the crisis.")),
        ("area", area, MAX_AREA, _("Please say which area it affects.")),
    ):
        if not value:
            errors[field] = ValidationError(missing, code="required")
        elif len(value) > limit:
            errors[field] = ValidationError(
                _("At most %(n)d characters, please."), code="length", params={"n": limit}
            )
    if started_at is None:
        errors["started_at"] = ValidationError(_("Please give the start time."), code="required")
    elif started_at > now + CLOCK_SKEW:
        errors["started_at"] = ValidationError(
            _("The start time cannot be in the future."), code="future"
        )
    elif started_at < now - OLDEST_START:
        errors["started_at"] = ValidationError(
            _("The start time is more than 30 days ago."), code="too_old"
        )
    parts = [clean_line(a) for a in _AREA_SPLIT.split(areas or "")]
    parts = list(dict.fromkeys(a for a in parts if a))
    if len(parts) > MAX_AREAS:
        errors["areas"] = ValidationError(
            _("At most %(n)d areas, please."), code="areas", params={"n": MAX_AREAS}
        )
    elif any(len(a) > MAX_AREA for a in parts):
        errors["areas"] = ValidationError(
            _("Each area can have at most %(n)d characters."), code="length", params={"n": MAX_AREA}
        )
    if errors:
        raise ValidationError(errors)
    return name, area, started_at, parts


def _forget_banner() -> None:
    """The banner is on every page: its cache, and the cached pages of signed-out readers."""
    transaction.on_commit(lambda: cache.delete(BANNER_KEY))
    pagecache.touch_layout()


@transaction.atomic
def do_declare(
    user, *, name: str, area: str, started_at: datetime | None, areas: str = ""
) -> Crisis:
    check_can_declare(user)
    name, area, started_at, parts = check_crisis(
        name=name, area=area, started_at=started_at, areas=areas
    )
    crisis = Crisis.objects.create(
        name=name,
        area=area,
        started_at=started_at,
        hashtags=hashtags_for(name, area, parts),
        declared_by=user,
    )
    _forget_banner()
    return crisis


@transaction.atomic
def do_end(crisis: Crisis, user) -> bool:
    """End the crisis: the banner goes and the hub becomes a record. False if already ended."""
    check_can_declare(user)
    ended = Crisis.objects.filter(pk=crisis.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    crisis.refresh_from_db(fields=["ended_at"])
    _forget_banner()
    return bool(ended)


def active_crises() -> list[dict]:
    """What the banner shows; one query a minute per process at most, none when cached."""
    active = cache.get(BANNER_KEY)
    if active is None:
        active = list(Crisis.objects.active().values("id", "name", "area", "started_at")[:5])
        cache.set(BANNER_KEY, active, BANNER_SECONDS)
    return active


# ### Designated accounts ###


def _check_staff(staff_user) -> None:
    if staff_user is not None and not _is_staff(staff_user):
        raise PermissionDenied(_("Only staff can designate accounts."))


@transaction.atomic
def do_designate(staff_user, user, crisis: Crisis | None = None) -> Designation:
    """Let a verified account post alerts in one crisis, or (no crisis) declare and post in any."""
    _check_staff(staff_user)
    if user is None or not user.is_active:
        raise ValidationError(_("There is no such account."), code="no_user")
    if not is_verified(user):
        raise ValidationError(
            _("Only official (verified) accounts can be designated."), code="not_verified"
        )
    existing = Designation.objects.filter(user=user, crisis=crisis).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Designation.objects.create(user=user, crisis=crisis, granted_by=staff_user)
    except IntegrityError:  # a double click
        return Designation.objects.get(user=user, crisis=crisis)


@transaction.atomic
def do_undesignate(staff_user, designation: Designation) -> None:
    _check_staff(staff_user)
    Designation.objects.filter(pk=designation.pk).delete()


# ### Alerts ###


@transaction.atomic
def do_post_alert(user, crisis: Crisis, *, body: str, pinned: bool = False) -> Alert:
    check_can_post_alert(user, crisis)
    check_active(crisis)
    body = clean_text(body or "").strip()
    if not body:
        raise ValidationError({"body": _("Please write the alert.")}, code="required")
    if len(body) > MAX_ALERT:
        raise ValidationError(
            {"body": _("At most %(n)d characters, please.") % {"n": MAX_ALERT}}, code="length"
        )
    return Alert.objects.create(crisis=crisis, author=user, body=body, pinned=bool(pinned))


@transaction.atomic
def do_pin_alert(user, alert: Alert, pinned: bool) -> None:
    if user is not None and not (
        _is_staff(user) or (user.pk == alert.author_id and can_post_alert(user, alert.crisis))
    ):
        raise PermissionDenied(_("Only staff or the alert's author can pin it."))
    check_active(alert.crisis)
    Alert.objects.filter(pk=alert.pk).update(pinned=bool(pinned))
