"""Comments and likes, with the blogger's choices."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koe.blogs import services as blog_services
from koe.blogs.models import Post
from koe.social import follows
from koe.social.models import Comment, Like
from tests.conftest import make_user, publish


def _comment(client, post, **data):
    return client.post(f"/@{post.blog.owner.username}/{post.pk}/comments/", data)


def test_guest_comment_shows_at_once(client, public_post):
    response = _comment(client, public_post, name="Guest", body="Lovely <b>post</b>")
    assert response.status_code == 302
    page = client.get(public_post.get_absolute_url()).content.decode()
    assert "Lovely &lt;b&gt;post&lt;/b&gt;" in page
    public_post.refresh_from_db()
    assert public_post.comment_count == 1


def test_guest_comment_needs_a_name(client, public_post):
    response = _comment(client, public_post, name="  ", body="hi")
    assert response.status_code == 400
    assert "enter your name" in response.content.decode()
    assert Comment.objects.count() == 0


def test_signed_in_only_policy(client, bob_client, alice, public_post):
    blog_services.do_update_blog(alice.blog, comment_policy="users")
    response = _comment(Client(), public_post, name="Guest", body="hi")
    assert response.status_code == 400 and "log in to comment" in response.content.decode()
    assert _comment(bob_client, public_post, body="hi from Bob").status_code == 302
    assert Comment.objects.get().name == "Bob"


def test_closed_comments(bob_client, alice, public_post):
    blog_services.do_update_blog(alice.blog, comment_policy="closed")
    assert _comment(bob_client, public_post, body="hi").status_code == 400
    assert Comment.objects.count() == 0


def test_approval_flow(client, alice, public_post):
    blog_services.do_update_blog(alice.blog, comments_need_approval=True)
    _comment(client, public_post, name="Guest", body="waiting for approval")
    comment = Comment.objects.get()
    assert comment.status == "pending"
    assert "waiting for approval" not in client.get(public_post.get_absolute_url()).content.decode()
    owner = Client()
    owner.force_login(alice)
    assert "waiting for approval" in owner.get("/dashboard/").content.decode()
    owner.post(f"/dashboard/comments/{comment.pk}/", {"action": "approve"})
    assert "waiting for approval" in client.get(public_post.get_absolute_url()).content.decode()
    public_post.refresh_from_db()
    assert public_post.comment_count == 1


def test_blogger_deletes_any_comment_others_cannot(bob_client, alice, public_post):
    _comment(bob_client, public_post, body="from bob")
    comment = Comment.objects.get()
    assert bob_client.post(f"/dashboard/comments/{comment.pk}/").status_code == 404
    owner = Client()
    owner.force_login(alice)
    owner.post(f"/dashboard/comments/{comment.pk}/", {"action": "delete"})
    assert not Comment.objects.exists()
    public_post.refresh_from_db()
    assert public_post.comment_count == 0


def test_like_is_idempotent_and_listed(bob_client, public_post):
    url = f"/@alice/{public_post.pk}/like"
    bob_client.post(url)
    bob_client.post(url)
    assert Like.objects.count() == 1
    public_post.refresh_from_db()
    assert public_post.like_count == 1
    assert "Bob" in bob_client.get(f"/@alice/{public_post.pk}/likes/").content.decode()
    bob_client.post(url, {"action": "unlike"})
    bob_client.post(url, {"action": "unlike"})
    public_post.refresh_from_db()
    assert public_post.like_count == 0 and not Like.objects.exists()


def test_like_over_htmx_returns_the_partial(bob_client, public_post):
    response = bob_client.post(f"/@alice/{public_post.pk}/like", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-liked" in body and "<html" not in body


def test_anonymous_cannot_like(client, public_post):
    response = client.post(f"/@alice/{public_post.pk}/like")
    assert response.status_code == 403
    assert not Like.objects.exists()


def test_blogger_can_switch_likes_off(bob_client, alice, public_post):
    blog_services.do_update_blog(alice.blog, likes_enabled=False)
    assert bob_client.post(f"/@alice/{public_post.pk}/like").status_code == 403
    assert "like-button" not in bob_client.get(public_post.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/@alice/", "POST", "/tags/tokyo/", "/home/", "/notifications/"]
)
def test_pages_make_no_query_per_post(client, alice, path):
    """A page with 3 posts and one with 20 cost the same number of queries, and few."""
    reader = make_user("reader")
    client.force_login(reader)
    follows.do_follow(reader, alice.blog, notify_posts=True)

    def count() -> int:
        first = Post.objects.filter(blog=alice.blog).order_by("published_at").first()
        url = first.get_absolute_url() if path == "POST" else path
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for i in range(3):
        publish(alice, title=f"P{i}", tags=["tokyo", f"t{i}"])
    count()  # the first visit of /home/ records it; later ones only update the time
    few = count()
    for i in range(3, 20):
        publish(alice, title=f"P{i}", tags=["tokyo", f"t{i}"])
    assert count() == few <= 22


def test_comment_flood_from_one_address_is_slowed(client, public_post):
    answers = [
        _comment(client, public_post, name="Flood", body=f"spam {i}").status_code for i in range(12)
    ]
    assert answers[:10] == [302] * 10
    assert answers[10:] == [429, 429]
    assert Comment.objects.count() == 10
