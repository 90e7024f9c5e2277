"""The hub's parts without a server: which reader gets which event, bounded queues, slow
sockets, the fixed number of queries per batch, and pruning the log."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from django.utils import timezone

from koe.now import hub
from koe.now.hub import Reader, Relations, accepts
from koe.now.models import Event
from koe.now.tasks import prune_events
from tests.conftest import make_user


def _event(**payload) -> Event:
    base = {"post": 1, "author": 10, "vis": "public", "tags": ["rain"], "repost": None}
    return Event(pk=5, stream="now", kind="post", payload={**base, **payload})


def test_accepts_follows_the_timelines_rules():
    rel = Relations()
    rel.followers[10].add(2)
    rel.blocked[10].add(3)
    public, private = _event(), _event(vis="followers")
    assert accepts(Reader("now", "public"), public, rel)
    assert not accepts(Reader("now", "public"), private, rel)
    assert accepts(Reader("now", "tag", "rain"), public, rel)
    assert not accepts(Reader("now", "tag", "snow"), public, rel)
    assert not accepts(Reader("now", "public"), _event(repost=7), rel)
    assert accepts(Reader("now", "user", 10, user_id=2), private, rel)  # a follower
    assert not accepts(Reader("now", "user", 10, user_id=4), private, rel)  # someone else
    assert accepts(Reader("now", "user", 10, user_id=10), private, rel)  # the author
    assert accepts(Reader("now", "home", user_id=2), public, rel)
    assert not accepts(Reader("now", "home", user_id=4), public, rel)
    assert not accepts(Reader("now", "public", user_id=3), public, rel)  # blocked
    assert accepts(Reader("crisis"), Event(pk=6, stream="crisis", kind="alert", payload={}), rel)


def test_a_reader_falling_behind_is_dropped_not_buffered_forever():
    reader = Reader("now", "public")
    for i in range(hub.QUEUE_LIMIT):
        reader.push(i + 1, b"x")
    assert not reader.overflow
    reader.push(hub.QUEUE_LIMIT + 1, b"x")
    assert reader.overflow and len(reader.pending) == hub.QUEUE_LIMIT
    assert asyncio.run(reader.take()) is None  # its stream ends; the client resumes


def test_direct_writes_and_a_full_socket():
    written = []

    async def quick_send(message):
        written.append(message["body"])

    class Paused:
        def __await__(self):
            yield  # what uvicorn does when the socket's buffer is full

    async def paused_send(message):
        await Paused()
        written.append(b"never")

    reader = Reader("now", "public")
    reader.send = quick_send
    reader.push(1, b"event one")
    assert written == [b"event one"] and not reader.overflow
    reader.send = paused_send
    reader.push(2, b"event two")
    assert reader.overflow and reader.send is None and written == [b"event one"]
    reader.push(3, b"after the drop")
    assert written == [b"event one"]


class _Queued:
    """What Granian's send returns: the body is queued already; awaiting ends at once."""

    def __await__(self):
        return iter(())


def _recording(written: dict, reader: Reader):
    return lambda message: written.setdefault(id(reader), []).append(message["body"]) or _Queued()


def test_like_readers_are_asked_once_and_written_once_per_batch(monkeypatch):
    asked, written = [], {}
    real_accepts = hub.accepts
    monkeypatch.setattr(
        hub, "accepts", lambda r, e, rel: asked.append(r) or real_accepts(r, e, rel)
    )
    readers = [Reader("now", "public") for _ in range(50)] + [Reader("now", "tag", "snow")]
    the_hub = hub.Hub(loop=None)
    for reader in readers:
        reader.send = _recording(written, reader)
        the_hub.add(reader)
    first, second = _event(), _event()
    second.pk = 6
    the_hub._fan_out([first, second], Relations())
    assert len(asked) == 4  # two groups, two events: not once per reader
    both = hub.encode(first) + hub.encode(second)
    assert all(written[id(r)] == [both] for r in readers[:50])  # one write each
    assert id(readers[50]) not in written  # its tag is not in the posts
    assert the_hub.delivered == 100 and not any(r.overflow for r in readers)
    the_hub.remove(readers[50])
    assert the_hub.reader_count == 50 and list(the_hub.readers["now"]) == [("public", None, None)]


def test_only_idle_streams_get_a_keep_alive():
    written = {}
    the_hub = hub.Hub(loop=None)
    busy, idle = Reader("now", "public"), Reader("now", "tag", "snow")
    for reader in (busy, idle):
        reader.send = _recording(written, reader)
        the_hub.add(reader)
    the_hub._fan_out([_event()], Relations())
    the_hub.beat(time.monotonic())
    assert written[id(idle)] == [hub.HEARTBEAT]  # nothing for it lately
    assert written[id(busy)] == [hub.encode(_event())]  # had an event: no keep-alive needed
    the_hub.beat(time.monotonic() + hub.HEARTBEAT_SECONDS)
    assert written[id(busy)][-1] == hub.HEARTBEAT


def test_granians_finished_write_is_not_awaited():
    done = type(hub.DONE_AT_ONCE, (), {})  # has no __await__: stepping it would fail
    reader = Reader("now", "public")
    reader.send = lambda message: done()
    reader.push(1, b"event")
    assert not reader.overflow and reader.send is not None


def test_backlog_skips_what_the_pending_list_repeats():
    reader = Reader("now", "public")
    reader.push(4, b"four")
    reader.push(5, b"five")
    reader.push(0, b": keep-alive")
    assert reader.take_pending(after=4) == b"five: keep-alive"


def test_relations_cost_the_same_for_many_readers(db, django_assert_num_queries):
    author = make_user("author")
    readers = [make_user(f"reader{i}") for i in range(12)]
    events = [Event(pk=1, stream="now", kind="post", payload={"author": author.pk})]
    with django_assert_num_queries(2):
        hub.relations_for(events, {r.pk for r in readers})
    with django_assert_num_queries(0):
        hub.relations_for(events, set())  # anonymous readers only: nothing to ask


def test_old_events_are_pruned(db):
    old = Event.objects.create(stream="now", kind="post", payload={})
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=4))
    fresh = Event.objects.create(stream="now", kind="post", payload={})
    assert prune_events.call_local() == 1
    assert prune_events.call_local() == 0
    assert list(Event.objects.values_list("pk", flat=True)) == [fresh.pk]
