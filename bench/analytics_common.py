"""What bench/analytics.py's parts share: where things are, the goals, printing, and a
blogger made through Koe's own actions."""

from __future__ import annotations

import math
import os
import platform
import socket
import time
from datetime import UTC, datetime

from machine import cpu_model, load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "koe_bench_analytics"
#: The overhead part on PostgreSQL runs as Koe does at scale: pages and queue on Redis.
REDIS_URL = "redis://127.0.0.1:6379/14"
ZONE = "Asia/Tokyo"

GOAL_OVERHEAD = 0.10  # counting costs under 10% of the post page's throughput
GOAL_WRITER_SQLITE = 50_000  # rows/s
GOAL_DASHBOARD_P95_MS = 150.0

PARTS = ("overhead", "writer", "dashboard")

# ### Helpers ###


class Clock:
    def __init__(self):
        self.start = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.start:7.1f}s"


CLOCK = Clock()


def say(text: str) -> None:
    print(f"[{CLOCK}] {text}", flush=True)


def busy() -> str:
    """The load average, and a warning when the machine is too busy for fair figures."""
    one = os.getloadavg()[0]
    note = " (busy machine: figures pessimistic)" if one > 4 else ""
    return f"load {load()}{note}"


def machine_line() -> str:
    return (
        f"machine: nproc {os.cpu_count()}, CPU {cpu_model()}, {busy()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


def mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(*, buffered: bool):
    import django
    from django.conf import settings

    settings.KOE_ANALYTICS_BUFFERED = buffered
    settings.HUEY = {**settings.HUEY, "immediate": True}  # set-up work runs inline
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    version = (
        connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    )
    say(
        f"migrated ({connection.vendor} {version}); Python {platform.python_version()}, "
        f"Django {django.get_version()}"
    )
    return connection


def make_blogger(username: str = "writer"):
    """One blogger with one public post, through Koe's own actions."""
    from koe.accounts import services as account_services
    from koe.blogs import services as blog_services

    user = account_services.do_sign_up(
        username=username,
        email=f"{username}@example.com",
        password="bench password 1234",
        display_name="Writer",
    )
    user.time_zone = ZONE
    user.save(update_fields=["time_zone"])
    post = blog_services.do_save_post(
        user.blog, title="Counted post", body="Some **text** to read.\n\n" * 20, publish=True
    )
    return user, post
