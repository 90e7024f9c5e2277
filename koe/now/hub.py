"""Each server process's one hub: it reads the event log once per wake-up and fans out.

However many readers a process holds, it keeps ONE subscription: an in-process wake-up
(`wake_local`, called after commit) and, when KOE_REDIS_URL is set, one Redis pub/sub
subscription that other processes' commits wake. On each wake-up the hub reads the new
rows of the event log (one query, plus one for follows and blocks when signed-in readers
are connected) and hands each reader the pre-encoded bytes it may see. It also polls the
log every few seconds, so a lost wake-up costs latency, never an event.

The fan-out is the hot path (docs/PERFORMANCE.md, Realtime): events are encoded once per
wake-up, readers who would get the same events (same stream, timeline, target and person:
all signed-out readers of a timeline) are asked once as a group, and each reader gets one
write per wake-up however many events it carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q

from koe.accounts.models import Block
from koe.now.models import Event
from koe.social.models import Follow

log = logging.getLogger(__name__)
NOW_STREAM = "now"
#: A safety net for lost wake-ups; the two-process test sets it high to prove Redis delivers.
POLL_SECONDS = float(os.environ.get("KOE_NOW_POLL_SECONDS", "2"))
HEARTBEAT_SECONDS = 15.0
#: Events waiting for one reader; a reader this far behind is dropped and resumes from the log.
QUEUE_LIMIT = 200
#: How long a missing event id may still commit (PostgreSQL ids commit out of order).
GAP_SECONDS = 5.0
BACKLOG_LIMIT = 500
HEARTBEAT = b": keep-alive\n\n"


def _body(data: bytes) -> dict:
    # One message for every reader of a batch: servers read it and never change it.
    return {"type": "http.response.body", "body": data, "more_body": True}


HEARTBEAT_MESSAGE = _body(HEARTBEAT)
#: What Granian's send returns once it has queued the body: done, nothing to await.
DONE_AT_ONCE = "PyEmptyAwaitable"


@dataclass(eq=False)
class Reader:
    """One connected client: what it reads, who it is, and how events reach it.

    A reader starts by collecting events in `pending` while its stream sends the backlog;
    then, when the server offers the raw ASGI `send`, the hub writes each event straight
    to the client's socket: no task wakes per reader and event, which is what lets one
    process carry thousands of readers. Under uvicorn, a reader whose socket buffer is full
    is too slow: it is dropped, and its client resumes from the log by Last-Event-ID.
    (Granian queues what a slow reader has not taken yet instead, without telling.)
    """

    stream: str
    timeline: str = "all"  # public, tag, user, home; "all" for other apps' streams
    target: str | int | None = None  # the tag, or the author's id
    user_id: int | None = None
    pending: list[tuple[int, bytes]] = field(default_factory=list)
    overflow: bool = False
    signal: asyncio.Event = field(default_factory=asyncio.Event)
    send: object = None  # the raw ASGI send, once events go straight to the socket

    @property
    def key(self) -> tuple:
        """Readers with the same key are shown the same events (see accepts)."""
        return (self.timeline, self.target, self.user_id)

    def push(self, event_id: int, data: bytes, message: dict | None = None) -> None:
        if self.overflow:
            return
        if self.send is not None:
            self._write(message or _body(data))
        elif len(self.pending) >= QUEUE_LIMIT:
            self.drop()  # too slow: end its stream; it resumes by Last-Event-ID
        else:
            self.pending.append((event_id, data))
            self.signal.set()

    def deliver(self, chosen: list[tuple[int, bytes]], message: dict) -> None:
        """A batch: one write when events go straight to the socket, else each is queued."""
        if self.send is not None and not self.overflow:
            self._write(message)
        else:
            for event_id, data in chosen:
                self.push(event_id, data)

    def _write(self, message: dict) -> None:
        # Each server's send does its work when called and returns something to await;
        # stepping that by hand, instead of a task per reader and write, is what lets one
        # process carry thousands of readers.
        step = self.send(message)
        if type(step).__name__ == DONE_AT_ONCE:
            return  # the common case, ~20,000 times per event: nothing more to do
        if not hasattr(step, "send"):
            # Another server's awaitable: one step may finish it; what still waits is left
            # to the loop, which runs it in order.
            try:
                step.__await__().__next__()
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a broken connection: the reader leaves
                log.debug("dropping a reader whose send failed", exc_info=True)
                self.drop()
                return
            asyncio.ensure_future(step)
            return
        # uvicorn's send writes to the transport without awaiting unless the socket's
        # buffer is full, and then the reader is too slow.
        try:
            step.send(None)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - a broken connection: the reader leaves
            log.debug("dropping a reader whose send failed", exc_info=True)
        step.close()
        self.drop()

    def drop(self) -> None:
        self.overflow = True
        self.send = None
        self.signal.set()

    async def take(self) -> bytes | None:
        """Wait for what to send (without the raw send); None when the reader is dropped."""
        await self.signal.wait()
        self.signal.clear()
        if self.overflow:
            return None
        data, self.pending = b"".join(d for _, d in self.pending), []
        return data

    def take_pending(self, after: int) -> bytes:
        """What collected while the backlog was sent, without events the backlog had."""
        items, self.pending = self.pending, []
        self.signal.clear()
        return b"".join(d for i, d in items if i > after or i == 0)


@dataclass
class Relations:
    """For one batch of events: which connected readers follow, or are blocked by, whom."""

    followers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    blocked: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def accepts(reader: Reader, event: Event, rel: Relations) -> bool:
    """The live side of ShortPostQuerySet's timelines: the same rules, on one event."""
    if event.stream != NOW_STREAM:
        return True
    p = event.payload
    author, uid = p.get("author"), reader.user_id
    if uid is not None and uid in rel.blocked[author]:
        return False
    follows = uid is not None and (uid == author or uid in rel.followers[author])
    public = p.get("vis") == "public"
    if not public and not follows:
        return False
    if reader.timeline == "public":
        return public and not p.get("repost")
    if reader.timeline == "tag":
        return public and not p.get("repost") and reader.target in p.get("tags", ())
    if reader.timeline == "user":
        return author == reader.target
    if reader.timeline == "home":
        return follows
    return False


