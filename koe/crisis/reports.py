"""Structured reports (trains and roads, supplies, shelters) and the votes that weigh them.

A report is checked against the crisis's time span and its kind's shape before it is
stored. Enough flags hide it until staff look; a vote is one per person.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.core.text import clean_line
from koe.crisis.models import (
    LIFETIMES,
    MAX_AREA,
    MAX_NOTE,
    MAX_PLACE,
    STATUSES,
    Crisis,
    Report,
    ReportVote,
)
from koe.crisis.services import CLOCK_SKEW, check_active

Kind = Report.Kind
State = Report.State
#: This many flags hide a report until staff decide.
FLAG_LIMIT = 3


def _limit(errors: dict, field: str, value: str, limit: int) -> str:
    value = clean_line(value or "")
    if len(value) > limit:
        errors[field] = ValidationError(
            _("At most %(n)d characters, please."), code="length", params={"n": limit}
        )
    return value


def check_report(
    crisis: Crisis,
    *,
    kind: str,
    status: str,
    place: str,
    subject: str = "",
    area: str = "",
    note: str = "",
    observed_at: datetime | None = None,
    now=None,
) -> dict:
    """The cleaned fields of a report, or a ValidationError naming each thing that is wrong."""
    now = now or timezone.now()
    errors: dict[str, ValidationError] = {}
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Please choose what the report is about.")})
    place = _limit(errors, "place", place, MAX_PLACE)
    subject = _limit(errors, "subject", subject, MAX_PLACE)
    area = _limit(errors, "area", area, MAX_AREA)
    note = _limit(errors, "note", note, MAX_NOTE)
    if not place and "place" not in errors:
        missing = (
            _("Please give the line or route.")
            if kind == Kind.TRANSIT
            else _("Please give the place.")
        )
        errors["place"] = ValidationError(missing, code="required")
    if kind == Kind.SUPPLIES and not subject and "subject" not in errors:
        errors["subject"] = ValidationError(_("Please say which item."), code="required")
    if kind == Kind.SHELTER and not subject and "subject" not in errors:
        errors["subject"] = ValidationError(_("Please give the shelter's name."), code="required")
    if kind == Kind.TRANSIT:
        subject = ""
    if status not in STATUSES[kind]:
        errors["status"] = ValidationError(_("Please choose a status from the list."))
    observed_at = observed_at or now
    if observed_at > now + CLOCK_SKEW:
        errors["observed_at"] = ValidationError(_("That time is in the future."), code="future")
    elif observed_at < crisis.started_at:
        errors["observed_at"] = ValidationError(
            _("That time is before the crisis began."), code="before_crisis"
        )
    elif now - observed_at >= LIFETIMES[kind]:
        hours = int(LIFETIMES[kind].total_seconds() // 3600)
        errors["observed_at"] = ValidationError(
            _("Reports of this kind are shown for %(n)d hours; this one is older."),
            code="too_old",
            params={"n": hours},
        )
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "status": status,
        "place": place,
        "subject": subject,
        "area": area,
        "note": note,
        "observed_at": min(observed_at, now),
    }


@transaction.atomic
def do_report(user, crisis: Crisis, **fields) -> Report:
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Please log in to do this."))
    check_active(crisis)
    cleaned = check_report(crisis, **fields)
    return Report.objects.create(crisis=crisis, author=user, **cleaned)


@transaction.atomic
def do_vote(user, report: Report, value: str) -> bool:
    """Confirm or flag a report, once. True when the vote counted."""
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Please log in to do this."))
    if value not in ReportVote.Value.values:
        raise ValidationError(_("Please confirm or flag."), code="value")
    check_active(report.crisis)
    if report.author_id == user.pk:
        raise ValidationError(_("You cannot confirm or flag your own report."), code="own_report")
    if report.state not in (State.SHOWN, State.KEPT):
        raise ValidationError(_("This report is not shown any more."), code="hidden")
    try:
        with transaction.atomic():
            ReportVote.objects.create(report=report, user=user, value=value)
    except IntegrityError:
        raise ValidationError(
            _("You have already confirmed or flagged this report."), code="voted"
        ) from None
    counter = "confirmations" if value == ReportVote.Value.CONFIRM else "flags"
    Report.objects.filter(pk=report.pk).update(**{counter: F(counter) + 1})
    # Staff's "keep" stands: only a report nobody has reviewed is held by flags.
    Report.objects.filter(pk=report.pk, state=State.SHOWN, flags__gte=FLAG_LIMIT).update(
        state=State.HELD
    )
    return True


@transaction.atomic
def do_review(staff_user, report: Report, *, keep: bool) -> None:
    """Staff keep a held report (flags no longer hide it) or remove it."""
    if not (staff_user and staff_user.is_active and staff_user.is_staff):
        raise PermissionDenied(_("Only staff can review reports."))
    Report.objects.filter(pk=report.pk).update(state=State.KEPT if keep else State.REMOVED)
