"""Deny by default: every post state × every kind of viewer × every surface, generated.

For each surface the test knows who may read a post's words, and who may see only its
title (the locked teaser of a members-only post). Anything else must be absent: not
merely hidden, but not in the response at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koe.accounts.services import do_block
from koe.blogs import memberships
from koe.blogs.models import Post
from koe.social import follows
from tests.conftest import make_user, publish

STATES = ["public", "members", "private", "draft", "scheduled"]
VIEWERS = ["anonymous", "reader", "follower", "member", "pending", "blocked", "author", "staff"]
SURFACES = [
    "post_page", "blog_page", "front_page", "tag_page", "blog_rss", "blog_atom", "tag_rss",
    "tag_atom", "sitemap", "likers_page", "reblog_page", "home_feed", "notifications",
]  # fmt: skip
SECRET = "Zq7secret"
FOLLOWS = {"follower", "member"}
TITLE_ONLY = {"sitemap", "likers_page"}  # they name a post, never quote it
MAY_REBLOG = {"reader", "follower", "member", "pending", "staff"}


def _options(state: str) -> dict:
    if state == "draft":
        return {"visibility": "public", "publish": False}
    if state == "scheduled":
        return {"publish_at": timezone.now() + timedelta(days=2)}
    return {"visibility": state}


def body_visible(state: str, viewer: str, surface: str) -> bool:
    """May this viewer read the post's words on this surface?"""
    if surface == "notifications" or surface in TITLE_ONLY:
        return False  # these name a post; they never quote it
    if state == "public":
        if surface == "home_feed":
            return viewer in FOLLOWS
        if surface == "reblog_page":
            return viewer in MAY_REBLOG
        return True
    if state == "members":
        if surface in ("post_page", "blog_page"):
            return viewer in ("member", "author")
        return surface == "home_feed" and viewer == "member"
    return viewer == "author" and surface in ("post_page", "blog_page")


def title_visible(state: str, viewer: str, surface: str) -> bool:
    """May this viewer see the post's title here (the words, or a teaser, or a notice)?"""
    if body_visible(state, viewer, surface):
        return True
    if surface in TITLE_ONLY:
        return state == "public"
    if state == "members" and surface in ("post_page", "blog_page"):
        return True  # the locked teaser the blogger chose to show
    if surface == "notifications":
        # Followers asked to hear of new posts; mentions reach a reader who may read the post.
        return (
            state == "public"
            and viewer in ("follower", "member", "reader")
            or (state == "members" and viewer == "member")
        )
    return False


@pytest.fixture
def world(db):
    author = make_user("writer")
    people = {name: make_user(name) for name in VIEWERS if name not in ("anonymous", "author")}
    people["author"], people["anonymous"] = author, None
    people["staff"].is_staff = people["staff"].is_superuser = True
    people["staff"].save()
    blog = author.blog
    for name in ("follower", "member", "blocked"):
        follows.do_follow(people[name], blog, notify_posts=True)
    for name in ("member", "pending", "blocked"):
        memberships.do_request_membership(blog, people[name])
    for name in ("member", "blocked"):
        membership = blog.memberships.get(member=people[name])
        memberships.do_decide_membership(membership, approve=True)
    do_block(author, people["blocked"])
    posts = {
        state: publish(
            author,
            title=f"{state} {SECRET}",
            body=f"Words of the {state} post {SECRET}-{state}, hello @reader",
            tags=["privacy"],
            **_options(state),
        )
        for state in STATES
    }
    return people, posts


def _url(surface: str, post: Post) -> str:
    user = post.blog.owner.username
    return {
        "post_page": f"/@{user}/{post.pk}/",
        "blog_page": f"/@{user}/",
        "front_page": "/",
        "tag_page": "/tags/privacy/",
        "blog_rss": f"/@{user}/rss.xml",
        "blog_atom": f"/@{user}/feed.atom",
        "tag_rss": "/tags/privacy/rss.xml",
        "tag_atom": "/tags/privacy/feed.atom",
        "sitemap": "/sitemap.xml",
        "likers_page": f"/@{user}/{post.pk}/likes/",
        "reblog_page": f"/@{user}/{post.pk}/reblog/",
        "home_feed": "/home/",
        "notifications": "/notifications/",
    }[surface]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("state", STATES)
