"""Past days' sums come from a cache, and give exactly what the daily rows and the raw log say.

Also: a referrer is kept with its group, so a host named like a Koe page is not mistaken for it.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koe.analytics import capture, queries, rollup
from koe.analytics.models import DailyBreakdown, Hit
from tests.agents import IPAD, IPHONE, WINDOWS
from tests.conftest import publish

TOKYO_NOON = 3  # 12:00 in Tokyo is 03:00 UTC
FIRST, LAST = date(2026, 2, 25), date(2026, 3, 5)  # across the end of February
REFERRERS = ["", "https://www.google.co.jp/search?q=猫", "https://t.co/x", "http://testserver/home/",
             "http://feed/today", "https://example.org/", "http://testserver/@bob/"]  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()
    yield
    capture._salts.clear()


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # A cache of this process only: a Redis database may be flushed by tests run elsewhere
    # between the cold and the warm read.
    own = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "past-days"}
    settings.CACHES = {**settings.CACHES, "default": own}


def visit(url, *, at, ip, ua=WINDOWS, referrer=""):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    headers = {"HTTP_REFERER": referrer} if referrer else {}
    with mock.patch("koe.analytics.capture._now", return_value=at.timestamp()):
        assert client.get(url, **headers).status_code == 200


def noon(day: date, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, TOKYO_NOON, minute, tzinfo=UTC)


@pytest.fixture
def log(alice):
    """Ten days of varied traffic on three posts, rolled up."""
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    posts = [publish(alice, title=f"Post {n}") for n in range(3)]
    rnd = random.Random(4)
    day = FIRST
    while day <= LAST:
        for minute in range(rnd.randint(3, 8)):
            visit(rnd.choice(posts).get_absolute_url(), at=noon(day, minute),
                  ip=f"203.0.113.{rnd.randint(1, 6)}", ua=rnd.choice([WINDOWS, IPHONE, IPAD]),
                  referrer=rnd.choice(REFERRERS))  # fmt: skip
        day += timedelta(1)
    rollup.rollup(now=noon(LAST + timedelta(1)))
    return posts


def from_the_log(start: date, end: date):
    """What the raw hits say: referrers (group, label) and posts, views and daily visitors."""
    zone = queries.blog_zone("Asia/Tokyo")
    days: dict = defaultdict(lambda: defaultdict(set))
    views: Counter = Counter()
    for hit in Hit.objects.filter(is_bot=False).select_related("labels"):
        day = hit.ts.astimezone(zone).date()
        if start <= day <= end:
            keys = [("post", hit.post_id)]
            if hit.labels.referrer:
                keys.append(("referrer", hit.labels.referrer_group, hit.labels.referrer))
            for key in keys:
                views[key] += 1
                days[key][day].add(hit.visitor)
    return {key: (views[key], sum(len(v) for v in days[key].values())) for key in views}


def from_the_dashboard(scope, period, today):
    found = queries.breakdowns(scope, period, today=today)
    numbers = {("referrer", row.group, row.value): (row.views, row.visitors)
               for row in found.get("referrer", [])}  # fmt: skip
    for row in queries.posts(scope, period, limit=None, today=today):
        numbers["post", row.post.pk] = (row.views, row.visitors)
    return numbers


RANGES = [  # mid-month to mid-month, across the month's end, one day, the whole log
    (date(2026, 2, 27), date(2026, 3, 3)),
    (date(2026, 2, 28), date(2026, 3, 1)),
    (date(2026, 3, 2), date(2026, 3, 2)),
    (FIRST, LAST),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2026, 3, 20)])
def test_cached_and_fresh_sums_are_exactly_the_log(log, alice, start, end, today):
    scope, period = queries.Scope.of_blog(alice.blog), queries.custom_period(start, end)
    expected = from_the_log(start, end)
    assert expected  # the range has traffic
    cold = from_the_dashboard(scope, period, today)
    with CaptureQueriesContext(connection) as captured:
        warm = from_the_dashboard(scope, period, today)
    assert cold == warm == expected
    if end < today:  # all in the past: only the cache keys are read, no rows
        assert sum("analytics_dailybreakdown" in q["sql"] for q in captured) == 0


def test_a_past_day_rewritten_by_the_rollup_is_read_again(log, alice):
    scope = queries.Scope.of_blog(alice.blog)
    period, today = queries.custom_period(date(2026, 2, 27), date(2026, 3, 3)), date(2026, 3, 20)
    before = from_the_dashboard(scope, period, today)
    # A view of 1 March committed late, and that day rolled up again.
    visit(log[0].get_absolute_url(), at=noon(date(2026, 3, 1), 30), ip="198.51.100.99",
          referrer="https://www.bing.com/search?q=x")  # fmt: skip
    rollup.recompute_day(alice.blog.pk, date(2026, 3, 1), scope.zone)
    after = from_the_dashboard(scope, period, today)
    assert after == from_the_log(date(2026, 2, 27), date(2026, 3, 3)) != before
    assert after["referrer", "search", "bing"] == (1, 1)


def test_a_host_named_like_a_koe_page_is_another_site(log, alice_client):
    sources = alice_client.get("/dashboard/analytics/?range=all").context["sources"]
    children = {g["key"]: [c["label"] for c in g["children"]] for g in sources}
    assert "feed" in children["other"] and "feed" not in children["koe"]
    assert "Home feed" in children["koe"] and "Home feed" not in children["other"]
    stored = set(DailyBreakdown.objects.filter(dimension="referrer").values_list("group", "value"))
    assert {("other", "feed"), ("koe", "feed")} <= stored


def test_rows_rolled_up_before_groups_were_kept_are_grouped_by_their_value(alice, alice_client):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    day = date(2026, 3, 2)
    DailyBreakdown.objects.bulk_create(
        DailyBreakdown(blog=alice.blog, date=day, dimension=dimension, value=value, views=views,
                       visitors=views)
        for dimension, value, views in [("source", "search", 3), ("source", "koe", 2),
                                        ("referrer", "google", 3), ("referrer", "feed", 2)]
    )  # fmt: skip
    sources = alice_client.get("/dashboard/analytics/?start=2026-03-02&end=2026-03-02")
    children = {g["key"]: [(c["label"], c["views"]) for c in g["children"]]
                for g in sources.context["sources"]}  # fmt: skip
    assert children == {"search": [("Google", 3)], "koe": [("Home feed", 2)]}
