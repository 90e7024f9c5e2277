"""Analytics pages: a blogger's own dashboard, and staff's view of the site or of any blog."""

from __future__ import annotations

import csv
import io
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseStopPolling

from koe.analytics import charts, past, queries, rollup
from koe.analytics.queries import Scope
from koe.blogs.models import Blog
from koe.core.decorators import staff_required

RANGE_NAMES = {
    "today": gettext_lazy("Today"),
    "yesterday": gettext_lazy("Yesterday"),
    "7d": gettext_lazy("7 days"),
    "30d": gettext_lazy("30 days"),
    "12m": gettext_lazy("12 months"),
    "all": gettext_lazy("All time"),
}
GROUPS = {
    "koe": gettext_lazy("Inside Koe"),
    "search": gettext_lazy("Search engines"),
    "social": gettext_lazy("Social sites"),
    "direct": gettext_lazy("Direct (no referrer)"),
    "other": gettext_lazy("Other sites"),
}
KOE_PAGES = {
    "this blog": gettext_lazy("Your blog itself (moving between pages)"),
    "feed": gettext_lazy("Home feed"),
    "ranking": gettext_lazy("Rankings"),
    "search": pgettext_lazy("a Koe page", "Koe search"),
    "hashtag": gettext_lazy("Tags"),
    "official": gettext_lazy("Official blogs"),
    "now": gettext_lazy("Now"),
    "notifications": gettext_lazy("Notifications"),
    "front page": gettext_lazy("Front page"),
    "other page": gettext_lazy("Other Koe pages"),
}
SEARCH_ENGINES = {
    "google": "Google", "bing": "Bing", "yahoo": "Yahoo!", "duckduckgo": "DuckDuckGo",
    "baidu": "Baidu", "yandex": "Yandex", "naver": "NAVER", "ecosia": "Ecosia",
    "startpage": "Startpage", "goo": "goo",
}  # fmt: skip
DEVICES = {
    "phone": gettext_lazy("Smartphone"),
    "tablet": gettext_lazy("Tablet"),
    "pc": gettext_lazy("PC"),
    "other": gettext_lazy("Other"),
}
LISTS = (  # dimension, CSV name, title
    ("device", "devices", gettext_lazy("Devices")),
    ("browser", "browsers", gettext_lazy("Browsers")),
    ("os", "os", gettext_lazy("Operating systems")),
    ("language", "languages", gettext_lazy("Languages")),
    ("country", "countries", gettext_lazy("Countries")),
    ("entry", "entry", gettext_lazy("Entry pages")),
    ("search", "search", gettext_lazy("Search words")),
)
CSV_TABLES = ("series", "posts", "sources", "followers", "blogs", *(t[1] for t in LISTS))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def signed_in(view):
    """Log-in required; a live partial whose session has ended just stops polling."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                return HttpResponseStopPolling()
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _my_blog(request) -> Blog | None:
    return Blog.objects.select_related("owner").filter(owner=request.user).first()


def _staff_blog(username: str) -> Blog:
    return get_object_or_404(Blog.objects.select_related("owner"), owner__username=username)


# ### Pages ###


@require_safe
@signed_in
def my_dashboard(request):
    blog = _my_blog(request)
    if blog is None:
        return redirect("blogs:dashboard")  # which makes the blog
    return _dashboard(request, Scope.of_blog(blog), blog, reverse("analytics:live"))


@require_safe
@signed_in
def my_live(request):
    blog = _my_blog(request)
    if blog is None:
        raise Http404
    return _live(request, blog, reverse("analytics:live"))


@require_safe
@staff_required
def site_dashboard(request):
    return _dashboard(request, Scope.site(), None, reverse("analytics:site_live"))


@require_safe
@staff_required
def site_live(request):
    return _live(request, None, reverse("analytics:site_live"))


@require_safe
@staff_required
def blog_dashboard(request, username):
    blog = _staff_blog(username)
    live_url = reverse("analytics:blog_live", args=[username])
    return _dashboard(request, Scope.of_blog(blog), blog, live_url)


@require_safe
@staff_required
def blog_live(request, username):
    blog = _staff_blog(username)
    return _live(request, blog, reverse("analytics:blog_live", args=[username]))


def _live(request, blog: Blog | None, live_url: str):
    return render(request, "analytics/_live.html", _live_context(blog, live_url))


def _live_context(blog: Blog | None, live_url: str) -> dict:
    if blog is None:
        numbers, at = past.shared_by_cost("live", "site", lambda: queries.live_site(timezone.now()))
    else:
        zone = blog.owner.time_zone
        numbers, at = past.shared_by_cost("live", blog.pk, lambda: rollup.live(blog.pk, zone))
    return {"live": numbers, "live_url": live_url, "updated": at}


def _dashboard(request, scope: Scope, blog: Blog | None, live_url: str):
    now = timezone.now()
    period, problem = queries.parse_period(
        request.GET, scope.today(now), lambda: queries.first_day(scope)
    )
    sort = request.GET.get("sort", "views")
    sort = sort if sort in queries.POST_SORTS else "views"
    keep = _period_query(period, sort)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        refused = (table == "blogs" and blog is not None) or (
            table == "countries" and not settings.KOE_GEOIP_PATH
        )
        if problem or table not in CSV_TABLES or refused:
            return HttpResponseBadRequest(problem or _("There is no such table."))
        return _csv(scope, period, blog, table, sort, now)
    series = queries.series(scope, period, now)
    today = scope.today(now)
    found = queries.breakdowns(scope, period, limit=queries.TOP, today=today)
    points = [_point(b, period, series.zone) for b in series.buckets]
    summary = _summary(series, period)
    growth = queries.follower_growth(scope, period)
    context = {
        "blog": blog,
        "mine": blog is not None and blog.owner_id == request.user.pk,
        "period": period,
        "compared": _("compared with yesterday at this time")
        if period.key == "today"
        else _("compared with the previous period"),
        "problem": problem,
        "ranges": [(key, name, period.key == key) for key, name in RANGE_NAMES.items()],
        "range_name": RANGE_NAMES.get(period.key, ""),
        "series": series,
        "views_change": queries.change(series.views, series.prev_views),
        "visitors_change": queries.change(series.visitors, series.prev_visitors),
        "chart_wide": charts.line_chart(points, label=summary, size=charts.WIDE),
        "chart_narrow": charts.line_chart(points, label=summary, size=charts.NARROW),
        "points": points,
        "average": duration(series.average_seconds),
        "posts": [_timed(row) for row in queries.posts(scope, period, sort, today=today)],
        "sort": sort,
        "sources": [_group(g) for g in queries.sources(found)],
        "lists": [
            (csv_name, title, [_row(dimension, r) for r in found.get(dimension, [])[: queries.TOP]])
            for dimension, csv_name, title in _lists()
            if found.get(dimension) and dimension != "search"
        ],
        "growth": growth,
        "growth_total": sum(n for _day, n in growth),
        "growth_chart": _growth_chart(growth, period),
        "top_blogs": queries.top_blogs(period) if blog is None else None,
        "keep": keep,
        "sort_base": _period_query(period, None),
        "csv_base": f"?{keep}&format=csv&table=",
        **_live_context(blog, live_url),
    }
    return render(request, "analytics/dashboard.html", context, status=400 if problem else 200)


def _period_query(period: queries.Period, sort: str | None) -> str:
    if period.key == "custom":
        params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    else:
        params = {"range": period.key}
    if sort and sort != "views":
        params["sort"] = sort
    return urlencode(params)


# ### Words and labels for the page ###


def _day(day, fmt: str) -> str:
    return dateformat.format(day, fmt)


def _when(bucket: queries.Bucket, period: queries.Period, zone) -> tuple[str, str]:
    """A bucket's short label for the axis and its longer name for tooltips."""
    if period.by == "hour":
        local = bucket.start.astimezone(zone)
        label = f"{local:%H}:00"
        return label, f"{formats.date_format(local.date(), 'MONTH_DAY_FORMAT')} {label}"
    if period.by == "day":
        return _day(bucket.start, _("M j")), formats.date_format(bucket.start, "DATE_FORMAT")
    return _day(bucket.start, _("M Y")), formats.date_format(bucket.start, "YEAR_MONTH_FORMAT")


