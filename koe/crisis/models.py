"""A declared crisis and what people gather in it: alerts, check-ins, searches and reports."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from koe.accounts.services import blocked_user_ids

MAX_NAME = 100
MAX_AREA = 100
MAX_AREAS = 12
MAX_ALERT = 1000
MAX_MESSAGE = 140
MAX_NOTE = 300
MAX_PLACE = 100


class CrisisQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def archived(self):
        return self.filter(ended_at__isnull=False)


class Crisis(models.Model):
    """An emergency staff declared; while it has no end, a banner shows on every page."""

    name = models.CharField(_("name"), max_length=MAX_NAME)
    area = models.CharField(_("area"), max_length=MAX_AREA)
    #: Smaller areas inside it, one hashtag each: [{"area": "輪島", "tag": "能登地震_輪島"}].
    hashtags = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(_("start time"))
    ended_at = models.DateTimeField(null=True, blank=True)
    #: Empty means Koe itself declared it (an operator's command, the demo).
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CrisisQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name_plural = "crises"
        indexes = [
            # The banner's one query: the few crises without an end.
            models.Index(
                fields=["-started_at"], condition=Q(ended_at__isnull=True), name="crisis_active"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crisis:hub", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Designation(models.Model):
    """A verified account staff allow to post alerts (in one crisis, or in any and to declare)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crisis_designations"
    )
    #: Empty: in every crisis, and the account may declare and end crises too.
    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.CASCADE, related_name="designations"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "crisis"], name="crisis_designation_once_per_crisis"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(crisis__isnull=True), name="crisis_designation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.crisis or 'every crisis'}"


class AlertQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by("-pinned", "-created_at", "-id")


class Alert(models.Model):
    """An official word from staff or a designated verified account, time-stamped."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="alerts")
    #: Empty: Koe itself (an operator's command, the demo), or an account since deleted;
    #: the alert stays part of the record either way.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("alert"), max_length=MAX_ALERT)
    pinned = models.BooleanField(_("pin to the top"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["crisis", "-created_at"], name="crisis_alert_recent")]

    def __str__(self) -> str:
        return self.body[:40]

    @property
    def author_name(self) -> str:
        return self.author.name if self.author else "Koe"


class CheckInQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Anyone may find a check-in (a person finder), but not of someone blocked either way."""
        found = self.filter(user__is_active=True).select_related("user")
        if user is not None and user.is_authenticated:
            found = found.exclude(user_id__in=blocked_user_ids(user))
        return found


class CheckIn(models.Model):
    """安否確認: one person saying "I am safe", once per crisis (a later one replaces it)."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="checkins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crisis_checkins"
    )
    message = models.CharField(_("message"), max_length=MAX_MESSAGE, blank=True)
    area = models.CharField(_("area"), max_length=MAX_AREA, blank=True)
    #: The person's names folded for search (names.fold): "やまだ たろう" finds "ヤマダタロウ".
    search_key = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["crisis", "user"], name="crisis_checkin_once")
        ]
        indexes = [models.Index(fields=["crisis", "-updated_at"], name="crisis_checkin_recent")]

    def __str__(self) -> str:
        return f"{self.user} safe in {self.crisis}"

    def get_absolute_url(self) -> str:
        """The person finder, searching for this person: where their check-in shows."""
        query = urlencode({"q": self.user.username})
        return f"{reverse('crisis:people', args=[self.crisis_id])}?{query}"


class LookingFor(models.Model):
    """Someone a person is looking for; found when a matching check-in appears or they say so."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="searches")
    seeker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crisis_searches"
    )
    name = models.CharField(_("their name"), max_length=MAX_NAME)
    area = models.CharField(_("area"), max_length=MAX_AREA, blank=True)
    note = models.CharField(_("note"), max_length=MAX_NOTE, blank=True)
    name_key = models.CharField(max_length=200, editable=False)
    found_checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["crisis", "name_key"],
                condition=Q(found_at__isnull=True),
                name="crisis_lookingfor_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.seeker} looks for {self.name}"

    @property
    def is_found(self) -> bool:
        return self.found_at is not None