def test_visibility_matrix(world, state, viewer):
    people, posts = world
    post = posts[state]
    client = Client()
    if people[viewer] is not None:
        client.force_login(people[viewer])
    wrong = []
    for surface in SURFACES:
        response = client.get(_url(surface, post))
        content = response.content.decode() if response.status_code == 200 else ""
        saw_body = f"{SECRET}-{state}" in content
        saw_title = f"{state} {SECRET}" in content or (
            surface == "sitemap" and f"/{post.pk}/" in content
        )
        if saw_body != body_visible(state, viewer, surface):
            wrong.append(f"{surface}: words {'shown' if saw_body else 'missing'}")
        if saw_title != title_visible(state, viewer, surface):
            wrong.append(f"{surface}: title {'shown' if saw_title else 'missing'}")
    assert not wrong, f"{state} post seen by {viewer}: " + "; ".join(wrong)


@pytest.mark.parametrize("state", [s for s in STATES if s != "public"])
@pytest.mark.parametrize("viewer", ["anonymous", "reader", "pending", "staff"])
def test_hidden_posts_cannot_be_liked_commented_or_reblogged(world, state, viewer):
    people, posts = world
    post = posts[state]
    client = Client()
    if people[viewer] is not None:
        client.force_login(people[viewer])
    user = post.blog.owner.username
    assert client.post(f"/@{user}/{post.pk}/like").status_code == 404
    comment = client.post(f"/@{user}/{post.pk}/comments/", {"name": "x", "body": "hello"})
    assert comment.status_code == 404
    assert client.post(f"/@{user}/{post.pk}/reblog/", {"comment": "x"}).status_code in (302, 404)
    post.refresh_from_db()
    assert post.like_count == 0 and post.comments.count() == 0
    assert not Post.objects.filter(reblog_of=post).exists()


def test_locked_teaser_can_be_switched_off(world):
    people, posts = world
    blog = people["author"].blog
    blog.members_teaser = False
    blog.save()
    client = Client()
    assert client.get(_url("post_page", posts["members"])).status_code == 404
    assert f"members {SECRET}" not in client.get("/@writer/").content.decode()


def test_locked_teaser_has_no_words_no_tags_no_preview(world):
    _, posts = world
    page = Client().get(_url("post_page", posts["members"])).content.decode()
    assert 'name="robots" content="noindex"' in page
    assert "og:description" not in page and "application/ld+json" not in page
    assert "/tags/privacy/" not in page


def test_scheduled_post_appears_on_time(world):
    _, posts = world
    post = posts["scheduled"]
    client = Client()
    assert f"{SECRET}-scheduled" not in client.get(_url("post_page", post)).content.decode()
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert f"{SECRET}-scheduled" in client.get(_url("post_page", post)).content.decode()


def test_deactivated_author_disappears_everywhere(world):
    people, posts = world
    people["author"].is_active = False
    people["author"].save()
    client = Client()
    client.force_login(people["follower"])
    for surface in SURFACES:
        response = client.get(_url(surface, posts["public"]))
        assert f"{SECRET}-public" not in response.content.decode(), surface


def test_blocked_reader_lost_follow_and_membership(world):
    people, _posts = world
    blog = people["author"].blog
    assert not follows.is_following(people["blocked"], blog)
    assert not memberships.is_member(blog, people["blocked"])
    client = Client()
    client.force_login(people["blocked"])
    assert client.post("/@writer/follow").status_code == 302
    assert not follows.is_following(people["blocked"], blog)
    assert client.post("/@writer/members/request").status_code == 302
    assert memberships.membership_of(blog, people["blocked"]) is None