def _point(bucket: queries.Bucket, period: queries.Period, zone) -> charts.Point:
    label, when = _when(bucket, period, zone)
    if bucket.views is None:
        title = _("%(when)s: not yet") % {"when": when}
    else:
        title = _("%(when)s: %(views)s views, %(visitors)s visitors") % {
            "when": when,
            "views": charts.number(bucket.views),
            "visitors": charts.number(bucket.visitors),
        }
    if bucket.prev_views is not None:
        title += " " + _("(previous period: %(views)s views)") % {
            "views": charts.number(bucket.prev_views)
        }
    return charts.Point(label, title, bucket.views, bucket.visitors, bucket.prev_views)


def _summary(series: queries.Series, period: queries.Period) -> str:
    """The chart in one sentence, for people who cannot see it."""
    text = _(
        "Views and visitors from %(start)s to %(end)s: %(views)s views, %(visitors)s visitors."
    ) % {
        "start": formats.date_format(period.start, "DATE_FORMAT"),
        "end": formats.date_format(period.end, "DATE_FORMAT"),
        "views": charts.number(series.views),
        "visitors": charts.number(series.visitors),
    }
    busiest = max((b for b in series.buckets if b.views), key=lambda b: b.views, default=None)
    if busiest is not None:
        text += " " + _("The busiest was %(when)s, with %(views)s views.") % {
            "when": _when(busiest, period, series.zone)[1],
            "views": charts.number(busiest.views),
        }
    return text


def _lists():
    """The top lists; countries only where the operator has given a GeoIP database."""
    return [t for t in LISTS if t[0] != "country" or settings.KOE_GEOIP_PATH]


def duration(seconds: int | None) -> str:
    """Seconds as m:ss (h:mm:ss from an hour), or an empty string when nothing was timed."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def flag(code: str) -> str:
    """A country code's flag (two regional indicator letters), for the Countries list."""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code.upper())


