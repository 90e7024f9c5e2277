"""Caching the dashboard's sums: a closed day's counts change only when the rollup rewrites it.

Two levels, both keyed by what the rollup last did to the days they cover, so a key is never
stale: the sums of each calendar month's past days (a closed month is read from the rows
once, unless a day of it is rewritten, which is rare; any period is made of such pieces),
and a period's finished figures (good until the next rollup of today, a minute at most).

And today's figures (the live card's, the "today" page's totals) of a blog or the site
whose count of today's raw hits is costly, shared for a while in proportion to what they
cost (shared_by_cost()).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta
from time import monotonic
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone

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


#: A count that took this long or longer is shared ...
SHARED_FROM = 0.05  # seconds
#: ... for this many times as long as it took, so that however many dashboards poll it, it
#: costs at most a tenth of a core.
SHARED_FOR = 10


def shared_by_cost(name: str, who, compute: Callable[[], T]) -> tuple[T, datetime]:
    """compute()'s result and when it was computed: afresh when that is cheap (every blog
    but the busiest: a few milliseconds), otherwise as computed up to SHARED_FOR times its
    cost ago. A blog read a million times today takes ~2 s on SQLite to count its day's
    visitors, and an open dashboard asks every 5 s: alone it would keep 40 % of a core
    busy, and each more dashboard as much again."""
    key = f"analytics:shared:{name}:{who}"
    found = cache.get(key)
    if found is not None:
        return found
    started, at = monotonic(), timezone.now()
    value = compute()
    spent = monotonic() - started
    if spent >= SHARED_FROM:
        # Whole seconds: Redis keeps none shorter (Django's backend rounds down).
        cache.set(key, (value, at), max(1, round(spent * SHARED_FOR)))
    return value, at


def summed(
    name: str, scope, start: date, end: date, today: date, fetch: Fetch
) -> dict[Hashable, list[int]]:
    """fetch()'s rows over start..end added up by key: the days before today month by month
    from the cache (the closed months of the period also as one sum), today's (and any later
    day's) straight from the database."""
    pieces: list[dict] = []
    past_end = min(end, today - timedelta(1))
    if start <= past_end:
        who = "site" if scope.blog_id is None else scope.blog_id
        versions = _month_versions(scope, start, past_end)
        keys = {
            (first, last): f"analytics:{name}-m:{who}:{first}:{last}:"
            f"{versions.get(first.replace(day=1), 0)}"
            for first, last in _months(start, past_end)
        }
        # The months before today's: their sum changes only when a closed day is rewritten.
        closed = [k for k in keys if k[1] < today.replace(day=1)]
        sealed = "analytics:{}-closed:{}:{}".format(
            name, who, hashlib.blake2b("|".join(keys[k] for k in closed).encode()).hexdigest()
        )
        wanted = [keys[k] for k in keys if k not in closed] + ([sealed] if closed else [])
        found = cache.get_many(wanted)
        if closed and sealed not in found:
            found[sealed] = merged(_pieces(keys, closed, fetch))
            cache.set(sealed, found[sealed], TIMEOUT)
        open_months = [k for k in keys if k not in closed]
        pieces = [found[sealed]] if closed else []
        pieces += _pieces(keys, open_months, fetch, found)
    if today <= end:
        pieces.append(_add({}, fetch(max(start, today), end)))
    return merged(pieces)


def _pieces(keys: dict, months: list, fetch: Fetch, found: dict | None = None) -> list[dict]:
    """The sums of these months, from the cache or read (and then kept)."""
    found = found if found is not None else cache.get_many([keys[k] for k in months])
    missing = {keys[k]: _add({}, fetch(*k)) for k in months if keys[k] not in found}
    if missing:
        cache.set_many(missing, TIMEOUT)
    return [found[keys[k]] if keys[k] in found else missing[keys[k]] for k in months]


def merged(pieces: list[dict]) -> dict:
    """The pieces added up; the cache hands out fresh copies (it pickles), so the largest
    piece takes in the others."""
    if not pieces:
        return {}
    pieces = sorted(pieces, key=len, reverse=True)
    totals = pieces[0]
    for piece in pieces[1:]:
        _add(totals, piece.items())
    return totals


def _months(start: date, end: date):
    """start..end cut at the ends of calendar months: (first, last) of each piece."""
    first = start
    while first <= end:
        next_month = (first.replace(day=28) + timedelta(4)).replace(day=1)
        last = min(end, next_month - timedelta(1))
        yield first, last
        first = last + timedelta(1)


def _month_versions(scope, first: date, last: date) -> dict[date, str]:
    """version() of the days first..last of each month (keyed by its first day), in one query."""
    rows = (
        scope.filter(DailyStats.objects.filter(date__gte=first, date__lte=last))
        .values("date")
        .annotate(n=Count("id"), at=Max("computed_at"), top=Max("id"), v=Sum("views"),
                  b=Sum("bot_views"))
        .order_by()
        .values_list("date", "n", "at", "top", "v", "b")
    )  # fmt: skip
    months: dict[date, list] = {}
    for day, n, at, top, v, b in rows:
        m = months.setdefault(day.replace(day=1), [0, 0.0, 0, 0, 0])
        m[0] += n
        m[1] = max(m[1], at.timestamp() if at else 0.0)
        m[2] = max(m[2], top)
        m[3] += v
        m[4] += b
    return {month: ".".join(str(x) for x in m) for month, m in months.items()}


def _add(totals: dict, rows) -> dict:
    for key, numbers in rows:
        found = totals.get(key)
        if found is None:
            totals[key] = list(numbers)
        else:
            for i, n in enumerate(numbers):
                found[i] += n
    return totals
