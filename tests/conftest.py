"""Fixtures named for people and roles; all data is made through Koe's own actions."""

from __future__ import annotations

import importlib
import io
import time

import pytest
from django.apps import apps
from django.core.cache import cache, caches
from django.test import TestCase
from PIL import Image as PILImage

from koe.accounts import services as account_services
from koe.analytics import capture
from koe.blogs import services as blog_services
from koe.core import pagecache

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _steady_rate_windows(monkeypatch):
    """Rate-limit windows that never roll over in the middle of a test (no flaky limits)."""
    start = int(time.time())
    monkeypatch.setattr("django_ratelimit.core._get_window", lambda value, period: start + period)


@pytest.fixture(scope="session", autouse=True)
def _test_database_can_be_dropped(django_db_setup, django_db_blocker):
    """Threads that outlive their tests (the analytics writer, a server's workers) may still
    hold connections to this worker's PostgreSQL test database when the run ends, and it
    could not be dropped: they are ended first."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


_DB_FIXTURES = frozenset({"db", "transactional_db", "live_server", "_django_db_helper"})


@pytest.fixture(autouse=True)
def _genres(request):
    """Genres come from a migration; a test that commits (a browser test's live server)
    has the database emptied afterwards, genres too. They are put back before each test
    that uses the database, so the order tests run in does not matter."""
    if _DB_FIXTURES.isdisjoint(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from koe.blogs.models import Genre

    if not Genre.objects.exists():
        importlib.import_module("koe.blogs.migrations.0002_genres").add_genres(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache(settings, tmp_path):
    cache.clear()
    caches["pages"].clear()
    pagecache.forget_local()
    capture.forget_labels()  # each test's database starts without the Labels rows
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()
    caches["pages"].clear()
    pagecache.forget_local()
    capture.forget_labels()


def make_user(username: str, *, display_name: str | None = None, language: str = "en"):
    return account_services.do_sign_up(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        display_name=display_name or username.title(),
        language=language,
    )


def publish(user, title="Hello", body="Some **text**.", **options):
    """Write a post as the editor does, and run what waits for the commit (feed fan-out)."""
    options.setdefault("publish", True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return blog_services.do_save_post(user.blog, title=title, body=body, **options)


def image_bytes(fmt="PNG", size=(64, 48), color=(200, 80, 120), **save_options) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    PILImage.new(mode, size, color).save(out, format=fmt, **save_options)
    return out.getvalue()


@pytest.fixture
def alice(db):
    """A blogger."""
    return make_user("alice", display_name="Alice")


@pytest.fixture
def bob(db):
    """A reader with an account."""
    return make_user("bob", display_name="Bob")


@pytest.fixture
def staff(db):
    user = make_user("staffer", display_name="Staff")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def public_post(alice):
    return publish(alice, title="A public post", body="Public words.", tags=["tokyo"])
