"""An ASGI layer in front of Django that answers cached pages without Django's handler.

Only the middleware outside PageCacheMiddleware (security headers, the analytics counter,
the content security policy) runs for such an answer, called directly in the event loop:
the same headers and the same count as a page served from inside Django.
"""

from __future__ import annotations

import io
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.utils.module_loading import import_string

from koe.core import pagecache

log = logging.getLogger(__name__)
_WANTED = {
    b"cookie": "HTTP_COOKIE",
    b"accept-language": "HTTP_ACCEPT_LANGUAGE",
    b"if-none-match": "HTTP_IF_NONE_MATCH",
    b"if-modified-since": "HTTP_IF_MODIFIED_SINCE",
    b"hx-request": "HTTP_HX_REQUEST",
}
_PAGE_CACHE = "koe.core.pagecache.PageCacheMiddleware"
_NOT_FOR_PAGES = {"whitenoise.middleware.WhiteNoiseMiddleware"}  # static files only


def outer_chain():
    """The middleware that settings put outside the page cache, around a handler that
    returns the response the request carries."""
    names = list(settings.MIDDLEWARE)
    outer = names[: names.index(_PAGE_CACHE)] if _PAGE_CACHE in names else []

    def cached_response(request):
        return request.koe_cached_response

    handler = cached_response
    for name in reversed([n for n in outer if n not in _NOT_FOR_PAGES]):
        handler = import_string(name)(handler)
    return handler


class PageCacheFront:
    def __init__(self, app):
        self.app = app
        self._chain = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        try:
            response = await self._cached(scope)
        except Exception:  # the views can always answer; a cache fault must not be seen
            log.exception("page cache front failed; answering through Django")
            response = None
        if response is None:
            return await self.app(scope, receive, send)
        headers = [(k.encode("latin1"), v.encode("latin1")) for k, v in response.items()]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        body = b"" if scope["method"] == "HEAD" else response.content
        await send({"type": "http.response.body", "body": body})

    async def _cached(self, scope):
        meta = {}
        for name, value in scope["headers"]:
            key = _WANTED.get(name)
            if key is not None:
                meta[key] = value.decode("latin1")
        ask = pagecache.ask_for(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin1"),
            meta.get("HTTP_COOKIE", ""),
            meta,
        )
        if ask is None:
            return None
        found = pagecache.look_up(ask)
        if found.entry is None:
            return None
        if self._chain is None:
            self._chain = outer_chain()
        request = ASGIRequest(scope, io.BytesIO())
        request.koe_cached_response = pagecache.answer(ask, found.entry)
        if getattr(settings, "KOE_ANALYTICS_BUFFERED", True):
            return self._chain(request)  # counting only appends to a buffer: no waiting
        # Unbuffered counting (the tests) writes at once: not in the event loop.
        return await sync_to_async(self._chain)(request)


def wrap(app):
    """Koe's ASGI application with cached pages answered in front of it."""
    return PageCacheFront(app)
