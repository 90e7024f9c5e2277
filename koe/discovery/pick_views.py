"""Editors' picks: the public /picks/ page, staff's page to pick, and the author's answer."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.core import pagecache
from koe.core.decorators import staff_required
from koe.discovery import picks
from koe.discovery.models import Pick

PER_PAGE = 20
WRITE_RATE = "60/m"


class PickForm(forms.Form):
    post = forms.CharField(
        label=gettext_lazy("Post (its address or number)"),
        max_length=300,
        error_messages={"required": gettext_lazy("Name the post to pick.")},
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    headline = forms.CharField(
        label=gettext_lazy("Proposed headline (optional)"),
        help_text=gettext_lazy("Shown instead of the post's title only after the author accepts."),
        max_length=picks.MAX_HEADLINE,
        required=False,
    )

    def clean_post(self):
        post = picks.post_from_reference(self.cleaned_data["post"])
        if post is None:
            raise forms.ValidationError(_("No post at that address."))
        return post


@require_safe
@pagecache.site_page
def picks_page(request):
    context = {
        "live": picks.front_picks(),
        "earlier": Paginator(picks.earlier_picks(), PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "discovery/picks.html", context)


def _manage_page(request, form, *, status=200):
    now = timezone.now()
    context = {
        "form": form,
        "current": Pick.objects.filter(ends_at__gt=now)
        .select_related("post__blog__owner", "picked_by")
        .order_by("starts_at", "id")[:100],
        "ended": Pick.objects.filter(ends_at__lte=now)
        .select_related("post__blog__owner", "picked_by")
        .order_by("-ends_at", "-id")[:20],
        "now": now,
    }
    return render(request, "discovery/picks_manage.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
def manage(request):
    if request.method == "GET":
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = {
            "post": request.GET.get("post", "")[:300],
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        }
        return _manage_page(request, PickForm(initial=initial))
    form = PickForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            picks.do_pick(
                data["post"],
                request.user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                headline=data["headline"],
            )
        except ValidationError as e:
            form.add_error(None, e.messages)
        else:
            messages.success(request, _("Picked. The author has been told."))
            return redirect("discovery:picks_manage")
    return _manage_page(request, form, status=400)


@staff_required
@require_POST
@ratelimit(key="user", rate=WRITE_RATE, block=True)
def end(request, pick_id):
    pick = get_object_or_404(Pick, pk=pick_id)
    if picks.do_end_pick(pick, request.user):
        messages.success(request, _("The pick has ended."))
    return redirect("discovery:picks_manage")


@login_required
@require_POST
@ratelimit(key="user", rate=WRITE_RATE, block=True)
def answer_headline(request, pick_id):
    pick = get_object_or_404(Pick, pk=pick_id)
    answer = request.POST.get("answer", "")
    if answer not in ("accept", "decline"):
        return _answer_error(request, [_("Please accept or decline the headline.")])
    try:
        picks.do_answer_headline(pick, request.user, accept=answer == "accept")
    except PermissionDenied:
        raise Http404 from None  # someone else's pick: as if there were none
    except ValidationError as e:
        return _answer_error(request, e.messages)
    if answer == "accept":
        messages.success(request, _("Accepted: the pick shows the new headline."))
    else:
        messages.success(request, _("Declined: the pick shows your post's own title."))
    return redirect("blogs:dashboard")


def _answer_error(request, errors):
    return render(request, "discovery/picks_answer_error.html", {"errors": errors}, status=400)
