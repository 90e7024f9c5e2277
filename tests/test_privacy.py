"""Deny by default: every post state × every viewer × every surface, generated.

A post is shown on a surface only when the rule for that surface allows it; everything
else must be absent, not merely hidden. Members-only posts are shown to their author
alone until memberships exist.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koe.blogs.models import Post
from tests.conftest import make_user, publish

STATES = {
    "public": dict(visibility="public", publish=True),
    "members": dict(visibility="members", publish=True),
    "private": dict(visibility="private", publish=True),
    "draft": dict(visibility="public", publish=False),
    "scheduled": dict(visibility="public", publish=True, future=True),
}
VIEWERS = ["anonymous", "reader", "author", "staff"]
# Surfaces where the author sees their own posts too; all others are public-only.
AUTHOR_SURFACES = {"post_page", "blog_page"}
SURFACES = [
    "post_page",
    "blog_page",
    "front_page",
    "tag_page",
    "blog_rss",
    "blog_atom",
    "tag_rss",
    "tag_atom",
    "sitemap",
    "likers_page",
]
SECRET = "Zq7secretword"


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
    }[surface]


def _expected_visible(state: str, viewer: str, surface: str) -> bool:
    if state == "public":
        return True
    return viewer == "author" and surface in AUTHOR_SURFACES


@pytest.fixture
def world(db):
    author = make_user("writer")
    people = {
        "anonymous": None,
        "reader": make_user("reader"),
        "author": author,
        "staff": make_user("admin"),
    }
    people["staff"].is_staff = people["staff"].is_superuser = True
    people["staff"].save()
    posts = {}
    for state, options in STATES.items():
        options = dict(options)
        future = options.pop("future", False)
        if future:
            options["publish_at"] = timezone.now() + timedelta(days=2)
        posts[state] = publish(
            author,
            title=f"{state} {SECRET}",
            body=f"Body of the {state} post {SECRET}-{state}",
            tags=["privacy"],
            **options,
        )
    return people, posts


@pytest.mark.parametrize("state,viewer,surface", list(itertools.product(STATES, VIEWERS, SURFACES)))
def test_visibility_matrix(world, state, viewer, surface):
    people, posts = world
    post = posts[state]
    client = Client()
    if people[viewer] is not None:
        client.force_login(people[viewer])
    response = client.get(_url(surface, post))
    content = response.content.decode()
    marker = f"{state} {SECRET}"
    visible = response.status_code == 200 and (
        marker in content or (surface == "sitemap" and f"/{post.pk}/" in content)
    )
    assert visible == _expected_visible(state, viewer, surface), (
        f"{state} post on {surface} for {viewer}: status {response.status_code}"
    )
    if surface in ("post_page", "likers_page") and not _expected_visible(state, viewer, surface):
        assert response.status_code == 404


@pytest.mark.parametrize("state", [s for s in STATES if s != "public"])
@pytest.mark.parametrize("viewer", ["anonymous", "reader"])
def test_hidden_posts_cannot_be_liked_or_commented(world, state, viewer):
    people, posts = world
    post = posts[state]
    client = Client()
    if people[viewer] is not None:
        client.force_login(people[viewer])
    user = post.blog.owner.username
    like = client.post(f"/@{user}/{post.pk}/like")
    comment = client.post(f"/@{user}/{post.pk}/comments/", {"name": "x", "body": "hello"})
    assert like.status_code == 404
    assert comment.status_code == 404
    post.refresh_from_db()
    assert post.like_count == 0
    assert post.comments.count() == 0


def test_scheduled_post_appears_on_time(world, client):
    _, posts = world
    post = posts["scheduled"]
    assert SECRET + "-scheduled" not in client.get(_url("post_page", post)).content.decode()
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert SECRET + "-scheduled" in client.get(_url("post_page", post)).content.decode()


def test_deactivated_author_disappears_everywhere(world, client):
    people, posts = world
    people["author"].is_active = False
    people["author"].save()
    for surface in SURFACES:
        response = client.get(_url(surface, posts["public"]))
        assert f"public {SECRET}" not in response.content.decode(), surface
