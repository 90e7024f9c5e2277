"""Counting a page view costs the request almost nothing: a few fields into a buffer.

The buffer is written to the database in batches (one transaction per batch) by a
thread of its own, at least once a second, and on a graceful stop. A crash loses at most
the hits of the last second.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import logging
import multiprocessing.util
import secrets
import sqlite3
import threading
import time
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import maxminddb
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from koe.analytics import classify
from koe.analytics.models import LABEL_FIELDS, DailySalt, Hit, Labels, label_key
from koe.core import hot_settings
from koe.core.hits import Mark

log = logging.getLogger(__name__)
FLUSH_EVERY = 1.0  # seconds
MAX_BUFFER = 50_000  # beyond this, hits are dropped rather than memory exhausted


class RawHit(NamedTuple):
    """A view as it came: its page's mark, its moment and the request's untrusted headers,
    length-capped.

    Nothing is derived while the reader waits (a tuple is made and appended); the visitor's
    hash, the local date and every label are the writer's, in rows_of(). The mark's fields
    are copied in, not the Mark itself: a tuple of strings and numbers only is one the
    garbage collector stops following after its first look. Holding a Mark (an object it
    must follow), every buffered view lived on in its older generations until written, and
    made it walk them again and again (0.2–0.3 µs of its time a view)."""

    blog_id: int
    post_id: int | None
    kind: str
    time_zone: str
    username: str
    ts: float  # seconds since the epoch
    address: str  # in memory until the flush only: never written
    user_agent: str
    referrer: str
    host: str
    path: str
    accept_language: str


def raw_hit(
    mark: Mark, ts: float, address: str, agent: str, referrer: str, host: str, path: str,
    accept_language: str,
) -> tuple:  # fmt: skip
    """A RawHit's values as the plain tuple the buffer keeps (record_view() makes it so)."""
    return (
        mark.blog_id, mark.post_id, mark.kind, mark.time_zone, mark.username, ts, address,
        agent[:512], referrer[:2000], host[:255], path[:200], accept_language[:100],
    )  # fmt: skip


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


#: The columns a hit is written with, in the order of rows_of()'s values. The time on page
#: (`seconds`) is not among them: it is NULL until a beacon tells it; nor the country,
#: left to the database's default ("") unless there is a GeoIP database (GEO_COLUMNS).
#: Each value left out is about a tenth less of SQLite's time a row.
COLUMNS = ("blog_id", "post_id", "ts", "visitor", "kind", "path", "is_bot", "labels_id")
#: COLUMNS' PostgreSQL types, for the binary COPY (tests/test_analytics_counting.py checks
#: them against the model's).
COPY_TYPES = ("int8", "int8", "timestamptz", "int8", "varchar", "varchar", "bool", "int8")
#: With a GeoIP database: the country after the path.
GEO_COLUMNS = (*COLUMNS[:6], "country", *COLUMNS[6:])
GEO_COPY_TYPES = (*COPY_TYPES[:6], "varchar", *COPY_TYPES[6:])
#: At most this many remembered header combinations (each keeps its agent and referrer
#: text: a few MB) and Labels rows' ids (small tuples of shared labels).
MAX_KEYS, MAX_LABELS = 16_384, 65_536

# The same headers come again and again (a few hundred browsers, a search engine's bare
# address, the feed): each combination is classified once, then found with one dict look-up.
# classify's functions are pure, so the cache changes nothing but the time.
_labels: dict[tuple[str, str, str, str, str], tuple[bool, int]] = {}
# The Labels row of each classification (rows are never deleted, so an id stays right;
# see forget_labels()).
_label_ids: dict[tuple, int] = {}


def classified(key: tuple[str, str, str, str, str]) -> tuple:
    """The Labels values (in the order of LABEL_FIELDS) of a view's (agent, referrer,
    accept-language, host, blog's username)."""
    agent, referrer, accept_language, host, username = key
    device, browser, system = classify.user_agent(agent)  # cached by agent
    group, source, terms, is_entry = _referrer(referrer, host, username)
    return (
        device == "bot", is_entry, group, source, terms, device, browser, system,
        _language(accept_language),
    )  # fmt: skip


# Each part is classified once too: a combination not seen before mostly has parts that were.
@lru_cache(maxsize=65_536)
def _referrer(referrer: str, host: str, username: str) -> tuple[str, str, str, bool]:
    return classify.referrer(referrer, own_host=host.split(":")[0].lower(), blog_username=username)


