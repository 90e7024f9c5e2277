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
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

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


@dataclass(slots=True)
class RawHit:
    blog_id: int
    post_id: int | None
    kind: str
    ts: datetime
    local_date: date
    visitor_key: bytes  # address + agent + blog, hashed with the day's salt at flush time
    user_agent: str
    referrer: str
    own_host: str
    blog_username: str
    path: str
    accept_language: str
    #: Only while GeoIP is configured, to look the country up at flush time; never written.
    address: str = ""


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


def _today_in(moment: datetime, zone_name: str) -> date:
    stamp = moment.timestamp()
    known = _days.get(zone_name)
    if known is not None and known[0] <= stamp < known[1]:
        return known[2]
    zone = _zone(zone_name)
    day = moment.astimezone(zone).date()
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


#: The columns a hit is written with, in the order of hit_row()'s values.
COLUMNS = (
    "blog_id", "post_id", "ts", "visitor", "kind", "is_bot", "is_entry", "path",
    "referrer_group", "referrer", "search_terms", "device", "browser", "os", "language",
    "country", "seconds",
)  # fmt: skip


# The same referrers come again and again (a search engine's bare address, a social site,
# the feed): classifying each once is enough. The function is pure, so caching changes nothing.
@lru_cache(maxsize=4096)
def _referrer(raw: str, own_host: str, blog_username: str) -> tuple[str, str, str, bool]:
    # Positional, so the cache's key is a plain tuple (keyword calls cost a dict per call).
    return classify.referrer(raw, own_host=own_host, blog_username=blog_username)


_language = lru_cache(maxsize=1024)(classify.language)


def hit_row(raw: RawHit, salts: dict[date, bytes] | None = None) -> tuple:
    """A buffered view classified into the values of a Hit row, in the order of COLUMNS.

    salts: the batch's salts by date, looked up once per batch rather than once per row."""
    device, browser, system = classify.user_agent(raw.user_agent)
    group, source, terms, is_entry = _referrer(raw.referrer, raw.own_host, raw.blog_username)
    salt = salts[raw.local_date] if salts else salt_for(raw.local_date)
    return (
        raw.blog_id,
        raw.post_id,
        raw.ts,
        int.from_bytes(
            hashlib.blake2b(raw.visitor_key, key=salt, digest_size=8).digest(), "big", signed=True
        ),
        raw.kind,
        device == "bot",
        is_entry,
        raw.path[:200],
        group,
        source,
        terms,
        device,
        browser,
        system,
        _language(raw.accept_language),
        country_of(raw.address) if raw.address else "",  # only with a GeoIP database
        None,  # seconds: filled in later by the time-on-page beacon
    )


def to_hit(raw: RawHit) -> Hit:
    return Hit(**dict(zip(COLUMNS, hit_row(raw), strict=True)))


def insert_rows(rows: list[tuple]) -> None:
    """Write hit_row() values: COPY on PostgreSQL, one prepared INSERT run for every row
    (executemany) elsewhere.

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
        # SQLite keeps a DateTimeField as naive UTC text (Django's adapt_datetimefield_value
        # makes str(make_naive(ts, UTC))): the same, without its per-row checks and lookups.
        values = [(*row[:2], _naive_utc(row[2]), *row[3:]) for row in rows]
        one = f"({', '.join(['?'] * len(COLUMNS))})"
        sql = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - the model's names
        # Many rows per statement: a row then costs SQLite's insert, not a statement's run
        # (~45 % less per row than one row per run, measured in bench/analytics.py's writer).
        per = max(1, connection.features.max_query_params // len(COLUMNS))
        whole = len(values) // per * per
        if whole:
            raw_cursor.executemany(
                sql + ", ".join([one] * per),
                [
                    tuple(itertools.chain.from_iterable(values[i : i + per]))
                    for i in range(0, whole, per)
                ],
            )
        if whole < len(values):
            raw_cursor.executemany(sql + one, values[whole:])


def _naive_utc(moment: datetime) -> str:
    if moment.tzinfo is UTC:  # as timezone.now() gives: "...+00:00" less the offset
        return moment.isoformat(" ")[:-6]
    return str(moment.astimezone(UTC).replace(tzinfo=None))


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
        if self._thread is None and hot_settings.get("KOE_ANALYTICS_BUFFERED", True):
            self._start()

    def flush(self) -> int:
        """Write what is buffered, in one transaction. Safe to call from any thread."""
        with self._lock:
            items, self._items = self._items, []
        if not items:
            return 0
        salts = {day: salt_for(day) for day in {raw.local_date for raw in items}}
        rows = [hit_row(raw, salts) for raw in items]
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


def _now() -> datetime:
    """The moment of a view (its own function, so tests can replay a day of traffic)."""
    return datetime.now(UTC)  # timezone.now() with USE_TZ, less its settings look-up


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
        address=client_address(meta),
        agent=meta.get("HTTP_USER_AGENT", ""),
        referrer=meta.get("HTTP_REFERER", ""),
        host=request.get_host(),
        path=request.path,
        accept_language=meta.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def record_view(
    mark: Mark, *, address: str, agent: str, referrer: str, host: str, path: str,
    accept_language: str,
) -> None:  # fmt: skip
    """Count a view: what the request showed, into the buffer. Everything else (the visitor's
    hash, the classification, the insert) is the writer's, away from the request."""
    now = _now()
    agent = agent[:512]
    BUFFER.add(
        RawHit(
            mark.blog_id,
            mark.post_id,
            mark.kind,
            now,
            _today_in(now, mark.time_zone),
            f"{address}\n{agent}\n{mark.blog_id}".encode(),  # visitor_key
            agent,
            referrer[:2000],
            host.split(":")[0].lower(),  # own_host
            mark.username,
            path[:200],
            accept_language[:100],
            address if hot_settings.get("KOE_GEOIP_PATH") else "",
        )
    )
    if not hot_settings.get("KOE_ANALYTICS_BUFFERED", True):
        BUFFER.flush()
