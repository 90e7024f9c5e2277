"""The text-only lite page and the Atom and JSON feeds of a crisis's alerts and reports."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from koe.crisis import safety
from koe.crisis.forms import SearchForm
from koe.crisis.models import Crisis
from koe.crisis.views.pages import mark_fading, reports_for

#: The lite page must load on a bad connection: under 30 KB, whatever was written.
LITE_BUDGET = 30 * 1024
#: (reports, alerts, check-ins found) tried in turn until the page fits.
LITE_STEPS = ((80, 10, 20), (40, 6, 10), (20, 4, 5), (8, 2, 3))
FEED_SIZE = 50


def _lite_crisis(crisis_id):
    if crisis_id is not None:
        return get_object_or_404(Crisis, pk=crisis_id)
    return Crisis.objects.active().first() or Crisis.objects.first()


@require_safe
@ratelimit(key="ip", rate="120/m", block=True)
def lite(request, crisis_id: int | None = None):
    crisis = _lite_crisis(crisis_id)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    base = {
        "crisis": crisis,
        "others": Crisis.objects.active().exclude(pk=getattr(crisis, "pk", None))[:5],
        "query": query,
    }
    if crisis is not None:
        reports = list(reports_for(crisis)[: LITE_STEPS[0][0]])
        mark_fading(reports, crisis)
        alerts = list(crisis.alerts.in_order().select_related("author")[: LITE_STEPS[0][1]])
        found = list(safety.search_checkins(crisis, query)[: LITE_STEPS[0][2]]) if query else []
        base["total_reports"] = len(reports)
    html = ""
    for n_reports, n_alerts, n_found in LITE_STEPS:
        context = dict(base)
        if crisis is not None:
            context.update(
                reports=reports[:n_reports], alerts=alerts[:n_alerts], found=found[:n_found]
            )
            context["cut"] = len(reports) > n_reports
        html = render_to_string("crisis/lite.html", context, request=request)
        if len(html.encode()) <= LITE_BUDGET:
            break
    response = HttpResponse(html)
    # The same for everyone who reads in one language: shared caches may keep it briefly.
    response["Cache-Control"] = "public, max-age=30"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


# ### Feeds ###


def feed_items(crisis: Crisis) -> list[dict]:
    """Alerts and current reports, newest first, each as one entry for the feeds."""
    home = settings.BASE_URL + crisis.get_absolute_url()
    items = []
    for alert in crisis.alerts.in_order().select_related("author")[:FEED_SIZE]:
        items.append(
            {
                "id": f"{home}#alert-{alert.pk}",
                "url": f"{home}#alert-{alert.pk}",
                "title": _("Alert: %(text)s") % {"text": alert.body[:80]},
                "text": alert.body,
                "time": alert.created_at,
                "author": alert.author_name,
                "tags": ["alert"] + (["pinned"] if alert.pinned else []),
                "extra": {"type": "alert", "pinned": alert.pinned},
            }
        )
    for report in reports_for(crisis)[:FEED_SIZE]:
        where = " — ".join(p for p in (report.subject, report.place) if p)
        title = f"{report.get_kind_display()}: {where} ({report.get_status_display()})"
        text = " · ".join(p for p in (title, report.area, report.note) if p)
        items.append(
            {
                "id": f"{home}#report-{report.pk}",
                "url": f"{home}#report-{report.pk}",
                "title": title,
                "text": text,
                "time": report.observed_at,
                "author": report.author.name,
                "tags": [report.kind, report.status],
                "extra": {
                    "type": "report",
                    "kind": report.kind,
                    "status": report.status,
                    "place": report.place,
                    "subject": report.subject,
                    "area": report.area,
                    "confirmations": report.confirmations,
                },
            }
        )
    items.sort(key=lambda item: item["time"], reverse=True)
    return items[:FEED_SIZE]


class CrisisAtomFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, crisis_id: int):
        return get_object_or_404(Crisis, pk=crisis_id)

    def title(self, crisis: Crisis) -> str:
        return _("%(name)s — alerts and reports") % {"name": crisis.name}

    def subtitle(self, crisis: Crisis) -> str:
        return crisis.area

    def link(self, crisis: Crisis) -> str:
        return crisis.get_absolute_url()

    def items(self, crisis: Crisis):
        return feed_items(crisis)

    def item_title(self, item) -> str:
        return item["title"]

    def item_description(self, item) -> str:
        return item["text"]

    def item_link(self, item) -> str:
        return item["url"]

    def item_guid(self, item) -> str:
        return item["id"]

    def item_pubdate(self, item):
        return item["time"]

    def item_updateddate(self, item):
        return item["time"]

    def item_author_name(self, item) -> str:
        return item["author"]

    def item_categories(self, item):
        return item["tags"]


@require_safe
def json_feed(request, crisis_id: int):
    """JSON Feed 1.1 (jsonfeed.org); `_koe` holds each entry's structured fields."""
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    home = settings.BASE_URL + crisis.get_absolute_url()
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _("%(name)s — alerts and reports") % {"name": crisis.name},
        "home_page_url": home,
        "feed_url": home + "feed.json",
        "description": crisis.area,
        "language": get_language() or settings.LANGUAGE_CODE,
        "_koe": {
            "area": crisis.area,
            "started_at": crisis.started_at.isoformat(),
            "ended_at": crisis.ended_at.isoformat() if crisis.ended_at else None,
            "updated_at": timezone.now().isoformat(),
        },
        "items": [
            {
                "id": item["id"],
                "url": item["url"],
                "title": item["title"],
                "content_text": item["text"],
                "date_published": item["time"].isoformat(),
                "authors": [{"name": item["author"]}],
                "tags": item["tags"],
                "_koe": item["extra"],
            }
            for item in feed_items(crisis)
        ],
    }
    body = json.dumps(feed, ensure_ascii=False)
    # The same strings once parsed; raw, nothing in them can pass for markup.
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        body = body.replace(char, escaped)
    return HttpResponse(body, content_type="application/feed+json; charset=utf-8")
