"""An ASGI layer in front of Django that answers cached pages without Django's handler.

The middleware settings put outside PageCacheMiddleware still shapes every such answer:
the counting middleware (KOE_PAGE_CACHE_EVERY_ANSWER) counts each one, so every view is
counted (through its count_cached(scope, meta, mark) when it has one: no request object is
made for a cached page); the rest (security headers, the content security policy) gives the
same headers for the same page every time, so it runs once per page and its headers are reused.
"""

from __future__ import annotations

import io
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.utils.module_loading import import_string

from koe.core import hits, hot_settings, pagecache

log = logging.getLogger(__name__)
_WANTED = {
    b"cookie": "HTTP_COOKIE",
    b"accept-language": "HTTP_ACCEPT_LANGUAGE",
    b"if-none-match": "HTTP_IF_NONE_MATCH",
    b"if-modified-since": "HTTP_IF_MODIFIED_SINCE",
    b"hx-request": "HTTP_HX_REQUEST",
    # For counting the view:
    b"user-agent": "HTTP_USER_AGENT",
    b"referer": "HTTP_REFERER",
    b"host": "HTTP_HOST",
    b"x-forwarded-for": "HTTP_X_FORWARDED_FOR",
}
_PAGE_CACHE = "koe.core.pagecache.PageCacheMiddleware"
_NOT_FOR_PAGES = {"whitenoise.middleware.WhiteNoiseMiddleware"}  # static files only
_MEMO_SIZE = 4096


def _chain(names):
    def cached_response(request):
        return request.koe_cached_response

    handler = cached_response
    for name in reversed(names):
        handler = import_string(name)(handler)
    return handler


def outer_chains():
    """(the middleware for every answer, the rest) of what settings put outside the cache.

    The first is a list of count_cached functions when every such middleware has one,
    else a chain of the middleware itself."""
    names = list(settings.MIDDLEWARE)
    outer = names[: names.index(_PAGE_CACHE)] if _PAGE_CACHE in names else []
    outer = [n for n in outer if n not in _NOT_FOR_PAGES]
    every = set(getattr(settings, "KOE_PAGE_CACHE_EVERY_ANSWER", ()))
    every_names = [n for n in outer if n in every]
    counters = [getattr(import_string(n), "count_cached", None) for n in every_names]
    first = counters if all(counters) else _chain(every_names)
    return first, _chain([n for n in outer if n not in every])


class PageCacheFront:
    def __init__(self, app):
        self.app = app
        self._chains = None
        self._carrier = None
        # (ETag, secure, 304) -> (status, raw headers, count mark): made once per page.
        self._answers: dict[tuple, tuple[int, list, str | None]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        try:
            answer = await self._cached(scope)
        except Exception:  # the views can always answer; a cache fault must not be seen
            log.exception("page cache front failed; answering through Django")
            answer = None
        if answer is None:
            return await self.app(scope, receive, send)
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

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
        entry = pagecache.look_up(ask).entry
        if entry is None:
            return None
        if self._chains is None:
            self._chains = outer_chains()
        every, once = self._chains
        not_modified = pagecache.not_modified(ask, entry)
        memo_key = (entry.etag, _is_secure(scope), not_modified)
        made = self._answers.get(memo_key)
        if made is None:
            request = ASGIRequest(scope, io.BytesIO())
            response = pagecache.answer(ask, entry)
            count_mark = response.get(hits.HEADER)
            if count_mark is not None:
                del response[hits.HEADER]
            request.koe_cached_response = response
            shaped = once(request)
            if shaped is not response:
                return self._raw(shaped)  # a redirect to HTTPS, say: not this page
            made = (*self._raw(shaped)[:2], count_mark and hits.parse(count_mark))
            if len(self._answers) >= _MEMO_SIZE:
                self._answers.clear()
            self._answers[memo_key] = made
        status, headers, mark = made
        if mark is not None:
            if isinstance(every, list):
                # Counting appends to a buffer without waiting; the tests' counting writes at
                # once, which is only allowed outside the event loop.
                buffered = hot_settings.get("KOE_ANALYTICS_BUFFERED", True)
                for count_cached in every:
                    if buffered:
                        count_cached(scope, meta, mark)
                    else:
                        await sync_to_async(count_cached)(scope, meta, mark)
            else:
                await self._count(every, ASGIRequest(scope, io.BytesIO()), mark)
        return status, headers, b"" if not_modified else entry.body

    @staticmethod
    def _raw(response):
        headers = [(k.encode("latin1"), v.encode("latin1")) for k, v in response.items()]
        return response.status_code, headers, response.content

    async def _count(self, every, request, mark: hits.Mark):
        """The counting middleware sees the page's count mark, as for a rendered page."""
        if getattr(settings, "KOE_ANALYTICS_BUFFERED", True):
            # Counting only appends to a buffer: no waiting, so no other request runs in
            # between and one carrier of the mark serves them all (a response costs ~20 us).
            if self._carrier is None:
                self._carrier = HttpResponse(status=200)
            self._carrier[hits.HEADER] = _header(mark)
            request.koe_cached_response = self._carrier
            every(request)
        else:
            carrier = HttpResponse(status=200)
            carrier[hits.HEADER] = _header(mark)
            request.koe_cached_response = carrier
            await sync_to_async(every)(request)  # the tests' counting writes at once


def _is_secure(scope) -> bool:
    """HttpRequest.is_secure() from the scope, without making a request."""
    proxy = hot_settings.get("SECURE_PROXY_SSL_HEADER")
    if proxy:
        name = proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        for header, value in scope["headers"]:
            if header == name:
                return value.decode("latin1").split(",", 1)[0].strip() == proxy[1]
    return scope.get("scheme") == "https"


def _header(mark: hits.Mark) -> str:
    return "|".join(str(v if v is not None else "") for v in vars(mark).values())


def wrap(app):
    """Koe's ASGI application with cached pages answered in front of it."""
    return PageCacheFront(app)