_language = lru_cache(maxsize=1024)(classify.language)


def labels_of(keys: set[tuple]) -> dict[tuple, tuple[bool, int]]:
    """{key: (is_bot, the id of its Labels row)} for views' header keys (classified()'s)."""
    values = {key: classified(key) for key in keys}
    ids = label_ids(set(values.values()))
    found = {key: (v[0], ids[v]) for key, v in values.items()}
    if not connection.in_atomic_block:  # as label_ids() does
        if len(_labels) + len(found) > MAX_KEYS:
            _labels.clear()
        _labels.update(found)
    return found


def label_ids(wanted: set[tuple]) -> dict[tuple, int]:
    """{values: the id of the Labels row with them} (values in the order of LABEL_FIELDS);
    looked up by their keys, 500 a query (an indexed look-up); the rows not there yet are
    made in one transaction, then looked up the same way.

    Remembered only once surely committed (not inside a transaction that might yet be
    rolled back: the tests' counting, which writes at once)."""
    found = {v: _label_ids[v] for v in wanted if v in _label_ids}
    new = {label_key(v): v for v in wanted if v not in found}
    _found_by_key(list(new), new, found)  # made before (by another process, or a restart)
    keys = [k for k, v in new.items() if v not in found]
    ops = connection.ops
    names = ", ".join(ops.quote_name(n) for n in (*LABEL_FIELDS, "key"))
    sql = (  # one prepared statement run for each new row; one made meanwhile is left be
        f"INSERT INTO {ops.quote_name(Labels._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * (len(LABEL_FIELDS) + 1))}) ON CONFLICT DO NOTHING"
    )
    if keys:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(*new[k], k) for k in keys])
        _found_by_key(keys, new, found)
    if new and not connection.in_atomic_block:
        if len(_label_ids) + len(new) > MAX_LABELS:
            _label_ids.clear()
        _label_ids.update((v, found[v]) for v in new.values())
    return found


def _found_by_key(keys: list[int], values: dict[int, tuple], found: dict[tuple, int]) -> None:
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for key, pk in Labels.objects.filter(key__in=chunk).values_list("key", "pk"):
            found[values[key]] = pk


def label_id(values: tuple) -> int:
    """The id of the Labels row with these values (label_ids() for one)."""
    return label_ids({values})[values]


def forget_labels() -> None:
    """Forget which Labels rows exist (between tests, whose databases start empty)."""
    _labels.clear()
    _label_ids.clear()


def _geoip_path() -> str:
    return hot_settings.get("KOE_GEOIP_PATH") or ""


def rows_of(items: list[RawHit]) -> list[tuple]:
    """Buffered views as the values of Hit rows, in the order of COLUMNS, as this database
    takes them. One loop with everything in it, for it runs for every view:

    - the visitor: the address, agent and blog hashed with the salt of the view's date in
      its blog's time zone (a copy of that date's keyed hasher: cheaper than keying anew);
    - the moment, to the second, made once per second (no count needs a finer time, and
      views in one second keep their order by id): on SQLite as the naive UTC text Django
      keeps ("2026-11-26 13:00:00"), on PostgreSQL a datetime for the binary COPY;
    - the labels of the headers, found with one dict look-up (headers not seen before are
      classified after the loop, their Labels rows made or found all at once: labels_of()).
    """
    as_datetime = connection.vendor == "postgresql"
    geoip = bool(_geoip_path())
    hashers: dict[date, object] = {}
    rows: list[tuple] = []
    append, known = rows.append, _labels.get
    second, moment = -1, None
    missing: list[tuple[int, tuple]] = []  # (row, key) of headers not classified before
    for (
        blog_id, post_id, kind, zone, username, ts, address, agent, referrer, host, path,
        language,
    ) in items:  # fmt: skip
        day = day_of(ts, zone)
        hasher = hashers.get(day)
        if hasher is None:
            hasher = hashers[day] = hashlib.blake2b(key=salt_for(day), digest_size=8)
        visitor = hasher.copy()
        visitor.update(f"{address}\n{agent}\n{blog_id}".encode())
        if int(ts) != second:
            second = int(ts)
            moment = (
                datetime.fromtimestamp(second, UTC)
                if as_datetime
                else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
            )
        key = (agent, referrer, language, host, username)
        found = known(key)
        if found is None:  # classified after the loop, all at once
            missing.append((len(rows), key))
            found = (False, 0)
        is_bot, labels_id = found
        row = (
            blog_id,
            post_id,
            moment,
            int.from_bytes(visitor.digest(), "big", signed=True),
            kind,
            path,
            is_bot,
            labels_id,
        )  # fmt: skip
        append((*row[:6], country_of(address), *row[6:]) if geoip else row)
    if missing:
        resolved = labels_of({key for _index, key in missing})
        for index, key in missing:
            rows[index] = (*rows[index][:-2], *resolved[key])
    return rows


