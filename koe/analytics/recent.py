"""Readers of each post in the last few hours, and their usual level: for trends elsewhere.

Robots never count (the rollup and the hit writer leave them out, and so does this); the
blogger's own views are not recorded at all. Analytics imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When

from koe.analytics.models import DailyPostStats, Hit

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
