"""Analytics benchmark: what counting a view costs the production server, how fast the batch
writer stores hits, and how fast the dashboard reads a year of a busy blog.

    .venv/bin/python bench/analytics.py                  # everything, SQLite and PostgreSQL
    .venv/bin/python bench/analytics.py --quick          # a smaller, shorter run
    .venv/bin/python bench/analytics.py --parts writer --database sqlite

Parts (each in a child process of its own, under a time limit, one after the other):

- overhead:  `koe run` (Granian) on a throw-away data dir, pinned to CPU 0, loaded by wrk
             pinned to CPU 1: req/s of the post page counted and of the same page with
             counting switched off (bench/settings_nocount.py), in rounds where each goes
             first in turn; the cost is judged on all rounds' answers together. Also the
             CPU per answer of the server and of PostgreSQL (from /proc), the bare /healthz
             once after the rounds, and how many hits reached the database. SQLite as
             `koe run` has it by default, and PostgreSQL with Redis (pages and queue), as
             Koe runs at scale.
- writer:    rows/s of HitBuffer.flush() over synthetic RawHits in batches, with the time of
             classification (user agent, referrer, visitor hash) apart from the insert.
- dashboard: a blog with a year of synthetic traffic (rollup rows for the year, raw hits for
             the last 30 days, made in bulk SQL / COPY, not through Koe's actions), then the
             dashboard page through Django's test Client signed in as the blogger, plus
             rollup.live() and rollup.recompute_day() of a busy day.

Never run in CI. PostgreSQL is expected at postgres://postgres@127.0.0.1:5432; the script
creates and drops the database koe_bench_analytics there.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta

from machine import cpu_model, cpu_times, load, steal_since

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


# ### The parent: one child per part and database, bounded in time, cleaned up after ###


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    p.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="SQLite, or PostgreSQL (overhead: with Redis for the page cache and the queue)",
    )
    p.add_argument("--quick", action="store_true", help="smaller data, shorter load runs")
    p.add_argument("--duration", type=float, help="seconds per load run (default 10; quick 4)")
    p.add_argument("--connections", type=int, default=8, help="wrk connections")
    p.add_argument(
        "--rounds", type=int, default=8, help="overhead: rounds of the two cases, in turn first"
    )
    p.add_argument("--rows", type=int, help="writer: synthetic hits (default 200,000)")
    p.add_argument("--batch", type=int, default=5000, help="writer: hits per flush")
    p.add_argument("--hits", type=int, help="dashboard: hits in the year (default 10 million)")
    p.add_argument("--posts", type=int, help="dashboard: posts of the blog (default 500)")
    p.add_argument("--calls", type=int, help="dashboard: timed pages per range (default 50)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--minutes", type=float, default=20.0, help="time limit per child")
    p.add_argument("--keep", action="store_true", help="keep data dirs and the database")
    p.add_argument("--child", help=argparse.SUPPRESS)  # part:database:data_dir:result_file
    args = p.parse_args(argv)
    args.duration = args.duration or (4.0 if args.quick else 10.0)
    args.rows = args.rows or (50_000 if args.quick else 200_000)
    args.hits = args.hits or (1_000_000 if args.quick else 10_000_000)
    args.posts = args.posts or (100 if args.quick else 500)
    args.calls = args.calls or (20 if args.quick else 50)
    return args


def main() -> int:
    args = parse_args()
    if args.child:
        return run_child(args)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        print(f"unknown part(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    jobs = [(part, db) for part in PARTS if part in parts for db in databases]
    print(f"== Koe analytics benchmark: {', '.join(f'{p}/{d}' for p, d in jobs)} ==")
    print(machine_line())
    results, failed = [], 0
    for part, database in jobs:
        data_dir = tempfile.mkdtemp(prefix=f"koe-bench-analytics-{part}-{database}-")
        result_file = os.path.join(data_dir, "result.json")
        argv = strip_child_args(sys.argv[1:])
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            *argv,
            "--child",
            f"{part}:{database}:{data_dir}:{result_file}",
        ]
        print(f"\n-- {part} / {database} (limit {args.minutes:g} min) --", flush=True)
        child = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        try:
            rc = child.wait(timeout=args.minutes * 60)
        except (subprocess.TimeoutExpired, KeyboardInterrupt) as stop:
            # The child's own session: its servers and wrk go with it.
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            print(
                f"\n!! {part}/{database}: stopped ({type(stop).__name__}); cleaning up", flush=True
            )
            rc = 1
            if isinstance(stop, KeyboardInterrupt):
                cleanup(data_dir, database, args.keep)
                return 130
        if os.path.exists(result_file):
            with open(result_file) as f:
                results.append(json.load(f))
        cleanup(data_dir, database, args.keep)
        failed += rc != 0
    summarise(results)
    return 1 if failed else 0


def strip_child_args(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--parts", "--database"):
            skip = True
        elif not a.startswith(("--parts=", "--database=")):
            out.append(a)
    return out


def cleanup(data_dir: str, database: str, keep: bool) -> None:
    if keep:
        print(f"kept: {data_dir}" + (f", database {PG_NAME}" if database == "postgres" else ""))
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    if database == "postgres":
        try:
            drop_pg_database()
        except Exception as e:  # noqa: BLE001 - PostgreSQL may simply not be there
            print(f"(could not drop {PG_NAME}: {e})")


def pg_admin():
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)


def drop_pg_database() -> None:
    with pg_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def summarise(results: list[dict]) -> None:
    if not results:
        return
    print("\n== Summary ==")
    for r in results:
        for line in r.get("summary", []):
            print(f"{r['part']:9} {r['database']:8} {line}")
    print(machine_line())


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


# ### The child ###


def run_child(args) -> int:
    part, database, data_dir, result_file = args.child.split(":", 3)
    os.environ["KOE_DATA_DIR"] = data_dir
    os.environ.pop("KOE_REDIS_URL", None)  # the embedded queue and cache, as `koe run` has them
    os.environ["DJANGO_SETTINGS_MODULE"] = "koe.settings"
    os.environ["KOE_DEBUG"] = "false"
    os.environ.pop("KOE_DATABASE_URL", None)
    if database == "postgres":
        drop_pg_database()
        with pg_admin() as conn:
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["KOE_DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
        if part == "overhead":
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
            os.environ["KOE_REDIS_URL"] = REDIS_URL
    sys.path.insert(0, ROOT)
    random.seed(args.seed)
    result = {"part": part, "database": database, "summary": []}
    try:
        {"overhead": bench_overhead, "writer": bench_writer, "dashboard": bench_dashboard}[part](
            args, data_dir, result
        )
    finally:
        with open(result_file, "w") as f:
            json.dump(result, f)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may not have been set up
            pass
    return 0


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


# ### Synthetic readers ###

_CHROME = (
    "Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 {m}Safari/537.36"
)
_SAFARI = (
    "Mozilla/5.0 ({dev}; CPU {os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/{v}.0 Mobile/15E148 Safari/604.1"
)
_FIREFOX = "Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
BOT_AGENTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0", "python-requests/2.31.0", "facebookexternalhit/1.1",
]  # fmt: skip
WORDS = [
    "東京",
    "ランチ",
    "猫",
    "ブログ",
    "旅行",
    "レシピ",
    "京都",
    "カフェ",
    "写真",
    "日記",
    "子育て",
    "映画",
    "読書",
    "ラーメン",
    "桜",
    "温泉",
    "カメラ",
    "北海道",
    "sakura",
    "travel",
    "ramen",
    "cafe",
    "review",
    "2025",
    "おすすめ",
    "方法",
    "比較",
]
LANGS = [
    "ja",
    "ja-JP",
    "ja",
    "ja-JP",
    "ja",
    "en-US",
    "en",
    "zh-TW",
    "ko-KR",
    "zh-CN",
    "fr-FR",
    "de-DE",
    "es-ES",
    "th-TH",
    "pt-BR",
    "",
]


def user_agents() -> list[str]:
    """About 300 distinct people's user agents (versions vary), then robots."""
    agents = []
    for v in range(110, 135):
        agents.append(_CHROME.format(os="Windows NT 10.0; Win64; x64", v=v, m=""))
        agents.append(_CHROME.format(os="Macintosh; Intel Mac OS X 10_15_7", v=v, m=""))
        agents.append(_CHROME.format(os="Linux; Android 14; Pixel 8", v=v, m="Mobile "))
        agents.append(_CHROME.format(os="Linux; Android 13; SM-S918B", v=v, m="Mobile "))
        agents.append(_CHROME.format(os="Linux; Android 13; SM-X700", v=v, m=""))
        agents.append(_FIREFOX.format(os="Windows NT 10.0; Win64; x64", v=v))
    for major in range(14, 19):
        for minor in range(0, 7):
            agents.append(_SAFARI.format(dev="iPhone", os=f"iPhone OS {major}_{minor}", v=major))
            agents.append(
                _SAFARI.format(dev="iPhone", os=f"iPhone OS {major}_{minor}", v=major).replace(
                    "Mobile/15E148", "Mobile/15E148 Line/13.1.0"
                )
            )
            agents.append(_SAFARI.format(dev="iPad", os=f"OS {major}_{minor}", v=major))
    return agents


