"""The platform around the pages: configuration, the server command, health, feeds, sitemap."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

import koe.settings as production
from tests.conftest import publish

KOE = [sys.executable, "-m", "koe.cli"]


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOE_", "PYTEST", "DJANGO"))}
    env.update(KOE_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def test_check_deploy_is_clean_for_https_production(tmp_path):
    env = _env(
        tmp_path, KOE_BASE_URL="https://koe.example", KOE_SECRET_KEY=secrets.token_urlsafe(50)
    )
    result = subprocess.run(
        [*KOE, "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_is_generated_once_and_kept(tmp_path):
    env = _env(tmp_path)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    run = [*KOE, "shell", "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120).stdout
    second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120).stdout
    assert len(first.strip()) > 40 and first == second
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode)[-3:] == "600"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_koe_run_migrates_and_serves(tmp_path):
    port = _free_port()
    env = _env(tmp_path)
    for key in ("KOE_DATABASE_URL", "KOE_REDIS_URL"):
        if key in os.environ:
            env[key] = os.environ[key]
    if "KOE_DATABASE_URL" in env:
        pytest.skip("the SQLite run covers this; a shared PostgreSQL would be migrated for real")
    server = subprocess.Popen(
        [*KOE, "run", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        body = None
        deadline = time.monotonic() + 180  # a loaded machine starts slowly
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert body == '{"status": "ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            page = r.read().decode()
        stylesheet = re.search(r'href="(/static/koe/koe\.[0-9a-f]{12}\.css)"', page).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{stylesheet}", timeout=5) as r:
            assert "immutable" in r.headers["Cache-Control"]  # hashed names are kept forever
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sitemap.xml", timeout=5) as r:
            assert r.status == 200
        # Views are buffered in the server's worker process and written at least once a
        # second; a graceful stop right after them must write them all the same.
        made = subprocess.run(
            [*KOE, "shell", "-c", MAKE_POST], env=env, capture_output=True, text=True, timeout=120
        )  # fmt: skip
        post_path = re.search(r"^POST (/\S+)$", made.stdout, re.M).group(1)
        for _ in range(3):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{post_path}", timeout=5) as r:
                assert r.status == 200
    finally:
        server.terminate()  # SIGTERM: Granian stops its worker gracefully
        output = server.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
    assert "page views: 3 written" in output, output
    counted = subprocess.run(
        [*KOE, "shell", "-c", COUNT_HITS], env=env, capture_output=True, text=True, timeout=120
    )  # fmt: skip
    assert "HITS 3" in counted.stdout, counted.stdout + counted.stderr


MAKE_POST = """
from koe.accounts.services import do_sign_up
from koe.blogs.services import do_save_post
user = do_sign_up(
    username="stopper", display_name="Stopper", email="s@example.com",
    password="a long pass phrase 1", language="en",
)
post = do_save_post(user.blog, title="Stop", body="Counted.", publish=True)
print("POST", post.get_absolute_url())
"""
COUNT_HITS = "from koe.analytics.models import Hit; print('HITS', Hit.objects.count())"


def test_healthz_says_503_when_the_database_is_down(client, db):
    with mock.patch("koe.core.views.connection.cursor", side_effect=Exception("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_configured_services_match_the_environment():
    redis = os.environ.get("KOE_REDIS_URL")
    if redis:
        assert production.CACHES["default"]["BACKEND"].endswith("RedisCache")
        assert production.HUEY["huey_class"] == "huey.RedisHuey"
        assert production.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")
    else:
        assert production.CACHES["default"]["BACKEND"].endswith("LocMemCache")
        assert production.HUEY["huey_class"] == "huey.SqliteHuey"
    database = os.environ.get("KOE_DATABASE_URL", "")
    engine = settings.DATABASES["default"]["ENGINE"]
    assert ("postgresql" in engine) == database.startswith("postgres")


def test_cache_and_channel_layer_round_trip():
    cache.set("koe-test", {"v": 1}, 30)
    assert cache.get("koe-test") == {"v": 1}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "hello", "text": "声"})
    assert async_to_sync(layer.receive)(channel) == {"type": "hello", "text": "声"}


@pytest.mark.skipif(not os.environ.get("KOE_REDIS_URL"), reason="needs KOE_REDIS_URL")
def test_tasks_travel_through_redis():
    from huey import RedisHuey

    queue = RedisHuey(f"koe-test-{secrets.token_hex(4)}", url=settings.KOE.redis_url)

    @queue.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert len(queue) == 1
    queue.execute(queue.dequeue())
    assert result.get() == 5
    queue.flush()


def test_robots_and_sitemap(client, public_post):
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /dashboard/" in robots and "Sitemap: " in robots
    sitemap = client.get("/sitemap.xml").content.decode()
    assert public_post.get_absolute_url() in sitemap and "/@alice/" in sitemap


@pytest.mark.parametrize(
    "url", ["/@alice/rss.xml", "/@alice/feed.atom", "/tags/tokyo/rss.xml", "/tags/tokyo/feed.atom"]
)
def test_feeds_carry_public_posts(client, public_post, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "A public post" in response.content.decode()


def test_pages_link_their_feeds(client, public_post):
    for url in ("/@alice/", public_post.get_absolute_url()):
        page = client.get(url).content.decode()
        assert 'type="application/rss+xml"' in page and 'type="application/atom+xml"' in page
    assert 'type="application/atom+xml"' in client.get("/tags/tokyo/").content.decode()


def test_unknown_pages_are_a_styled_404(client, db):
    for url in ("/@nobody/", "/@nobody/1/", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404
        assert "site-header" in response.content.decode()


def test_times_show_in_the_viewers_time_zone(client, alice):
    from datetime import datetime

    post = publish(alice, publish_at=datetime(2025, 1, 1, 0, 30, tzinfo=UTC))
    page = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "2025-01-01T09:30:00+09:00" in page


def test_pages_carry_security_headers(client, public_post):
    response = client.get(public_post.get_absolute_url())
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
