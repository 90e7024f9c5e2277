"""Public pages rendered once and served from a cache to signed-out readers.

Views mark what may be cached (mark_blog_page, site_page); generations per blog and for the
site, bumped after commit by touch_blog / touch_site, make an entry invalid the moment its
content changes. koe.core.fastpath answers hits before Django's handler; this middleware
answers them inside Django and stores what views render.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseNotModified
from django.http.cookie import parse_cookie
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language_from_request

from koe.core import hot_settings

CACHE_ALIAS = "pages"
MARK = "X-Koe-Page"  # set by views, read and removed here: never reaches the reader
SITE = "site"
#: Query parameters that select a different page; any other parameter is not cached.
PAGE_PARAMS = frozenset({"page", "category"})
#: Paths that are never pages for signed-out readers, so no cache is even asked.
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/dashboard/", "/accounts/", "/i18n/", "/a/")
# Response headers that describe one answer, not the page: made again for every answer.
_PER_ANSWER = {"set-cookie", "date", "content-length", MARK.lower()}
_TOKEN = re.compile(
    rb'(?:name="csrfmiddlewaretoken" value="|&quot;X-CSRFToken&quot;: &quot;|"X-CSRFToken": ")'
    rb"([A-Za-z0-9]{64})"
)


def _setting(name: str, default):
    return hot_settings.get(name, default)


def blog_seconds() -> int:
    """How long a blog's page may live at most (parts from other blogs: related posts...)."""
    return _setting("KOE_PAGE_CACHE_SECONDS", 300)


def site_seconds() -> int:
    """How long the front page, tag and ranking pages live at most (their cards' counts)."""
    return _setting("KOE_PAGE_CACHE_SITE_SECONDS", 30)


def shared_seconds() -> int:
    """s-maxage for nginx or a CDN in front; 0 keeps every view on Koe, where it is counted."""
    return _setting("KOE_PAGE_CACHE_SHARED_SECONDS", 0)


def enabled() -> bool:
    return _setting("KOE_PAGE_CACHE", True)


_stores: dict[str, object] = {}


def store():
    """The pages cache, one object per process: Django's handle per thread and async context
    costs a context-local look-up on every request, and the local-memory and Redis backends
    are both safe to share between threads."""
    found = _stores.get(CACHE_ALIAS)
    if found is None:
        found = _stores[CACHE_ALIAS] = caches[CACHE_ALIAS]
    return found


@receiver(setting_changed)
def _caches_changed(*, setting, **kwargs):
    if setting == "CACHES":
        _stores.clear()
        _generations.clear()


# ### What views say ###


def mark_blog_page(response, blog_id: int):
    """This response is one blog's public page, the same for every signed-out reader."""
    response[MARK] = str(int(blog_id))
    return response


def mark_site_page(response):
    """This response shows many blogs (front page, tags, rankings): the site generation."""
    response[MARK] = SITE
    return response


