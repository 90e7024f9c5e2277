"""Trends on a known event stream: known likes, comments, reblogs and readers at known
times give a known ranking; quiet items do not trend, old spikes fade, private posts never
show and blocked people's posts are hidden from the blocker."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from koe.accounts.services import do_block
from koe.analytics import capture, rollup
from koe.blogs import services as blog_services
from koe.blogs.memberships import do_reblog
from koe.blogs.models import Genre, Post
from koe.discovery import trends
from koe.social.services import do_comment, do_like
from tests.agents import WINDOWS
from tests.conftest import make_user, publish

NOW = timezone.now().replace(microsecond=0)
ANONYMOUS = AnonymousUser()


@contextmanager
def at(moment):
    """Actions run as if the clock said `moment` (likes and comments take it as their time)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def ago(**delta):
    return NOW - timedelta(**delta)


def like(post, people, when):
    with at(when):
        for person in people:
            assert do_like(post, person)


def comment(post, name, when):
    with at(when):
        do_comment(post, ANONYMOUS, body="いいね！", name=name)


def read(post, n, when):
    """n different readers open the post at `when`."""
    url = post.get_absolute_url()
    for i in range(n):
        client = Client(REMOTE_ADDR=f"203.0.113.{i + 1}", HTTP_USER_AGENT=WINDOWS)
        with mock.patch("koe.analytics.capture._now", return_value=when.timestamp()):
            assert client.get(url).status_code == 200


@pytest.fixture(autouse=True)
def _fresh_salts():
    capture._salts.clear()
    yield
    capture._salts.clear()


@pytest.fixture
def readers(db):
    return [make_user(f"reader{i}") for i in range(8)]


@pytest.fixture
def cooking(db):
    return Genre.objects.get(slug="cooking")


@pytest.fixture
def stream(alice, bob, readers, cooking):
    """A known hour-by-hour story, told up to NOW."""
    carol = make_user("carol")
    blog_services.do_update_blog(bob.blog, genre=cooking)
    two_days = ago(days=2)
    posts = {
        "hot": publish(alice, title="Hot", tags=["猫", "solo"], publish_at=two_days),
        "warm": publish(bob, title="Warm", tags=["猫"], publish_at=two_days),
        "read": publish(carol, title="Read", publish_at=two_days),
        "steady": publish(carol, title="Steady", publish_at=ago(hours=30)),
        "quiet": publish(alice, title="Quiet", publish_at=two_days),
        "old_spike": publish(bob, title="Old spike", tags=["猫"], publish_at=two_days),
    }
    # hot: 5 likes and a comment in the last hour: 7 points, nothing before.
    like(posts["hot"], readers[:5], ago(minutes=20))
    comment(posts["hot"], "Kana", ago(minutes=10))
    # warm: 3 likes two and a half hours ago (a quarter) and two comments an hour and a
    # half ago (half): 0.75 + 2 = 2.75 points.
    like(posts["warm"], readers[:3], ago(hours=2, minutes=30))
    comment(posts["warm"], "Kana", ago(minutes=90))
    comment(posts["warm"], "Ren", ago(minutes=95))
    # read: 16 readers in the last hour: 4 points.
    read(posts["read"], 16, ago(minutes=30))
    # steady: a comment every hour for 27 hours: the last three hours are its usual pace.
    for hour in range(27):
        comment(posts["steady"], f"guest{hour}", ago(hours=hour, minutes=30))
    # quiet: one like.
    like(posts["quiet"], readers[:1], ago(minutes=5))
    # old_spike: eight likes five hours ago.
    like(posts["old_spike"], readers, ago(hours=5))
    return posts


def keys(snap):
    return [Post.objects.get(pk=t.key).title for t in snap.posts]


def test_known_stream_gives_known_ranking(stream):
    snap = trends.compute(NOW)
    assert keys(snap) == ["Hot", "Read", "Warm"]
    hot, read, warm = snap.posts
    assert hot.recent == pytest.approx(7.0) and hot.usual == 0
    assert hot.score == pytest.approx(3.5)
    assert read.recent == pytest.approx(4.0)
    assert warm.recent == pytest.approx(2.75)
    assert warm.volume == pytest.approx(7.0)


def test_quiet_posts_steady_posts_and_old_spikes_do_not_trend(stream):
    snap = trends.compute(NOW)
    titles = keys(snap)
    for title in ("Quiet", "Steady", "Old spike"):
        assert title not in titles


def test_a_spike_fades_hour_by_hour_and_is_gone_after_the_window(alice, readers):
    post = publish(alice, title="Spike", publish_at=ago(days=1))
    like(post, readers, ago(minutes=10))  # 8 points
    scores = []
    for hours in (0, 1, 2, 3):
        snap = trends.compute(NOW + timedelta(hours=hours))
        scores.append(next((t.score for t in snap.posts if t.key == post.pk), None))
    # 8 / 2, then half of it, then a quarter: just rising still; then nothing.
    assert scores[:3] == [pytest.approx(4.0), pytest.approx(2.0), pytest.approx(1.0)]
    assert scores[3] is None


def test_hashtags_trend_only_across_blogs(stream):
    snap = trends.compute(NOW)
    overall = [t.name for t in snap.tags[None]]
    assert overall == ["猫"]  # #solo is on one blog only
    cat = snap.tags[None][0]
    # hot 7 + warm 2.75 (old_spike has nothing in the window)
    assert cat.recent == pytest.approx(9.75)
    assert cat.usual > 0  # its usual pace of new posts (three this week)


