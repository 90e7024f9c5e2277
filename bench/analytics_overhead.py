"""bench/analytics.py, part 1: what counting a view costs the production server."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import time
import urllib.request

from analytics_common import (
    GOAL_OVERHEAD,
    ROOT,
    VENV_BIN,
    busy,
    free_port,
    make_blogger,
    mark,
    say,
    setup_django,
)
from machine import cpu_times, load, steal_since

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
