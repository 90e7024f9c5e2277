"""Rolling raw hits up into hourly and daily counts, incrementally and idempotently.

Each run finds the blogs and days that received hits since the last run (with an overlap,
for hits that a slower process committed late) and recomputes those whole days from the
raw hits: a day's counts are replaced, never added to, so a run repeated or run twice in
parallel gives the same numbers.

A day's count grows with its views (a blog read a million times a day: 12–20 s), so a day
that took long to count is counted again only after ten times as long (COST_SHARE): it is
marked stale meanwhile, and counted once due even if no view comes after. Most days take
milliseconds and are counted every minute.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from koe.analytics.capture import local_date
from koe.analytics.models import (
    DailyBreakdown,
    DailyPostStats,
    DailyStats,
    Hit,
    HourlyStats,
    RollupState,
)
from koe.blogs.models import Blog, Post

OVERLAP = timedelta(minutes=2)
SETTLE = timedelta(seconds=5)
#: A day is counted again at the soonest after this many times as long as it last took:
#: the rollup spends at most about a tenth of a core on any one blog.
COST_SHARE = 10
DIMENSIONS = {
    DailyBreakdown.Dimension.SOURCE: "labels__referrer_group",
    DailyBreakdown.Dimension.REFERRER: "labels__referrer",
    DailyBreakdown.Dimension.SEARCH: "labels__search_terms",
    DailyBreakdown.Dimension.DEVICE: "labels__device",
    DailyBreakdown.Dimension.BROWSER: "labels__browser",
    DailyBreakdown.Dimension.OS: "labels__os",
    DailyBreakdown.Dimension.LANGUAGE: "labels__language",
    DailyBreakdown.Dimension.COUNTRY: "country",
    DailyBreakdown.Dimension.ENTRY: "path",
}


def blog_zone(zone_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(zone_name or settings.KOE_ANALYTICS_DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def _grouped(hits, *fields):
    return hits.values(*fields).annotate(
        views=Count("id"), visitors=Count("visitor", distinct=True)
    )


def recompute_day(
    blog_id: int, day: date, zone: zoneinfo.ZoneInfo, now: datetime | None = None
) -> int:
    """Replace one blog's counts for one day with what the raw hits say (as of now: the
    rollup's moment, from which the day is next due).

    The counting only reads (a busy blog's day is a million hits: seconds of work); the
    write lock is taken afterwards, for the moment the day's rows are replaced. On SQLite a
    transaction around the reads would hold the one write lock all that time, and the
    buffered views of every blog would wait behind it (the buffer then drops views)."""
    started = monotonic()
    start, end = day_bounds(day, zone)
    hits = Hit.objects.filter(blog_id=blog_id, ts__gte=start, ts__lt=end)
    # Views written just after their post was deleted (no constraint stops a view) go the
    # way of the post's other views.
    gone = hits.exclude(post=None).exclude(
        post__in=Post.objects.filter(blog_id=blog_id).values("pk")
    )
    if gone.exists():
        gone.delete()
    counted = _count_day(blog_id, day, hits.filter(is_bot=False))
    bots = hits.filter(is_bot=True).count()
    due_at = (now or timezone.now()) + (monotonic() - started) * COST_SHARE * timedelta(seconds=1)
    with transaction.atomic():
        DailyStats.objects.filter(blog_id=blog_id, date=day).delete()
        HourlyStats.objects.filter(blog_id=blog_id, hour__gte=start, hour__lt=end).delete()
        DailyPostStats.objects.filter(blog_id=blog_id, date=day).delete()
        DailyBreakdown.objects.filter(blog_id=blog_id, date=day).delete()
        if counted is None and not bots:
            return 0
        totals, hours, posts, breakdown = counted or ({}, [], [], [])
        DailyStats.objects.create(
            blog_id=blog_id,
            date=day,
            views=totals.get("views", 0),
            visitors=totals.get("visitors", 0),
            bot_views=bots,
            seconds=totals.get("secs") or 0,
            timed=totals.get("timed", 0),
            computed_at=timezone.now(),
            due_at=due_at,
        )
        HourlyStats.objects.bulk_create(hours)
        DailyPostStats.objects.bulk_create(posts)
        DailyBreakdown.objects.bulk_create(breakdown, batch_size=1000)
    return totals.get("views", 0)


def _count_day(blog_id: int, day: date, people):
    """(totals, hourly rows, post rows, breakdown rows) of a day's readers' views, unsaved;
    None when there were none."""
    totals = people.aggregate(
        views=Count("id"),
        visitors=Count("visitor", distinct=True),
        secs=Sum("seconds"),
        timed=Count("seconds"),  # the views the beacon timed (COUNT skips NULL)
    )
    if not totals["views"]:
        return None
    hours = people.annotate(hour=TruncHour("ts", tzinfo=UTC)).values("hour")
    hourly = [
        HourlyStats(blog_id=blog_id, hour=row["hour"], views=row["views"], visitors=row["visitors"])
        for row in hours.annotate(views=Count("id"), visitors=Count("visitor", distinct=True))
    ]
    posts = [
        DailyPostStats(blog_id=blog_id, post_id=row["post_id"], date=day, views=row["views"],
                       visitors=row["visitors"], seconds=row["secs"] or 0, timed=row["n_timed"])
        for row in _grouped(people.exclude(post=None), "post_id").annotate(
            secs=Sum("seconds"), n_timed=Count("seconds"))
    ]  # fmt: skip
    rows = []
    for dimension, field in DIMENSIONS.items():
        subset = people.exclude(**{field: ""})
        if dimension == DailyBreakdown.Dimension.ENTRY:
            subset = subset.filter(labels__is_entry=True)
        # A referrer is kept with its group: the same label may be a Koe page or a host.
        with_group = dimension == DailyBreakdown.Dimension.REFERRER
        for row in _grouped(subset, field, *(["labels__referrer_group"] if with_group else [])):
            rows.append(
                DailyBreakdown(
                    blog_id=blog_id,
                    date=day,
                    dimension=dimension,
                    group=row["labels__referrer_group"] if with_group else "",
                    value=row[field],
                    views=row["views"],
                    visitors=row["visitors"],
                )
            )
    return totals, hourly, posts, rows


def rollup(now: datetime | None = None) -> int:
    """Count everything that arrived since the last run; returns the blog-days redone."""
    now = now or timezone.now()
    state, _created = RollupState.objects.get_or_create(name="hits")
    until = now - SETTLE
    since = (state.done_until - OVERLAP) if state.done_until else None
    window = Hit.objects.filter(ts__lt=until)
    if since is not None:
        window = window.filter(ts__gte=since)
    touched = list(window.values("blog_id").annotate(first=Min("ts"), last=Max("ts")))
    zones = dict(
        Blog.objects.filter(pk__in=[row["blog_id"] for row in touched]).values_list(
            "pk", "owner__time_zone"
        )
    )
    waiting = _waiting(touched, now)
    done, stale = 0, []
    for row in touched:
        if row["blog_id"] not in zones:  # views written just after their blog was deleted
            Hit.objects.filter(blog_id=row["blog_id"]).delete()
            continue
        zone = blog_zone(zones[row["blog_id"]])
        day = local_date(row["first"], zone.key)
        while day <= local_date(row["last"], zone.key):
            if (row["blog_id"], day) in waiting:
                stale.append((row["blog_id"], day))
            else:
                recompute_day(row["blog_id"], day, zone, now=now)
                done += 1
            day += timedelta(days=1)
    for blog_id, day in stale:
        DailyStats.objects.filter(blog_id=blog_id, date=day).update(stale=True)
    # The days that waited and are now due, whether or not views came since.
    due = DailyStats.objects.filter(stale=True, due_at__lte=now).values_list(
        "blog_id", "date", "blog__owner__time_zone"
    )
    for blog_id, day, zone_name in list(due):
        recompute_day(blog_id, day, blog_zone(zone_name), now=now)
        done += 1
    RollupState.objects.filter(pk=state.pk).update(done_until=until)
    return done


def _waiting(touched: list[dict], now: datetime) -> set[tuple[int, date]]:
    """(blog, day) of the touched blogs' days counted too recently for their cost."""
    waiting: set[tuple[int, date]] = set()
    for start in range(0, len(touched), 500):
        chunk = touched[start : start + 500]
        first = min(row["first"] for row in chunk).date() - timedelta(days=1)  # any zone
        waiting.update(
            DailyStats.objects.filter(
                blog_id__in=[row["blog_id"] for row in chunk], date__gte=first, due_at__gt=now
            ).values_list("blog_id", "date")
        )
    return waiting


def delete_old_hits(now: datetime | None = None) -> int:
    """Raw hits go after KOE_ANALYTICS_KEEP_DAYS; their counts stay forever."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.KOE_ANALYTICS_KEEP_DAYS)
    state = RollupState.objects.filter(name="hits").first()
    if state is None or state.done_until is None:
        return 0
    # Never delete what the rollup has not counted yet.
    return Hit.objects.filter(ts__lt=min(cutoff, state.done_until - OVERLAP)).delete()[0]


def live(blog_id: int, zone_name: str, now: datetime | None = None) -> dict:
    """Today so far and the last five minutes, straight from the raw hits."""
    now = now or timezone.now()
    zone = blog_zone(zone_name)
    start, _end = day_bounds(local_date(now, zone.key), zone)
    people = Hit.objects.filter(blog_id=blog_id, is_bot=False, ts__gte=start)
    today = people.aggregate(views=Count("id"), visitors=Count("visitor", distinct=True))
    recent = people.filter(ts__gte=now - timedelta(minutes=5))
    return {
        "views": today["views"],
        "visitors": today["visitors"],
        "now": recent.values("visitor").distinct().count(),
    }
