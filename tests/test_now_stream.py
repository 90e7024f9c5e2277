"""Live timelines over Server-Sent Events from a real ASGI server (uvicorn in a thread).

Events arrive; a reconnecting client resumes by Last-Event-ID; nothing is sent before the
commit (a rolled-back post never appears); streams a reader may not see are refused.
"""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from koe.accounts import services as account_services
from koe.now import services
from koe.now.models import Event
from koe.social import follows
from tests.conftest import make_user

WAIT = 10  # seconds to wait for an event that must come; never a measured duration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread(threading.Thread):
    """koe.asgi and static files, served by uvicorn on a thread of the test process."""

    def __init__(self):
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from koe.asgi import application

        super().__init__(daemon=True)
        self.port = free_port()
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),  # static files as Django's live server has them
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self):
        self.server.run()

    def _backends(self) -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return {pid for (pid,) in cursor.fetchall()}

    def __enter__(self):
        self.before = self._backends() if connection.vendor == "postgresql" else set()
        self.start()
        deadline = time.monotonic() + WAIT
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.join(WAIT)
        if connection.vendor == "postgresql" and not connection.pool:
            # The server's worker threads kept connections; the test database must drop.
            # Only those: other threads of this worker (a browser test's live server) keep
            # theirs. (With Koe's pool they gave them back at the end of each request.)
            mine = sorted(self._backends() - self.before)
            if mine:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE pid = ANY(%s)",
                        [mine],
                    )


@pytest.fixture
def asgi_server(transactional_db):
    with ServerThread() as server:
        yield server


class Stream:
    """A minimal SSE client: events are parsed on a thread and handed over through a queue."""

    def __init__(self, server, path, *, user=None, last_event_id=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT * 3)
        headers = {"Accept": "text/event-stream"}
        if user is not None:
            client = Client()
            client.force_login(user)
            headers["Cookie"] = f"sessionid={client.cookies['sessionid'].value}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.events: queue.Queue = queue.Queue()
        self.comments = 0
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event: dict = {}
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if "data" in event:
                        event["data"] = json.loads(event["data"])
                        self.events.put(event)
                    event = {}
                elif line.startswith(":"):
                    self.comments += 1
                elif line.startswith("retry:"):
                    self.events.put({"retry": int(line[6:])})
                else:
                    key, _, value = line.partition(": ")
                    event[key] = value
        except Exception:  # noqa: BLE001, S110 - the test closed the connection
            pass

    def next(self, timeout=WAIT) -> dict:
        while True:
            item = self.events.get(timeout=timeout)
            if "retry" not in item:
                return item

    def ready(self):
        """The stream's first line comes once the server holds the reader at its hub."""
        assert self.events.get(timeout=WAIT) == {"retry": 3000}

    def close(self):
        self.conn.sock and self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


def write(user, text, **options):
    return services.do_post(user, text=text, **options)


def test_a_post_reaches_an_anonymous_reader(asgi_server, alice):
    stream = Stream(asgi_server, "/now/stream/public")
    assert stream.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    stream.ready()
    short = write(alice, "Shinkansen running again #train")
    event = stream.next()
    assert event["event"] == "post" and event["data"]["post"] == short.pk
    assert int(event["id"]) == Event.objects.get().pk
    assert "text" not in event["data"]  # words come through the page, by its rules
    stream.close()


def test_a_rolled_back_post_never_appears(asgi_server, alice):
    stream = Stream(asgi_server, "/now/stream/public")
    stream.ready()
    with pytest.raises(RuntimeError), transaction.atomic():
        write(alice, "never committed")
        raise RuntimeError("the action fails after writing")
    assert Event.objects.count() == 0
    kept = write(alice, "committed")
    assert stream.next()["data"]["post"] == kept.pk  # the first event is the committed one
    stream.close()


def test_resume_by_last_event_id(asgi_server, alice):
    first = write(alice, "one")
    missed = [write(alice, "two"), write(alice, "three")]
    last_seen = Event.objects.get(payload__post=first.pk).pk
    stream = Stream(asgi_server, "/now/stream/public", last_event_id=last_seen)
    stream.ready()
    got = [stream.next()["data"]["post"], stream.next()["data"]["post"]]
    assert got == [p.pk for p in missed]
    live = write(alice, "four")
    assert stream.next()["data"]["post"] == live.pk
    stream.close()


