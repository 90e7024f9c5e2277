"""Counting a page view costs the request almost nothing: a few fields into a buffer.

The buffer is written to the database in batches (one transaction per batch) by a
thread of its own, at least once a second, and on a graceful stop. A crash loses at most
the hits of the last second.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import logging
import secrets
import threading
import time
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import maxminddb
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction

from koe.analytics import classify
from koe.analytics.models import DailySalt, Hit
from koe.blogs.models import Blog, Post
from koe.core import hot_settings
from koe.core.hits import Mark

log = logging.getLogger(__name__)
FLUSH_EVERY = 1.0  # seconds
MAX_BUFFER = 50_000  # beyond this, hits are dropped rather than memory exhausted


class RawHit(NamedTuple):
    """A view as it came: its moment and the request's untrusted headers, length-capped.

    Nothing is derived while the reader waits (a tuple is made and appended); the visitor's
    hash, the local date and every label are the writer's, in hit_row()."""

    mark: Mark
    ts: float  # seconds since the epoch
    address: str  # in memory until the flush only: never written
    user_agent: str
    referrer: str
    host: str
    path: str
    accept_language: str


def _zone(zone_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_date(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(_zone(zone_name)).date()


# The current day of each time zone as (first second, first second of the next day, date):
# a view's date is then a comparison, not a time zone conversion per view.
_days: dict[str, tuple[float, float, date]] = {}


def day_of(stamp: float, zone_name: str) -> date:
    """The date in a time zone of a moment given in seconds since the epoch."""
    known = _days.get(zone_name)
    if known is not None and known[0] <= stamp < known[1]:
        return known[2]
    zone = _zone(zone_name)
    day = datetime.fromtimestamp(stamp, zone).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).timestamp()
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).timestamp()
    if len(_days) > 1024:
        _days.clear()
    _days[zone_name] = (start, end, day)
    return day


_salts: dict[date, bytes] = {}
_salt_lock = threading.Lock()


def salt_for(day: date) -> bytes:
    """The salt of a date, made once by whichever process asks first."""
    with _salt_lock:
        if day in _salts:
            return _salts[day]
        try:
            with transaction.atomic():
                row, _created = DailySalt.objects.get_or_create(
                    date=day, defaults={"salt": secrets.token_hex(32)}
                )
        except IntegrityError:
            row = DailySalt.objects.get(date=day)
        _salts[day] = row.salt.encode()
        for old in [d for d in _salts if d < day - timedelta(days=2)]:
            del _salts[old]
        return _salts[day]


def visitor_id(key: bytes, day: date, salt: bytes | None = None) -> int:
    digest = hashlib.blake2b(key, key=salt or salt_for(day), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=2)
def _geoip_reader(path: str):
    """The operator's MaxMind database, opened once (memory-mapped by maxminddb)."""
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError):
        log.exception("cannot open the GeoIP database %s: countries are left out", path)
        return None


def country_of(address: str) -> str:
    """The two-letter country of an address from KOE_GEOIP_PATH, or "" when unknown or unset."""
    path = settings.KOE_GEOIP_PATH
    reader = _geoip_reader(path) if path and address else None
    if reader is None:
        return ""
    try:
        record = reader.get(address)
    except (ValueError, maxminddb.InvalidDatabaseError):  # not an address; a damaged file
        return ""
    if not isinstance(record, dict):
        return ""
    # MaxMind's Country/City databases: {"country": {"iso_code": "JP"}}; some others give a code.
    found = record.get("country") or record.get("registered_country") or ""
    code = found.get("iso_code", "") if isinstance(found, dict) else found
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return ""


def delete_old_salts(now: datetime) -> int:
    """Forget the salts of dates that have ended in every time zone (the last, UTC-12,
    ends 36 hours after the date began in UTC): who visited then can no longer be told."""
    last_ended = (now - timedelta(hours=36)).astimezone(UTC).date()
    with _salt_lock:
        for day in [d for d in _salts if d <= last_ended]:
            del _salts[day]
    return DailySalt.objects.filter(date__lte=last_ended).delete()[0]


