"""Reading the rollups for the dashboards: a period, its time series, totals and top lists.

Each reader takes a Scope (one blog, or the whole site) and a Period and makes a fixed number
of queries whatever the length of the period; the sums over past days come from a cache
(koe/analytics/past.py), so only today's rows are read on every request.
"""

from __future__ import annotations

import heapq
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.analytics import classify, past
from koe.analytics.models import DailyBreakdown, DailyPostStats, DailyStats, Hit, HourlyStats
from koe.analytics.rollup import blog_zone, day_bounds
from koe.blogs.models import Post
from koe.social.models import Follow

RANGES = ("today", "yesterday", "7d", "30d", "12m", "all")
DEFAULT_RANGE = "7d"
MAX_DAYS = 5 * 366  # a custom range longer than about five years is refused
DAILY_UP_TO = 92  # longer periods are drawn by month
EARLIEST = date(2000, 1, 1)
POST_SORTS = {
    "views": "-views",
    "visitors": "-visitors",
    "likes": "-post__like_count",
    "comments": "-post__comment_count",
}
TOP = 10  # rows of each top list on the page; CSV gets them all
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The Koe pages classify.referrer names; anything else in the referrer dimension is a
# search engine, a social site or another site's domain.
KOE_PAGES = (
    "this blog", "feed", "ranking", "search", "hashtag", "official", "now", "notifications",
    "front page", "other page",
)  # fmt: skip
SOCIAL_NAMES = frozenset(classify.SOCIAL_SITES.values())


@dataclass(frozen=True)
class Scope:
    """Whose numbers: one blog (blog_id), or every blog on the site (blog_id None)."""

    blog_id: int | None
    zone: zoneinfo.ZoneInfo

    @classmethod
    def of_blog(cls, blog) -> Scope:
        return cls(blog.pk, blog_zone(blog.owner.time_zone))

    @classmethod
    def site(cls) -> Scope:
        return cls(None, blog_zone(""))

    def filter(self, queryset, field_name: str = "blog_id"):
        if self.blog_id is None:
            return queryset
        return queryset.filter(**{field_name: self.blog_id})

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def bounds(self, first: date, last: date) -> tuple[datetime, datetime]:
        """The UTC instants from the start of `first` to the end of `last`, local days."""
        return day_bounds(first, self.zone)[0], day_bounds(last, self.zone)[1]


# ### Periods ###


@dataclass(frozen=True)
class Period:
    key: str  # one of RANGES, or "custom"
    start: date
    end: date  # inclusive
    previous: tuple[date, date] | None  # the period before, of the same length
    by: str  # hour, day or month

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first(self) -> date:
        return self.previous[0] if self.previous else self.start


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _granularity(start: date, end: date) -> str:
    days = (end - start).days + 1
    return "hour" if days == 1 else ("day" if days <= DAILY_UP_TO else "month")


def make_period(key: str, today: date, first_day=None) -> Period:
    """A named range ending today; first_day() gives the first day with numbers (for all)."""
    if key == "today":
        return Period(key, today, today, (today - timedelta(1),) * 2, "hour")
    if key == "yesterday":
        day = today - timedelta(1)
        return Period(key, day, day, (day - timedelta(1),) * 2, "hour")
    if key in ("7d", "30d"):
        n = int(key[:-1])
        start = today - timedelta(n - 1)
        return Period(key, start, today, (start - timedelta(n), start - timedelta(1)), "day")
    if key == "12m":
        start = add_months(today, -11)
        return Period(key, start, today, (add_months(start, -12), year_before(today)), "month")
    if key == "all":
        start = min((first_day() if first_day else None) or today, today)
        return Period(key, start, today, None, _granularity(start, today))
    raise ValueError(key)


def custom_period(start: date, end: date) -> Period:
    length = timedelta((end - start).days + 1)
    return Period("custom", start, end, (start - length, start - timedelta(1)),
                  _granularity(start, end))  # fmt: skip