def label_for(dimension: str, value: str, group: str = "") -> str:
    """A value shown in the reader's language; a referrer by its group (a host may be named
    "feed"): rows rolled up before groups were kept have none, and are told by value."""
    if dimension == "device":
        return str(DEVICES.get(value, value))
    if dimension == "language":
        info = LANG_INFO.get(value) or LANG_INFO.get(value.split("-")[0])
        return f"{_(info['name'])} ({value})" if info and "name" in info else value
    if dimension == "source":
        return str(GROUPS.get(value, value))
    if dimension == "referrer":
        if group in ("", "koe") and value in KOE_PAGES:
            return str(KOE_PAGES[value])
        if group in ("", "search") and value in SEARCH_ENGINES:
            return SEARCH_ENGINES[value]
        return value
    if dimension == "country":
        return f"{flag(value)} {value}".strip()
    return value


def _timed(row: queries.PostRow) -> queries.PostRow:
    row.average = duration(row.average_seconds)  # type: ignore[attr-defined]
    return row


def _row(dimension: str, row: queries.Row | queries.SourceGroup) -> dict:
    label = label_for(dimension, row.value, getattr(row, "group", ""))
    title = _("%(label)s: %(views)s views") % {"label": label, "views": charts.number(row.views)}
    return {"label": label, "views": row.views, "visitors": row.visitors,
            "bar": charts.bar(row.share, title)}  # fmt: skip


def _group(group: queries.SourceGroup) -> dict:
    return {
        **_row("source", group),
        "key": group.key,
        "children": [_row("referrer", r) for r in group.children[: queries.TOP]],
        "words": [_row("search", r) for r in group.words[: queries.TOP]],
    }


def _growth_chart(growth, period: queries.Period):
    fmt = "YEAR_MONTH_FORMAT" if period.by == "month" else "DATE_FORMAT"
    columns = [
        ("", _("%(when)s: %(n)s new followers") % {
            "when": formats.date_format(day, fmt), "n": charts.number(n)}, n)
        for day, n in growth
    ]  # fmt: skip
    total = sum(c[2] for c in columns)
    label = _("New followers from %(start)s to %(end)s: %(n)s in all.") % {
        "start": formats.date_format(period.start, "DATE_FORMAT"),
        "end": formats.date_format(period.end, "DATE_FORMAT"),
        "n": charts.number(total),
    }
    return charts.column_chart(columns, label=label)


# ### CSV ###


def safe_cell(value):
    """A cell a spreadsheet will not run: text that could start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_rows(scope, period, blog, table: str, sort: str, now):
    if table == "series":
        series = queries.series(scope, period, now)
        yield [_("Period"), _("Views"), _("Visitors"), _("Previous views"), _("Previous visitors"),
               _("Average seconds on page")]  # fmt: skip
        for b in series.buckets:
            when = b.start.isoformat() if period.by != "month" else b.start.strftime("%Y-%m")
            seconds = queries.average(b.seconds, b.timed)  # None by hour: not kept by hour
            yield [when, b.views, b.visitors, b.prev_views, b.prev_visitors, seconds]
    elif table == "posts":
        yield [_("Post"), _("Address"), _("Views"), _("Visitors"), _("Likes"), _("Comments"),
               _("Reblogs"), _("New followers"), _("Average seconds on page"),
               _("Timed views")]  # fmt: skip
        for row in queries.posts(scope, period, sort, limit=None):
            yield [row.post.title, row.post.get_absolute_url(), row.views, row.visitors,
                   row.likes, row.comments, row.reblogs, row.followers, row.average_seconds,
                   row.timed]  # fmt: skip
    elif table == "sources":
        yield [_("Source group"), _("Source"), _("Views"), _("Visitors")]
        for group in queries.sources(queries.breakdowns(scope, period)):
            yield [label_for("source", group.key), "", group.views, group.visitors]
            for row in group.children:
                yield [label_for("source", group.key), label_for("referrer", row.value, row.group),
                       row.views, row.visitors]  # fmt: skip
    elif table == "followers":
        yield [_("Date"), _("New followers")]
        for day, n in queries.follower_growth(scope, period):
            yield [day.isoformat(), n]
    elif table == "blogs":
        yield [_("Blog"), _("Username"), _("Views"), _("Visitors")]
        for row in queries.top_blogs(period, limit=None):
            yield [row["blog__title"], row["blog__owner__username"], row["views"],
                   row["visitors"]]  # fmt: skip
    else:
        dimension = next(d for d, name, _title in _lists() if name == table)
        yield [_("Value"), _("Views"), _("Visitors")]
        for row in queries.breakdowns(scope, period).get(dimension, []):
            yield [label_for(dimension, row.value), row.views, row.visitors]


def _csv(scope, period, blog, table: str, sort: str, now) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheets read Japanese as UTF-8
    writer = csv.writer(out)
    for row in _csv_rows(scope, period, blog, table, sort, now):
        writer.writerow([safe_cell(cell) for cell in row])
    who = blog.owner.username if blog else "site"
    name = f"koe-analytics-{who}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return HttpResponse(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
