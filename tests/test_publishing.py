"""Writing, editing, scheduling and deleting posts through the blogs actions and views."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from koe.blogs import services
from koe.blogs.models import Post
from koe.blogs.signals import post_published
from koe.blogs.tasks import announce_due_posts
from tests.conftest import make_user, publish


@pytest.fixture
def announcements():
    seen = []

    def receiver(sender, post, **kwargs):
        seen.append(post.pk)

    post_published.connect(receiver)
    yield seen
    post_published.disconnect(receiver)


def test_markdown_is_rendered_once_on_save(alice):
    post = publish(alice, title="Hi", body="## Heading\n\n- one\n- two\n\n`code`")
    assert "<h2>Heading</h2>" in post.body_html
    assert "<li>one</li>" in post.body_html
    assert post.excerpt.startswith("Heading one two")


def test_publishing_now_announces_once(alice, announcements):
    post = publish(alice)
    assert announcements == [post.pk]
    services.do_save_post(alice.blog, post=post, title="Edited", body="new", publish=True)
    assert announcements == [post.pk], "an edit is not a second publication"
    post.refresh_from_db()
    assert post.announced_at is not None


def test_scheduled_post_is_announced_by_the_job_exactly_once(alice, announcements):
    when = timezone.now() + timedelta(hours=1)
    post = publish(alice, publish_at=when)
    assert post.is_scheduled and announcements == []
    assert announce_due_posts.call_local() == 0
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert announce_due_posts.call_local() == 1
    assert announce_due_posts.call_local() == 0
    assert services.announce_post(post.pk) is False
    assert announcements == [post.pk]


def test_drafts_are_never_announced(alice, announcements):
    publish(alice, publish=False)
    assert services.announce_due_posts() == 0
    assert announcements == []


def test_a_failing_receiver_undoes_the_claim(alice):
    post = publish(alice, publish_at=timezone.now() + timedelta(hours=1))
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))

    def broken(sender, post, **kwargs):
        raise RuntimeError("crash between steps")

    post_published.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            services.announce_post(post.pk)
    finally:
        post_published.disconnect(broken)
    post.refresh_from_db()
    assert post.announced_at is None, "the claim rolled back with the failed work"
    assert services.announce_post(post.pk) is True


@pytest.mark.django_db(transaction=True)
def test_two_consumers_racing_announce_once(announcements):
    author = make_user("racer")
    post = publish(author, publish_at=timezone.now() + timedelta(hours=1))
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    results = []
    barrier = threading.Barrier(2)

    def consumer():
        barrier.wait()
        try:
            results.append(services.announce_post(post.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert announcements == [post.pk]


def test_tags_are_normalised_and_limited():
    assert services.parse_tags("#東京, Cats  ＣＡＴＳ 旅行") == ["東京", "cats", "旅行"]
    with pytest.raises(ValidationError):
        services.parse_tags(" ".join(f"t{i}" for i in range(11)))
    with pytest.raises(ValidationError):
        services.parse_tags("a" * 51)
    with pytest.raises(ValidationError):
        services.parse_tags("<script>")


def test_editor_publishes_with_tags_and_category(alice_client, alice):
    category = services.do_save_category(alice.blog, "Travel")
    response = alice_client.post(
        "/dashboard/posts/new/",
        {
            "title": "Kyoto",
            "body": "Temples **everywhere**.",
            "tags": "#京都 travel",
            "category": category.pk,
            "visibility": "public",
            "publish": "1",
        },
    )
    post = Post.objects.get(title="Kyoto")
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert sorted(t.name for t in post.tags.all()) == ["travel", "京都"]
    page = alice_client.get(post.get_absolute_url()).content.decode()
    assert "<strong>everywhere</strong>" in page
    assert quote("/tags/京都/") in page and "Travel" in page


def test_editor_schedules_in_the_writers_time_zone(alice_client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    response = alice_client.post(
        "/dashboard/posts/new/",
        {
            "title": "Later",
            "body": "x",
            "visibility": "public",
            "publish_at": "2099-01-01T09:00",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(title="Later")
    assert post.is_scheduled
    assert post.published_at.isoformat() == "2099-01-01T00:00:00+00:00"


def test_autosave_creates_then_updates_one_draft(alice_client, alice):
    first = alice_client.post("/dashboard/posts/autosave", {"title": "Dra", "body": "b"}).json()
    second = alice_client.post(first["autosave_url"], {"title": "Draft", "body": "bb"}).json()
    assert first["id"] == second["id"]
    post = Post.objects.get(pk=first["id"])
    assert (post.title, post.body, post.status) == ("Draft", "bb", "draft")


def test_autosave_leaves_published_posts_alone(alice_client, alice):
    post = publish(alice, title="Live", body="live words")
    alice_client.post(f"/dashboard/posts/{post.pk}/autosave", {"title": "X", "body": "y"})
    post.refresh_from_db()
    assert (post.title, post.body) == ("Live", "live words")


def test_preview_is_sanitised(alice_client):
    response = alice_client.post("/dashboard/preview", {"body": "**hi** <script>x()</script>"})
    assert response.status_code == 200
    assert "<strong>hi</strong>" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_delete_post(alice_client, alice):
    post = publish(alice)
    assert alice_client.get(f"/dashboard/posts/{post.pk}/delete/").status_code == 200
    response = alice_client.post(f"/dashboard/posts/{post.pk}/delete/")
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_someone_elses_post_cannot_be_edited(bob_client, alice):
    post = publish(alice, title="Mine")
    for url in (
        f"/dashboard/posts/{post.pk}/edit/",
        f"/dashboard/posts/{post.pk}/delete/",
        f"/dashboard/posts/{post.pk}/autosave",
    ):
        assert bob_client.post(url, {"title": "Hacked", "body": "x"}).status_code == 404
    post.refresh_from_db()
    assert post.title == "Mine"


def test_post_page_has_metadata_and_neighbours(client, alice):
    older = publish(alice, title="Older", publish_at=timezone.now() - timedelta(days=2))
    middle = publish(alice, title="Middle", publish_at=timezone.now() - timedelta(days=1))
    newer = publish(alice, title="Newer")
    page = client.get(middle.get_absolute_url()).content.decode()
    assert 'property="og:title" content="Middle"' in page
    assert 'rel="canonical"' in page and '"@type": "BlogPosting"' in page
    assert older.get_absolute_url() in page and newer.get_absolute_url() in page


def test_slug_is_optional_and_corrected(client, alice):
    post = publish(alice, title="Hello World")
    assert client.get(f"/@alice/{post.pk}/").status_code == 200
    assert client.get(f"/@alice/{post.pk}/hello-world/").status_code == 200
    wrong = client.get(f"/@alice/{post.pk}/wrong-slug/")
    assert wrong.status_code == 301 and wrong["Location"] == post.get_absolute_url()


def test_sponsored_posts_carry_a_pr_mark(client, alice):
    post = publish(alice, title="Ad", is_sponsored=True)
    assert "badge--pr" in client.get(post.get_absolute_url()).content.decode()


@pytest.mark.parametrize("title", ["Likes", "Comments", "Reblog"])
def test_titles_that_name_a_posts_own_pages_still_reach_the_post(client, alice, title):
    post = publish(alice, title=title, body="the words")
    assert post.get_absolute_url() == f"/@alice/{post.pk}/"
    assert "the words" in client.get(post.get_absolute_url()).content.decode()
