"""Average time on page: the beacon's seconds over the views it timed, overall and per post."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from koe.analytics import capture, rollup
from koe.analytics.models import DailyPostStats, DailyStats
from tests.agents import WINDOWS
from tests.conftest import publish

DASHBOARD = "/dashboard/analytics/"


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()
    yield
    capture._salts.clear()


@pytest.fixture
def posts(alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    return publish(alice, title="Long read"), publish(alice, title="Short note")


def read(url, ip, seconds=None):
    """A view, and when the reader's browser reports it, the time it was looked at."""
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=WINDOWS)
    with mock.patch("koe.analytics.capture._now", return_value=timezone.now().timestamp()):
        assert client.get(url).status_code == 200
    if seconds is not None:
        body = f'{{"p": "{url}", "s": {seconds}}}'
        assert client.post("/a/t", data=body, content_type="text/plain").status_code == 204


@pytest.fixture
def timed(posts):
    long_read, short_note = posts
    read(long_read.get_absolute_url(), "203.0.113.1", 200)
    read(long_read.get_absolute_url(), "203.0.113.2", 100)
    read(long_read.get_absolute_url(), "203.0.113.3")  # no beacon: says nothing about time
    read(short_note.get_absolute_url(), "203.0.113.4", 20)
    read(short_note.get_absolute_url(), "203.0.113.5")
    rollup.rollup(now=timezone.now() + timedelta(minutes=1))
    return posts


def test_the_rollup_counts_the_timed_views(timed):
    long_read, short_note = timed
    day = DailyStats.objects.get()
    assert (day.views, day.seconds, day.timed) == (5, 320, 3)
    per_post = {pk: (seconds, n) for pk, seconds, n
                in DailyPostStats.objects.values_list("post_id", "seconds", "timed")}  # fmt: skip
    assert per_post == {long_read.pk: (300, 2), short_note.pk: (20, 1)}


def test_the_dashboard_shows_the_average_overall_and_per_post(alice_client, timed):
    response = alice_client.get(DASHBOARD + "?range=today")
    context = response.context
    assert context["average"] == "1:47"  # 320 s over 3 timed views: 106.7 s
    assert {row.post.title: row.average for row in context["posts"]} == {
        "Long read": "2:30",
        "Short note": "0:20",
    }
    html = response.content.decode()
    assert "Average time on page" in html and "of 3 timed views" in html


def test_the_csv_has_the_average_in_seconds(alice_client, timed):
    def download(table, query="?range=7d"):
        response = alice_client.get(f"{DASHBOARD}{query}&format=csv&table={table}")
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    posts = download("posts")
    assert posts[0][-2:] == ["Average seconds on page", "Timed views"]
    assert {row[0]: row[-2:] for row in posts[1:]} == {
        "Long read": ["150", "2"],
        "Short note": ["20", "1"],
    }
    series = download("series")
    assert series[0][-1] == "Average seconds on page"
    assert series[-1][-1] == "107"  # today, the last day of the 7


def test_nothing_timed_shows_a_dash_not_zero(alice_client, posts):
    read(posts[0].get_absolute_url(), "203.0.113.9")
    rollup.rollup(now=timezone.now() + timedelta(minutes=1))
    context = alice_client.get(DASHBOARD + "?range=today").context
    assert context["average"] == ""
    assert context["posts"][0].average == ""
    assert "No view was timed yet" in alice_client.get(DASHBOARD + "?range=today").content.decode()