def test_per_genre(stream, cooking):
    snap = trends.compute(NOW)
    in_cooking = trends.trending_posts(None, cooking, snap=snap)
    assert [p.title for p in in_cooking] == ["Warm"]
    assert trends.trending_tags(cooking, snap=snap) == []  # one blog in the genre


def test_reblogs_count_three(alice, bob, readers):
    post = publish(alice, title="Reblogged", publish_at=ago(days=1))
    with at(ago(minutes=10)):
        do_reblog(post, bob, comment="これは読んで")
        do_reblog(post, readers[0], comment="")
    snap = trends.compute(NOW)
    assert [t.key for t in snap.posts] == [post.pk]
    assert snap.posts[0].recent == pytest.approx(6.0)


def test_the_authors_own_likes_and_comments_do_not_count(alice, readers):
    post = publish(alice, title="Mine", publish_at=ago(days=1))
    like(post, [alice], ago(minutes=5))
    with at(ago(minutes=5)):
        do_comment(post, alice, body="自分で")
        do_comment(post, alice, body="もう一度")
    assert trends.compute(NOW).posts == []


def test_private_and_members_only_posts_never_trend(alice, bob, readers):
    post = publish(alice, title="Secret later", tags=["猫"], publish_at=ago(days=1))
    like(post, readers[:6], ago(minutes=10))
    snap = trends.compute(NOW)
    assert [t.key for t in snap.posts] == [post.pk]
    blog_services.do_save_post(
        alice.blog, post=post, title=post.title, body=post.body, publish=True,
        visibility=Post.Visibility.PRIVATE,
    )  # fmt: skip
    # Even the snapshot taken while it was public shows it no more.
    assert trends.trending_posts(bob, snap=snap) == []
    assert trends.compute(NOW).posts == []
    members = publish(alice, title="Members", visibility=Post.Visibility.MEMBERS)
    like(members, readers[:6], ago(minutes=10))
    assert trends.compute(NOW).posts == []


def test_blocked_peoples_posts_are_hidden_from_the_blocker(stream, bob, readers):
    snap = trends.compute(NOW)
    do_block(bob, stream["hot"].blog.owner)
    assert "Hot" not in [p.title for p in trends.trending_posts(bob, snap=snap)]
    assert "Hot" in [p.title for p in trends.trending_posts(readers[7], snap=snap)]


def test_the_computation_is_cached(stream):
    with mock.patch.object(trends, "compute", wraps=trends.compute) as compute:
        trends.snapshot()
        trends.snapshot()
    assert compute.call_count == 1


def test_the_periodic_task_works_trends_out_ahead(stream):
    with at(NOW):  # the story was told up to NOW, however long ago the tests began
        assert trends.refresh_trends.call_local() == 3
    with mock.patch.object(trends, "compute") as compute:
        assert len(trends.snapshot().posts) == 3
    compute.assert_not_called()


def test_trends_pages(stream, client, cooking):
    snap = trends.compute(NOW)
    with mock.patch.object(trends, "snapshot", return_value=snap):
        page = client.get("/trends/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Hot" in text and "#猫" in text and "How trends are worked out" in text
        genre_page = client.get(f"/trends/{cooking.slug}/")
        assert "Warm" in genre_page.content.decode()
        assert "Hot" not in genre_page.content.decode()
        by_query = client.get(f"/trends/?genre={cooking.slug}").content.decode()
        assert "Warm" in by_query and "Hot" not in by_query
        assert client.get("/trends/no-such-genre/").status_code == 404
        assert client.get("/trends/?genre=%00").status_code == 404
        # Signed in: signed-out readers may get the front page from the page cache.
        client.force_login(make_user("reader"))
        front = client.get("/")
        assert "Rising now" in front.content.decode()
        ja = client.get("/trends/", HTTP_ACCEPT_LANGUAGE="ja")
        assert ja.status_code == 200


def test_an_empty_site_has_no_trends_and_a_calm_page(db, client):
    assert trends.compute(NOW).posts == []
    page = client.get("/trends/")
    assert page.status_code == 200
    assert "No post is rising right now." in page.content.decode()
    client.force_login(make_user("reader"))
    assert "Rising now" not in client.get("/").content.decode()


def test_readers_usual_level_comes_from_the_daily_counts(alice, readers):
    post = publish(alice, title="Read every day", publish_at=ago(days=6))
    for days in (2, 3, 4):
        read(post, 16, ago(days=days))  # 16 readers a day before: 48 in about 5 days
    read(post, 16, ago(minutes=30))  # and 16 now: 4 points
    rollup.rollup(NOW + timedelta(minutes=1))
    snap = trends.compute(NOW)
    assert snap.posts and snap.posts[0].key == post.pk
    usual = snap.posts[0].usual
    # 48 readers × ¼ over the post's hours before the window (about 5 days), × 1.75.
    hours = (ago(hours=3) - post.published_at).total_seconds() / 3600
    assert usual == pytest.approx(48 * 0.25 / hours * 1.75)


def test_a_computation_makes_a_bounded_number_of_queries(stream, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        snap = trends.compute(NOW)
    assert snap.posts
