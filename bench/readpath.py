"""Read path benchmark: a ~74 KB post page for signed-out readers, served by Koe from its page
cache, by Koe rendering it every time, by nginx as a static file (the machine's limit), by
Koe behind nginx's proxy_cache, and by Granian from an app that does nothing but answer
the same bytes (bench/ceiling_app.py: the most a Python app gets from the server Koe uses).

    .venv/bin/python bench/readpath.py                       # SQLite, then PostgreSQL + Redis
    .venv/bin/python bench/readpath.py --database sqlite --duration 5
    .venv/bin/python bench/readpath.py --server uvicorn      # the other ASGI server

The server side (Koe, nginx) is pinned to CPU 0 with taskset and wrk to CPU 1. Each case is
warmed up, then the cases run in turn, three rounds (so a drifting load weighs on all alike);
the medians are printed with p50/p99 and the non-2xx count, and the ratio to nginx static.
The site is `koe demo`'s content plus one long post, made through Koe's actions in a
throw-away data dir (and the PostgreSQL database koe_bench_readpath, dropped afterwards).
Never run in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_model, cpu_times, load, steal_since  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KOE = [os.path.join(ROOT, ".venv", "bin", "koe")]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "koe_bench_readpath"
REDIS = "redis://127.0.0.1:6379/13"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOALS = {"cached": 0.5, "nginx": 0.85, "uncached": 0.05}
CEILING = "Granian, no-op app (ceiling)"  # the same bytes from bench/ceiling_app.py
FLOOR = "Koe, trivial view (robots.txt)"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)

BUILD = r"""
import os
from django.db import transaction
from koe.accounts import services as accounts
from koe.blogs import services as blogs
paragraph = (
    "東京の朝は早い。駅へ向かう人の波、コーヒーの香り、まだ眠そうな猫。"
    "This long post is the benchmark's page: words, a list, a quote and a table. "
)
parts = []
for i in range(200):
    parts.append(f"## 第{i + 1}章 Chapter {i + 1}\n\n" + paragraph * 4 + "\n")
    parts.append("- 一つ目 one\n- 二つ目 two\n- 三つ目 three\n\n> 引用 a quote\n")
body = "\n".join(parts)
size = int(os.environ["BENCH_BODY_CHARS"])
body = body[:size]
user = accounts.do_sign_up(username="longread", email="longread@example.com",
    password="correct horse battery staple", display_name="長文ブロガー", language="ja")
with transaction.atomic():
    post = blogs.do_save_post(user.blog, title="長い記事 A long post", body=body,
                              tags=["tokyo", "bench"], publish=True)
print(post.get_absolute_url())
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--server", choices=["uvicorn", "granian"], default=None)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--page-kb", type=float, default=74.0, help="size of the post page")
    p.add_argument("--keep", action="store_true", help="leave the data dir")
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, **headers) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Language": "ja", **headers})
    with urllib.request.urlopen(request, timeout=30) as r:
        return r.read()


def wait_for(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url}")


def wrk(url: str, seconds: float, connections: int) -> dict:
    before = cpu_times()
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}",
         f"-d{max(1, round(seconds))}s", "--latency",
         "--timeout", "10s",
         "-H", f"User-Agent: {PHONE}", "-H", "Accept-Language: ja", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    lat = {q: float(v) * UNITS[u] for q, v, u in WRK_LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": lat.get("50", 0.0),
        "p99": lat.get("99", 0.0),
        "non2xx": int(errors.group(1)) if errors else 0,
        "steal": steal_since(before),
        "load": load(),
    }


