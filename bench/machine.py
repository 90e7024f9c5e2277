"""What every benchmark prints about the machine: CPU model, load, CPU steal."""

from __future__ import annotations

import os
import platform


def cpu_times() -> tuple[int, int]:
    """(steal, total) jiffies from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_since(before: tuple[int, int]) -> float:
    """Per cent of CPU time stolen by the host since `before` (from cpu_times())."""
    steal, total = cpu_times()
    return 100.0 * (steal - before[0]) / max(1, total - before[1])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ### Throw-away PostgreSQL databases, and the argument every parent hands its children ###

PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def pg_admin():
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)


def drop_database(name: str) -> None:
    with pg_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def create_database(name: str) -> str:
    """A new, empty database `name` (an old one is dropped first); returns its URL."""
    drop_database(name)
    with pg_admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{PG_SERVER}/{name}"


def strip_database(argv: list[str]) -> list[str]:
    """The command line without its --database choice (the parent gives each child one)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--database":
            skip = True
        elif not a.startswith("--database="):
            out.append(a)
    return out


def run_per_database(script: str, args, *, pg_name: str, prefix: str, data_dir: str = "") -> int:
    """Run `script` once per database chosen by --database, each in a child process of its
    own (given --database and --child-data-dir) under args.minutes; a child that is stopped
    has its data dir and database removed unless args.keep."""
    import shutil
    import subprocess
    import sys
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(script)))
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    failed = 0
    for database in databases:
        child_dir = data_dir or tempfile.mkdtemp(prefix=f"{prefix}-{database}-")
        cmd = [sys.executable, os.path.abspath(script), *strip_database(sys.argv[1:]),
               "--database", database, "--child-data-dir", child_dir]  # fmt: skip
        child = subprocess.Popen(cmd, cwd=root)  # noqa: S603 - this interpreter, our script
        try:
            rc = child.wait(timeout=args.minutes * 60)
        except (subprocess.TimeoutExpired, KeyboardInterrupt) as stop:
            child.kill()
            child.wait()
            print(f"\n!! {database}: stopped ({type(stop).__name__}); cleaning up", flush=True)
            rc = 1
            if not args.keep:
                shutil.rmtree(child_dir, ignore_errors=True)
                if database == "postgres":
                    drop_database(pg_name)
            if isinstance(stop, KeyboardInterrupt):
                return 130
        failed += rc != 0
    return 1 if failed else 0


def write_rows(table: str, columns: list[str], rows) -> None:
    """Plain rows into a table (its columns as the database names them): COPY on
    PostgreSQL, one prepared INSERT run for each row elsewhere. Many times faster than
    bulk_create for the millions of rows a benchmark's stage needs; the caller owns the
    transaction."""
    from django.db import connection

    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
            cursor.cursor.executemany(sql, rows)
