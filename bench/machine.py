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