class ReportQuerySet(models.QuerySet):
    def visible(self):
        """Not held for staff and not removed."""
        return self.filter(state__in=[Report.State.SHOWN, Report.State.KEPT])

    def current(self, now=None):
        """Visible and not yet expired, each kind by its own lifetime."""
        now = now or timezone.now()
        fresh = Q()
        for kind, lifetime in LIFETIMES.items():
            fresh |= Q(kind=kind, observed_at__gt=now - lifetime)
        return self.visible().filter(fresh)

    def newest_first(self):
        return self.order_by("-observed_at", "-id")


class Report(models.Model):
    """A structured report: where, what, its status and when it was seen."""

    class Kind(models.TextChoices):
        TRANSIT = "transit", _("Trains and roads")
        SUPPLIES = "supplies", _("Supplies")
        SHELTER = "shelter", _("Shelters")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DELAYED = "delayed", _("Delayed")
        STOPPED = "stopped", _("Stopped")
        AVAILABLE = "available", _("Available")
        RUNNING_OUT = "running_out", _("Running out")
        NONE = "none", pgettext_lazy("supplies", "None left")
        OPEN = "open", pgettext_lazy("shelter", "Open")
        FULL = "full", pgettext_lazy("shelter", "Full")

    class State(models.TextChoices):
        SHOWN = "shown", _("Shown")
        HELD = "held", _("Hidden until staff look")
        KEPT = "kept", _("Kept by staff")
        REMOVED = "removed", _("Removed by staff")

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    area = models.CharField(_("area"), max_length=MAX_AREA, blank=True)
    #: The line or route (trains and roads), or the place (supplies, shelters).
    place = models.CharField(max_length=MAX_PLACE)
    #: The item (supplies) or the shelter's name; empty for trains and roads.
    subject = models.CharField(max_length=MAX_PLACE, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.CharField(_("note"), max_length=MAX_NOTE, blank=True)
    #: When the reporter saw it: fading and expiry count from here.
    observed_at = models.DateTimeField(_("seen at"))
    confirmations = models.PositiveIntegerField(default=0)
    flags = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.SHOWN)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["crisis", "kind", "-observed_at"], name="crisis_report_recent"),
            models.Index(fields=["crisis"], condition=Q(state="held"), name="crisis_report_held"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.place} {self.status}"

    @property
    def lifetime(self) -> timedelta:
        return LIFETIMES[self.kind]

    def age(self, now=None) -> timedelta:
        return (now or timezone.now()) - self.observed_at

    def is_fading(self, now=None) -> bool:
        return self.age(now) >= self.lifetime * FADE_AT

    def is_expired(self, now=None) -> bool:
        return self.age(now) >= self.lifetime


#: How long a report means something, by kind: a train's status changes by the hour.
LIFETIMES = {
    Report.Kind.TRANSIT: timedelta(hours=3),
    Report.Kind.SUPPLIES: timedelta(hours=12),
    Report.Kind.SHELTER: timedelta(hours=24),
}
#: Past this share of its lifetime a report is shown dimmer.
FADE_AT = 0.5
#: The statuses each kind may take.
STATUSES = {
    Report.Kind.TRANSIT: [Report.Status.RUNNING, Report.Status.DELAYED, Report.Status.STOPPED],
    Report.Kind.SUPPLIES: [
        Report.Status.AVAILABLE,
        Report.Status.RUNNING_OUT,
        Report.Status.NONE,
    ],
    Report.Kind.SHELTER: [Report.Status.OPEN, Report.Status.FULL],
}


class ReportVote(models.Model):
    """One person's confirmation or flag of a report; one each."""

    class Value(models.TextChoices):
        CONFIRM = "confirm", _("Confirm")
        FLAG = "flag", _("Flag")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=8, choices=Value.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="crisis_vote_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.value}s {self.report_id}"
