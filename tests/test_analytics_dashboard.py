"""The analytics dashboard: exact numbers from generated traffic, CSV, live, privacy, XSS."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from koe.analytics import capture, past, rollup
from koe.analytics.models import DailyBreakdown, DailyPostStats, DailyStats, HourlyStats
from koe.blogs import memberships
from koe.social import follows
from koe.social import services as social_services
from tests.agents import GOOGLEBOT, IPAD, IPHONE, WINDOWS
from tests.conftest import make_user, publish

DASHBOARD = "/dashboard/analytics/"
# Noon in Tokyo (UTC+9) on each day; the period asked for is 2 to 4 March 2026.
NOON = {day: datetime(2026, 3, day, 3, 0, tzinfo=UTC) for day in range(1, 6)}
PERIOD = "?start=2026-03-02&end=2026-03-04"


def visit(url, *, at, ip="198.51.100.1", ua=WINDOWS, referrer="", user=None, lang="ja"):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua, HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        client.force_login(user)
    headers = {"HTTP_REFERER": referrer} if referrer else {}
    with mock.patch("koe.analytics.capture._now", return_value=at.timestamp()):
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()
    yield
    capture._salts.clear()


@pytest.fixture
def carol(db):
    return make_user("carol", display_name="Carol")


@pytest.fixture
def posts(alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    return publish(alice, title="First"), publish(alice, title="Second")


@pytest.fixture
def traffic(posts, alice, bob, carol):
    """Two views the day before the period, eight in it (plus a robot and alice herself)."""
    first, second = posts
    one, two = first.get_absolute_url(), second.get_absolute_url()
    visit(one, at=NOON[1], ip="192.0.2.1")
    visit(one, at=NOON[1], ip="192.0.2.2")
    # 2 March: four views, three visitors.
    visit(one, at=NOON[2], ip="203.0.113.1", ua=IPHONE,
          referrer="https://www.google.co.jp/search?q=猫+ブログ")  # fmt: skip
    visit(one, at=NOON[2], ip="203.0.113.1", ua=IPHONE, referrer="http://testserver/@alice/")
    visit(two, at=NOON[2], ip="203.0.113.2", ua=IPAD, referrer="https://t.co/abc")
    visit(two, at=NOON[2], ip="203.0.113.3", referrer="http://testserver/@bob/")
    # 3 March: three views, three visitors.
    visit(two, at=NOON[3], ip="203.0.113.1", ua=IPHONE, referrer="https://example.org/x")
    visit(two, at=NOON[3], ip="203.0.113.4", referrer="http://testserver/home/")
    visit("/@alice/", at=NOON[3], ip="203.0.113.5")
    # 4 March: one view; the robot and the blogger are not counted.
    visit(two, at=NOON[4], ip="203.0.113.2", ua=IPAD)
    visit(two, at=NOON[4], ip="203.0.113.6", ua=GOOGLEBOT)
    visit(two, at=NOON[4], user=alice)
    visit(bob.blog.get_absolute_url(), at=NOON[3], ip="203.0.113.9")  # bob's blog, not alice's
    rollup.rollup(now=NOON[5])
    # What the posts brought: a like, a comment, a reblog, followers on 3 and 4 March.
    social_services.do_like(first, bob)
    social_services.do_comment(second, bob, body="Nice")
    memberships.do_reblog(first, carol, comment="Look")
    with mock.patch("django.utils.timezone.now", return_value=NOON[3]):
        follows.do_follow(bob, alice.blog, source_post=second)
    with mock.patch("django.utils.timezone.now", return_value=NOON[4]):
        follows.do_follow(carol, alice.blog)
    return first, second


def page(client, query=PERIOD, path=DASHBOARD):
    response = client.get(path + query)
    assert response.status_code == 200, response.content[:500]
    return response


# ### The numbers ###


def test_totals_and_the_change_against_the_previous_period(alice_client, traffic):
    context = page(alice_client).context
    series = context["series"]
    assert (series.views, series.visitors) == (8, 7)
    assert (series.prev_views, series.prev_visitors) == (2, 2)
    assert [(b.views, b.visitors) for b in series.buckets] == [(4, 3), (3, 3), (1, 1)]
    assert [b.prev_views for b in series.buckets] == [0, 0, 2]  # 1 March lines up with 4 March
    assert (context["views_change"].direction, context["views_change"].percent) == ("up", 300)
    assert context["visitors_change"].percent == 250
    html = page(alice_client).content.decode()
    assert "300%" in html and "250%" in html and "▲" in html


def test_the_change_says_new_when_nothing_came_before(alice_client, traffic):
    context = page(alice_client, "?start=2026-03-03&end=2026-03-04").context
    assert context["series"].prev_views == 6  # 1 and 2 March
    context = page(alice_client, "?start=2026-03-01&end=2026-03-02").context  # 27-28 Feb: none
    assert context["views_change"].direction == "new"
    assert "new" in page(alice_client, "?start=2026-03-01&end=2026-03-02").content.decode()


def test_posts_by_views_with_what_they_brought(alice_client, traffic):
    first, second = traffic
    rows = page(alice_client).context["posts"]
    assert [(r.post.title, r.views, r.visitors) for r in rows] == [
        ("Second", 5, 5),
        ("First", 2, 1),
    ]
    assert [(r.likes, r.comments, r.reblogs, r.followers) for r in rows] == [
        (0, 1, 0, 1),
        (1, 0, 1, 0),
    ]
    by_likes = page(alice_client, PERIOD + "&sort=likes").context["posts"]
    assert [r.post.title for r in by_likes] == ["First", "Second"]
    assert page(alice_client, PERIOD + "&sort=nonsense").context["sort"] == "views"


def test_sources_grouped_with_pages_engines_and_words(alice_client, traffic):
    sources = page(alice_client).context["sources"]
    groups = {g["key"]: (g["views"], [(c["label"], c["views"]) for c in g["children"]])
              for g in sources}  # fmt: skip
    assert [g["key"] for g in sources][:2] == ["koe", "direct"]
    assert groups == {
        "koe": (3, [("@bob", 1), ("Home feed", 1), ("Your blog itself (moving between pages)", 1)]),
        "direct": (2, []),
        "search": (1, [("Google", 1)]),
        "social": (1, [("X", 1)]),
        "other": (1, [("example.org", 1)]),
    }
    search = next(g for g in sources if g["key"] == "search")
    assert [(w["label"], w["views"]) for w in search["words"]] == [("猫 ブログ", 1)]


def test_devices_browsers_and_languages(alice_client, traffic):
    lists = {name: [(r["label"], r["views"]) for r in rows]
             for name, _title, rows in page(alice_client).context["lists"]}  # fmt: skip
    assert lists["devices"] == [("PC", 3), ("Smartphone", 3), ("Tablet", 2)]
    assert lists["os"] == [("iOS", 5), ("Windows", 3)]
    assert lists["languages"] == [("Japanese (ja)", 8)]
    assert "countries" not in lists  # no GeoIP here: the list is left out, not shown empty
    assert lists["entry"][0] == (traffic[1].get_absolute_url(), 5)


def test_follower_growth_by_day(alice_client, traffic):
    context = page(alice_client).context
    assert context["growth"] == [
        (date(2026, 3, 2), 0),
        (date(2026, 3, 3), 1),
        (date(2026, 3, 4), 1),
    ]
    assert context["growth_total"] == 2


def test_named_ranges_and_hours(alice_client, traffic):
    for key in ("today", "yesterday", "7d", "30d", "12m", "all"):
        context = page(alice_client, f"?range={key}").context
        assert context["period"].key == key
    context = page(alice_client, "?start=2026-03-02&end=2026-03-02").context
    assert context["period"].by == "hour" and len(context["points"]) == 24
    noon = next(b for b in context["series"].buckets if b.start == NOON[2])
    assert (noon.views, noon.visitors) == (4, 3)
    context = page(alice_client, "?start=2026-01-01&end=2026-03-31").context
    assert context["period"].by == "day" and len(context["points"]) == 90
    context = page(alice_client, "?start=2025-04-01&end=2026-03-31").context
    assert context["period"].by == "month" and context["points"][-1].views == 10
    assert page(alice_client, "?range=all").context["period"].start == date(2026, 3, 1)


def test_the_chart_is_an_accessible_svg(alice_client, traffic):
    html = page(alice_client).content.decode()
    assert html.count('<svg class="chart chart--') == 3  # wide, narrow, followers
    assert 'role="img" aria-label="Views and visitors from March 2, 2026 to March 4' in html
    assert "<title>March 2, 2026: 4 views, 3 visitors (previous period: 0 views)</title>" in html
    assert "chart__line--previous" in html and "Show as a table" in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline style


# ### CSV ###


def download(client, table, query=PERIOD, path=DASHBOARD):
    response = client.get(f"{path}{query}&format=csv&table={table}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response, list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_of_each_table(alice_client, traffic):
    response, rows = download(alice_client, "posts")
    assert response["Content-Disposition"] == (
        'attachment; filename="koe-analytics-alice-posts-2026-03-02-2026-03-04.csv"'
    )
    assert rows[0][:4] == ["Post", "Address", "Views", "Visitors"]
    assert [r[0] for r in rows[1:]] == ["Second", "First"]
    assert rows[1][2:] == ["5", "5", "0", "1", "0", "1", "", "0"]  # no view was timed
    _response, rows = download(alice_client, "series")
    assert rows[1:] == [
        ["2026-03-02", "4", "3", "0", "0", ""],
        ["2026-03-03", "3", "3", "0", "0", ""],
        ["2026-03-04", "1", "1", "2", "2", ""],
    ]
    _response, rows = download(alice_client, "devices")
    assert rows[1:] == [["PC", "3", "3"], ["Smartphone", "3", "2"], ["Tablet", "2", "2"]]
    _response, rows = download(alice_client, "followers")
    assert rows[1:] == [["2026-03-02", "0"], ["2026-03-03", "1"], ["2026-03-04", "1"]]
    _response, rows = download(alice_client, "sources")
    assert ["Inside Koe", "'@bob", "1", "1"] in rows  # a leading @ is neutralised too


def test_csv_neutralises_spreadsheet_formulas(alice_client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    hostile = publish(alice, title='=HYPERLINK("https://evil.example","x")')
    visit(hostile.get_absolute_url(), at=NOON[2], ip="203.0.113.7",
          referrer="https://www.google.com/search?q=%2BSUM(1%2B1)")  # fmt: skip
    visit(hostile.get_absolute_url(), at=NOON[2], ip="203.0.113.8",
          referrer="https://www.bing.com/search?q=-2%2B3")  # fmt: skip
    rollup.rollup(now=NOON[5])
    _response, rows = download(alice_client, "posts")
    assert rows[1][0] == '\'=HYPERLINK("https://evil.example","x")'
    _response, rows = download(alice_client, "search")
    assert sorted(r[0] for r in rows[1:]) == ["'+SUM(1+1)", "'-2+3"]


def test_csv_refuses_unknown_tables_and_bad_ranges(alice_client, alice):
    assert alice_client.get(f"{DASHBOARD}?format=csv&table=secrets").status_code == 400
    bad = alice_client.get(f"{DASHBOARD}?start=2026-03-05&end=2026-03-01&format=csv&table=posts")
    assert bad.status_code == 400
    assert alice_client.get(f"{DASHBOARD}?format=csv&table=blogs").status_code == 400  # staff's


# ### Live ###


def test_the_live_partial_counts_today_and_the_last_five_minutes(alice_client, posts):
    now = timezone.now()
    url = posts[0].get_absolute_url()
    midnight = rollup.day_bounds(capture.local_date(now, "Asia/Tokyo"), rollup.blog_zone(""))[0]
    visit(url, at=now - timedelta(seconds=30), ip="203.0.113.1")
    visit(url, at=now - timedelta(seconds=40), ip="203.0.113.1")
    visit(url, at=now - timedelta(seconds=50), ip="203.0.113.2", ua=GOOGLEBOT)
    earlier = max(midnight, now - timedelta(minutes=20))
    visit(url, at=earlier, ip="203.0.113.3")
    response = alice_client.get("/dashboard/analytics/live/")
    assert response.status_code == 200
    live = response.context["live"]
    recent = 2 if earlier >= now - timedelta(minutes=5) else 1
    assert live == {"views": 3, "visitors": 2, "now": recent}
    html = response.content.decode()
    assert 'hx-trigger="every 5s"' in html and 'hx-get="/dashboard/analytics/live/"' in html
    assert 'hx-get="/dashboard/analytics/live/"' in page(alice_client, "").content.decode()
    today = page(alice_client, "?range=today").context["series"]
    assert (today.views, today.visitors) == (3, 2)  # straight from the raw hits, no rollup yet


def test_a_cheap_live_count_is_made_afresh_each_time(alice_client, posts):
    url = posts[0].get_absolute_url()
    visit(url, at=timezone.now(), ip="203.0.113.1")
    assert alice_client.get("/dashboard/analytics/live/").context["live"]["views"] == 1
    visit(url, at=timezone.now(), ip="203.0.113.2")
    assert alice_client.get("/dashboard/analytics/live/").context["live"]["views"] == 2


def test_a_costly_live_count_is_shared_for_ten_times_what_it_cost(alice_client, posts):
    """A blog read a million times today takes seconds to count: however many dashboards
    poll it, it is counted at most once per ten times that long."""
    url = posts[0].get_absolute_url()
    visit(url, at=timezone.now(), ip="203.0.113.1")
    clock = iter([100.0, 102.5])  # the count "takes" 2.5 s
    with (
        mock.patch("koe.analytics.past.monotonic", side_effect=lambda: next(clock)),
        mock.patch.object(past.cache, "set", wraps=past.cache.set) as kept,
    ):
        first = alice_client.get("/dashboard/analytics/live/")
    assert first.context["live"]["views"] == 1
    assert kept.call_args.args[2] == 25  # seconds
    visit(url, at=timezone.now(), ip="203.0.113.2")
    with mock.patch("koe.analytics.rollup.live") as counted:
        again = alice_client.get("/dashboard/analytics/live/")
    counted.assert_not_called()
    assert again.context["live"]["views"] == 1
    assert again.context["updated"] == first.context["updated"]  # and says when it was counted
    another_blog = mock.Mock(return_value={"views": 0})  # has a key of its own
    assert past.shared_by_cost("live", posts[0].blog_id + 1, another_blog)[0] == {"views": 0}
    another_blog.assert_called_once()


def test_a_costly_count_of_today_is_shared_too(alice_client, posts):
    url = posts[0].get_absolute_url()
    visit(url, at=timezone.now(), ip="203.0.113.1")
    clock = iter([10.0, 12.0, 20.0, 20.001])  # today's count "takes" 2 s, the live one 1 ms
    with mock.patch("koe.analytics.past.monotonic", side_effect=lambda: next(clock)):
        first = page(alice_client, "?range=today").context
    assert (first["series"].views, first["live"]["views"]) == (1, 1)
    visit(url, at=timezone.now(), ip="203.0.113.2")
    again = page(alice_client, "?range=today").context
    assert (again["series"].views, again["live"]["views"]) == (1, 2)  # shared; made afresh


def test_a_live_partial_without_a_session_stops_polling(client):
    assert client.get("/dashboard/analytics/live/", HTTP_HX_REQUEST="true").status_code == 286
    assert client.get("/dashboard/analytics/live/").status_code == 302


# ### Bad ranges ###


@pytest.mark.parametrize(
    "query",
    [
        "?start=2026-03-05&end=2026-03-01",
        "?start=yesterday&end=2026-03-01",
        "?start=2026-02-30&end=2026-03-01",
        "?start=2026-03-01",
        "?start=2019-01-01&end=2026-03-01",
        "?start=1999-01-01&end=1999-02-01",
        "?start=2026-01-01&end=9999-12-31",
        "?start=0001-01-01&end=0001-01-02",
        "?range=forever",
        "?start=2026-03-01%00&end=2026-03-02",
    ],
)
def test_bad_ranges_get_a_message_and_the_default(alice_client, alice, query):
    response = alice_client.get(DASHBOARD + query)
    assert response.status_code == 400
    assert response.context["period"].key == "7d"
    assert response.context["problem"]
    assert 'class="message message--error" role="alert"' in response.content.decode()


# ### Who may see what ###


def test_anonymous_readers_are_asked_to_log_in(client, alice):
    for path in (DASHBOARD, "/staff/analytics/", "/staff/analytics/@alice/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_blogger_sees_only_their_own(bob_client, traffic):
    context = page(bob_client).context
    assert context["blog"].owner.username == "bob"
    assert (context["series"].views, context["series"].visitors) == (1, 1)
    html = page(bob_client).content.decode()
    assert "First" not in html and "Second" not in html
    for path in ("/staff/analytics/@alice/", "/staff/analytics/", "/staff/analytics/live/",
                 "/staff/analytics/@alice/live/"):  # fmt: skip
        assert bob_client.get(path).status_code == 404


def test_staff_see_any_blog_and_the_whole_site(client, staff, traffic):
    client.force_login(staff)
    context = page(client, path="/staff/analytics/@alice/").context
    assert (context["series"].views, context["series"].visitors) == (8, 7)
    site = page(client, path="/staff/analytics/").context
    assert (site["series"].views, site["series"].visitors) == (9, 8)
    assert [(b["blog__owner__username"], b["views"]) for b in site["top_blogs"]] == [
        ("alice", 8), ("bob", 1)
    ]  # fmt: skip
    _response, rows = download(client, "blogs", path="/staff/analytics/")
    assert rows[1:] == [["Alice's blog", "alice", "8", "7"], ["Bob's blog", "bob", "1", "1"]]
    assert client.get("/staff/analytics/@nobody/").status_code == 404
    assert client.get("/staff/analytics/live/").status_code == 200


# ### Untrusted values stay inert ###

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad = []

    def handle_starttag(self, tag, attrs):
        names = [name for name, _value in attrs]
        if tag == "img" or any(name.startswith("on") for name in names):
            self.bad.append((tag, attrs))
        if tag == "script" and "src" not in names:
            self.bad.append((tag, attrs))


def test_untrusted_values_are_shown_inert(alice_client, alice, posts):
    url = posts[0].get_absolute_url()
    visit(url, at=NOON[2], ip="203.0.113.1",
          referrer="https://www.google.com/search?q=" + XSS, ua=XSS + " Mobile")  # fmt: skip
    visit(url, at=NOON[2], ip="203.0.113.2", referrer="https://evil.example/" + XSS)
    rollup.rollup(now=NOON[5])
    # And whatever else a day's rollup could hold: a vector in every dimension.
    for dimension in DailyBreakdown.Dimension.values:
        DailyBreakdown.objects.create(
            blog=alice.blog,
            date=date(2026, 3, 3),
            dimension=dimension,
            value=XSS,
            views=1,
            visitors=1,
        )
    html = page(alice_client).content.decode()
    parser = Markup()
    parser.feed(html)
    assert parser.bad == []
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html


# ### Bounded queries ###


def stats_for(blog, posts, days):
    end = date(2026, 3, 31)
    for i in range(days):
        day = end - timedelta(i)
        DailyStats.objects.create(blog=blog, date=day, views=100 + i, visitors=80 + i)
        HourlyStats.objects.bulk_create(
            HourlyStats(blog=blog, hour=datetime(day.year, day.month, day.day, h, tzinfo=UTC),
                        views=4, visitors=3)
            for h in range(24)
        )  # fmt: skip
        DailyPostStats.objects.bulk_create(
            DailyPostStats(blog=blog, post=post, date=day, views=3 + n, visitors=2)
            for n, post in enumerate(posts)
        )
        DailyBreakdown.objects.bulk_create(
            DailyBreakdown(blog=blog, date=day, dimension=dimension, value=f"{dimension}-{n}",
                           views=n + 1, visitors=1)
            for dimension in DailyBreakdown.Dimension.values
            for n in range(5)
        )  # fmt: skip


def count_queries(client, query, *, cold=True):
    if cold:
        cache.clear()  # as the first request after the rollup rewrote a past day
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD + query).status_code == 200
    # The site banner's look-up belongs to the page, not to analytics, and is renewed by
    # time (once a minute), so it comes and goes between two requests.
    return sum("crisis_" not in q["sql"] for q in captured)


MONTH, TWO_MONTHS, ONE_DAY, YEAR = (
    "?start=2026-03-01&end=2026-03-30", "?start=2026-02-01&end=2026-03-31",
    "?start=2026-03-31&end=2026-03-31", "?start=2025-04-01&end=2026-03-31",
)  # fmt: skip


def test_the_dashboard_makes_a_fixed_small_number_of_queries(alice_client, alice, bob):
    empty = count_queries(alice_client, MONTH)
    posts = [publish(alice, title=f"Post {n}") for n in range(30)]
    stats_for(alice.blog, posts, 60)
    for post in posts[:5]:
        follows.do_follow(bob, alice.blog, source_post=post)
    months = {MONTH: 1, TWO_MONTHS: 2, YEAR: 12}
    cold = {query: count_queries(alice_client, query) for query in months}
    # Session, user, blog; the days; the breakdowns (the key of the result, the days' keys,
    # the rows of each month not cached yet), the followers (key, rows), the posts (the
    # same, then what they brought: 3, skipped when no post was read); today's live
    # numbers (2); the header. A month's rows are read once, then kept.
    assert {q: n - 2 * (months[q] - 1) for q, n in cold.items()} == dict.fromkeys(months, empty + 3)
    assert empty + 3 <= 19, cold
    # Again, with nothing new rolled up: only the keys of the results, the same for any length.
    warm = {}
    for query in months:
        count_queries(alice_client, query, cold=False)
        warm[query] = count_queries(alice_client, query, cold=False)
    assert len(set(warm.values())) == 1 and warm[YEAR] <= cold[MONTH] - 5, warm
    assert count_queries(alice_client, ONE_DAY) == empty + 4  # and the hours
    context = alice_client.get(DASHBOARD + MONTH).context
    assert len(context["posts"]) == 30 and context["posts"][0].post.title == "Post 29"
    assert context["series"].views == sum(100 + i for i in range(1, 31))
