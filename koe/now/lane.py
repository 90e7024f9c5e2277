"""The fast lane for signed-out readers: a stream answered before Django's handler.

A reader without a session needs none of what Django's middleware does for a page
(sessions, CSRF, messages, language, counting), and connecting thousands of them through
it is what limits how fast a server fills up (docs/PERFORMANCE.md, Realtime). The same
hub, rules and backlog serve them; anything unusual (a signed-in reader, the home stream,
an unknown person or tag) is left to the Django views in streams.py, which refuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model

from koe.blogs.services import is_tag_name
from koe.now.hub import NOW_STREAM, Reader, backlog, get_hub, gives_back_connection

RETRY = b"retry: 3000\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
    (b"x-content-type-options", b"nosniff"),
    (b"vary", b"Cookie"),
]


def _signed_in(scope) -> bool:
    name = settings.SESSION_COOKIE_NAME.encode() + b"="
    return any(k == b"cookie" and name in v for k, v in scope.get("headers", ()))


def _last(scope) -> int:
    raw = b""
    for key, value in scope.get("headers", ()):
        if key == b"last-event-id":
            raw = value
    text = (
        raw.decode("latin-1")
        or (parse_qs(scope.get("query_string", b"").decode()).get("last") or [""])[0]
    )
    return int(text) if text.isdigit() and len(text) < 19 else -1


@gives_back_connection
def _author_id(username: str) -> int | None:
    User = get_user_model()
    found = User.objects.filter(username=username.lower(), is_active=True).values_list("pk")
    row = found.first()
    return row[0] if row else None


async def _reader_for(path: str) -> Reader | None:
    rest = path[len("/now/stream/") :]
    if rest == "public":
        return Reader(NOW_STREAM, "public")
    if rest.startswith("tags/") and is_tag_name(rest[5:]):
        return Reader(NOW_STREAM, "tag", rest[5:])
    if rest.startswith("@") and 2 <= len(rest) <= 31:
        author = await sync_to_async(_author_id, thread_sensitive=False)(rest[1:])
        if author is not None:
            return Reader(NOW_STREAM, "user", author)
    return None


async def serve(scope, receive, send) -> bool:
    """Answer a signed-out reader's stream; False leaves the request to Django."""
    if scope.get("method") != "GET" or _signed_in(scope):
        return False
    reader = await _reader_for(scope["path"])
    if reader is None:
        return False
    hub = get_hub()
    await hub.ready()
    hub.add(reader)  # before the backlog, so nothing falls between the two
    last = _last(scope)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await _body(send, RETRY)
        sent = 0
        if last >= 0:
            missed, sent = await sync_to_async(backlog, thread_sensitive=False)(reader, last)
            if missed:
                await _body(send, missed)
        while reader.pending:
            await _body(send, reader.take_pending(after=sent))
        if not reader.overflow:
            reader.send = send  # from here the hub writes to the socket itself
            await _until_gone(reader, receive)
    finally:
        reader.send = None
        hub.remove(reader)
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    return True


async def _body(send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _until_gone(reader: Reader, receive) -> None:
    """Wait until the client disconnects or the hub drops the reader (too slow)."""

    async def disconnected():
        while (await receive())["type"] != "http.disconnect":
            pass

    waits = [asyncio.ensure_future(disconnected()), asyncio.ensure_future(reader.signal.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
