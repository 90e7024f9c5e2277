"""An application for an official badge, and staff's decision on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from koe.blogs.models import OFFICIAL_CATEGORIES

MAX_EVIDENCE = 2000
MAX_REAL_NAME = 100
#: A reason travels in a notification, whose text holds 300 characters.
MAX_REASON = 300


class OfficialApplicationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=OfficialApplication.Status.PENDING)


class OfficialApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        #: Approved once, then the badge was taken back by staff.
        REVOKED = "revoked", _("Badge removed")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official_applications"
    )
    category = models.CharField(
        pgettext_lazy("official", "category"), max_length=20, choices=OFFICIAL_CATEGORIES
    )
    real_name = models.CharField(_("real name or organisation"), max_length=MAX_REAL_NAME)
    evidence = models.TextField(_("evidence"), max_length=MAX_EVIDENCE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: Shown to the applicant when refused (or when the badge is removed).
    reason = models.CharField(_("reason"), max_length=MAX_REASON, blank=True)
    #: Empty on a decided application means Koe itself decided (an operator's command).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfficialApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database, not only the action, keeps a double click to one open application.
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status="pending"),
                name="official_one_pending_per_person",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="official_app_queue")]

    def __str__(self) -> str:
        return f"{self.applicant} as {self.category} ({self.status})"