def insert_rows(rows: list[tuple]) -> None:
    """Write rows_of() rows: COPY on PostgreSQL; elsewhere, as many rows per INSERT as the
    database takes parameters.

    What bulk_create would write, without building a model instance and compiling every
    field of every row: the batch writer's time goes into the database, not into the ORM.
    """
    if not rows:
        return
    geo = len(rows[0]) == len(GEO_COLUMNS)
    names, types = (GEO_COLUMNS, GEO_COPY_TYPES) if geo else (COLUMNS, COPY_TYPES)
    ops = connection.ops
    table = ops.quote_name(Hit._meta.db_table)
    columns = ", ".join(ops.quote_name(Hit._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw_cursor, "copy"):  # psycopg 3
            # Binary: PostgreSQL parses no text (about 20 % less of its time a row, and half
            # of ours, than COPY's text format).
            with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        one = f"({', '.join(['?'] * len(names))})"
        sql = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - the model's names
        # Many rows per statement: a row then costs SQLite's insert, not a statement's run
        # (~45 % less per row than one row per run, measured in bench/analytics.py's writer;
        # 1,000 rows ~10 % less again than 99). As many as this SQLite takes parameters:
        # Django assumes 999; SQLite 3.32 and later take 32,766.
        per = max(1, min(1000, _parameter_limit(raw_cursor.connection) // len(names)))
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


def _parameter_limit(db) -> int:
    try:
        return db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, sqlite3.Error):  # not sqlite3's own connection
        return connection.features.max_query_params or 999


class HitBuffer:
    def __init__(self):
        # A deque: appended to by any thread and emptied by the writer without a lock.
        self._items: collections.deque[RawHit] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        # The writer thread's own work, told at a graceful stop (bench/analytics.py reads it).
        self.written = 0
        self.writer_cpu = 0.0

    def add(self, raw: RawHit) -> None:
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
        items, take = [], self._items.popleft
        try:
            for _ in range(len(self._items)):  # what is there now; more may come meanwhile
                items.append(take())
        except IndexError:  # another thread's flush took the rest
            pass
        if not items:
            return 0
        # A view of a post or blog deleted since is written all the same (no constraint is
        # checked per view); the rollup counts only the hits of what exists.
        rows = rows_of(items)
        with transaction.atomic():
            insert_rows(rows)
        return len(rows)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="koe-hits", daemon=True)
            self._thread.start()
        # At the process's exit, as multiprocessing's finalizers run: in a server's worker
        # process (Granian's) as in a plain process, where atexit runs them. A worker
        # process ends with os._exit(), which skips atexit's handlers.
        multiprocessing.util.Finalize(None, self._stop, exitpriority=10)

    def _stop(self) -> None:
        self._timed_flush()  # what the writer thread has not written yet
        if self.written:
            log.info(
                "page views: %d written with %.2f s of CPU (%.2f µs a view), %d dropped",
                self.written, self.writer_cpu, self.writer_cpu / self.written * 1e6, self.dropped,
            )  # fmt: skip

    def _timed_flush(self) -> int:
        started = time.thread_time()
        written = self.flush()
        self.writer_cpu += time.thread_time() - started
        self.written += written
        return written

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_EVERY)
            self._wake.clear()
            try:
                # On this thread's own connection, kept from one flush to the next while
                # views come; an idle writer holds none.
                if not self._timed_flush():
                    connection.close()
            except Exception:  # noqa: BLE001 - counting must never take the site down
                log.exception("could not write page views")
                connection.close()  # a new connection for the next flush


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
    BUFFER.add(raw_hit(mark, _now(), address, agent, referrer, host, path, accept_language))
