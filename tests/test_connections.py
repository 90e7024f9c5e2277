"""Under ASGI each request's code runs on a thread of its own: the connections to
PostgreSQL and Redis must still be shared from request to request, not made per request."""

from __future__ import annotations

import asyncio
import os

import pytest
from django.core.cache import caches
from django.db import connection

from koe.asgi import django_application

pytestmark = pytest.mark.django_db(transaction=True)


async def _get(path: str) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    body_sent = asyncio.Event()
    started: list[dict] = []

    async def receive():
        if not body_sent.is_set():
            body_sent.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the reader never leaves

    async def send(message):
        if message["type"] == "http.response.start":
            started.append(message)

    await django_application(scope, receive, send)
    return started[0]["status"]


def _requests(n: int, path: str = "/healthz") -> list[int]:
    async def run():
        return [await _get(path) for _ in range(n)]

    return asyncio.run(run())


@pytest.mark.skipif(
    not os.environ.get("KOE_DATABASE_URL", "").startswith("postgres"),
    reason="the pool is PostgreSQL's",
)
def test_requests_share_pooled_database_connections():
    pool = connection.pool
    assert pool is not None
    _requests(1)
    before = pool.get_stats().get("connections_num", 0)
    assert _requests(12) == [200] * 12
    stats = pool.get_stats()
    assert stats.get("connections_num", 0) - before <= 1, stats  # was 12: one per request
    assert stats["requests_num"] >= 12  # each request borrowed one and gave it back


@pytest.mark.skipif(not os.environ.get("KOE_REDIS_URL"), reason="needs KOE_REDIS_URL")
def test_cache_objects_share_one_redis_client():
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second  # as each request's thread gets
    assert first._cache.get_client() is second._cache.get_client()
    first.set("koe-shared", "声", 30)
    assert second.get("koe-shared") == "声"
    assert caches.create_connection("pages")._cache.get_client() is first._cache.get_client()
