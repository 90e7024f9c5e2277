"""Counting page views: exact numbers from a generated traffic log."""

from __future__ import annotations

import gc
import time
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from koe.analytics import capture, rollup
from koe.analytics.models import (
    DailyBreakdown,
    DailyPostStats,
    DailyStats,
    Hit,
    HourlyStats,
    Labels,
)
from koe.core.hits import Mark
from tests.agents import GOOGLEBOT, IPAD, IPHONE, WINDOWS
from tests.conftest import publish


def visit(url, *, at, ip="198.51.100.1", ua=WINDOWS, referrer="", user=None, lang="ja"):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua, HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        client.force_login(user)
    headers = {"HTTP_REFERER": referrer} if referrer else {}
    with mock.patch("koe.analytics.capture._now", return_value=at.timestamp()):
        response = client.get(url, **headers)
    assert response.status_code == 200
    assert "X-Koe-Count" not in response.headers
    return response


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()  # each test's database starts without salts; so must the cache
    yield
    capture._salts.clear()


@pytest.fixture
def post(alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    return publish(alice, title="Counted")


# Tokyo is UTC+9: 14:30 UTC is 23:30 in Tokyo, 15:30 UTC is 00:30 the next day.
LATE = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)


def traffic(post, alice):
    url = post.get_absolute_url()
    visit(
        url,
        at=LATE,
        ip="203.0.113.7",
        ua=IPHONE,
        referrer="https://www.google.co.jp/search?q=猫+ブログ",
    )
    visit(url, at=LATE + timedelta(minutes=1), ip="203.0.113.7", ua=IPHONE)  # a reload
    visit("/@alice/", at=LATE, ip="203.0.113.8", ua=IPAD, referrer="https://t.co/abc")
    visit(url, at=LATE, ip="203.0.113.9", ua=WINDOWS, referrer="http://testserver/@bob/")
    visit(url, at=LATE, ip="203.0.113.10", ua=GOOGLEBOT)  # a robot
    visit(url, at=LATE, ua=WINDOWS, user=alice)  # the blogger herself
    visit(url, at=AFTER_MIDNIGHT, ip="203.0.113.7", ua=IPHONE, referrer="https://example.org/x")
    visit(url, at=AFTER_MIDNIGHT, ip="203.0.113.11", ua=WINDOWS, referrer="http://testserver/home/")


def test_views_visitors_bots_and_the_bloggers_own_views(post, alice):
    traffic(post, alice)
    rollup.rollup(now=AFTER_MIDNIGHT + timedelta(hours=1))
    day1 = DailyStats.objects.get(blog=alice.blog, date=DAY1)
    day2 = DailyStats.objects.get(blog=alice.blog, date=DAY2)
    assert (day1.views, day1.visitors, day1.bot_views) == (4, 3, 1)
    # The iPhone reader came back after midnight in Tokyo: a visitor of the new day too.
    assert (day2.views, day2.visitors, day2.bot_views) == (2, 2, 0)
    post_day1 = DailyPostStats.objects.get(post=post, date=DAY1)
    assert (post_day1.views, post_day1.visitors) == (3, 2)
    assert sum(HourlyStats.objects.values_list("views", flat=True)) == 6


def breakdown(alice, day, dimension):
    rows = DailyBreakdown.objects.filter(blog=alice.blog, date=day, dimension=dimension)
    return {r.value: r.views for r in rows}


def test_where_readers_came_from_and_with_what(post, alice):
    traffic(post, alice)
    rollup.rollup(now=AFTER_MIDNIGHT + timedelta(hours=1))
    assert breakdown(alice, DAY1, "source") == {"search": 1, "direct": 1, "social": 1, "koe": 1}
    assert breakdown(alice, DAY1, "referrer") == {"google": 1, "X": 1, "@bob": 1}
    assert breakdown(alice, DAY1, "search") == {"猫 ブログ": 1}
    assert breakdown(alice, DAY2, "source") == {"other": 1, "koe": 1}
    assert breakdown(alice, DAY2, "referrer") == {"example.org": 1, "feed": 1}
    assert breakdown(alice, DAY1, "device") == {"phone": 2, "tablet": 1, "pc": 1}
    assert breakdown(alice, DAY1, "language") == {"ja": 4}
    assert breakdown(alice, DAY1, "os") == {"iOS": 3, "Windows": 1}


def test_rollup_run_again_gives_the_same_numbers(post, alice):
    traffic(post, alice)
    later = AFTER_MIDNIGHT + timedelta(hours=1)
    rollup.rollup(now=later)
    first = list(DailyStats.objects.values_list("date", "views", "visitors", "bot_views"))
    rollup.rollup(now=later)
    rollup.rollup(now=later + timedelta(minutes=5))
    for day in (DAY1, DAY2):
        rollup.recompute_day(alice.blog.pk, day, rollup.blog_zone("Asia/Tokyo"))
    assert list(DailyStats.objects.values_list("date", "views", "visitors", "bot_views")) == first
    assert DailyBreakdown.objects.filter(dimension="search").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_days_rollup_counts_outside_the_write_transaction(post, alice):
    """Counting a busy blog's day takes seconds; on SQLite a transaction around it would
    hold the one write lock, and every process's buffered views would wait behind it."""
    traffic(post, alice)
    in_transaction = []
    count_day = rollup._count_day

    def spy(*args):
        in_transaction.append(connection.in_atomic_block)
        return count_day(*args)

    with mock.patch.object(rollup, "_count_day", spy):
        rollup.rollup(now=AFTER_MIDNIGHT + timedelta(hours=1))
    assert in_transaction == [False, False]  # the two days, each counted outside
    assert DailyStats.objects.filter(date__in=[DAY1, DAY2]).count() == 2


