"""Readers of each post in the last few hours, and their usual level: for trends elsewhere.

Robots never count (the rollup and the hit writer leave them out, and so does this); the
blogger's own views are not recorded at all. Analytics imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When

from koe.analytics.models import DailyPostStats, Hit, HourlyStats
from koe.blogs.models import Post

#: How many post ids go into one IN list (SQLite refuses very long ones).
CHUNK = 500


def hours_ago(field: str, now: datetime, hours: int) -> Case:
    """0 for the last hour before `now`, 1 for the hour before that, and so on."""
    whens = [
        When(**{f"{field}__gte": now - timedelta(hours=h + 1)}, then=Value(h))
        for h in range(hours - 1)
    ]
    return Case(*whens, default=Value(hours - 1), output_field=IntegerField())


def post_readers_by_hour(now: datetime, hours: int = 3) -> dict[int, list[int]]:
    """{post id: [readers in the last hour, the hour before, ...]} for posts read lately.

    A reader is one visitor (a day's salted hash) counted once per post per hour. One row
    per post read, its hours side by side."""
    since = now - timedelta(hours=hours)
    per_hour = {
        f"h{h}": Count(
            "visitor",
            distinct=True,
            filter=Q(ts__gte=now - timedelta(hours=h + 1), ts__lt=now - timedelta(hours=h)),
        )
        for h in range(hours)
    }
    rows = (
        Hit.objects.filter(ts__gte=since, ts__lt=now, is_bot=False, post__isnull=False)
        .values("post_id")
        .annotate(**per_hour)
        .values_list("post_id", *per_hour)
        .order_by()
    )
    return {post_id: list(counts) for post_id, *counts in rows.iterator(chunk_size=10_000)}


def post_readers_per_day(post_ids: Iterable[int], first: date, last: date) -> dict[int, int]:
    """{post id: the sum of its daily readers from first to last, both included}."""
    ids = list(post_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (
            DailyPostStats.objects.filter(
                post_id__in=ids[start : start + CHUNK], date__gte=first, date__lte=last
            )
            .values("post_id")
            .annotate(readers=Sum("visitors"))
            .values_list("post_id", "readers")
            .order_by()
        )
        found.update(rows)
    return found


def tag_readers_per_day(tag_ids: Iterable[int], first: date, last: date) -> dict[tuple, int]:
    """{(tag id, genre id or None): daily readers summed} of public posts carrying the tags."""
    rows = (
        DailyPostStats.objects.filter(
            post__tags__in=list(tag_ids),
            post__visibility=Post.Visibility.PUBLIC,
            post__status=Post.Status.PUBLISHED,
            date__gte=first,
            date__lte=last,
        )
        .values("post__tags", "blog__genre_id")
        .annotate(readers=Sum("visitors"))
        .order_by()
    )
    return {(row["post__tags"], row["blog__genre_id"]): row["readers"] for row in rows}


def blog_readers_recent_and_usual(
    blog_ids: Iterable[int], now: datetime, *, hours: int = 3, days: int = 7
) -> dict[int, tuple[int, float]]:
    """{blog id: (readers in the last `hours` whole hours, their usual number in as many
    hours over the `days` before)} from the hourly counts."""
    ids = list(blog_ids)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    recent_from = this_hour - timedelta(hours=hours - 1)
    usual_from = recent_from - timedelta(days=days)
    found: dict[int, tuple[int, float]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (
            HourlyStats.objects.filter(blog_id__in=ids[start : start + CHUNK])
            .filter(hour__gte=usual_from, hour__lte=this_hour)
            .values("blog_id")
            .annotate(
                recent=Sum(Case(When(hour__gte=recent_from, then="visitors"), default=0)),
                before=Sum(Case(When(hour__lt=recent_from, then="visitors"), default=0)),
            )
            .order_by()
        )
        for row in rows:
            usual = (row["before"] or 0) / (days * 24) * hours
            found[row["blog_id"]] = (row["recent"] or 0, usual)
    return found