def site_page(view):
    """Decorator for views of pages that list many blogs (discovery's rankings use it too)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            mark_site_page(response)
        return response

    return wrapper


# ### Generations: a new value after every change, read before a page is rendered ###


def _site_key() -> str:
    return "pc:g:site"


def _layout_key() -> str:
    return "pc:g:layout"


def _blog_key(blog_id: int) -> str:
    return f"pc:g:b:{blog_id}"


def _bump(*keys: str) -> None:
    values = {key: secrets.token_hex(6) for key in keys}
    store().set_many(values, timeout=None)
    now = time.monotonic()
    for key, value in values.items():
        _generations[key] = (value, now)  # this process sees its own change at once


# Generations as this process last read them from a shared cache (Redis), with when: read
# again after generation_seconds(), so other processes' changes show within that.
_generations: dict[str, tuple[str | None, float]] = {}


def generation_seconds() -> float:
    """How stale another process's change may look here: KOE_PAGE_CACHE_GENERATION_SECONDS,
    1 s by default. With the local-memory store there is one process (`koe run` refuses
    more workers without Redis), whose every change passes through _bump: what it last read
    or wrote is current, so it is never read again."""
    if isinstance(store(), LocMemCache):
        return math.inf
    return _setting("KOE_PAGE_CACHE_GENERATION_SECONDS", 1.0)


def _read(cache, keys: list[str]) -> dict:
    """get_many, with generations younger than generation_seconds() from memory."""
    fresh = generation_seconds()
    now = time.monotonic()
    got, wanted = {}, []
    for key in keys:
        known = _generations.get(key) if fresh and key.startswith("pc:g:") else None
        if known is not None and now - known[1] < fresh:
            if known[0] is not None:
                got[key] = known[0]
        else:
            wanted.append(key)
    if wanted:
        fetched = cache.get_many(wanted)
        got.update(fetched)
        if fresh:
            for key in wanted:
                if key.startswith("pc:g:"):
                    _generations[key] = (fetched.get(key), now)
    return got


def touch_blog(blog_id: int, *, site: bool = False) -> None:
    """A blog's pages changed (and, with site=True, the lists of many blogs): every cached
    page of it is stale from now on.

    Bumped now and again after commit: a reader who rendered between the two saw the old
    rows and kept them under the first new value, which the second one retires."""
    keys = [_blog_key(blog_id)] + ([_site_key()] if site else [])
    _bump(*keys)
    transaction.on_commit(lambda: _bump(*keys))


def touch_site() -> None:
    _bump(_site_key())
    transaction.on_commit(lambda: _bump(_site_key()))


def touch_layout() -> None:
    """Something every page shows changed (a site-wide banner in a crisis, a footer link):
    every cached page is stale."""
    _bump(_layout_key())
    transaction.on_commit(lambda: _bump(_layout_key()))


# ### Which requests may be answered from the cache ###

_usernames: dict[str, int] = {}  # "/@alice" -> blog id, learned from stored pages
_usernames_lock = threading.Lock()


@dataclass(slots=True)
class Ask:
    """A signed-out reader's GET, reduced to what decides the answer."""

    path: str
    query: str
    language: str
    if_none_match: str
    if_modified_since: str

    @property
    def key(self) -> str:
        raw = f"{self.language}\n{self.path}\n{self.query}".encode()
        return "pc:p:" + hashlib.blake2b(raw, digest_size=16).hexdigest()

    @property
    def blog_prefix(self) -> str | None:
        if not self.path.startswith("/@"):
            return None
        return self.path.split("/", 2)[1].lower()


def _normal_query(query: str) -> str | None:
    """The query string in a fixed order, or None when it has parameters no page needs."""
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        name, _sep, value = part.partition("=")
        if name not in PAGE_PARAMS or not value.isdigit() or len(value) > 9:
            return None
        pairs.append((name, value))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def ask_for(method: str, path: str, query: str, cookie_header: str, meta: dict) -> Ask | None:
    """The reader's request as a cache question, or None when it must go to the views.

    Anyone with a session (signed in, or with messages waiting) gets the views; so does
    htmx, which asks for parts of pages.
    """
    if method not in ("GET", "HEAD") or not enabled() or path.startswith(SKIP_PREFIXES):
        return None
    if meta.get("HTTP_HX_REQUEST"):
        return None
    cookies = parse_cookie(cookie_header) if cookie_header else {}
    if hot_settings.get("SESSION_COOKIE_NAME") in cookies or "messages" in cookies:
        return None
    normal = _normal_query(query)
    if normal is None:
        return None
    language = _language(
        cookies.get(hot_settings.get("LANGUAGE_COOKIE_NAME")), meta.get("HTTP_ACCEPT_LANGUAGE", "")
    )
    return Ask(
        path=path,
        query=normal,
        language=language,
        if_none_match=meta.get("HTTP_IF_NONE_MATCH", ""),
        if_modified_since=meta.get("HTTP_IF_MODIFIED_SINCE", ""),
    )


def _learn(path: str, target: str) -> None:
    """Remember which blog a /@name/ path shows, so that the next look-up reads its
    generation before rendering (a page can only be kept then)."""
    if target != SITE and path.startswith("/@"):
        with _usernames_lock:
            _usernames[path.split("/", 2)[1].lower()] = int(target)


