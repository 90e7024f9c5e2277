"""Two real `koe run` processes on PostgreSQL and Redis: a post written through one reaches a
reader connected to the other, woken through the one Redis subscription each process keeps.

The processes poll the event log only once an hour here, so only Redis can deliver in time.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.test_now_stream import WAIT, Stream, free_port

REDIS = os.environ.get("KOE_REDIS_URL")
DATABASE = os.environ.get("KOE_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not (REDIS and DATABASE.startswith("postgres")),
    reason="needs KOE_DATABASE_URL (PostgreSQL) and KOE_REDIS_URL, as CI's PG+Redis suite has",
)
KOE = str(Path(sys.executable).with_name("koe"))


@pytest.fixture
def database():
    """A throw-away PostgreSQL database of its own, dropped afterwards."""
    import psycopg

    name = f"koe_now_two_{secrets.token_hex(4)}"
    parts = urllib.parse.urlsplit(DATABASE)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database_url, data_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        KOE_DATABASE_URL=database_url,
        KOE_REDIS_URL=REDIS,
        KOE_DATA_DIR=str(data_dir),
        KOE_SECRET_KEY="two-processes-" + "k" * 40,
        KOE_NOW_POLL_SECONDS="3600",
        DJANGO_SETTINGS_MODULE="koe.settings",
    )
    return env


def _wait_healthy(port, process, deadline=120):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, "koe run stopped"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise AssertionError(f"koe run on {port} did not start")


class _At:
    def __init__(self, port):
        self.port = port


def _session(env) -> str:
    """A signed-in session for a new person, made with Koe's own actions in that database."""
    code = (
        "from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from koe.accounts.services import do_sign_up\n"
        "u = do_sign_up(username='yui', email='yui@example.com', password='x-pass-98765',"
        " display_name='Yui')\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'koe.accounts.backends.UsernameOrEmailBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash()\n"
        "s.create()\n"
        "print('SESSION', s.session_key)\n"
    )
    out = subprocess.run(
        [KOE, "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    line = [w for w in out.stdout.splitlines() if w.startswith("SESSION ")]
    assert line, out.stderr
    return line[0].split()[1]


def _post(port, session, text) -> int:
    token = secrets.token_hex(16)  # 32 characters: a CSRF secret the cookie and header share
    body = urllib.parse.urlencode({"text": text, "visibility": "public"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/now/post",
        data=body,
        headers={
            "Cookie": f"sessionid={session}; csrftoken={token}",
            "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=WAIT) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_post_through_one_process_reaches_a_reader_of_the_other(database, tmp_path):
    env_a, env_b = _env(database, tmp_path / "a"), _env(database, tmp_path / "b")
    port_a, port_b = free_port(), free_port()
    processes = []
    try:
        a = subprocess.Popen(
            [KOE, "run", "--port", str(port_a)],
            env=env_a,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(a)
        _wait_healthy(port_a, a)  # the first one migrates the new database
        b = subprocess.Popen(
            [KOE, "run", "--port", str(port_b), "--skip-migrate"],
            env=env_b,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(b)
        _wait_healthy(port_b, b)
        session = _session(env_a)

        reader = Stream(_At(port_b), "/now/stream/public")
        assert reader.status == 200
        reader.ready()
        same_process = Stream(_At(port_a), "/now/stream/public")
        same_process.ready()

        assert _post(port_a, session, "Written through A, read through B #two") == 302
        event = reader.next(timeout=WAIT)
        assert event["event"] == "post" and event["data"]["user"] == "yui"
        assert event["data"]["tags"] == ["two"]
        assert same_process.next(timeout=WAIT)["id"] == event["id"]
        reader.close()
        same_process.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