def test_the_page_tells_the_stream_where_to_start(asgi_server, alice):
    page = Client().get("/now/").content.decode()
    assert 'data-last-event="0"' in page and 'data-stream="/now/stream/public"' in page
    write(alice, "between render and connect")
    stream = Stream(asgi_server, "/now/stream/public?last=0")
    stream.ready()
    assert stream.next()["data"]["user"] == "alice"
    stream.close()


def test_hashtag_and_user_streams_choose_their_posts(asgi_server, alice, bob):
    tag = Stream(asgi_server, "/now/stream/tags/water")
    person = Stream(asgi_server, "/now/stream/@bob")
    tag.ready()
    person.ready()
    write(alice, "no tag here")
    tagged = write(alice, "Water at the gym #water")
    bobs = write(bob, "Bob speaks")
    assert tag.next()["data"]["post"] == tagged.pk
    assert person.next()["data"]["post"] == bobs.pk
    tag.close()
    person.close()


def test_followers_only_posts_reach_only_allowed_readers(asgi_server, alice, bob):
    carol, dave = make_user("carol"), make_user("dave")
    follows.do_follow(bob, alice.blog)
    account_services.do_block(alice, dave)
    readers = {
        "anonymous": Stream(asgi_server, "/now/stream/@alice"),
        "follower": Stream(asgi_server, "/now/stream/@alice", user=bob),
        "follower_home": Stream(asgi_server, "/now/stream/home", user=bob),
        "other": Stream(asgi_server, "/now/stream/@alice", user=carol),
        "other_public": Stream(asgi_server, "/now/stream/public", user=carol),
        "author": Stream(asgi_server, "/now/stream/@alice", user=alice),
    }
    for stream in readers.values():
        stream.ready()
    hidden = write(alice, "for my followers", visibility="followers")
    shown = write(alice, "for everyone")
    expect = {
        "anonymous": [shown.pk],
        "follower": [hidden.pk, shown.pk],
        "follower_home": [hidden.pk, shown.pk],
        "other": [shown.pk],
        "other_public": [shown.pk],
        "author": [hidden.pk, shown.pk],
    }
    for name, stream in readers.items():
        got = [stream.next()["data"]["post"] for _ in expect[name]]
        assert got == expect[name], name  # the public post comes second: nothing came before
        stream.close()
    # The blocked reader is refused the author's stream outright.
    assert Stream(asgi_server, "/now/stream/@alice", user=dave).status == 403


def test_blocked_readers_miss_the_blockers_posts_on_shared_streams(asgi_server, alice, bob):
    account_services.do_block(alice, bob)
    carol = make_user("carol")
    stream = Stream(asgi_server, "/now/stream/public", user=bob)
    stream.ready()
    write(alice, "not for bob")
    later = write(carol, "carol's post")
    assert stream.next()["data"]["post"] == later.pk
    stream.close()


def test_streams_a_reader_may_not_see_are_refused(asgi_server, alice):
    assert Stream(asgi_server, "/now/stream/home").status == 403
    assert Stream(asgi_server, "/now/stream/@nobody").status == 404
    assert Stream(asgi_server, "/now/stream/tags/bad%20tag").status == 404
    account_services.do_delete_account(alice)
    assert Stream(asgi_server, "/now/stream/@alice").status == 404


def test_deleting_tells_the_streams(asgi_server, alice):
    short = write(alice, "typo")
    short_id = short.pk
    stream = Stream(asgi_server, "/now/stream/public")
    stream.ready()
    services.do_delete(alice, short)
    event = stream.next()
    assert event["event"] == "delete" and event["data"]["post"] == short_id
    stream.close()


def test_a_background_task_publishes_after_its_commit(asgi_server, alice):
    from koe.now.events import publish

    stream = Stream(asgi_server, "/now/stream/public")
    stream.ready()
    with transaction.atomic():  # as a Huey task would: its own transaction
        publish("now", "post", {"post": 999, "author": alice.pk, "vis": "public", "tags": []})
        assert stream.events.empty()
    assert stream.next()["data"]["post"] == 999
    stream.close()


def test_one_hub_serves_every_reader_of_the_process(asgi_server, alice):
    from koe.now import hub

    streams = [Stream(asgi_server, "/now/stream/public") for _ in range(5)]
    for stream in streams:
        stream.ready()
    write(alice, "to all five")
    assert {s.next()["data"]["user"] for s in streams} == {"alice"}
    assert hub._hub is not None and hub._hub.reader_count == 5
    for stream in streams:
        stream.close()
    deadline = time.monotonic() + WAIT
    while hub._hub.reader_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub._hub.reader_count == 0  # a closed connection leaves the hub
