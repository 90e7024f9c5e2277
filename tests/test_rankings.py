"""Rankings from a known traffic log, driven through the real counting path: visits, the
rollup, then the ranking task. Reloads, robots and the blogger's own views gain nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koe.analytics import capture, rollup
from koe.analytics.models import Hit
from koe.blogs import services as blog_services
from koe.blogs.models import Genre, Post
from koe.discovery import ranking_exclusions, ranking_tasks, rankings
from koe.discovery.models import Ranking, RankingEntry, RankingExclusion
from tests.agents import GOOGLEBOT, IPHONE, WINDOWS
from tests.conftest import make_user, publish

# Tokyo days: 03:00 UTC is noon in Tokyo.
DAY1 = date(2026, 3, 1)
DAY2 = date(2026, 3, 2)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


def visit(url, *, day, ip, ua=WINDOWS, user=None, minutes=0):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    if user is not None:
        client.force_login(user)
    at = noon(day) + timedelta(minutes=minutes)
    with mock.patch("koe.analytics.capture._now", return_value=at.timestamp()):
        assert client.get(url).status_code == 200


def readers(url, *, day, n, prefix):
    """n different people read `url` on `day`."""
    for i in range(n):
        visit(url, day=day, ip=f"198.51.{prefix}.{i + 1}")


def rank(day: date):
    """What the periodic task does the morning after `day`: roll the hits up, then rank."""
    rollup.rollup(now=noon(day) + timedelta(days=1))
    rankings.compute_all(today=day + timedelta(days=1))


def board(board="all", *, period="day", kind="blogs"):
    ranking = rankings.latest(kind, board, period)
    if ranking is None:
        return []
    rows = rankings.entries(ranking)
    if kind == "posts":
        return [(e.rank, e.post.title, e.readers, e.change) for e in rows]
    return [(e.rank, e.blog.owner.username, e.readers, e.change) for e in rows]


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()
    yield
    capture._salts.clear()


def blogger(name, genre="", **fields):
    user = make_user(name)
    user.time_zone = "Asia/Tokyo"
    user.save()
    if genre:
        blog_services.do_update_blog(user.blog, genre=Genre.objects.get(slug=genre))
    publish(user, title=f"{name}'s post")
    return user


@pytest.fixture
def people(db):
    return {name: blogger(name, "pets") for name in ("alice", "bob", "carol")}


def url(user):
    return user.blog.get_absolute_url()


def test_reloads_robots_and_the_bloggers_own_views_gain_nothing(people):
    alice, bob = people["alice"], people["bob"]
    post = Post.objects.get(blog=alice.blog)
    # One reader reloads alice's pages twenty times, a robot crawls them, alice reads herself.
    for minute in range(20):
        visit(url(alice), day=DAY1, ip="203.0.113.7", ua=IPHONE, minutes=minute)
        visit(post.get_absolute_url(), day=DAY1, ip="203.0.113.7", ua=IPHONE, minutes=minute)
        visit(url(alice), day=DAY1, ip="203.0.113.99", ua=GOOGLEBOT, minutes=minute)
        visit(url(alice), day=DAY1, ip="203.0.113.50", user=alice, minutes=minute)
    # Three different people read bob once each.
    readers(url(bob), day=DAY1, n=3, prefix=10)
    rank(DAY1)
    assert board() == [(1, "bob", 3, None), (2, "alice", 1, None)]
    assert board("genre:pets") == board()
    assert board(kind="posts") == [(1, "alice's post", 1, None)]


def test_monthly_adds_up_each_days_unique_readers(people):
    alice, bob = people["alice"], people["bob"]
    # The same person reads alice on two days: two in the month. Bob: two people on day one.
    visit(url(alice), day=DAY1, ip="203.0.113.7")
    visit(url(alice), day=DAY1, ip="203.0.113.7", minutes=5)
    visit(url(alice), day=DAY2, ip="203.0.113.7")
    visit(url(alice), day=DAY2, ip="203.0.113.8")
    readers(url(bob), day=DAY1, n=2, prefix=20)
    rank(DAY2)
    month = rankings.latest("blogs", "all", "month")
    assert (month.start, month.end) == (date(2026, 3, 1), DAY2)
    assert board(period="month") == [(1, "alice", 3, None), (2, "bob", 2, None)]
    assert board(period="day") == [(1, "alice", 2, 1)]  # second the day before


def test_rank_changes_up_down_and_new(people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    readers(url(bob), day=DAY1, n=3, prefix=30)
    readers(url(alice), day=DAY1, n=2, prefix=31)
    rank(DAY1)
    assert board() == [(1, "bob", 3, None), (2, "alice", 2, None)]
    readers(url(alice), day=DAY2, n=4, prefix=32)
    readers(url(carol), day=DAY2, n=3, prefix=33)
    readers(url(bob), day=DAY2, n=1, prefix=34)
    rank(DAY2)
    assert board() == [(1, "alice", 4, 1), (2, "carol", 3, None), (3, "bob", 1, -2)]
    page = Client().get("/ranking/").content.decode()
    assert "▲1" in page and "▼2" in page and "new" in page


def test_ties_are_broken_by_the_older_blog_the_same_every_time(people):
    alice, bob = people["alice"], people["bob"]
    readers(url(bob), day=DAY1, n=2, prefix=40)
    readers(url(alice), day=DAY1, n=2, prefix=41)
    rank(DAY1)
    assert [row[1] for row in board()] == ["alice", "bob"]  # alice's blog is older


def test_running_the_task_again_gives_the_same_rows(people):
    readers(url(people["bob"]), day=DAY1, n=2, prefix=50)
    readers(url(people["alice"]), day=DAY1, n=1, prefix=51)
    rank(DAY1)
    first = list(RankingEntry.objects.values_list("ranking__board", "rank", "blog", "readers"))
    rank(DAY1)
    rankings.compute_all(today=DAY2)
    again = list(RankingEntry.objects.values_list("ranking__board", "rank", "blog", "readers"))
    assert sorted(again) == sorted(first) and first
    assert Ranking.objects.filter(period="day", kind="blogs", board="all").count() == 1


def test_official_blogs_are_ranked_apart(people):
    alice, bob = people["alice"], people["bob"]
    blog_services.do_set_badges(bob.blog, official_category="actor")
    readers(url(bob), day=DAY1, n=5, prefix=60)
    readers(url(alice), day=DAY1, n=1, prefix=61)
    rank(DAY1)
    assert board() == [(1, "alice", 1, None)]
    assert board("official") == [(1, "bob", 5, None)]
    assert board("official:actor") == [(1, "bob", 5, None)]
    assert board("genre:pets") == [(1, "alice", 1, None)]
    page = Client().get("/ranking/official/").content.decode()
    assert "Bob" in page
    assert Client().get("/ranking/official/?category=actor").status_code == 200
    assert Client().get("/ranking/official/?category=nope").status_code == 404


def test_each_genre_has_its_own_ranking(people, db):
    dave = blogger("dave", "travel")
    readers(url(dave), day=DAY1, n=1, prefix=70)
    readers(url(people["alice"]), day=DAY1, n=2, prefix=71)
    rank(DAY1)
    assert board("genre:travel") == [(1, "dave", 1, None)]
    assert board("genre:pets") == [(1, "alice", 2, None)]
    travel = Client().get("/ranking/travel/")
    assert travel.status_code == 200 and "Dave" in travel.content.decode()
    assert "Alice" not in travel.content.decode()
    assert Client().get("/ranking/no-such-genre/").status_code == 404


def test_only_public_posts_are_ranked_and_a_post_made_private_leaves_at_once(people):
    alice = people["alice"]
    post = Post.objects.get(blog=alice.blog)
    readers(post.get_absolute_url(), day=DAY1, n=3, prefix=80)
    rank(DAY1)
    assert board(kind="posts") == [(1, "alice's post", 3, None)]
    assert "alice&#x27;s post" in Client().get("/ranking/?show=posts").content.decode()

    publish(alice, post=post, title=post.title, body="now private", visibility="private")
    assert board(kind="posts") == []
    assert "alice&#x27;s post" not in Client().get("/ranking/?show=posts").content.decode()
    rank(DAY1)
    assert not RankingEntry.objects.filter(post=post).exists()


def test_a_blog_without_public_posts_or_owner_is_not_ranked(people):
    alice, bob = people["alice"], people["bob"]
    readers(url(alice), day=DAY1, n=2, prefix=90)
    readers(url(bob), day=DAY1, n=1, prefix=91)
    bob.is_active = False
    bob.save()
    rank(DAY1)
    assert board() == [(1, "alice", 2, None)]
    alice.is_active = False
    alice.save()
    assert board() == []  # gone from the page before the next computation


def test_pages_are_open_to_everyone_and_speak_japanese(people):
    readers(url(people["alice"]), day=DAY1, n=1, prefix=95)
    rank(DAY1)
    for address in ("/ranking/", "/ranking/?period=month", "/ranking/?period=today",
                    "/ranking/pets/?show=posts", "/ranking/official/", "/ranking/about/",
                    "/ranking/?period=bogus&show=bogus&page=999"):  # fmt: skip
        assert Client().get(address).status_code == 200, address
    front = Client().get("/").content.decode()
    assert 'href="/ranking/"' in front and 'href="/picks/"' in front  # in the footer
    assert 'href="/ranking/manage/"' not in front  # staff's links are for staff
    about = Client(HTTP_ACCEPT_LANGUAGE="ja").get("/ranking/about/").content.decode()
    assert '<html lang="ja"' in about


# ### Staff take a blog out, and put it back ###


@pytest.fixture
def ranked(people):
    readers(url(people["bob"]), day=DAY1, n=2, prefix=100)
    readers(url(people["alice"]), day=DAY1, n=1, prefix=101)
    rank(DAY1)
    return people


def test_staff_take_a_blog_out_with_a_reason_and_the_blogger_sees_it(ranked, staff, client):
    bob = ranked["bob"]
    assert "Bob" in Client().get("/ranking/").content.decode()  # now cached for readers
    client.force_login(staff)
    assert client.get("/ranking/manage/").status_code == 200
    response = client.post(
        "/ranking/manage/exclude/", {"blog": "@bob", "reason": "Bought traffic from a click farm"}
    )
    assert response.status_code == 302
    assert [row[1] for row in board()] == ["alice"]  # off the page at once
    assert "Bob" not in Client().get("/ranking/").content.decode()
    rank(DAY1)
    assert [row[1] for row in board()] == ["alice"]

    bob_client = Client()
    bob_client.force_login(bob)
    dashboard = bob_client.get("/dashboard/").content.decode()
    assert "not in the rankings" in dashboard and "click farm" in dashboard

    client.post(f"/ranking/manage/{bob.blog.pk}/restore/")
    rank(DAY1)
    assert [row[1] for row in board()] == ["bob", "alice"]
    assert "not in the rankings" not in bob_client.get("/dashboard/").content.decode()
    assert RankingExclusion.objects.filter(blog=bob.blog).count() == 1  # the history stays


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"blog": "bob", "reason": ""}, "Please give a reason"),
        ({"blog": "bob", "reason": "   "}, "Please give a reason"),
        ({"blog": "bob", "reason": "x" * 301}, "At most 300"),
        ({"blog": "nobody", "reason": "spam"}, "No blog with that username"),
        ({"blog": "", "reason": "spam"}, "No blog with that username"),
        ({}, "No blog with that username"),
    ],
)
def test_bad_exclusions_are_a_400_and_write_nothing(ranked, staff, client, data, message):
    client.force_login(staff)
    response = client.post("/ranking/manage/exclude/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RankingExclusion.objects.exists()


def test_only_staff_can_take_a_blog_out(ranked):
    blog = ranked["alice"].blog
    bob_client = Client()
    bob_client.force_login(ranked["bob"])
    assert bob_client.get("/ranking/manage/").status_code == 404
    response = bob_client.post("/ranking/manage/exclude/", {"blog": "alice", "reason": "mine"})
    assert response.status_code == 404
    assert bob_client.post(f"/ranking/manage/{blog.pk}/restore/").status_code == 404
    anonymous = Client().post("/ranking/manage/exclude/", {"blog": "alice", "reason": "x"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not RankingExclusion.objects.exists()
    with pytest.raises(PermissionDenied):
        ranking_exclusions.do_exclude(blog, ranked["bob"], "not staff")


def test_the_forms_need_csrf(ranked, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post("/ranking/manage/exclude/", {"blog": "bob", "reason": "spam"})
    assert response.status_code == 403
    assert not RankingExclusion.objects.exists()


def test_excluding_twice_keeps_one_exclusion(ranked, staff):
    blog = ranked["bob"].blog
    first = ranking_exclusions.do_exclude(blog, staff, "spam")
    assert ranking_exclusions.do_exclude(blog, staff, "again") == first
    assert ranking_exclusions.do_restore(blog, staff) is True
    assert ranking_exclusions.do_restore(blog, staff) is False


def test_a_click_from_the_ranking_counts_as_coming_from_the_ranking(people):
    readers(url(people["alice"]), day=DAY1, n=1, prefix=110)
    rank(DAY1)
    page = Client().get("/ranking/pets/").content.decode()
    assert f'href="{url(people["alice"])}"' in page
    client = Client(REMOTE_ADDR="192.0.2.5", HTTP_USER_AGENT=WINDOWS)
    client.get(url(people["alice"]), HTTP_REFERER="http://testserver/ranking/pets/")
    latest = Hit.objects.order_by("-id").first()
    assert (latest.labels.referrer_group, latest.labels.referrer) == ("koe", "ranking")


def queries_for(address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(address).status_code == 200
    return len(queries)


def test_a_ranking_page_costs_the_same_few_queries_however_long_the_list(people):
    readers(url(people["alice"]), day=DAY1, n=1, prefix=120)
    rank(DAY1)
    short = {kind: queries_for(f"/ranking/?show={kind}") for kind in ("blogs", "posts")}
    for name in ("dave", "erin", "frank", "grace"):
        readers(url(blogger(name, "pets")), day=DAY2, n=2, prefix=121 + len(name))
    readers(url(people["bob"]), day=DAY2, n=3, prefix=130)
    readers(url(people["alice"]), day=DAY2, n=1, prefix=131)
    rank(DAY2)
    assert len(board()) == 6
    long = {kind: queries_for(f"/ranking/?show={kind}") for kind in ("blogs", "posts")}
    assert long == short and long["blogs"] <= 8


def test_the_periodic_job_runs_under_its_lock_and_twice_changes_nothing(people):
    readers(url(people["bob"]), day=DAY1, n=1, prefix=140)
    rollup.rollup(now=noon(DAY1) + timedelta(days=1))
    with mock.patch("koe.discovery.rankings.site_today", return_value=DAY2):
        ranking_tasks.compute_rankings()
        first = sorted(RankingEntry.objects.values_list("ranking__board", "rank", "blog"))
        ranking_tasks.compute_rankings()
        ranking_tasks.recompute_rankings()
    assert sorted(RankingEntry.objects.values_list("ranking__board", "rank", "blog")) == first
    assert ("all", 1, people["bob"].blog.pk) in first


def test_between_the_hours_only_today_so_far_is_recomputed(people):
    readers(url(people["bob"]), day=DAY1, n=1, prefix=150)
    rollup.rollup(now=noon(DAY1) + timedelta(days=1))
    rankings.compute_all(today=DAY2, only_today=True)  # yesterday missing: everything
    assert board() == [(1, "bob", 1, None)]
    yesterday = rankings.latest("blogs", "all", "day")
    rankings.compute_all(today=DAY2, only_today=True)
    assert rankings.latest("blogs", "all", "day").computed_at == yesterday.computed_at