#: The columns a hit is written with, in the order of hit_row()'s values: what the view
#: itself gives first, then the labels its headers are classified into (LABELS).
COLUMNS = (
    "blog_id", "post_id", "ts", "visitor", "kind", "path", "country", "seconds",
    "is_bot", "is_entry", "referrer_group", "referrer", "search_terms", "device", "browser",
    "os", "language",
)  # fmt: skip

# The same headers come again and again (a few hundred browsers, a search engine's bare
# address, the feed): each combination is classified once, then found with one dict look-up.
# classify's functions are pure, so the cache changes nothing but the time.
_labels: dict[tuple[str, str, str, str, str], tuple] = {}
MAX_LABELS = 8192


def labels(agent: str, referrer: str, accept_language: str, host: str, username: str) -> tuple:
    """(is_bot, is_entry, referrer group, referrer, search terms, device, browser, os,
    language) of a view's headers: the last nine of COLUMNS."""
    key = (agent, referrer, accept_language, host, username)
    found = _labels.get(key)
    if found is None:
        device, browser, system = classify.user_agent(agent)
        group, source, terms, is_entry = classify.referrer(
            referrer, own_host=host.split(":")[0].lower(), blog_username=username
        )
        language = classify.language(accept_language)
        found = (device == "bot", is_entry, group, source, terms, device, browser, system, language)
        if len(_labels) >= MAX_LABELS:
            _labels.clear()
        _labels[key] = found
    return found


# Consecutive views mostly share their second: its text is made once. One tuple, replaced
# whole, so threads flushing at once never pair one second with another's text.
_second: tuple[int, str] = (0, "")


def _utc_text(stamp: float, zone: str) -> str:
    """A moment as the text the database reads into its timestamp column: UTC with
    microseconds, then zone ("2026-11-26 13:00:00.123456" + "+00:00" for PostgreSQL, + ""
    for SQLite, which keeps naive UTC text as Django's adapt_datetimefield_value does)."""
    global _second
    whole = int(stamp)
    known = _second
    if known[0] != whole:
        known = _second = (whole, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole)))
    return f"{known[1]}.{int((stamp - whole) * 1_000_000):06d}{zone}"


@lru_cache(maxsize=4)
def _keyed(salt: bytes):
    return hashlib.blake2b(key=salt, digest_size=8)


def hit_row(raw: RawHit, salt: bytes, zone: str = "+00:00") -> tuple:
    """A buffered view as the values of a Hit row, in the order of COLUMNS, as the database
    takes them (the moment as text: _utc_text()).

    salt: the salt of the view's date in its blog's time zone (day_of())."""
    mark = raw.mark
    hasher = _keyed(salt).copy()  # a copy of a keyed hasher: cheaper than keying each time
    hasher.update(f"{raw.address}\n{raw.user_agent}\n{mark.blog_id}".encode())
    visitor = hasher.digest()
    return (
        mark.blog_id,
        mark.post_id,
        _utc_text(raw.ts, zone),
        int.from_bytes(visitor, "big", signed=True),
        mark.kind,
        raw.path,
        country_of(raw.address) if _geoip_path() else "",  # only with a GeoIP database
        None,  # seconds: filled in later by the time-on-page beacon
    ) + labels(raw.user_agent, raw.referrer, raw.accept_language, raw.host, mark.username)


def _geoip_path() -> str:
    return hot_settings.get("KOE_GEOIP_PATH") or ""


def rows_of(items: list[RawHit]) -> list[tuple]:
    """The Hit rows of buffered views, for this database; each date's salt is looked up once."""
    zone = "+00:00" if connection.vendor == "postgresql" else ""
    salts: dict[date, bytes] = {}
    rows = []
    for raw in items:
        day = day_of(raw.ts, raw.mark.time_zone)
        salt = salts.get(day)
        if salt is None:
            salt = salts[day] = salt_for(day)
        rows.append(hit_row(raw, salt, zone))
    return rows


