"""The optional time-on-page beacon: the page tells how long it was looked at.

There is no cookie and no id in the page (a cached page is the same for everyone): the
beacon is matched to the reader's latest view of that page by the same daily visitor
hash the view was counted with. It only ever fills in the seconds of that view.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from koe.analytics import capture
from koe.analytics.models import Hit
from koe.blogs.models import Blog

MAX_BODY = 1024
MAX_SECONDS = 6 * 60 * 60
WINDOW = timedelta(hours=1)


def _bad(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


@csrf_exempt  # navigator.sendBeacon cannot carry a token; this only times one's own view
@require_POST
@ratelimit(key="ip", rate="120/m", block=True)
def time_on_page(request):
    if len(request.body) > MAX_BODY:
        return _bad("too large")
    try:
        data = json.loads(request.body.decode("utf-8"))
        path, seconds = data["p"], data["s"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return _bad("malformed")
    if not isinstance(path, str) or not path.startswith("/@") or len(path) > 200:
        return _bad("path")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 < seconds <= MAX_SECONDS:
        return _bad("seconds")
    username = path.split("/")[1][1:].lower()
    blog = Blog.objects.select_related("owner").filter(owner__username=username).first()
    if blog is None:
        return _bad("blog")
    now = timezone.now()
    zone = blog.owner.time_zone or "Asia/Tokyo"
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    key = f"{capture.client_address(request.META)}\n{agent}\n{blog.pk}".encode()
    visitor = capture.visitor_id(key, capture.local_date(now, zone))
    latest = (
        Hit.objects.filter(
            blog=blog, visitor=visitor, path=path, seconds__isnull=True, ts__gte=now - WINDOW
        )
        .order_by("-ts", "-pk")  # hits keep whole seconds: the later of one second
        .values_list("pk", flat=True)
        .first()
    )
    if latest is not None:
        Hit.objects.filter(pk=latest).update(seconds=seconds)
    return HttpResponse(status=204)
