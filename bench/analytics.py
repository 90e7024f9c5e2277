"""Analytics benchmark: what counting a view costs the production server, how fast the batch
writer stores hits, and how fast the dashboard reads a year of a busy blog.

    .venv/bin/python bench/analytics.py                  # everything, SQLite and PostgreSQL
    .venv/bin/python bench/analytics.py --quick          # a smaller, shorter run
    .venv/bin/python bench/analytics.py --parts writer --database sqlite

Parts (each in a child process of its own, under a time limit, one after the other):

- overhead (analytics_overhead.py):
             `koe run` (Granian) on a throw-away data dir, pinned to CPU 0, loaded by wrk
             pinned to CPU 1: req/s of the post page counted and of the same page with
             counting switched off (bench/settings_nocount.py), in rounds where each goes
             first in turn; the cost is judged on all rounds' answers together. Also the
             CPU per answer of the server and of PostgreSQL (from /proc), the bare /healthz
             once after the rounds, and how many hits reached the database. SQLite as
             `koe run` has it by default, and PostgreSQL with Redis (pages and queue), as
             Koe runs at scale.
- writer (analytics_writer.py):
             rows/s of HitBuffer.flush() over synthetic RawHits in batches, with the time of
             classification (user agent, referrer, visitor hash) apart from the insert.
- dashboard (analytics_dashboard.py):
             a blog with a year of synthetic traffic (rollup rows for the year, raw hits for
             the last 30 days, made in bulk SQL / COPY, not through Koe's actions), then the
             dashboard page through Django's test Client signed in as the blogger, plus
             rollup.live() and rollup.recompute_day() of a busy day.

The synthetic readers are analytics_readers.py's; what the parts share, analytics_common.py's.

Never run in CI. PostgreSQL is expected at postgres://postgres@127.0.0.1:5432; the script
creates and drops the database koe_bench_analytics there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile

from analytics_common import PARTS, PG_NAME, PG_SERVER, REDIS_URL, ROOT, machine_line
from analytics_dashboard import bench_dashboard
from analytics_overhead import bench_overhead
from analytics_writer import bench_writer

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


if __name__ == "__main__":
    sys.exit(main())