def encode(event: Event) -> bytes:
    data = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.pk}\nevent: {event.kind}\ndata: {data}\n\n".encode()


def relations_for(events: list[Event], user_ids: set[int]) -> Relations:
    """Two queries for a batch, whatever the number of readers."""
    rel = Relations()
    authors = {e.payload.get("author") for e in events if e.stream == NOW_STREAM} - {None}
    if not authors or not user_ids:
        return rel
    ids = list(user_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        follows = Follow.objects.filter(blog__owner_id__in=authors, follower_id__in=chunk)
        for owner, follower in follows.values_list("blog__owner_id", "follower_id"):
            rel.followers[owner].add(follower)
        blocks = Block.objects.filter(
            Q(blocker_id__in=authors, blocked_id__in=chunk)
            | Q(blocked_id__in=authors, blocker_id__in=chunk)
        )
        for blocker, blocked in blocks.values_list("blocker_id", "blocked_id"):
            if blocker in authors:
                rel.blocked[blocker].add(blocked)
            if blocked in authors:
                rel.blocked[blocked].add(blocker)
    return rel


def gives_back_connection(fn):
    """For code run on a thread of the loop's pool (sync_to_async(thread_sensitive=False)):
    the thread's database connection is given back when it is done (to the pool, on
    PostgreSQL), not kept by a thread that may then idle for hours."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return run


@gives_back_connection
def _load(after: int, user_ids: set[int], limit: int = 1000):
    events = list(Event.objects.filter(pk__gt=after).order_by("pk")[:limit])
    return events, relations_for(events, user_ids)


@gives_back_connection
def backlog(reader: Reader, after: int) -> tuple[bytes, int]:
    """What a reconnecting reader missed since Last-Event-ID, by the same rules, and the
    last id it covers."""
    events = list(
        Event.objects.filter(stream=reader.stream, pk__gt=after).order_by("pk")[:BACKLOG_LIMIT]
    )
    rel = relations_for(events, {reader.user_id} if reader.user_id else set())
    data = b"".join(encode(e) for e in events if accepts(reader, e, rel))
    return data, (events[-1].pk if events else after)


@gives_back_connection
def latest_id() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        #: stream → Reader.key → the readers shown the same events
        self.readers: dict[str, dict[tuple, set[Reader]]] = defaultdict(dict)
        #: (stream, Reader.key) → when that group was last written to (time.monotonic())
        self.last_sent: dict[tuple[str, tuple], float] = {}
        self.wakeup = asyncio.Event()
        self.last_id: int | None = None
        self.gaps: dict[int, float] = {}  # missing id → when first missed
        self.tasks: list[asyncio.Task] = []
        self.delivered = 0

    # ### Readers ###

    def add(self, reader: Reader) -> None:
        self.readers[reader.stream].setdefault(reader.key, set()).add(reader)

    def remove(self, reader: Reader) -> None:
        groups = self.readers.get(reader.stream, {})
        group = groups.get(reader.key)
        if group is not None:
            group.discard(reader)
            if not group:
                del groups[reader.key]
                self.last_sent.pop((reader.stream, reader.key), None)

    @property
    def reader_count(self) -> int:
        return sum(len(g) for groups in self.readers.values() for g in groups.values())

    # ### The loop ###

    def start(self) -> None:
        self.tasks.append(self.loop.create_task(self._run(), name="koe-now-hub"))
        self.tasks.append(self.loop.create_task(self._heartbeat(), name="koe-now-heartbeat"))
        if settings.KOE.redis_url:
            self.tasks.append(self.loop.create_task(self._listen(), name="koe-now-redis"))

    async def ready(self) -> None:
        while self.last_id is None:
            await asyncio.sleep(0.01)

    async def _run(self) -> None:
        self.last_id = await sync_to_async(latest_id, thread_sensitive=False)()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), POLL_SECONDS)
            self.wakeup.clear()
            try:
                await self._drain()
            except Exception:  # noqa: BLE001 - the hub must outlive a database hiccup
                log.exception("live hub could not read the event log")
                await asyncio.sleep(1)

    async def _drain(self) -> None:
        now = time.monotonic()
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
        after = min([self.last_id, *(i - 1 for i in self.gaps)])
        user_ids = {key[2] for key in self.readers[NOW_STREAM] if key[2] is not None}
        events, rel = await sync_to_async(_load, thread_sensitive=False)(after, user_ids)
        fresh = []
        for event in events:
            if event.pk <= self.last_id:
                if self.gaps.pop(event.pk, None) is None:
                    continue  # sent already
            else:
                if event.pk - self.last_id <= 1000:
                    self.gaps.update(dict.fromkeys(range(self.last_id + 1, event.pk), now))
                self.last_id = event.pk
            fresh.append(event)
        if fresh:
            self._fan_out(fresh, rel)
        if len(events) == 1000:
            self.wakeup.set()  # more waiting

    def _fan_out(self, events: list[Event], rel: Relations) -> None:
        """Each event encoded once; each group of like readers asked once; one write each."""
        encoded = [(event, encode(event)) for event in events]
        now = time.monotonic()
        for stream in dict.fromkeys(event.stream for event in events):
            items = [(event, data) for event, data in encoded if event.stream == stream]
            for key, group in list(self.readers.get(stream, {}).items()):
                sample = next(iter(group))
                chosen = [(e.pk, data) for e, data in items if accepts(sample, e, rel)]
                if not chosen:
                    continue
                message = _body(b"".join(data for _, data in chosen))
                for reader in list(group):
                    if reader.send is not None and not reader.overflow:
                        reader._write(message)  # deliver(), inlined: this runs 20,000 times
                    else:
                        reader.deliver(chosen, message)
                self.delivered += len(chosen) * len(group)
                self.last_sent[(stream, key)] = now

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self.beat(time.monotonic())

    def beat(self, now: float) -> None:
        """Keep idle streams open. A group that had an event lately is not idle, and writing
        to 10,000 readers at once would hold back the next event (docs/PERFORMANCE.md)."""
        for stream, groups in self.readers.items():
            for key, group in list(groups.items()):
                if now - self.last_sent.get((stream, key), -HEARTBEAT_SECONDS) < HEARTBEAT_SECONDS:
                    continue
                for reader in list(group):
                    reader.push(0, HEARTBEAT, HEARTBEAT_MESSAGE)

    async def _listen(self) -> None:
        """The process's one Redis subscription; each message only wakes the hub."""
        import redis.asyncio as redis

        from koe.now.events import CHANNEL

        while True:
            client = redis.Redis.from_url(settings.KOE.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.wakeup.set()  # catch up on what came while unsubscribed
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.wakeup.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; the poll covers the gap
                log.warning("live hub lost its Redis subscription; retrying", exc_info=True)
                await asyncio.sleep(1)
            finally:
                await client.aclose()


_hub: Hub | None = None


def get_hub() -> Hub:
    """This process's hub, started on the running event loop at the first reader."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop or _hub.loop.is_closed():
        _hub = Hub(loop)
        _hub.start()
    return _hub


def wake_local(event_id: int) -> None:
    """Called after commit from any thread: wake this process's hub if it is running."""
    hub = _hub
    if hub is not None and not hub.loop.is_closed():
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            hub.loop.call_soon_threadsafe(hub.wakeup.set)
