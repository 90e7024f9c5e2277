"""The read-path benchmark's ceiling: an ASGI app that answers every request with the
post page's bytes and headers, and does nothing else.

Granian runs it exactly as `koe run` runs Koe (same interface, loop and options), so its
req/s is the most any Python application can reach on that server here: the part of the
gap to nginx that belongs to the server, not to Koe. Never used by Koe itself.
"""

from __future__ import annotations

import os

with open(os.environ["BENCH_PAGE"], "rb") as _f:
    _BODY = _f.read()
_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-length", str(len(_BODY)).encode()),
]


async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