def parse_period(params, today: date, first_day=None) -> tuple[Period, str]:
    """The period a request asks for, or the default one and a message saying why not."""
    default = make_period(DEFAULT_RANGE, today)
    if params.get("start") or params.get("end"):
        raw_start, raw_end = params.get("start", ""), params.get("end", "")
        try:
            if not (ISO_DATE.fullmatch(raw_start) and ISO_DATE.fullmatch(raw_end)):
                raise ValueError
            start, end = date.fromisoformat(raw_start), date.fromisoformat(raw_end)
        except ValueError:
            return default, _("Please give both dates as YYYY-MM-DD, for example 2026-03-01.")
        if start > end:
            return default, _("The start date must not be after the end date.")
        if start < EARLIEST or end > today + timedelta(366):
            return default, _("Please choose dates between 2000 and next year.")
        if (end - start).days + 1 > MAX_DAYS:
            return default, _("Please choose a range of at most five years.")
        return custom_period(start, end), ""
    key = params.get("range") or DEFAULT_RANGE
    if key not in RANGES:
        return default, _("There is no such range; here are the last 7 days.")
    return make_period(key, today, first_day), ""


def first_day(scope: Scope) -> date | None:
    return scope.filter(DailyStats.objects.all()).aggregate(first=Min("date"))["first"]


# ### The time series ###


@dataclass
class Bucket:
    key: object  # a date, a (year, month) or an hour's UTC start
    start: date | datetime
    views: int | None = 0  # None: still in the future
    visitors: int | None = 0
    prev_views: int | None = None
    prev_visitors: int | None = None
    seconds: int = 0  # time on page of the bucket's timed views (days and months only)
    timed: int = 0


@dataclass
class Series:
    by: str
    buckets: list[Bucket]
    views: int
    visitors: int
    prev_views: int | None
    prev_visitors: int | None
    zone: zoneinfo.ZoneInfo = field(repr=False)
    seconds: int = 0  # on the page, of the `timed` views the beacon reported
    timed: int = 0

    @property
    def average_seconds(self) -> int | None:
        return average(self.seconds, self.timed)