@functools.lru_cache(maxsize=1024)
def _language(cookie: str | None, accept: str) -> str:
    """The language LocaleMiddleware picks for a signed-out reader (browsers send few
    distinct Accept-Language strings, so the answer is kept)."""
    cookies = {settings.LANGUAGE_COOKIE_NAME: cookie} if cookie is not None else {}
    request = SimpleNamespace(COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": accept})
    return get_language_from_request(request, check_path=False)


class PageStore(LocMemCache):
    """The local-memory cache for pages: its keys are made here, short and plain, so the
    per-key check for memcached-unsafe characters is skipped."""

    def validate_key(self, key):
        return None


# ### Entries ###


@dataclass(slots=True)
class Entry:
    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    stored_at: float
    blog_id: int | None  # None: a site page
    generation: str | None  # the generation it was rendered under
    layout: str | None  # and the layout's


@dataclass(slots=True)
class Found:
    entry: Entry | None
    site_generation: str | None
    blog_generation: str | None
    layout_generation: str | None
    blog_id: int | None


def look_up(ask: Ask) -> Found:
    """The entry for a question, if it is still current, and the generations read now.

    The page itself comes from this process's memory when it holds the current one (a
    75 KB page is not fetched again from Redis, or unpickled again, for every reader);
    the small generations are always read from the shared cache."""
    cache = store()
    hot = _hot.get(ask.key)
    if hot is not None and hot[1] <= time.time():
        hot = None
    known = hot[0] if hot is not None else None
    prefix = ask.blog_prefix
    blog_id = known.blog_id if known is not None else (_usernames.get(prefix) if prefix else None)
    keys = [_site_key(), _layout_key()] + ([_blog_key(blog_id)] if blog_id else [])
    if known is None:
        keys.append(ask.key)
    got = _read(cache, keys)
    site_gen = got.get(_site_key())
    layout = got.get(_layout_key())
    blog_gen = got.get(_blog_key(blog_id)) if blog_id else None
    entry = known if known is not None and _current(known, site_gen, blog_gen, layout) else None
    if entry is None:
        entry = got.get(ask.key) if known is None else cache.get(ask.key)
        if entry is not None and entry.blog_id is not None and entry.blog_id != blog_id:
            blog_id = entry.blog_id  # first look in this process, or the name changed hands
            blog_gen = _read(cache, [_blog_key(blog_id)]).get(_blog_key(blog_id))
        if entry is not None and _current(entry, site_gen, blog_gen, layout):
            _remember(ask.key, entry)
        else:
            entry = None
    return Found(entry, site_gen, blog_gen, layout, blog_id)


def _current(entry: Entry, site_gen, blog_gen, layout) -> bool:
    generation = site_gen if entry.blog_id is None else blog_gen
    return generation is not None and generation == entry.generation and layout == entry.layout


_hot: dict[str, tuple[Entry, float]] = {}  # key -> (entry, when it expires)
_hot_lock = threading.Lock()
HOT_BYTES = 32 * 1024 * 1024  # pages kept in this process's memory, at most


def forget_local() -> None:
    """Drop what this process keeps besides the shared store (tests, between cases)."""
    with _hot_lock:
        _hot.clear()
    _generations.clear()
    _usernames.clear()


def _remember(key: str, entry: Entry) -> None:
    timeout = site_seconds() if entry.blog_id is None else blog_seconds()
    with _hot_lock:
        _hot.pop(key, None)
        _hot[key] = (entry, entry.stored_at + timeout)
        total = sum(len(e.body) for e, _ in _hot.values())
        while total > HOT_BYTES and len(_hot) > 1:
            oldest = next(iter(_hot))
            total -= len(_hot.pop(oldest)[0].body)


def _strip_tokens(body: bytes) -> bytes:
    """A cached page is everybody's: the first reader's CSRF token leaves it. Forms on it
    work for signed-out readers through TokenlessCsrfMiddleware's Origin check."""
    tokens = {m.group(1) for m in _TOKEN.finditer(body)}
    for token in tokens:
        body = body.replace(token, b"")
    return body


def keep(ask: Ask, found: Found, request, response) -> HttpResponse | None:
    """Store a freshly rendered page if it may be shared, and return what to answer with."""
    target = response.get(MARK)
    if target is None:
        return None
    del response[MARK]
    user = getattr(request, "user", None)
    if (
        response.status_code != 200
        or response.streaming
        or user is None
        or user.is_authenticated
        or getattr(request, "session", None) is not None
        and request.session.modified
        or any(name != settings.CSRF_COOKIE_NAME for name in response.cookies)
        or "private" in response.get("Cache-Control", "")
    ):
        return None
    if found.layout_generation is None:
        return None  # the first page since a start or an eviction: the next one is kept
    if target == SITE:
        blog_id, generation = None, found.site_generation
        if generation is None:
            return None  # made first now: the next reader's page is stored
    else:
        blog_id = int(target)
        _learn(ask.path, target)
        if found.blog_id != blog_id or found.blog_generation is None:
            return None  # the generation was not read before rendering: not safe to keep
        generation = found.blog_generation
    body = _strip_tokens(response.content)
    headers = [(k, v) for k, v in response.items() if k.lower() not in _PER_ANSWER]
    entry = Entry(
        body=body,
        headers=headers,
        etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
        stored_at=time.time(),
        blog_id=blog_id,
        generation=generation,
        layout=found.layout_generation,
    )
    timeout = site_seconds() if blog_id is None else blog_seconds()
    store().set(ask.key, entry, timeout=timeout)
    _remember(ask.key, entry)
    return answer(ask, entry, status="miss")


def ensure_generations(found: Found) -> None:
    """Before rendering: give the site and the layout their first generations if they have
    none (a start, an eviction), so that the page about to be rendered can be kept."""
    cache = store()
    for key, field in ((_site_key(), "site_generation"), (_layout_key(), "layout_generation")):
        if getattr(found, field) is None:
            value = secrets.token_hex(6)
            if not cache.add(key, value, timeout=None):
                value = cache.get(key)
            _generations[key] = (value, time.monotonic())
            setattr(found, field, value)


def ensure_blog_generation(blog_id: int) -> None:
    key = _blog_key(blog_id)
    _generations.pop(key, None)  # read afresh next time, whoever made it
    store().add(key, secrets.token_hex(6), timeout=None)


def not_modified(ask: Ask, entry: Entry) -> bool:
    if ask.if_none_match:
        tags = [t.strip().removeprefix("W/") for t in ask.if_none_match.split(",")]
        return entry.etag in tags or "*" in tags
    if ask.if_modified_since:
        since = parse_http_date_safe(ask.if_modified_since)
        return since is not None and int(entry.stored_at) <= since
    return False


def answer(ask: Ask, entry: Entry, *, status: str = "hit") -> HttpResponse:
    """The response for a current entry: the page, or 304 when the reader has it already."""
    if not_modified(ask, entry):
        response = HttpResponseNotModified()
        for name, value in entry.headers:
            if name.lower() not in ("content-type", "content-language", "content-encoding"):
                response[name] = value
    else:
        response = HttpResponse(entry.body)
        for name, value in entry.headers:
            response[name] = value
        response["Content-Length"] = str(len(entry.body))
    response["ETag"] = entry.etag
    response["Last-Modified"] = http_date(int(entry.stored_at))
    shared = shared_seconds()
    # Browsers ask again each time (a 304 is cheap) so an edit shows at once; a shared
    # cache in front may keep the page `shared` seconds (see docs/OPERATIONS.md).
    response["Cache-Control"] = f"public, max-age=0, s-maxage={shared}, must-revalidate"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    response["X-Koe-Cache"] = status
    return response


class PageCacheMiddleware:
    """Answers signed-out readers from the cache and keeps the pages views mark.

    Sits just inside the analytics counter, so a page served from here is counted like any
    other: the entry keeps the page's count mark."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ask = ask_for(
            request.method,
            request.path,
            request.META.get("QUERY_STRING", ""),
            request.META.get("HTTP_COOKIE", ""),
            request.META,
        )
        if ask is None:
            response = self.get_response(request)
            target = response.get(MARK)
            if target is not None:
                del response[MARK]
                _learn(request.path, target)
            if settings.SESSION_COOKIE_NAME in request.COOKIES and not response.has_header(
                "Cache-Control"
            ):
                response["Cache-Control"] = "private"  # a shared cache must never keep it
            return response
        found = look_up(ask)
        if found.entry is not None:
            return answer(ask, found.entry)
        ensure_generations(found)
        response = self.get_response(request)
        target = response.get(MARK)
        if target and target != SITE and found.blog_generation is None:
            ensure_blog_generation(int(target))
        kept = keep(ask, found, request, response)
        return kept if kept is not None else response


class TokenlessCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection, except that a reader without a session may post a form
    from a cached page without a token when the browser's Origin header shows the form
    is ours (Django has already refused any other Origin by then). Signed-in readers, and
    requests without an Origin header, need the token as before."""

    def _check_token(self, request):
        if (
            "HTTP_ORIGIN" in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not request.POST.get("csrfmiddlewaretoken")
            and not request.META.get(settings.CSRF_HEADER_NAME)
        ):
            return
        super()._check_token(request)