def test_no_address_is_written_anywhere(post, alice):
    traffic(post, alice)
    rollup.rollup(now=AFTER_MIDNIGHT + timedelta(hours=1))
    with connection.cursor() as cursor:
        for model in (Hit, DailyStats, DailyBreakdown, DailyPostStats, HourlyStats):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
            text = repr(cursor.fetchall())
            assert "203.0.113" not in text and "198.51.100" not in text, table


def test_old_salts_and_hits_are_forgotten(post, alice):
    traffic(post, alice)
    rollup.rollup(now=AFTER_MIDNIGHT + timedelta(hours=1))
    assert capture.delete_old_salts(datetime(2026, 3, 3, 12, tzinfo=UTC)) >= 1
    deleted = rollup.delete_old_hits(now=AFTER_MIDNIGHT + timedelta(days=40))
    assert deleted == Hit.objects.count() + deleted and not Hit.objects.exists()
    assert DailyStats.objects.filter(blog=alice.blog).count() == 2, "counts are kept forever"


def test_private_pages_are_not_counted(alice, client):
    hidden = publish(alice, title="Mine", visibility="private")
    client.force_login(alice)
    client.get(hidden.get_absolute_url())
    Client().get("/")  # the front page belongs to no blog
    assert not Hit.objects.exists()


def _beacon(body, *, ip="198.51.100.1", ua=WINDOWS):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    return client.post("/a/t", data=body, content_type="text/plain")


def test_the_beacon_times_the_readers_own_view(post, alice):
    url = post.get_absolute_url()
    visit(url, at=timezone.now(), ip="198.51.100.1")
    visit(url, at=timezone.now(), ip="198.51.100.2")
    assert _beacon(f'{{"p": "{url}", "s": 42}}').status_code == 204
    assert sorted(Hit.objects.values_list("seconds", flat=True), key=str) == [42, None]
    assert _beacon(f'{{"p": "{url}", "s": 7}}').status_code == 204  # already timed
    assert sorted(Hit.objects.values_list("seconds", flat=True), key=str) == [42, None]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        '{"p": "/@alice/1/"}',
        '{"p": "/elsewhere", "s": 5}',
        '{"p": "/@alice/1/", "s": "5"}',
        '{"p": "/@alice/1/", "s": -1}',
        '{"p": "/@alice/1/", "s": 99999999}',
        '{"p": "/@alice/1/", "s": true}',
        '{"p": "/@nobody/1/", "s": 5}',
        '{"p": "/@alice/' + "x" * 300 + '", "s": 5}',
        "\udcff",
    ],
)
def test_a_malformed_beacon_is_a_400_and_writes_nothing(post, body):
    response = _beacon(body.encode("utf-8", "surrogateescape") if body == "\udcff" else body)
    assert response.status_code == 400
    assert not Hit.objects.filter(seconds__isnull=False).exists()


def test_a_beacon_flood_is_slowed(post):
    answers = [_beacon('{"p": "/@alice/", "s": 1}').status_code for _ in range(125)]
    assert answers.count(429) == 5


def _buffered_views(*targets) -> capture.HitBuffer:
    buffer = capture.HitBuffer()
    for target in targets:
        blog = target.blog
        mark = Mark(blog.pk, blog.owner_id, target.pk, "post", "Asia/Tokyo", blog.owner.username)
        buffer._items.append(capture.raw_hit(
            mark, time.time(), "203.0.113.1", WINDOWS, "", "testserver",
            target.get_absolute_url(), "ja",
        ))  # fmt: skip
    return buffer


@pytest.mark.django_db(transaction=True)
def test_a_post_deleted_before_the_flush_loses_only_its_own_views(post, alice):
    other = publish(alice, title="Deleted soon")
    buffer = _buffered_views(post, other, post)
    other.delete()  # between the views and the flush
    assert buffer.flush() == 3  # the log takes every view as it came
    rollup.rollup(now=timezone.now() + timedelta(minutes=1))
    # The rollup counts the posts that exist, and drops the views of the one that is gone.
    assert list(Hit.objects.values_list("post_id", flat=True)) == [post.pk, post.pk]
    day = DailyStats.objects.get(blog=alice.blog)
    assert (day.views, day.visitors) == (2, 1)
    assert list(DailyPostStats.objects.values_list("post_id", "views")) == [(post.pk, 2)]