def measure(cases: list[tuple[str, str, int]], args) -> list[dict]:
    """Each case warmed up, then the cases taken in turn, round after round: a machine whose
    load drifts (a shared one) then weighs on every case alike, and the ratios hold."""
    for _name, url, connections in cases:
        wrk(url, 3, connections)
    runs: dict[str, list[dict]] = {name: [] for name, _url, _c in cases}
    for _ in range(args.runs):
        for name, url, connections in cases:
            runs[name].append(wrk(url, args.duration, connections))
    results = []
    for name, _url, _c in cases:
        mine = runs[name]
        median = sorted(mine, key=lambda r: r["rps"])[len(mine) // 2]
        result = {
            "name": name,
            "rps": median["rps"],
            "p50": median["p50"],
            "p99": median["p99"],
            "non2xx": sum(r["non2xx"] for r in mine),
            "all": [r["rps"] for r in mine],
            "steal": max(r["steal"] for r in mine),
            "load": " / ".join(r["load"].split()[0] for r in mine),
        }
        print(
            f"  {name:<28} {result['rps']:>9,.0f} req/s  p50 {result['p50']:7.2f} ms  "
            f"p99 {result['p99']:7.2f} ms  non-2xx {result['non2xx']}  "
            f"runs {', '.join(f'{r:,.0f}' for r in result['all'])}  "
            f"steal {result['steal']:.1f} %  load {result['load']}",
            flush=True,
        )
        results.append(result)
    return results


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                total += next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as f:
                pids.extend(int(c) for c in f.read().split())
        except (OSError, StopIteration):
            continue
    return total / 1024


class Servers:
    """Processes started by this benchmark, each in its own session, stopped at the end."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd, env=None, cpu="0", log=None) -> subprocess.Popen:
        proc = subprocess.Popen(
            ["taskset", "-c", cpu, *cmd], env=env, cwd=ROOT, start_new_session=True,
            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def stop(self, proc) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


NGINX = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type text/html;
    proxy_cache_path {dir}/nginx-cache levels=1:2 keys_zone=koe:10m max_size=1g inactive=10m
                     use_temp_path=off;
    upstream koe {{ server 127.0.0.1:{koe_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{static_port};
        root {dir}/static-page;
        location / {{ try_files /page.html =404; }}
    }}
    server {{
        listen 127.0.0.1:{proxy_port};
{koe_location}
    }}
}}
"""


def koe_location() -> str:
    """The location block of docs/OPERATIONS.md's "nginx / CDN in front", kept in step."""
    with open(os.path.join(ROOT, "docs", "OPERATIONS.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"# --- koe page cache: begin ---\n(.*?)# --- koe page cache: end ---",
                      text, re.S)  # fmt: skip
    if block is None:
        raise SystemExit("docs/OPERATIONS.md has no nginx page-cache block")
    return block.group(1)


def run_database(database: str, args, servers: Servers) -> list[dict]:
    data_dir = tempfile.mkdtemp(prefix=f"koe-readpath-{database}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOE_", "DJANGO"))}
    os.chmod(data_dir, 0o755)  # nginx's workers run as another user
    # About 1.74 bytes of page per character of this Markdown, plus ~8.5 KB of layout.
    body_chars = int((args.page_kb * 1024 - 8500) / 1.74)
    env.update(KOE_DATA_DIR=data_dir, BENCH_BODY_CHARS=str(body_chars))
    # The nginx case needs Koe to let a shared cache keep pages (docs/OPERATIONS.md).
    env["KOE_PAGE_CACHE_SHARED_SECONDS"] = "5"
    workers = ["--workers", "2"] if database == "postgres" else []
    if database == "postgres":
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", PG_NAME],
                       check=True)  # fmt: skip
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", PG_NAME], check=True)
        env.update(KOE_DATABASE_URL=f"{PG_SERVER}/{PG_NAME}", KOE_REDIS_URL=REDIS)
        subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=False, capture_output=True)
    if args.server:
        env["KOE_SERVER"] = args.server
    results = []
    try:
        t0 = time.monotonic()
        subprocess.run([*KOE, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        subprocess.run([*KOE, "demo", "-v0"], env=env, cwd=ROOT, check=True)
        out = subprocess.run([*KOE, "shell", "-c", BUILD], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        post_path = out.strip().splitlines()[-1]
        print(f"  site built in {time.monotonic() - t0:.0f} s (koe demo + one long post)")
        port, bare_port = free_port(), free_port()
        log = open(os.path.join(data_dir, "koe-run.log"), "w")  # noqa: SIM115 - while they run
        koe = servers.start([*KOE, "run", "--port", str(port), "--skip-migrate", *workers],
                            env=env, log=log)  # fmt: skip
        url = f"http://127.0.0.1:{port}{post_path}"
        wait_for(url)  # one at a time: each start collects the static files
        bare_env = {**env, "KOE_PAGE_CACHE": "false"}
        bare = servers.start(
            [*KOE, "run", "--port", str(bare_port), "--skip-migrate", "--no-consumer", *workers],
            env=bare_env, log=log,
        )  # fmt: skip
        wait_for(f"http://127.0.0.1:{bare_port}/healthz")
        for path in ("/", "/@longread/", "/tags/tokyo/", post_path):
            fetch(f"http://127.0.0.1:{port}{path}")
        time.sleep(5)
        server = args.server or "granian"
        shape = f"{server}, {'2 workers' if workers else '1 worker'}"
        if server == "granian":
            shape += " + its supervisor"
        print(f"  koe run idle with the demo content: RSS {rss_mb(koe.pid):.0f} MB "
              f"({shape}, consumer threads inside, all processes)")  # fmt: skip
        page = fetch(url)
        fetch(url)  # the second view is kept
        cached = urllib.request.urlopen(
            urllib.request.Request(url, headers={"Accept-Language": "ja"}), timeout=30
        )
        print(f"  post page: {len(page):,} bytes; X-Koe-Cache: {cached.headers['X-Koe-Cache']}")
        static_dir = os.path.join(data_dir, "static-page")
        os.makedirs(static_dir, exist_ok=True)
        with open(os.path.join(static_dir, "page.html"), "wb") as f:
            f.write(page)
        static_port, proxy_port = free_port(), free_port()
        conf = os.path.join(data_dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX.format(dir=data_dir, koe_port=port, static_port=static_port,
                                 proxy_port=proxy_port, koe_location=koe_location()))  # fmt: skip
        nginx = servers.start(["nginx", "-c", conf, "-p", data_dir], log=log)
        wait_for(f"http://127.0.0.1:{static_port}/")
        proxied = f"http://127.0.0.1:{proxy_port}{post_path}"
        ceiling_port = free_port()
        ceiling = servers.start(
            [sys.executable, "-m", "granian", "--interface", "asginl", "--loop", "uvloop",
             "--host", "127.0.0.1", "--port", str(ceiling_port), "--log-level", "warning",
             "--no-access-log", "bench.ceiling_app:application"],
            env={**env, "BENCH_PAGE": os.path.join(static_dir, "page.html"),
                 "PYTHONPATH": ROOT},
            log=log,
        )  # fmt: skip
        wait_for(f"http://127.0.0.1:{ceiling_port}/")
        cases = [
            ("nginx static file", f"http://127.0.0.1:{static_port}/", args.connections),
            (CEILING, f"http://127.0.0.1:{ceiling_port}/", args.connections),
            ("Koe, page cache", url, args.connections),
            ("Koe behind nginx proxy_cache", proxied, args.connections),
            # Rendering takes milliseconds: 8 connections keep the server busy without
            # queueing requests past wrk's timeout.
            ("Koe, uncached", f"http://127.0.0.1:{bare_port}{post_path}", 8),
            # Django's floor under the same server and middleware: a view with no query and
            # no template (robots.txt), so the uncached page's gap is read against it.
            (FLOOR, f"http://127.0.0.1:{bare_port}/robots.txt", 8),
        ]
        results = measure(cases, args)
        servers.stop(nginx)
        servers.stop(ceiling)
        servers.stop(bare)
        servers.stop(koe)
    finally:
        if database == "postgres":
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists",
                            PG_NAME], check=False)  # fmt: skip
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return results


def summarise(database: str, results: list[dict]) -> None:
    limit = results[0]["rps"]
    goal_of = {"Koe, page cache": "cached", "Koe behind nginx proxy_cache": "nginx",
               "Koe, uncached": "uncached"}  # fmt: skip
    print(f"  ratios to nginx static ({database}):")
    for r in results[1:]:
        if r["name"] == FLOOR:
            print(f"    {r['name']:<28} {r['rps'] / limit:6.3f}x  (no goal: what Django answers "
                  "with no query and no template)")  # fmt: skip
            continue
        if r["name"] == CEILING:
            print(f"    {r['name']:<28} {r['rps'] / limit:6.3f}x  (no goal: the most any "
                  "Python app gets from this server here)")  # fmt: skip
            continue
        goal = GOALS[goal_of[r["name"]]]
        ratio = r["rps"] / limit
        verdict = "PASS" if ratio >= goal else "MISS"
        print(f"    {r['name']:<28} {ratio:6.3f}x  (goal >= {goal}x: {verdict})")


def main() -> int:
    args = parse_args()
    # Stopped from outside: still stop the servers and remove the data (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    for tool in ("wrk", "nginx", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (apt-get install -y nginx-light wrk util-linux)")
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}; load {load()}")
    print("the machine is shared: other work runs beside this; see the load and steal per case")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    servers = Servers()
    try:
        for database in databases:
            label = "PostgreSQL + Redis, koe run --workers 2" if database == "postgres" else (
                "SQLite, koe run (one process)")  # fmt: skip
            print(f"\n{label}; {args.runs} runs of {args.duration:g} s, "
                  f"{args.connections} connections, server on CPU 0, wrk on CPU 1")  # fmt: skip
            results = run_database(database, args, servers)
            summarise(database, results)
    finally:
        servers.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
