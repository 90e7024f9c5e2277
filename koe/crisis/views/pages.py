"""Pages anyone can read: the hub, people search, the archive; and declaring a crisis."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from koe.accounts.services import blocked_user_ids
from koe.crisis import safety, services
from koe.crisis.forms import (
    AlertForm,
    CheckInForm,
    DeclareForm,
    DesignateForm,
    LookingForForm,
    ReportForm,
    SearchForm,
)
from koe.crisis.links import tag_url
from koe.crisis.models import CheckIn, Crisis, LookingFor, Report, ReportVote

REPORTS_PER_PAGE = 40
ALERTS_SHOWN = 50
RECENT_CHECKINS = 12
ARCHIVE_PER_PAGE = 30


def refused(request, message: str, status: int = 403):
    """A refusal in the viewer's language, with nothing written."""
    return render(request, "crisis/refused.html", {"message": message}, status=status)


def add_errors(form, error: ValidationError) -> None:
    """An action's ValidationError onto the form: by field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def reports_for(crisis: Crisis, kind: str = ""):
    """Current reports while the crisis lasts; every shown one once it is a record."""
    reports = Report.objects.filter(crisis=crisis)
    reports = reports.current() if crisis.is_active else reports.visible()
    if kind:
        reports = reports.filter(kind=kind)
    return reports.newest_first().select_related("author")


def mark_fading(reports, crisis: Crisis, now=None) -> None:
    now = now or timezone.now()
    for report in reports:
        # In the archive every report is history: none fades.
        report.fading = crisis.is_active and report.is_fading(now)


def hub_context(request, crisis: Crisis, **forms) -> dict:
    user = request.user
    signed_in = user.is_authenticated
    kind = request.GET.get("kind", "")
    kind = kind if kind in Report.Kind.values else ""
    page = Paginator(reports_for(crisis, kind), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    mark_fading(page.object_list, crisis)
    voted = set()
    if signed_in and page.object_list:
        voted = set(
            ReportVote.objects.filter(
                user=user, report_id__in=[r.pk for r in page.object_list]
            ).values_list("report_id", flat=True)
        )
    checkins = CheckIn.objects.filter(crisis=crisis, user__is_active=True).select_related("user")
    hidden = blocked_user_ids(user) if signed_in else set()
    if hidden:
        checkins = checkins.exclude(user_id__in=hidden)
    is_staff = signed_in and user.is_active and user.is_staff
    can_alert = crisis.is_active and services.can_post_alert(user, crisis)
    return {
        "crisis": crisis,
        "alerts": crisis.alerts.in_order().select_related("author__blog")[:ALERTS_SHOWN],
        "can_alert": can_alert,
        "alert_form": forms.get("alert_form") or AlertForm(),
        "my_checkin": checkins.filter(user=user).first() if signed_in else None,
        "checkin_form": forms.get("checkin_form") or CheckInForm(),
        "checkin_count": CheckIn.objects.filter(crisis=crisis).count(),
        "recent_checkins": checkins.order_by("-updated_at")[:RECENT_CHECKINS],
        "search_form": SearchForm(),
        "report_forms": [
            forms.get(f"report_form_{k}") or ReportForm(kind=k) for k in Report.Kind.values
        ],
        "open_report_form": next(
            (k for k in Report.Kind.values if forms.get(f"report_form_{k}")), ""
        ),
        "kind": kind,
        "kinds": Report.Kind.choices,
        "page": page,
        "voted": voted,
        "hashtags": [(h["area"], h["tag"], tag_url(h["tag"])) for h in crisis.hashtags],
        "can_end": crisis.is_active and services.can_declare(user),
        "is_staff": is_staff,
        "held_count": Report.objects.filter(crisis=crisis, state=Report.State.HELD).count()
        if is_staff
        else 0,
        "designate_form": forms.get("designate_form") or DesignateForm(),
    }


def render_hub(request, crisis: Crisis, status: int = 200, **forms):
    return render(request, "crisis/hub.html", hub_context(request, crisis, **forms), status=status)


@require_safe
def index(request):
    active = list(Crisis.objects.active())
    if len(active) == 1:
        return render_hub(request, active[0])
    context = {
        "active": active,
        "recent": Crisis.objects.archived()[:5],
        "can_declare": services.can_declare(request.user),
    }
    return render(request, "crisis/index.html", context)


@require_safe
def hub(request, crisis_id: int):
    return render_hub(request, get_object_or_404(Crisis, pk=crisis_id))


@require_safe
def archive(request):
    page = Paginator(Crisis.objects.archived(), ARCHIVE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "crisis/archive.html", {"page": page})


def people_context(request, crisis: Crisis, **forms) -> dict:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    viewer = request.user if request.user.is_authenticated else None
    searches = LookingFor.objects.filter(crisis=crisis).select_related(
        "seeker", "found_checkin__user"
    )
    hidden = blocked_user_ids(viewer) if viewer else set()
    if hidden:
        searches = searches.exclude(seeker_id__in=hidden)
    mine = searches.filter(seeker=viewer) if viewer else LookingFor.objects.none()
    return {
        "crisis": crisis,
        "form": form,
        "query": query,
        "results": list(safety.search_checkins(crisis, query, viewer)) if query else [],
        "looking_form": forms.get("looking_form") or LookingForForm(),
        "mine": mine[:50],
        "searches": searches.exclude(seeker=viewer) if viewer else searches,
    }


@require_safe
@ratelimit(key="ip", rate="60/m", block=True)  # each search scans the crisis's check-ins
def people(request, crisis_id: int):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    context = people_context(request, crisis)
    context["searches"] = context["searches"][:50]
    status = 400 if context["form"].errors else 200
    return render(request, "crisis/people.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="10/h", method="POST", block=True)
def declare(request):
    if not services.can_declare(request.user):
        return refused(
            request, _("Only staff or designated official accounts can declare a crisis.")
        )
    now = timezone.now().replace(second=0, microsecond=0)
    form = DeclareForm(
        request.POST if request.method == "POST" else None, initial={"started_at": now}
    )
    if request.method == "POST" and form.is_valid():
        try:
            crisis = services.do_declare(request.user, **form.cleaned_data)
        except PermissionDenied as e:
            return refused(request, str(e))
        except ValidationError as e:
            add_errors(form, e)
        else:
            messages.success(request, _("The crisis is declared; the banner shows on every page."))
            return redirect(crisis)
    status = 400 if form.errors else 200
    return render(request, "crisis/declare.html", {"form": form}, status=status)


@login_required
@require_safe
def review(request, crisis_id: int):
    if not (request.user.is_active and request.user.is_staff):
        raise Http404
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    held = (
        Report.objects.filter(crisis=crisis, state=Report.State.HELD)
        .select_related("author")
        .order_by("-flags", "-observed_at")
    )
    return render(request, "crisis/review.html", {"crisis": crisis, "held": held[:100]})
