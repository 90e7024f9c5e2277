"""Shared by the bad-input tests: snapshots of everything a request could write."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from koe.accounts.models import User
from koe.blogs import services as blog_services
from koe.blogs.models import Blog, Category, Image, Post, Tag
from koe.social.models import Comment, Like
from tests.conftest import PASSWORD, publish

NUL_MESSAGE = "Null characters are not allowed."


def snapshot(settings) -> dict:
    """Everything a request could write: row counts, field values and files on disk."""
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (User, Blog, Post, Tag, Category, Comment, Like, Image)
        },
        "users": list(User.objects.order_by("pk").values()),
        "blogs": list(Blog.objects.order_by("pk").values()),
        "posts": list(Post.objects.order_by("pk").values()),
        "categories": list(Category.objects.order_by("pk").values()),
        "files": files,
    }


@pytest.fixture
def unchanged(settings, db):
    """Call it once to take a snapshot, and again to assert that nothing changed."""
    state = {}

    def check():
        now = snapshot(settings)
        if "before" not in state:
            state["before"] = now
            return
        before = state["before"]
        assert now["counts"] == before["counts"]
        assert now["files"] == before["files"], "files were left under MEDIA_ROOT"
        for key in ("users", "blogs", "posts", "categories"):
            # last_login may move with force_login; nothing else may.
            strip = [{k: v for k, v in row.items() if k != "last_login"} for row in now[key]]
            was = [{k: v for k, v in row.items() if k != "last_login"} for row in before[key]]
            assert strip == was, f"{key} changed"

    return check


def text_of(response) -> str:
    return response.content.decode()


def assert_refused(response, message: str, *, status: int = 400):
    assert response.status_code == status, f"{response.status_code}: {text_of(response)[:500]}"
    body = text_of(response)
    if response.get("Content-Type", "").startswith("application/json"):
        body = str(response.json())
    # Django escapes apostrophes in HTML; compare the words.
    body = body.replace("&#x27;", "'").replace("&quot;", '"')
    assert message in body, f"{message!r} not in the answer: {body[:800]}"


def assert_styled(response, status: int, message: str):
    assert response.status_code == status
    body = text_of(response)
    assert "site-header" in body and "site-footer" in body, "not the site's layout"
    assert message in body.replace("&#x27;", "'")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def post(alice):
    return publish(alice, title="Kept", body="Kept words.", tags=["kept"])


@pytest.fixture
def category(alice):
    return blog_services.do_save_category(alice.blog, "Travel")


def post_form(**fields) -> dict:
    data = {"title": "A title", "body": "Words.", "tags": "", "visibility": "public"}
    data.update(fields)
    return data


def profile_form(**fields) -> dict:
    data = {"display_name": "Alice", "bio": "", "language": "en", "time_zone": ""}
    data.update(fields)
    return data


def blog_form(**fields) -> dict:
    data = {"title": "Alice's blog", "description": "", "theme": "sakura"}
    data.update({"comment_policy": "everyone", "likes_enabled": "on", "genre": ""})
    data.update(fields)
    return data


def signup_form(**fields) -> dict:
    data = {
        "username": "carol",
        "display_name": "Carol",
        "email": "carol@example.com",
        "password": PASSWORD,
    }
    data.update(fields)
    return data