def insert_rows(rows: list[tuple]) -> None:
    """Write rows_of() rows: COPY on PostgreSQL; elsewhere, as many rows per INSERT as the
    database takes parameters.

    What bulk_create would write, without building a model instance and compiling every
    field of every row: the batch writer's time goes into the database, not into the ORM.
    """
    ops = connection.ops
    table = ops.quote_name(Hit._meta.db_table)
    columns = ", ".join(ops.quote_name(Hit._meta.get_field(name).column) for name in COLUMNS)
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw_cursor, "copy"):  # psycopg 3
            with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        one = f"({', '.join(['?'] * len(COLUMNS))})"
        sql = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - the model's names
        # Many rows per statement: a row then costs SQLite's insert, not a statement's run
        # (~45 % less per row than one row per run, measured in bench/analytics.py's writer).
        per = max(1, connection.features.max_query_params // len(COLUMNS))
        whole = len(rows) // per * per
        if whole:
            raw_cursor.executemany(
                sql + ", ".join([one] * per),
                [
                    tuple(itertools.chain.from_iterable(rows[i : i + per]))
                    for i in range(0, whole, per)
                ],
            )
        if whole < len(rows):
            raw_cursor.executemany(sql + one, rows[whole:])


def _still_there(rows: list[tuple]) -> list[tuple]:
    blogs = set(Blog.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", flat=True))
    posts = set(
        Post.objects.filter(pk__in={r[1] for r in rows if r[1]}).values_list("pk", flat=True)
    )
    return [r for r in rows if r[0] in blogs and (r[1] is None or r[1] in posts)]


class HitBuffer:
    def __init__(self):
        self._items: list[RawHit] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def add(self, raw: RawHit) -> None:
        with self._lock:
            if len(self._items) >= MAX_BUFFER:
                self.dropped += 1
                return
            self._items.append(raw)
        if not hot_settings.get("KOE_ANALYTICS_BUFFERED", True):
            self.flush()  # the tests' setting: each view is written at once
        elif self._thread is None:
            self._start()

    def flush(self) -> int:
        """Write what is buffered, in one transaction. Safe to call from any thread."""
        with self._lock:
            items, self._items = self._items, []
        if not items:
            return 0
        rows = rows_of(items)
        try:
            with transaction.atomic():
                insert_rows(rows)
        except IntegrityError:
            # A post or blog deleted between its view and this flush fails the whole batch:
            # write the others again without the views of what is gone.
            rows = _still_there(rows)
            with transaction.atomic():
                insert_rows(rows)
        return len(rows)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="koe-hits", daemon=True)
            self._thread.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_EVERY)
            self._wake.clear()
            try:
                close_old_connections()
                self.flush()
            except Exception:  # noqa: BLE001 - counting must never take the site down
                log.exception("could not write page views")
            finally:
                connection.close()


BUFFER = HitBuffer()


#: The moment of a view, in seconds since the epoch (its own name, so tests can replay a
#: day of traffic).
_now = time.time


def client_address(meta: dict) -> str:
    """The reader's address from a request's META (REMOTE_ADDR, X-Forwarded-For)."""
    proxies = hot_settings.get("KOE_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return meta.get("REMOTE_ADDR", "")


def record(request, mark: Mark) -> None:
    """Count a page view Django answered (the counting middleware)."""
    meta = request.META
    record_view(
        mark,
        client_address(meta),
        meta.get("HTTP_USER_AGENT", ""),
        meta.get("HTTP_REFERER", ""),
        request.get_host(),
        request.path,
        meta.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def record_view(
    mark: Mark, address: str, agent: str, referrer: str, host: str, path: str,
    accept_language: str,
) -> None:  # fmt: skip
    """Count a view: what the request showed, length-capped, into the buffer. Everything
    else (the date, the visitor's hash, the classification, the insert) is the writer's,
    away from the request."""
    BUFFER.add(
        RawHit(
            mark, _now(), address, agent[:512], referrer[:2000], host[:255], path[:200],
            accept_language[:100],
        )
    )  # fmt: skip
