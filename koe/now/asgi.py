"""Live streams share one thread for their synchronous parts instead of holding one each.

Django's ASGI handler gives every request a thread of its own for sync code (signals,
sync middleware, the session lookup), and keeps it until the response ends: for a stream,
as long as the reader stays. Thousands of readers would hold thousands of idle threads
and database connections. Stream requests instead share one ThreadSensitiveContext; their
sync parts are short, so taking turns on one thread costs little. It also hands the
stream the server's `send`, so the hub can write events to the socket directly, and
sends signed-out readers down a fast lane that skips Django's handler (lane.py).
"""

from __future__ import annotations

from asgiref.sync import SyncToAsync, ThreadSensitiveContext

STREAM_PREFIX = "/now/stream/"
#: Where a stream finds the server's own send, to write events without Django's loop.
RAW_SEND = "koe.now.send"


class StreamsShareOneThread:
    def __init__(self, app, prefixes=(STREAM_PREFIX,)):
        self.app = app
        self.prefixes = tuple(prefixes)
        self.context = ThreadSensitiveContext()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            from koe.now import lane  # the apps are loaded by the first request

            if await lane.serve(scope, receive, send):
                return  # a signed-out reader, served without Django's handler
            # Django's handler finds a context already set and keeps to it.
            token = SyncToAsync.thread_sensitive_context.set(self.context)
            try:
                await self.app({**scope, RAW_SEND: send}, receive, send)
            finally:
                SyncToAsync.thread_sensitive_context.reset(token)
        else:
            await self.app(scope, receive, send)