@pytest.mark.django_db(transaction=True)
def test_views_of_a_blog_deleted_before_the_flush_are_never_counted(post, alice, bob):
    kept = publish(bob, title="Still here")
    buffer = _buffered_views(post, kept)
    alice.blog.delete()
    assert buffer.flush() == 2
    rollup.rollup(now=timezone.now() + timedelta(minutes=1))
    assert list(Hit.objects.values_list("post_id", flat=True)) == [kept.pk]
    assert list(DailyStats.objects.values_list("blog_id", "views")) == [(bob.blog.pk, 1)]


def test_the_binary_copy_writes_each_column_as_its_type():
    """PostgreSQL's binary COPY takes each value as the type it is told: COPY_TYPES must be
    the columns' own (a wrong one is an error there, or a wrong number)."""
    types = {
        "BigAutoField": "int8", "BigIntegerField": "int8", "DateTimeField": "timestamptz",
        "CharField": "varchar", "PositiveIntegerField": "int4", "BooleanField": "bool",
    }  # fmt: skip
    for columns, copy_types in [
        (capture.COLUMNS, capture.COPY_TYPES),
        (capture.GEO_COLUMNS, capture.GEO_COPY_TYPES),
    ]:
        found = []
        for name in columns:
            field = Hit._meta.get_field(name.removesuffix("_id"))
            if field.is_relation:
                field = field.target_field
            found.append(types[field.get_internal_type()])
        assert tuple(found) == copy_types


@pytest.mark.django_db(transaction=True)  # Labels ids are remembered once committed
def test_a_batch_of_new_kinds_of_reader_costs_a_few_queries_not_one_each(post, alice):
    """Headers never seen before (200 sites sending readers) are classified and their
    Labels rows made all at once; the next batch of the same finds them in memory."""
    buffer = capture.HitBuffer()
    mark = Mark(alice.blog.pk, alice.pk, post.pk, "post", "Asia/Tokyo", "alice")
    views = [
        capture.raw_hit(
            mark, time.time(), f"203.0.113.{i % 250}", WINDOWS, f"https://site{i}.example/",
            "host", post.get_absolute_url(), "ja",
        )
        for i in range(200)
    ]  # fmt: skip
    buffer._items.extend(views)
    with CaptureQueriesContext(connection) as first:
        assert buffer.flush() == 200
    assert len(first) < 20  # the salt, the Labels rows (a few statements), the insert
    assert Labels.objects.count() == 200
    assert set(Hit.objects.values_list("labels__referrer", flat=True)) == {
        f"site{i}.example" for i in range(200)
    }
    buffer._items.extend(views)
    with CaptureQueriesContext(connection) as again:
        assert buffer.flush() == 200
    assert not [q for q in again if "analytics_labels" in q["sql"]]


def test_a_buffered_view_is_left_alone_by_the_garbage_collector():
    """A view waits in the buffer for up to a second, through many collections: made of
    strings and numbers only, it is untracked at the collector's first look instead of
    being carried into the older generations and walked again by each full collection."""
    mark = Mark(1, 2, 3, "post", "Asia/Tokyo", "alice")
    buffer = capture.HitBuffer()
    with (
        mock.patch("koe.analytics.capture.BUFFER", buffer),
        override_settings(KOE_ANALYTICS_BUFFERED=True),
        mock.patch.object(buffer, "_start"),
    ):
        capture.record_view(mark, "203.0.113.1", WINDOWS, "", "testserver", "/@alice/3/", "ja")
    (view,) = buffer._items
    gc.collect(0)
    assert not gc.is_tracked(view)


def test_a_costly_day_waits_ten_times_its_cost_then_is_counted_exactly(post, alice):
    """A blog read a million times a day takes 12–20 s to count: its day is counted again
    only after ten times as long, and counted once due even if no view comes after."""
    url = post.get_absolute_url()
    visit(url, at=LATE, ip="203.0.113.1")
    ticks = iter([0.0, 30.0])  # counting the day "takes" 30 s: next due 300 s later
    with mock.patch.object(rollup, "monotonic", side_effect=lambda: next(ticks)):
        rollup.rollup(now=LATE + timedelta(minutes=1))
    first = DailyStats.objects.get(date=DAY1)
    assert (first.views, first.stale) == (1, False)
    assert first.due_at == LATE + timedelta(minutes=1, seconds=300)

    visit(url, at=LATE + timedelta(minutes=2), ip="203.0.113.2")
    rollup.rollup(now=LATE + timedelta(minutes=3))  # touched, but not due: waits
    waiting = DailyStats.objects.get(date=DAY1)
    assert (waiting.views, waiting.stale, waiting.computed_at) == (1, True, first.computed_at)

    rollup.rollup(now=LATE + timedelta(minutes=5))  # nothing new came, still not due
    assert DailyStats.objects.get(date=DAY1).views == 1
    rollup.rollup(now=LATE + timedelta(minutes=7))  # due: counted without a new view
    counted = DailyStats.objects.get(date=DAY1)
    assert (counted.views, counted.visitors, counted.stale) == (2, 2, False)
    assert counted.due_at < LATE + timedelta(minutes=8)  # the real count is quick
    assert DailyPostStats.objects.get(date=DAY1).views == 2
