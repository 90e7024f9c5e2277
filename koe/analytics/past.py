"""Caching the dashboard's sums: a closed day's counts change only when the rollup rewrites it.

Two levels, both keyed by what the rollup last did to the days they cover (version()), so a
key is never stale: the sums of a period's past days (kept until a past day is rewritten,
which is rare), and a period's finished figures (good until the next rollup of today, a
minute at most). A request reads the keys, and today's rows only when the rollup has moved.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from koe.analytics.models import DailyStats

TIMEOUT = 24 * 60 * 60  # a key is never stale (see version): this only frees memory
T = TypeVar("T")
#: (key, numbers) rows; the numbers of equal keys are added up.
Fetch = Callable[[date, date], list[tuple[Hashable, tuple[int, ...]]]]


def version(scope, first: date, last: date) -> str:
    """What the rollup last did to these days: any rewrite, addition or deletion changes it.

    recompute_day() stamps computed_at on the day's DailyStats (it rewrites every table of
    the day together); the row count and the sums catch rows added or removed otherwise.
    """
    row = scope.filter(DailyStats.objects.filter(date__gte=first, date__lte=last)).aggregate(
        n=Count("id"), at=Max("computed_at"), top=Max("id"), v=Sum("views"), b=Sum("bot_views")
    )
    at = row["at"].timestamp() if row["at"] else 0
    return f"{row['n']}.{at}.{row['top']}.{row['v']}.{row['b']}"


def cached(name: str, scope, first: date, last: date, compute: Callable[[], T], tag="") -> T:
    """compute()'s result for these days, made again only when the rollup has changed them."""
    who = "site" if scope.blog_id is None else scope.blog_id
    key = f"analytics:{name}:{tag}:{who}:{first}:{last}:{version(scope, first, last)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


def summed(
    name: str, scope, start: date, end: date, today: date, fetch: Fetch
) -> dict[Hashable, list[int]]:
    """fetch()'s rows over start..end added up by key: the days before today from the cache,
    today's (and any later day's) straight from the database."""
    totals: dict[Hashable, list[int]] = {}
    past_end = min(end, today - timedelta(1))
    if start <= past_end:
        # The cache hands out a fresh copy (it pickles), so today's rows can be added to it.
        totals = cached(f"{name}-past", scope, start, past_end,
                        lambda: _add({}, fetch(start, past_end)))  # fmt: skip
    if today <= end:
        _add(totals, fetch(max(start, today), end))
    return totals


def _add(totals: dict, rows) -> dict:
    for key, numbers in rows:
        found = totals.get(key)
        if found is None:
            totals[key] = list(numbers)
        else:
            for i, n in enumerate(numbers):
                found[i] += n
    return totals