def referrer_for(rnd: random.Random, username: str, posts: list[int]) -> str:
    r = rnd.random()
    if r < 0.35:
        return ""
    if r < 0.50:
        words = "+".join(rnd.sample(WORDS, rnd.randint(1, 3)))
        return (
            f"https://www.google.com/search?q={words}"
            if rnd.random() < 0.3
            else "https://www.google.com/"
        )
    if r < 0.58:
        words = "+".join(rnd.sample(WORDS, rnd.randint(1, 3)))
        return f"https://search.yahoo.co.jp/search?p={words}"
    if r < 0.62:
        return "https://www.bing.com/search?q=" + rnd.choice(WORDS)
    if r < 0.72:
        return rnd.choice(
            [
                "https://t.co/abc",
                "https://www.facebook.com/",
                "https://line.me/R/",
                "https://www.instagram.com/",
                "https://note.com/someone/n/n1",
                "https://b.hatena.ne.jp/entry/x",
            ]
        )
    if r < 0.80:
        return "http://127.0.0.1/" + rnd.choice(
            [
                "home",
                "ranking",
                "search?q=x",
                "tags/cat/",
                "official/",
                "",
                f"@friend{rnd.randint(1, 40)}/",
            ]
        )
    if r < 0.92:  # moving around the same blog: not an entry
        return f"http://127.0.0.1/@{username}/{rnd.choice(posts)}/"
    return f"https://site{rnd.randint(1, 600)}.example.jp/page/{rnd.randint(1, 50)}"


def raw_hits(n: int, *, blog_id: int, username: str, posts: list[int], seed: int) -> list:
    """n synthetic RawHits of today, as the middleware would make them."""
    from koe.analytics import capture
    from koe.core.hits import Mark

    rnd = random.Random(seed)
    people, now = user_agents(), time.time()
    marks = {
        post_id: Mark(blog_id, 0, post_id, "post" if post_id else "top", ZONE, username)
        for post_id in [*posts, None]
    }
    out = []
    for i in range(n):
        agent = rnd.choice(BOT_AGENTS) if rnd.random() < 0.08 else rnd.choice(people)
        post_id = rnd.choice(posts) if rnd.random() < 0.85 else None
        address = f"203.0.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        out.append(capture.raw_hit(
            marks[post_id], now + i / 1_000_000, address, agent,
            referrer_for(rnd, username, posts), "127.0.0.1",
            f"/@{username}/{post_id}/" if post_id else f"/@{username}/", rnd.choice(LANGS),
        ))  # fmt: skip
    return out


