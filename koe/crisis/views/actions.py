"""Writing on the hub: each view parses a form, calls an action, and answers 4xx with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from koe.crisis import reports, safety, services
from koe.crisis.forms import AlertForm, CheckInForm, DesignateForm, LookingForForm, ReportForm
from koe.crisis.models import Alert, Crisis, LookingFor, Report, ReportVote
from koe.crisis.views.pages import add_errors, people_context, refused, render_hub


def _crisis(crisis_id: int) -> Crisis:
    return get_object_or_404(Crisis, pk=crisis_id)


def _ended(request, crisis: Crisis):
    return refused(request, _("This crisis has ended; its page is kept as a record."), status=409)


@login_required
@require_POST
@ratelimit(key="user", rate="10/h", block=True)
def end(request, crisis_id: int):
    crisis = _crisis(crisis_id)
    try:
        services.do_end(crisis, request.user)
    except PermissionDenied as e:
        return refused(request, str(e))
    messages.success(request, _("The crisis has ended. Its hub is kept in the archive."))
    return redirect(crisis)


@login_required
@require_POST
@ratelimit(key="user", rate="30/m", block=True)
def post_alert(request, crisis_id: int):
    crisis = _crisis(crisis_id)
    if not crisis.is_active:
        return _ended(request, crisis)
    form = AlertForm(request.POST)
    if form.is_valid():
        try:
            services.do_post_alert(request.user, crisis, **form.cleaned_data)
        except PermissionDenied as e:
            return refused(request, str(e))
        except ValidationError as e:
            add_errors(form, e)
        else:
            return redirect(crisis)
    return render_hub(request, crisis, status=400, alert_form=form)


@login_required
@require_POST
@ratelimit(key="user", rate="30/m", block=True)
def pin_alert(request, alert_id: int):
    alert = get_object_or_404(Alert.objects.select_related("crisis"), pk=alert_id)
    try:
        services.do_pin_alert(request.user, alert, request.POST.get("pinned") == "1")
    except PermissionDenied as e:
        return refused(request, str(e))
    except ValidationError:
        return _ended(request, alert.crisis)
    return redirect(alert.crisis)


@login_required
@require_POST
@ratelimit(key="user", rate="10/m", block=True)
def check_in(request, crisis_id: int):
    crisis = _crisis(crisis_id)
    if not crisis.is_active:
        return _ended(request, crisis)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            _checkin, created = safety.do_check_in(request.user, crisis, **form.cleaned_data)
        except ValidationError as e:
            add_errors(form, e)
        else:
            if created:
                messages.success(
                    request, _("Thank you. Your followers will hear that you are safe.")
                )
            else:
                messages.success(request, _("Your check-in has been updated."))
            return redirect(crisis)
    return render_hub(request, crisis, status=400, checkin_form=form)


@login_required
@require_POST
@ratelimit(key="user", rate="20/h", block=True)
def look_for(request, crisis_id: int):
    crisis = _crisis(crisis_id)
    if not crisis.is_active:
        return _ended(request, crisis)
    form = LookingForForm(request.POST)
    if form.is_valid():
        try:
            search = safety.do_look_for(request.user, crisis, **form.cleaned_data)
        except ValidationError as e:
            add_errors(form, e)
        else:
            if search.is_found:
                messages.success(request, _("Good news: they have checked in as safe."))
            else:
                messages.success(request, _("Saved. It will show as found when they check in."))
            return redirect(reverse("crisis:people", args=[crisis.pk]))
    context = people_context(request, crisis, looking_form=form)
    context["searches"] = context["searches"][:50]
    return render(request, "crisis/people.html", context, status=400)


@login_required
@require_POST
@ratelimit(key="user", rate="30/m", block=True)
def mark_found(request, search_id: int):
    search = get_object_or_404(LookingFor, pk=search_id)
    try:
        safety.do_mark_found(request.user, search)
    except PermissionDenied as e:
        return refused(request, str(e))
    return redirect(reverse("crisis:people", args=[search.crisis_id]))


@login_required
@require_POST
@ratelimit(key="user", rate="10/m", block=True)
@ratelimit(key="user", rate="60/h", block=True)
def report(request, crisis_id: int, kind: str):
    crisis = _crisis(crisis_id)
    if kind not in Report.Kind.values:
        raise Http404
    if not crisis.is_active:
        return _ended(request, crisis)
    form = ReportForm(request.POST, kind=kind)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            reports.do_report(request.user, crisis, kind=kind, **fields)
        except ValidationError as e:
            add_errors(form, e)
        else:
            messages.success(request, _("Thank you for the report."))
            return redirect(f"{crisis.get_absolute_url()}?kind={kind}#reports")
    return render_hub(request, crisis, status=400, **{f"report_form_{kind}": form})


@login_required
@require_POST
@ratelimit(key="user", rate="60/m", block=True)
def vote(request, report_id: int, value: str):
    report_ = get_object_or_404(Report.objects.select_related("crisis"), pk=report_id)
    if value not in ReportVote.Value.values:
        raise Http404
    try:
        reports.do_vote(request.user, report_, value)
    except ValidationError as e:
        status = 409 if e.code == "ended" else 400
        return refused(request, " ".join(e.messages), status=status)
    if value == ReportVote.Value.CONFIRM:
        messages.success(request, _("Thank you for confirming."))
    else:
        messages.success(request, _("Thank you. Staff look at reports that many people flag."))
    return redirect(f"{report_.crisis.get_absolute_url()}#report-{report_.pk}")


@login_required
@require_POST
def review_report(request, report_id: int):
    if not (request.user.is_active and request.user.is_staff):
        raise Http404
    report_ = get_object_or_404(Report, pk=report_id)
    reports.do_review(request.user, report_, keep=request.POST.get("keep") == "1")
    return redirect(reverse("crisis:review", args=[report_.crisis_id]))


@login_required
@require_POST
def designate(request, crisis_id: int):
    if not (request.user.is_active and request.user.is_staff):
        raise Http404
    crisis = _crisis(crisis_id)
    form = DesignateForm(request.POST)
    if form.is_valid():
        User = get_user_model()
        person = User.objects.filter(username=form.cleaned_data["username"].lower()).first()
        try:
            services.do_designate(
                request.user, person, None if form.cleaned_data["everywhere"] else crisis
            )
        except ValidationError as e:
            add_errors(form, e)
        else:
            messages.success(request, _("The account may now post alerts."))
            return redirect(crisis)
    return render_hub(request, crisis, status=400, designate_form=form)