def average(seconds: int, timed: int) -> int | None:
    """Average time on page in whole seconds, or None when no view was timed."""
    return (seconds + timed // 2) // timed if timed else None


def _month_keys(start: date, end: date) -> list[tuple[int, int]]:
    keys, day = [], start.replace(day=1)
    while day <= end:
        keys.append((day.year, day.month))
        day = add_months(day, 1)
    return keys


def _daily_rows(scope: Scope, first: date, last: date) -> dict[date, tuple[int, int, int, int]]:
    rows = (
        scope.filter(DailyStats.objects.filter(date__gte=first, date__lte=last))
        .values("date")
        .annotate(v=Sum("views"), u=Sum("visitors"), s=Sum("seconds"), t=Sum("timed"))
        .order_by()
    )
    return {row["date"]: (row["v"], row["u"], row["s"], row["t"]) for row in rows}


def _sum(rows: dict, first: date, last: date) -> tuple[int, int, int, int]:
    picked = [four for day, four in rows.items() if first <= day <= last]
    return tuple(sum(p[i] for p in picked) for i in range(4))  # type: ignore[return-value]


def series(scope: Scope, period: Period, now: datetime) -> Series:
    """Views and visitors of the period, bucketed, with the previous period alongside."""
    daily = _daily_rows(scope, period.first, period.end)
    views, visitors, seconds, timed = _sum(daily, period.start, period.end)
    prev = _sum(daily, *period.previous)[:2] if period.previous else (None, None)
    if period.by == "hour":
        buckets = _hour_buckets(scope, period, now)
    else:
        buckets = _day_buckets(daily, period, now, scope.today(now))
    if period.key == "today":  # straight from the raw hits: now, not a minute ago
        # (for the busiest blogs, as of up to ten times what counting them costs: past.py)
        who = "site" if scope.blog_id is None else scope.blog_id
        so_far, _at = past.shared_by_cost("today", who, lambda: today_so_far(scope, now))
        views, visitors, *prev = so_far
    return Series(period.by, buckets, views, visitors, prev[0], prev[1], scope.zone,
                  seconds, timed)  # fmt: skip


def _day_buckets(daily, period: Period, now: datetime, today: date) -> list[Bucket]:
    if period.by == "day":
        days = [period.start + timedelta(i) for i in range(period.days)]
        buckets = {d: Bucket(d, d) for d in days}
        key_of = lambda d: d  # noqa: E731
    else:
        buckets = {k: Bucket(k, date(k[0], k[1], 1)) for k in _month_keys(period.start, period.end)}
        key_of = lambda d: (d.year, d.month)  # noqa: E731
    shift = (period.start - period.previous[0]) if period.previous else None
    for day, (v, u, s, t) in daily.items():
        if period.start <= day <= period.end:
            bucket = buckets[key_of(day)]
            bucket.views += v
            bucket.visitors += u
            bucket.seconds += s
            bucket.timed += t
        elif shift is not None and (bucket := buckets.get(key_of(day + shift))):
            bucket.prev_views = (bucket.prev_views or 0) + v
            bucket.prev_visitors = (bucket.prev_visitors or 0) + u
    for bucket in buckets.values():
        if shift is not None and bucket.prev_views is None:
            bucket.prev_views = bucket.prev_visitors = 0
        if bucket.start > today:
            bucket.views = bucket.visitors = None
    return list(buckets.values())


def _hours(scope: Scope, day: date) -> list[datetime]:
    start, end = day_bounds(day, scope.zone)
    return [start + timedelta(hours=i) for i in range(int((end - start).total_seconds()) // 3600)]


def _hour_buckets(scope: Scope, period: Period, now: datetime) -> list[Bucket]:
    hours = _hours(scope, period.start)
    before = _hours(scope, period.previous[0]) if period.previous else []
    rows = (
        scope.filter(
            HourlyStats.objects.filter(hour__gte=(before or hours)[0], hour__lte=hours[-1])
        )
        .values("hour")
        .annotate(v=Sum("views"), u=Sum("visitors"))
        .order_by()
    )
    counts = {row["hour"].astimezone(UTC): (row["v"], row["u"]) for row in rows}
    buckets = []
    for i, hour in enumerate(hours):
        v, u = counts.get(hour, (0, 0)) if hour <= now else (None, None)
        pv, pu = counts.get(before[i], (0, 0)) if i < len(before) else (None, None)
        buckets.append(Bucket(hour, hour, v, u, pv, pu))
    return buckets


def today_so_far(scope: Scope, now: datetime) -> tuple[int, int, int, int]:
    """Today's views and visitors until now, and yesterday's until the same time."""
    today_start = day_bounds(scope.today(now), scope.zone)[0]
    yesterday_start = day_bounds(scope.today(now) - timedelta(1), scope.zone)[0]
    same_time = yesterday_start + (now - today_start)
    today, before = Q(ts__gte=today_start), Q(ts__lt=same_time)
    # Hashes are per blog, so across the site a visitor is a (blog, hash) pair; here that
    # only matters for the site's scope, and counting hashes is near enough there.
    row = scope.filter(
        Hit.objects.filter(is_bot=False, ts__gte=yesterday_start, ts__lte=now)
    ).aggregate(
        v=Count("id", filter=today),
        u=Count("visitor", distinct=True, filter=today),
        pv=Count("id", filter=before),
        pu=Count("visitor", distinct=True, filter=before),
    )
    return row["v"], row["u"], row["pv"], row["pu"]


def live_site(now: datetime) -> dict:
    """rollup.live() for every blog at once, in the site's default time zone."""
    views, visitors, _pv, _pu = today_so_far(Scope.site(), now)
    recent = Hit.objects.filter(is_bot=False, ts__gte=now - timedelta(minutes=5), ts__lte=now)
    return {"views": views, "visitors": visitors,
            "now": recent.values("blog_id", "visitor").distinct().count()}  # fmt: skip


# ### Change against the previous period ###


@dataclass(frozen=True)
class Change:
    direction: str  # up, down, same, new
    percent: int | None


def change(current: int, previous: int | None) -> Change | None:
    if previous is None:
        return None
    if previous == 0:
        return Change("new", None) if current else Change("same", 0)
    diff = current - previous
    percent = (abs(diff) * 100 + previous // 2) // previous  # rounded half up
    return Change("up" if diff > 0 else ("down" if diff < 0 else "same"), percent)


# ### Posts ###


@dataclass
class PostRow:
    post: Post
    views: int
    visitors: int
    reblogs: int = 0
    followers: int = 0
    seconds: int = 0
    timed: int = 0

    @property
    def average_seconds(self) -> int | None:
        return average(self.seconds, self.timed)

    @property
    def likes(self) -> int:
        return self.post.like_count

    @property
    def comments(self) -> int:
        return self.post.comment_count


def _post_sums(scope: Scope, first: date, last: date) -> list:
    rows = (
        scope.filter(DailyPostStats.objects.filter(date__gte=first, date__lte=last))
        .values("post_id")
        .annotate(v=Sum("views"), u=Sum("visitors"), s=Sum("seconds"), t=Sum("timed"))
        .order_by()
        .values_list("post_id", "v", "u", "s", "t")
    )
    return [(pk, (v, u, s, t)) for pk, v, u, s, t in rows]


def _top_posts(scope: Scope, period: Period, sort: str, limit: int | None, today) -> list:
    """(post_id, views, visitors, seconds, timed) of the period's posts in the order asked for."""
    if sort in ("views", "visitors"):  # from the cached past and today
        sums = past.summed("posts", scope, period.start, period.end, today,
                           lambda first, last: _post_sums(scope, first, last))  # fmt: skip
        i = 0 if sort == "views" else 1
        rows = [(pk, *numbers) for pk, numbers in sums.items()]
        order = lambda row: (-row[1 + i], -row[1], row[0])  # noqa: E731
        return heapq.nsmallest(limit, rows, key=order) if limit else sorted(rows, key=order)
    grouped = (  # by likes or comments: the database orders by the post's counters
        scope.filter(DailyPostStats.objects.filter(date__gte=period.start, date__lte=period.end))
        .values("post_id")
        .annotate(v=Sum("views"), u=Sum("visitors"), s=Sum("seconds"), t=Sum("timed"))
        .order_by(POST_SORTS[sort], "-v", "post_id")
        .values_list("post_id", "v", "u", "s", "t")
    )
    return list(grouped[:limit] if limit else grouped)


def posts(scope: Scope, period: Period, sort: str = "views", limit: int | None = 50, today=None):
    """The period's most-read posts with what they brought: four queries, any length."""
    today = today or scope.today(timezone.now())
    sort = sort if sort in POST_SORTS else "views"
    if sort in ("views", "visitors"):  # likes and comments change without the rollup
        top = past.cached("posts", scope, period.start, period.end,
                          lambda: _top_posts(scope, period, sort, limit, today),
                          tag=f"{sort}.{limit}.{today}")  # fmt: skip
    else:
        top = _top_posts(scope, period, sort, limit, today)
    if not top:
        return []
    ids = [row[0] for row in top]
    found = Post.objects.select_related("blog__owner").defer("body", "body_html").in_bulk(ids)
    reblogs = dict(
        Post.objects.filter(reblog_of__in=ids)
        .values("reblog_of")
        .annotate(n=Count("id"))
        .values_list("reblog_of", "n")
    )
    start, end = scope.bounds(period.start, period.end)
    followers = dict(
        Follow.objects.filter(source_post__in=ids, created_at__gte=start, created_at__lt=end)
        .values("source_post")
        .annotate(n=Count("id"))
        .values_list("source_post", "n")
    )
    return [
        PostRow(found[pk], v, u, reblogs.get(pk, 0), followers.get(pk, 0), s, t)
        for pk, v, u, s, t in top
        if pk in found
    ]


# ### Where readers came from, and with what ###


@dataclass
class Row:
    value: str
    views: int
    visitors: int
    share: int = 0  # per cent of the list's largest row, for the bar
    group: str = ""  # for referrers: koe, search, social or other


def _breakdown_sums(scope: Scope, first: date, last: date) -> list:
    rows = (
        scope.filter(DailyBreakdown.objects.filter(date__gte=first, date__lte=last))
        .values("dimension", "group", "value")
        .annotate(v=Sum("views"), u=Sum("visitors"))
        .order_by()
        .values_list("dimension", "group", "value", "v", "u")
    )
    return [((d, g, value), (v, u)) for d, g, value, v, u in rows]


def breakdowns(
    scope: Scope, period: Period, limit: int | None = None, today=None
) -> dict[str, list[Row]]:
    """Every dimension of the period, largest first; with a limit, the top `limit` of each
    list (of each group's, for referrers). Past days' sums come from the cache."""
    today = today or scope.today(timezone.now())
    compute = lambda: _breakdowns(scope, period, limit, today)  # noqa: E731
    return past.cached("breakdowns", scope, period.start, period.end, compute,
                       tag=f"{limit}.{today}")  # fmt: skip


def _breakdowns(scope: Scope, period: Period, limit: int | None, today: date):
    sums = past.summed("breakdowns", scope, period.start, period.end, today,
                       lambda first, last: _breakdown_sums(scope, first, last))  # fmt: skip
    lists: dict[tuple[str, str], list] = defaultdict(list)
    for (dimension, group, value), (v, u) in sums.items():
        if dimension == "referrer":
            group = group or source_group(value)  # rows rolled up before groups were kept
        lists[dimension, group].append((-v, value, u))
    found: dict[str, list[Row]] = defaultdict(list)
    for (dimension, group), rows in sorted(lists.items()):
        top = heapq.nsmallest(limit, rows) if limit else sorted(rows)
        found[dimension].extend(Row(value, -v, u, group=group) for v, value, u in top)
    for dimension, dimension_rows in found.items():
        if dimension == "referrer":
            dimension_rows.sort(key=lambda row: (-row.views, row.value))
        with_shares(dimension_rows)
    return found


def with_shares(rows: list[Row]) -> list[Row]:
    top = max((r.views for r in rows), default=0)
    for row in rows:
        row.share = round(row.views * 100 / top) if top else 0
    return rows


def source_group(referrer: str) -> str:
    """The group of a referrer rolled up before DailyBreakdown.group was kept, told by its value."""
    if referrer.startswith("@") or referrer in KOE_PAGES:
        return "koe"
    if referrer in classify.SEARCH_ENGINES:
        return "search"
    if referrer in SOCIAL_NAMES:
        return "social"
    return "other"


@dataclass
class SourceGroup:
    key: str  # koe, search, social, direct, other
    views: int
    visitors: int
    share: int = 0
    children: list[Row] = field(default_factory=list)
    words: list[Row] = field(default_factory=list)  # search words, for search engines

    @property
    def value(self) -> str:
        return self.key


def sources(found: dict[str, list[Row]]) -> list[SourceGroup]:
    groups = [SourceGroup(row.value, row.views, row.visitors) for row in found.get("source", [])]
    by_key = {group.key: group for group in groups}
    for row in found.get("referrer", []):
        group = by_key.get(row.group or source_group(row.value))
        if group is not None:
            group.children.append(Row(row.value, row.views, row.visitors, group=row.group))
    if "search" in by_key:
        words = found.get("search", [])
        by_key["search"].words = [Row(r.value, r.views, r.visitors) for r in words]
    with_shares(groups)  # type: ignore[arg-type]
    for group in groups:
        with_shares(group.children)
        with_shares(group.words)
    return groups


# ### Followers, and the site's most-read blogs ###


def follower_growth(scope: Scope, period: Period) -> list[tuple[date, int]]:
    """New followers by day (by month for long periods), every day of the period listed."""
    start, end = scope.bounds(period.start, period.end)
    follows = scope.filter(Follow.objects.filter(created_at__gte=start, created_at__lt=end))
    # Cached until a follow of the period comes or goes (an index-only count and max).
    stamp = follows.aggregate(n=Count("id"), top=Max("id"))
    who = "site" if scope.blog_id is None else scope.blog_id
    key = f"analytics:follows:{who}:{period.start}:{period.end}:{stamp['n']}.{stamp['top']}"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            follows.annotate(day=TruncDate("created_at", tzinfo=scope.zone))
            .values("day")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("day", "n")
        )
        cache.set(key, rows, past.TIMEOUT)
    counts: dict[date, int] = defaultdict(int)
    by_month = period.by == "month"
    for day, n in rows:
        counts[day.replace(day=1) if by_month else day] += n
    if by_month:
        firsts = [date(y, m, 1) for y, m in _month_keys(period.start, period.end)]
    else:
        firsts = [period.start + timedelta(i) for i in range(period.days)]
    return [(day, counts[day]) for day in firsts]


def top_blogs(period: Period, limit: int | None = 20) -> list[dict]:
    rows = (
        DailyStats.objects.filter(date__gte=period.start, date__lte=period.end)
        .values("blog_id", "blog__title", "blog__owner__username")
        .annotate(views=Sum("views"), visitors=Sum("visitors"))
        .order_by("-views", "blog_id")
    )
    return list(rows[:limit] if limit else rows)