# ### Part 1: counting overhead under the production server ###


class Server:
    """`koe run` on its own port, pinned to CPU 0, in this child's process group."""

    def __init__(self, name: str, settings_module: str, data_dir: str):
        self.name, self.port = name, free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": ROOT}
        self.log = open(os.path.join(data_dir, f"server-{name}.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", os.path.join(VENV_BIN, "koe"), "run", "--port",
             str(self.port), "--skip-migrate"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a worker left behind is ended with it
        )  # fmt: skip

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.flush()
                with open(self.log.name) as f:
                    tail = f.read()[-3000:]
                raise RuntimeError(
                    f"server {self.name} exited with {self.proc.returncode}:\n{tail}"
                )
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server {self.name} did not answer /healthz within {timeout:g}s")

    def stop(self) -> None:
        """A graceful stop (SIGINT), which flushes the hit buffer; a kill after 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # A worker that outlived its server would go on using CPU in the rounds after.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float, connections: int) -> dict:
    before = cpu_times()
    t0 = time.monotonic()
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}",
         f"-d{max(1, round(seconds))}s", "--latency",
         "-H", "User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
         "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
         "-H", "Accept-Language: ja", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    lat = {q: float(v) * UNITS[u] for q, v, u in WRK_LATENCY.findall(out)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": lat.get("50"), "p99": lat.get("99"), "requests": requests,
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sock.group(1) if sock else "",
        "steal": steal_since(before), "load": load(), "seconds": time.monotonic() - t0,
    }  # fmt: skip


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (Granian's worker), from /proc."""
    tick, total, todo = os.sysconf("SC_CLK_TCK"), 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def database_cpu() -> float:
    """CPU seconds used so far by every PostgreSQL process (0 when none runs here)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, _, tail = f.read().rpartition(")")
            if head.split("(", 1)[1] != "postgres":
                continue
            fields = tail.split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def count_hits(data_dir: str) -> int:
    if os.environ.get("KOE_DATABASE_URL"):
        import psycopg

        with psycopg.connect(os.environ["KOE_DATABASE_URL"]) as conn:
            return conn.execute("SELECT count(*) FROM analytics_hit").fetchone()[0]
    db = sqlite3.connect(
        f"file:{os.path.join(data_dir, 'koe.sqlite3')}?mode=ro", uri=True, timeout=30
    )
    try:
        return db.execute("SELECT count(*) FROM analytics_hit").fetchone()[0]
    finally:
        db.close()


def bench_overhead(args, data_dir: str, result: dict) -> None:
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("needs wrk and taskset (apt-get install -y wrk util-linux)")
    if (os.cpu_count() or 1) < 2:
        print("note: one CPU only; server and wrk share it")
    setup_django(buffered=False)
    user, post = make_blogger()
    post_path = post.get_absolute_url()
    from django.db import connections

    connections.close_all()
    say(
        f"blog @{user.username} with one public post at {post_path}; starting two `koe run` "
        "(counted, and bench.settings_nocount) pinned to CPU 0; wrk pinned to CPU 1"
    )
    counted = Server("counted", "koe.settings", data_dir)
    uncounted = None
    try:
        counted.wait_ready()  # one after the other: both collect the static files at start
        uncounted = Server("nocount", "bench.settings_nocount", data_dir)
        uncounted.wait_ready()
        for server in (counted, uncounted):
            with urllib.request.urlopen(server.url(post_path), timeout=10) as r:  # noqa: S310
                assert r.status == 200, (server.name, r.status)
        time.sleep(2.0)
        base_hits = count_hits(data_dir)  # the two checks above (the uncounted one is not)
        pair = [("post page, counted", counted), ("post page, not counted", uncounted)]
        bare = ("/healthz (bare)", counted, "/healthz")
        warm = max(2.0, args.duration / 2)
        say(
            f"warming up each case for {warm:g}s; then {args.rounds} rounds of {args.duration:g}s "
            f"each, {args.connections} connections: counted and not counted one after the "
            "other, in turn first; the bare endpoint once after"
        )
        counted_requests = 0
        for _name, server in pair:
            w = wrk(server.url(post_path), warm, args.connections)
            counted_requests += w["requests"] if server is counted else 0
        runs: dict[str, list[dict]] = {name: [] for name, _s in pair}
        for round_no in range(1, args.rounds + 1):
            # Each case goes first in every other round, so neither gains from the order
            # (the writer catching up, the database's background work).
            for name, server in pair if round_no % 2 else pair[::-1]:
                cpu0, db0 = tree_cpu(server.proc.pid), database_cpu()
                w = wrk(server.url(post_path), args.duration, args.connections)
                w["cpu_us"] = (tree_cpu(server.proc.pid) - cpu0) / max(1, w["requests"]) * 1e6
                w["db_us"] = (database_cpu() - db0) / max(1, w["requests"]) * 1e6
                runs[name].append(w)
                if server is counted:
                    counted_requests += w["requests"]
                say(
                    f"round {round_no} {name:24} {w['rps']:8.1f} req/s  p50 {w['p50']:.2f} ms  "
                    f"p99 {w['p99']:.2f} ms  server CPU {w['cpu_us']:.1f} µs/req  "
                    f"database CPU {w['db_us']:.1f} µs/req  non-2xx {w['non2xx']}  "
                    f"steal {w['steal']:.1f}%  load {w['load']}"
                )
        time.sleep(2.5)  # the flush thread writes every second
        hits_running = count_hits(data_dir) - base_hits
        h = wrk(counted.url(bare[2]), args.duration, args.connections)
        say(f"{bare[0]:32} {h['rps']:8.1f} req/s  p50 {h['p50']:.2f} ms  p99 {h['p99']:.2f} ms")
    finally:
        counted.stop()
        if uncounted is not None:
            uncounted.stop()
    hits_stopped = count_hits(data_dir) - base_hits
    med = {name: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for name, rs in runs.items()}
    c, u = (med[name] for name, _s in pair)
    cr, ur = ([r["rps"] for r in runs[name]] for name, _s in pair)
    ratio = c["rps"] / u["rps"] if u["rps"] else float("nan")
    paired = statistics.median(a / b for a, b in zip(cr, ur, strict=True))
    totals = sum(cr) / sum(ur)
    print(
        f"\nmedians of {args.rounds} runs ({args.duration:g}s, {args.connections} connections), "
        f"{busy()}"
    )
    print(f"{'case':26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'steal%':>7}")
    for name, w in [*med.items(), (bare[0], h)]:
        print(
            f"{name:26} {w['rps']:9.1f} {w['p50']:8.2f} {w['p99']:8.2f} {w['non2xx']:8d} "
            f"{w['steal']:7.1f}"
        )
    cost = 1 - totals
    print(
        f"counted/not counted, all rounds' answers: {totals:.3f}; median of the rounds' pairs "
        f"{paired:.3f}; of the medians {ratio:.3f}"
    )
    print(
        f"counting costs {cost * 100:.1f}% of throughput (all rounds' answers; goal < "
        f"{GOAL_OVERHEAD * 100:.0f}%) {mark(cost < GOAL_OVERHEAD)}"
    )
    # CPU per answer, from /proc: the server's own (its process tree) and, on PostgreSQL,
    # the database server's (every postgres process): what counting costs the machine,
    # whichever core it ran on.
    cpu = {name: statistics.median(r["cpu_us"] for r in rs) for name, rs in runs.items()}
    dbu = {name: statistics.median(r["db_us"] for r in rs) for name, rs in runs.items()}
    cpu_c, cpu_u = (cpu[name] for name, _s in pair)
    db_c, db_u = (dbu[name] for name, _s in pair)
    print(
        f"server CPU per answer (median): counted {cpu_c:.1f} µs, not counted {cpu_u:.1f} µs: "
        f"counting costs the server {cpu_c - cpu_u:.1f} µs, {(1 - cpu_u / cpu_c) * 100:.1f}% "
        "of its work"
    )
    if db_c or db_u:
        both_c, both_u = cpu_c + db_c, cpu_u + db_u
        print(
            f"database CPU per answer (median): counted {db_c:.1f} µs, not counted "
            f"{db_u:.1f} µs; server and database together: counting costs "
            f"{both_c - both_u:.1f} µs, {(1 - both_u / both_c) * 100:.1f}% of their work"
        )
    print(f"post page (not counted) / bare /healthz = {u['rps'] / h['rps']:.3f}")
    print(
        f"hits: {counted_requests} counted requests answered (wrk), {hits_running} rows 2.5 s "
        f"after the last run, {hits_stopped} after a graceful stop"
    )
    with open(counted.log.name) as f:
        told = re.findall(r"page views: .*", f.read())
    if told:  # the writer thread's own CPU, as the server told it at its graceful stop
        print(f"counted server's writer thread: {told[-1]}")
    all_rps = {name: [round(r["rps"], 1) for r in rs] for name, rs in runs.items()}
    print(f"all runs req/s: {all_rps}")
    result["summary"] = [
        f"post counted {c['rps']:.0f} req/s (p50 {c['p50']:.1f} ms, p99 {c['p99']:.1f} ms), "
        f"not counted {u['rps']:.0f} req/s (medians), /healthz {h['rps']:.0f} req/s; "
        f"counted/not counted {totals:.3f} over all rounds (pairs' median {paired:.3f}) -> "
        f"cost {cost * 100:.1f}% {mark(cost < GOAL_OVERHEAD)}; server CPU {cpu_c:.1f} vs "
        f"{cpu_u:.1f} µs/answer ({(1 - cpu_u / cpu_c) * 100:.1f}%); hits stored "
        f"{hits_stopped}/{counted_requests}; steal {c['steal']:.1f}%; load {c['load']}",
    ]


# ### Part 2: the batch writer ###


def bench_writer(args, data_dir: str, result: dict) -> None:
    connection = setup_django(buffered=False)
    from django.db import transaction

    from koe.analytics import capture, classify
    from koe.analytics.models import Hit
    from koe.blogs.models import Post

    user, post = make_blogger()
    extra = Post.objects.bulk_create(
        Post(blog=user.blog, title=f"Post {i}", body="x", status="published", visibility="public",
             published_at=post.published_at) for i in range(99)
    )  # fmt: skip
    posts = [post.pk, *(p.pk for p in extra)]
    n, batch = args.rows, args.batch
    say(f"making {n} synthetic RawHits (~300 agents + robots, referrers of every group)")
    items = raw_hits(n, blog_id=user.blog.pk, username=user.username, posts=posts, seed=args.seed)
    # The salt exists, as after a view.
    capture.salt_for(capture.day_of(capture.RawHit(*items[0]).ts, ZONE))

    # 1. What the flush thread does: HitBuffer.flush(), batch after batch.
    buffer = capture.HitBuffer()
    classify.user_agent.cache_clear()
    capture._labels.clear()
    steal0, flush_times, cpu0 = cpu_times(), [], time.process_time()
    for start in range(0, n, batch):
        buffer._items.extend(items[start : start + batch])  # `batch` views since the last
        t0 = time.perf_counter()
        written = buffer.flush()
        flush_times.append(time.perf_counter() - t0)
        assert written == min(batch, n - start), written
        if len(flush_times) % 10 == 0:
            say(f"  flushed {start + batch} rows")
    flush_s, flush_steal = sum(flush_times), steal_since(steal0)
    flush_cpu = time.process_time() - cpu0  # this process's CPU time: less at the mercy of load
    stored = Hit.objects.count()
    assert stored == n, (stored, n)
    rate = n / flush_s
    goal = GOAL_WRITER_SQLITE if connection.vendor == "sqlite" else None
    say(
        f"HitBuffer.flush: {n} rows in {flush_s:.2f}s = {rate:,.0f} rows/s "
        f"(per batch of {batch}: p50 {percentile(flush_times, 0.5) * 1000:.0f} ms, "
        f"max {max(flush_times) * 1000:.0f} ms); {n / flush_cpu:,.0f} rows per CPU-second; "
        f"steal {flush_steal:.1f}%; {busy()}"
    )

    # 2. The same work in its two halves: classification, then the insert.
    classify.user_agent.cache_clear()
    capture._labels.clear()
    t0, cpu0 = time.perf_counter(), time.process_time()
    hits = capture.rows_of(items)  # flush() as it is: rows_of(), then insert_rows()
    classify_s, classify_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    insert_times, cpu0 = [], time.process_time()
    for start in range(0, n, batch):
        chunk = hits[start : start + batch]
        t0 = time.perf_counter()
        with transaction.atomic():
            capture.insert_rows(chunk)
        insert_times.append(time.perf_counter() - t0)
    insert_s, insert_cpu = sum(insert_times), time.process_time() - cpu0
    say(
        f"classification alone (rows_of: agent, referrer, language, visitor hash; "
        f"caches cold): {classify_s:.2f}s = {n / classify_s:,.0f} rows/s "
        f"({n / classify_cpu:,.0f} per CPU-s)"
    )
    say(
        f"insert alone (transaction + insert_rows of "
        f"classified hits, table {n}->{2 * n} rows): "
        f"{insert_s:.2f}s = {n / insert_s:,.0f} rows/s ({n / insert_cpu:,.0f} per CPU-s)"
    )
    prof = cProfile.Profile()
    buffer._items.extend(items[:batch])
    prof.enable()
    buffer.flush()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(12)
    print("profile of one flush of", batch, "(top 12 by own time):")
    print("\n".join(line for line in text.getvalue().splitlines()[6:] if line.strip()))
    verdict = f" (goal >= {goal:,}) {mark(rate >= goal)}" if goal else ""
    result["summary"] = [
        f"flush {rate:,.0f} rows/s{verdict} ({n / flush_cpu:,.0f} per CPU-s); "
        f"classification {n / classify_s:,.0f} rows/s "
        f"({classify_s / (classify_s + insert_s) * 100:.0f}% of the work), insert "
        f"{n / insert_s:,.0f} rows/s; {n} rows in batches of {batch}; steal {flush_steal:.1f}%; "
        f"load {load()}",
    ]


# ### Part 3: the dashboard over a year of a busy blog ###

DEVICES = {"phone": 62, "pc": 29, "tablet": 8, "other": 1}
BROWSERS = {"Mobile Safari": 34, "Chrome Mobile": 22, "Chrome": 20, "Edge": 7, "Safari": 5,
            "Firefox": 3, "LINE": 4, "Samsung Internet": 2, "Chrome Mobile iOS": 2,
            "Google": 1, "Opera": 0.5, "Yandex Browser": 0.1}  # fmt: skip
SYSTEMS = {"iOS": 40, "Android": 26, "Windows": 22, "Mac OS X": 8, "Linux": 1, "Chrome OS": 1,
           "Ubuntu": 0.3, "Other": 0.2}  # fmt: skip
LANG_WEIGHTS = {"ja": 70, "ja-jp": 12, "en-us": 6, "en": 3, "zh-tw": 2, "ko-kr": 2, "zh-cn": 2,
                "fr-fr": 0.6, "de-de": 0.5, "es-es": 0.4, "th-th": 0.4, "pt-br": 0.3,
                "vi-vn": 0.3, "id-id": 0.3, "it-it": 0.2}  # fmt: skip
SOURCES = {"direct": 35, "search": 25, "koe": 20, "social": 12, "other": 8}
KOE_REFS = {"this blog": 40, "feed": 20, "ranking": 10, "search": 5, "hashtag": 5, "official": 2,
            "front page": 6, "other page": 2, "now": 1, "notifications": 2}  # fmt: skip
ENGINES = {"google": 60, "yahoo": 30, "bing": 6, "duckduckgo": 2, "baidu": 1, "naver": 1}
SOCIALS = {"X": 40, "LINE": 20, "Facebook": 10, "Instagram": 15, "note": 5, "Hatena": 5,
           "Threads": 3, "Bluesky": 2}  # fmt: skip


def spread(total: int, weights: dict, rnd: random.Random) -> dict:
    """total split over weights (with some noise), zeros left out."""
    noisy = {k: w * rnd.uniform(0.7, 1.3) for k, w in weights.items() if w > 0}
    s = sum(noisy.values())
    return {k: v for k, w in noisy.items() if (v := int(round(total * w / s))) > 0}


class Year:
    """The synthetic year: per local day, hits; the rows the rollup would have made of them."""

    def __init__(self, args, blog_id: int, posts: list, zone, now: datetime):
        from koe.analytics.capture import local_date

        self.rnd = random.Random(args.seed)
        self.blog_id, self.posts, self.zone, self.now = blog_id, posts, zone, now
        self.today = local_date(now, zone.key)
        self.days = [self.today - timedelta(d) for d in range(364, -1, -1)]
        weights = []
        for d in self.days:
            w = (1.25 if d.weekday() >= 5 else 1.0) * self.rnd.uniform(0.75, 1.25)
            weights.append(w)
        weights[-1] *= self.today_fraction()  # today so far
        s = sum(weights)
        self.hits = {d: int(args.hits * w / s) for d, w in zip(self.days, weights, strict=True)}
        self.hour_weights = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.2, 1.1, 1.0, 1.1, 1.6, 1.3,
                             1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.1, 1.6, 0.9]  # fmt: skip

    def today_fraction(self) -> float:
        start, _end = self.bounds(self.today)
        return max(0.02, (self.now - start).total_seconds() / 86400)

    def bounds(self, day: date):
        from koe.analytics.rollup import day_bounds

        return day_bounds(day, self.zone)

    def alive_posts(self, day: date) -> list:
        return [p for p in self.posts if p.published_at.date() <= day]

    def rollup_rows(self):
        """DailyStats, HourlyStats, DailyPostStats and DailyBreakdown rows for every day."""
        rnd, daily, hourly, post_rows, breakdown = self.rnd, [], [], [], []
        search_pool = [" ".join(rnd.sample(WORDS, rnd.randint(1, 3))) for _ in range(20_000)]
        domains = [f"site{i}.example.jp" for i in range(1, 1500)]
        for day in self.days:
            hits = self.hits[day]
            bots = int(hits * 0.08)
            views = hits - bots
            visitors = int(views * 0.38)
            timed = int(views * 0.3)  # views the time-on-page beacon reported
            daily.append((self.blog_id, day, views, visitors, bots, timed * 75, timed, self.now))
            start, end = self.bounds(day)
            hours = int((min(end, self.now) - start).total_seconds() // 3600) + 1
            hours = min(hours, int((end - start).total_seconds() // 3600))
            hw = {h: self.hour_weights[h % 24] for h in range(hours)}
            for h, v in spread(views, hw, rnd).items():
                hourly.append((self.blog_id, start + timedelta(hours=h), v, int(v * 0.7) or 1))
            alive = self.alive_posts(day)
            if alive:
                pw = {p.pk: 1 / (rank + 1) ** 0.8 for rank, p in enumerate(reversed(alive))}
                for pk, v in spread(int(views * 0.85), pw, rnd).items():
                    post_rows.append(
                        (
                            self.blog_id,
                            pk,
                            day,
                            v,
                            int(v * 0.8) or 1,
                            int(v * 0.3) * 75,
                            int(v * 0.3),
                        )
                    )
            dims = {
                "source": spread(views, SOURCES, rnd),
                "device": spread(views, DEVICES, rnd),
                "browser": spread(views, BROWSERS, rnd),
                "os": spread(views, SYSTEMS, rnd),
                "language": spread(int(views * 0.97), LANG_WEIGHTS, rnd),
            }
            src = dims["source"]
            refs = {}  # (group, value): views; a referrer is kept with its group
            for group, weights in (("koe", KOE_REFS), ("search", ENGINES), ("social", SOCIALS)):
                refs.update(
                    {(group, k): v for k, v in spread(src.get(group, 0), weights, rnd).items()}
                )
            others = rnd.sample(domains, min(len(domains), max(1, src.get("other", 0) // 15)))
            other_w = {d: 1 / (i + 1) for i, d in enumerate(others)}
            refs.update(
                {("other", k): v for k, v in spread(src.get("other", 0), other_w, rnd).items()}
            )
            dims["referrer"] = refs
            words = rnd.sample(
                search_pool, min(len(search_pool), max(1, src.get("search", 0) // 12))
            )
            dims["search"] = spread(
                int(src.get("search", 0) * 0.25),
                {w: 1 / (i + 1) ** 0.6 for i, w in enumerate(words)},
                rnd,
            )
            entry_w = {f"/@writer/{p.pk}/": 1 / (r + 1) for r, p in enumerate(reversed(alive))}
            entry_w["/@writer/"] = 2.0
            dims["entry"] = spread(int(views * 0.6), entry_w, rnd)
            for dimension, values in dims.items():
                for value, v in values.items():
                    group, value = value if isinstance(value, tuple) else ("", value)
                    breakdown.append(
                        (self.blog_id, day, dimension, group, value[:200], v, int(v * 0.75) or 1)
                    )
        return daily, hourly, post_rows, breakdown

    def raw_rows(self, days: int = 30):
        """Raw hits of the last `days` days (today until now), pre-classified, in time order.

        The Labels rows are made now, before the rows are read (a COPY cannot wait)."""
        from koe.analytics import capture, classify

        rnd = random.Random(self.rnd.random())
        people = [(ua, classify.user_agent(ua)) for ua in user_agents()]
        robots = [(ua, classify.user_agent(ua)) for ua in BOT_AGENTS]
        pids = [p.pk for p in self.posts]
        refs = []
        for _ in range(4000):
            referrer = referrer_for(rnd, "writer", pids[-50:])
            refs.append(classify.referrer(referrer, own_host="127.0.0.1", blog_username="writer"))
        langs = [classify.language(x) for x in LANGS]
        # The Labels rows first (a COPY cannot wait for them): 5,000 combinations of agent,
        # referrer and language, each row taking one.
        chosen = []
        for _ in range(5000):
            _ua, (device, browser, system) = (
                rnd.choice(robots) if rnd.random() < 0.08 else rnd.choice(people)
            )
            group, source, terms, entry = rnd.choice(refs)
            values = (device == "bot", entry, group, source, terms, device, browser, system)
            chosen.append((*values, rnd.choice(langs)))
        ids = capture.label_ids(set(chosen))
        combos = [(values[0], ids[values]) for values in chosen]
        return self._raw_rows(days, rnd, combos, pids)

    def _raw_rows(self, days: int, rnd, combos: list, pids: list):
        for day in self.days[-days:]:
            start, end = self.bounds(day)
            end = min(end, self.now)
            n = self.hits[day]
            alive = [p.pk for p in self.alive_posts(day)] or pids[:1]
            span = (end - start).total_seconds()
            # Visitors: the day's hashes (random numbers; no salt is read during a COPY).
            pool = [rnd.getrandbits(63) for _ in range(max(1, int(n * 0.38)))]
            stamps = sorted(rnd.random() for _ in range(n))
            for x in stamps:
                ts = start + timedelta(seconds=x * span)
                is_bot, labels_id = rnd.choice(combos)
                post_id = (
                    alive[-1 - min(len(alive) - 1, int(rnd.paretovariate(1.2)) - 1)]
                    if rnd.random() < 0.85
                    else None
                )
                yield (
                    self.blog_id,
                    post_id,
                    ts,
                    rnd.choice(pool),
                    "post" if post_id else "top",
                    f"/@writer/{post_id}/" if post_id else "/@writer/",
                    "",
                    rnd.randint(5, 300) if rnd.random() < 0.3 else None,
                    is_bot,
                    labels_id,
                )


HIT_COLUMNS = ("blog_id", "post_id", "ts", "visitor", "kind", "path", "country", "seconds",
               "is_bot", "labels_id")  # fmt: skip


def bulk_insert(connection, table: str, columns: tuple, rows, label: str) -> int:
    """Rows into a table the fast way: executemany on SQLite, COPY on PostgreSQL."""
    t0, count, last = time.perf_counter(), 0, time.monotonic()
    cols = ", ".join(columns)
    if connection.vendor == "sqlite":

        def adapt(v):
            if isinstance(v, datetime):
                return str(v.astimezone(UTC).replace(tzinfo=None))
            if isinstance(v, date):
                return v.isoformat()
            return v

        raw = connection.connection
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        chunk = []
        for row in rows:
            chunk.append(tuple(adapt(v) for v in row))
            if len(chunk) >= 50_000:
                with raw:
                    raw.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
                if time.monotonic() - last > 10:
                    say(f"  {label}: {count:,} rows")
                    last = time.monotonic()
        if chunk:
            with raw:
                raw.executemany(sql, chunk)
            count += len(chunk)
    else:
        with (
            connection.connection.cursor() as cur,
            cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
                if count % 100_000 == 0 and time.monotonic() - last > 10:
                    say(f"  {label}: {count:,} rows")
                    last = time.monotonic()
        connection.connection.commit()
    say(f"  {label}: {count:,} rows in {time.perf_counter() - t0:.1f}s")
    return count


def bench_dashboard(args, data_dir: str, result: dict) -> None:
    connection = setup_django(buffered=False)
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from koe.accounts.models import User
    from koe.analytics import rollup
    from koe.blogs.models import Post
    from koe.social.models import Follow

    call_command("collectstatic", interactive=False, verbosity=0)  # as `koe run` does
    user, first = make_blogger()
    blog, zone = user.blog, rollup.blog_zone(ZONE)
    now = datetime.now(UTC)
    say(
        f"building a year of @{user.username}: {args.hits:,} hits, {args.posts} posts "
        "(bulk SQL / COPY, not Koe's actions)"
    )
    year_start = now - timedelta(days=365)
    Post.objects.filter(pk=first.pk).update(published_at=year_start)
    extra = Post.objects.bulk_create(
        Post(blog=blog, title=f"Post {i}", body="x", body_html="<p>x</p>", status="published",
             visibility="public", published_at=year_start + timedelta(days=365 * i / args.posts))
        for i in range(1, args.posts)
    )  # fmt: skip
    first.refresh_from_db()
    posts = [first, *extra]
    followers = User.objects.bulk_create(
        User(username=f"reader{i}", email=f"reader{i}@example.com", display_name=f"R{i}",
             password="!") for i in range(2000)
    )  # fmt: skip
    Follow.objects.bulk_create(
        Follow(follower=f, blog=blog, source_post=random.choice(posts)) for f in followers
    )
    follows = list(Follow.objects.filter(blog=blog).values_list("pk", flat=True))
    for i, pk in enumerate(follows):  # created_at is auto_now_add: spread it over the year
        Follow.objects.filter(pk=pk).update(created_at=year_start + timedelta(days=365 * i / 2000))

    year = Year(args, blog.pk, posts, zone, now)
    daily, hourly, post_rows, breakdown = year.rollup_rows()
    bulk_insert(
        connection,
        "analytics_dailystats",
        ("blog_id", "date", "views", "visitors", "bot_views", "seconds", "timed", "computed_at"),
        daily,
        "DailyStats",
    )
    bulk_insert(
        connection,
        "analytics_hourlystats",
        ("blog_id", "hour", "views", "visitors"),
        hourly,
        "HourlyStats",
    )
    bulk_insert(
        connection,
        "analytics_dailypoststats",
        ("blog_id", "post_id", "date", "views", "visitors", "seconds", "timed"),
        post_rows,
        "DailyPostStats",
    )
    bulk_insert(
        connection,
        "analytics_dailybreakdown",
        ("blog_id", "date", "dimension", '"group"', "value", "views", "visitors"),
        breakdown,
        "DailyBreakdown",
    )
    raw_count = bulk_insert(
        connection, "analytics_hit", HIT_COLUMNS, year.raw_rows(30), "Hit (last 30 days)"
    )
    from koe.analytics.models import RollupState

    RollupState.objects.update_or_create(name="hits", defaults={"done_until": now})
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # autovacuum would, after a load like this
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # as a long-running site's `PRAGMA optimize` would
    sizes = (
        f"DailyStats {len(daily):,}, HourlyStats {len(hourly):,}, DailyPostStats "
        f"{len(post_rows):,}, DailyBreakdown {len(breakdown):,}, raw Hit {raw_count:,}"
    )
    say(f"stage ready: {sizes}; year total {sum(year.hits.values()):,} hits")

    lines = []
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    try:
        url = reverse("analytics:dashboard")
    except NoReverseMatch:
        url = None
    today = year.today
    ranges = [(k, {"range": k}) for k in ("7d", "30d", "12m", "all", "today")] + [
        # mid-month to mid-month, all in the past (by month); and 45 days up to today (by day)
        ("c-past", {"start": str(today - timedelta(200)), "end": str(today - timedelta(20))}),
        ("c-45d", {"start": str(today - timedelta(44)), "end": str(today)}),
    ]
    if url is None:
        say(
            "the dashboard page has not landed (no analytics:dashboard URL): timing the rollup "
            "queries it will run (koe/analytics/queries.py) instead"
        )
    from django.core.cache import cache

    for key, params in ranges:
        fn = page_timer(client, url, params) if url else queries_timer(blog, key)
        for _ in range(3):
            fn()  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            fn()
        captured = list(ctx.captured_queries)  # the next request resets the query log
        n_queries, sql_ms = (
            len(captured),
            sum(float(q["time"]) for q in captured) * 1000,
        )
        times, steal0 = [], cpu_times()
        for _ in range(args.calls):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        # The first view after the rollup rewrote yesterday (as it does after midnight): the
        # closed months come from the cache, yesterday's month is read again.
        after_rollup = []
        for _ in range(3):
            rollup.recompute_day(blog.pk, year.today - timedelta(1), zone)
            t0 = time.perf_counter()
            fn()
            after_rollup.append((time.perf_counter() - t0) * 1000)
        cold = []  # nothing cached at all (a restarted process with the in-memory cache)
        for _ in range(3):
            cache.clear()
            t0 = time.perf_counter()
            fn()
            cold.append((time.perf_counter() - t0) * 1000)
        goal = (
            ""
            if key == "today"
            else f" (goal p95 <= {GOAL_DASHBOARD_P95_MS:g}) " + mark(p95 <= GOAL_DASHBOARD_P95_MS)
        )
        what = "page" if url else "queries"
        line = (
            f"dashboard {what} range={key:5} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {max(times):7.1f} ms  {n_queries} queries ({sql_ms:.0f} ms of SQL in one "
            f"call){goal}; after a rollup of yesterday {statistics.median(after_rollup):.0f} ms "
            f"(median of 3); empty cache {statistics.median(cold):.0f} ms; "
            f"steal {steal_since(steal0):.1f}%; load {load()}"
        )
        say(line)
        lines.append(line)
        if p95 > GOAL_DASHBOARD_P95_MS and key != "today":
            explain_slowest(connection, captured)
            profile(fn, f"dashboard range={key}")

    times = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        live = rollup.live(blog.pk, ZONE, now=now)  # the stage's now: its last 5 min have hits
        times.append((time.perf_counter() - t0) * 1000)
    line = (
        f"rollup.live() p50 {percentile(times, 0.5):.1f} ms  p95 {percentile(times, 0.95):.1f} ms"
        f" (today so far: {live['views']:,} views, {live['now']} visitors now); load {load()}"
    )
    say(line)
    lines.append(line)

    busiest = max(year.days[-30:-1], key=lambda d: year.hits[d])
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        counted = rollup.recompute_day(blog.pk, busiest, zone)
        times.append(time.perf_counter() - t0)
    line = (
        f"rollup.recompute_day({busiest}, {year.hits[busiest]:,} raw hits -> {counted:,} "
        f"views) median of 3 {statistics.median(times) * 1000:.0f} ms; load {load()}"
    )
    say(line)
    lines.append(line)
    if statistics.median(times) > 2.0:
        profile(lambda: rollup.recompute_day(blog.pk, busiest, zone), "recompute_day")
    result["summary"] = [sizes, *lines]


def page_timer(client, url: str, params: dict):
    def get():
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        return response

    return get


def queries_timer(blog, key: str):
    from django.utils import timezone

    from koe.analytics import queries

    def run():
        scope = queries.Scope.of_blog(blog)
        now = timezone.now()
        period = queries.make_period(key, scope.today(now), lambda: queries.first_day(scope))
        queries.series(scope, period, now)
        queries.sources(queries.breakdowns(scope, period))
        queries.posts(scope, period)
        queries.follower_growth(scope, period)

    return run


def explain_slowest(connection, captured: list[dict], n: int = 2) -> None:
    slow = sorted(captured, key=lambda q: float(q["time"]), reverse=True)[:n]
    for q in slow:
        sql = q["sql"]
        print(f"  slow query ({float(q['time']) * 1000:.0f} ms): {sql[:400]}")
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        try:
            with connection.cursor() as cur:
                cur.execute(prefix + sql)
                for row in cur.fetchall():
                    print("    " + " | ".join(str(x) for x in row))
        except Exception as e:  # noqa: BLE001 - the SQL as logged may not re-run verbatim
            print(f"    (no plan: {e})")


def profile(fn, label: str) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(15)
    print(f"  profile of {label} (top 15 by own time):")
    print("\n".join("  " + line for line in text.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    sys.exit(main())
