"""Actions on official blogs: apply, approve, refuse, revoke, and the top-blogger mark.

Each checks first, owns its transaction and tells the person through a notification.
A `staff_user` of None is Koe itself: a command the site's operator runs (`koe demo`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from koe.blogs import services as blog_services
from koe.blogs.models import OFFICIAL_CATEGORIES, Blog
from koe.core.text import clean_line, clean_text
from koe.official.models import MAX_EVIDENCE, MAX_REAL_NAME, MAX_REASON, OfficialApplication
from koe.social.notifications import Kind, notify

Status = OfficialApplication.Status
CATEGORY_NAMES = dict(OFFICIAL_CATEGORIES)
LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


# ### Checks ###


def check_staff(staff_user) -> None:
    if staff_user is not None and not (staff_user.is_active and staff_user.is_staff):
        raise PermissionDenied(_("Only staff can review official blogs."))


def check_application(*, category: str, real_name: str, evidence: str) -> tuple[str, str, str]:
    """The cleaned fields, or a ValidationError naming what is wrong."""
    errors = {}
    if category not in CATEGORY_NAMES:
        errors["category"] = ValidationError(_("Please choose a category from the list."))
    real_name = clean_line(real_name or "")
    if not real_name:
        errors["real_name"] = ValidationError(_("Please give your real name or organisation."))
    elif len(real_name) > MAX_REAL_NAME:
        errors["real_name"] = ValidationError(
            _("At most %(n)d characters, please."), params={"n": MAX_REAL_NAME}
        )
    evidence = clean_text(evidence or "").strip()
    if len(evidence) > MAX_EVIDENCE:
        errors["evidence"] = ValidationError(
            _("At most %(n)d characters, please."), params={"n": MAX_EVIDENCE}
        )
    elif not LINK.search(evidence):
        # Staff can only check what they can open: an official site or a verified account.
        errors["evidence"] = ValidationError(
            _("Please give at least one link (https://…) that shows it is you.")
        )
    if errors:
        raise ValidationError(errors)
    return category, real_name, evidence


def check_can_apply(user) -> Blog:
    blog = Blog.objects.filter(owner_id=user.pk).first()
    if blog is None:
        raise ValidationError(_("You need a blog before you can apply."), code="no_blog")
    if blog.is_official:
        raise ValidationError(_("Your blog is already an official blog."), code="official")
    if OfficialApplication.objects.pending().filter(applicant_id=user.pk).exists():
        raise ValidationError(
            _("You have an application waiting for review already."), code="pending"
        )
    return blog


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = clean_line(reason or "")
    if required and not reason:
        raise ValidationError(_("Please give a reason; the applicant will see it."), code="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(
            _("At most %(n)d characters, please."), code="reason", params={"n": MAX_REASON}
        )
    return reason


def _in_their_language(user, message: str, **params) -> str:
    """A notification's text, written once, in the language its reader chose.

    Callers mark `message` with gettext_noop, so the catalogue has it.
    """
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _(message) % params


# ### Applying and deciding ###


@transaction.atomic
def do_apply(user, *, category: str, real_name: str, evidence: str) -> OfficialApplication:
    check_can_apply(user)
    category, real_name, evidence = check_application(
        category=category, real_name=real_name, evidence=evidence
    )
    try:
        with transaction.atomic():
            return OfficialApplication.objects.create(
                applicant=user, category=category, real_name=real_name, evidence=evidence
            )
    except IntegrityError:  # a second request raced the first past the check
        raise ValidationError(
            _("You have an application waiting for review already."), code="pending"
        ) from None


def _locked(application: OfficialApplication) -> OfficialApplication:
    """The row as it is now, held to the end of the transaction: two reviewers cannot race."""
    return (
        OfficialApplication.objects.select_for_update()
        .select_related("applicant")
        .get(pk=application.pk)
    )


def _decided(application: OfficialApplication, wanted: str) -> bool:
    """True when the application is already in the wanted state (a repeat: nothing to do)."""
    if application.status == wanted:
        return True
    if application.status != Status.PENDING:
        raise ValidationError(_("This application has been decided already."), code="decided")
    return False


@transaction.atomic
def do_approve(application: OfficialApplication, staff_user) -> OfficialApplication:
    check_staff(staff_user)
    application = _locked(application)
    if _decided(application, Status.APPROVED):
        return application
    applicant = application.applicant
    blog = Blog.objects.select_for_update().get(owner_id=applicant.pk)
    blog_services.do_set_badges(blog, official_category=application.category)
    application.status = Status.APPROVED
    application.reviewed_by = staff_user
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    text = _in_their_language(
        applicant,
        gettext_noop("Your blog is now an official blog (%(category)s)."),
        category=CATEGORY_NAMES[application.category],
    )
    notify(applicant, Kind.OFFICIAL, actor=staff_user, blog=blog, text=text)
    return application


@transaction.atomic
def do_refuse(application: OfficialApplication, staff_user, reason: str) -> OfficialApplication:
    check_staff(staff_user)
    reason = _clean_reason(reason, required=True)
    application = _locked(application)
    if _decided(application, Status.REFUSED):
        return application
    application.status = Status.REFUSED
    application.reason = reason
    application.reviewed_by = staff_user
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    blog = Blog.objects.filter(owner_id=application.applicant_id).first()
    notify(application.applicant, Kind.OFFICIAL, actor=staff_user, blog=blog, text=reason)
    return application


@transaction.atomic
def do_revoke(blog: Blog, staff_user, reason: str = "") -> bool:
    """Take the official badge back. False when the blog was not official (nothing done)."""
    check_staff(staff_user)
    reason = _clean_reason(reason, required=False)
    blog = Blog.objects.select_for_update().select_related("owner").get(pk=blog.pk)
    if not blog.is_official:
        return False
    blog_services.do_set_badges(blog, official_category="")
    # The applicant's page then says why the badge went, and they may apply again.
    OfficialApplication.objects.filter(applicant_id=blog.owner_id, status=Status.APPROVED).update(
        status=Status.REVOKED, reason=reason, reviewed_by=staff_user, reviewed_at=timezone.now()
    )
    text = reason or _in_their_language(
        blog.owner, gettext_noop("Your blog is no longer an official blog.")
    )
    notify(blog.owner, Kind.OFFICIAL, actor=staff_user, blog=blog, text=text)
    return True


@transaction.atomic
def do_set_top_blogger(blog: Blog, staff_user, on: bool) -> bool:
    """Mark or unmark a top blogger (an editors' badge). False when nothing changed."""
    check_staff(staff_user)
    blog = Blog.objects.select_for_update().select_related("owner").get(pk=blog.pk)
    if not blog_services.do_set_badges(blog, is_top_blogger=bool(on)):
        return False
    if on:
        text = _in_their_language(
            blog.owner, gettext_noop("Koe's editors have made you a top blogger.")
        )
    else:
        text = _in_their_language(
            blog.owner, gettext_noop("Your blog no longer carries the top blogger mark.")
        )
    notify(blog.owner, Kind.OFFICIAL, actor=staff_user, blog=blog, text=text)
    return True
