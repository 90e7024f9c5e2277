"""Live timelines benchmark: many SSE readers on production-configured `koe run` servers,
a steady rate of posts written through the server, delivery latency from the write to the
client, connections held and server memory.

    .venv/bin/python bench/realtime.py                          # memory layer, then Redis
    .venv/bin/python bench/realtime.py --layer memory --readers 5000
    .venv/bin/python bench/realtime.py --layer redis --readers 20000
    .venv/bin/python bench/realtime.py --layer memory --readers 500 --seconds 10   # quick look

- memory: one `koe run` on SQLite (the embedded default, no Redis): one process, one hub.
- redis:  two `koe run` processes on PostgreSQL + Redis (a fresh database koe_bench_realtime,
          dropped afterwards); readers alternate between them, posts go through the first,
          so half of the readers are served through Redis pub/sub.

Readers are raw asyncio sockets spread over several client processes (a process holds at
most ~15,000 sockets under the fd limit) and over 127.0.0.x source addresses (ephemeral ports
run out near 28,000 per address). The clients share the machine with the servers, and reading
every socket as events arrive costs them CPU the servers then lack (in production the readers
are elsewhere): so only `--live` readers (every n-th connection, as many on each server) read
as events arrive and give the latency; the others hold their stream with reading paused, the
kernel keeps what the server wrote, and they read it after the run, when every delivery is
counted. `--live 0` makes every reader read live. The CPU seconds that the servers, the
clients and the rest of the machine used while posting are printed, so a miss can be put
down to where the time went.

Posters are throw-away accounts made with Koe's actions in the server's database, posting
through POST /now/post with a session. Latency is client receipt minus the time the event
row was written (inside the transaction, just before commit: `payload["t"]`); both clocks
are this machine's. Every reader reads the public timeline, so each post is one delivery
per reader. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from machine import cpu_model, cpu_times, load, steal_since

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KOE = os.path.join(ROOT, ".venv", "bin", "koe")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "koe_bench_realtime"
REDIS = "redis://127.0.0.1:6379/0"
GOALS = {"memory": (5000, 500.0), "redis": (20000, 500.0)}  # readers, p99 ms
PER_CLIENT = 5000  # sockets per client process
PER_ADDRESS = 10000  # connections per 127.0.0.x source address


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layer", choices=["memory", "redis", "both"], default="both")
    p.add_argument("--readers", type=int, help="default: 5,000 (memory), 20,000 (redis)")
    p.add_argument("--rate", type=float, default=2.0, help="posts per second")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    p.add_argument("--minutes", type=float, default=10.0, help="limit for a whole run")
    p.add_argument(
        "--live",
        type=int,
        default=2000,
        help="readers that read as events arrive and give the latency (0: all)",
    )
    p.add_argument("--keep", action="store_true", help="keep the data dir / database")
    return p.parse_args(argv)


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn may fork workers)."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(x) for x in out.split()]
        for p in pids:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
    except OSError:
        pass
    return total / 1024


def family(pid: int) -> list[int]:
    """A process and all its descendants (Granian's supervisor and its workers)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        out = subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout
        todo += [int(x) for x in out.split()]
    return found


def cpu_seconds(pids) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every process on the machine used so far (all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def threads_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ### Servers ###


def start_server(env, port, *, migrate: bool) -> subprocess.Popen:
    args = [KOE, "run", "--port", str(port)] + ([] if migrate else ["--skip-migrate"])
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    end = time.monotonic() + 180
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"koe run stopped: {process.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit("koe run did not start")


def make_posters(env, count: int) -> list[str]:
    """Accounts and signed-in sessions, made with Koe's own actions in the server's database."""
    code = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from koe.accounts.services import do_sign_up
for i in range({count}):
    u = do_sign_up(username=f"poster{{i}}", email=f"poster{{i}}@example.com", password=None,
                   display_name=f"Poster {{i}}")
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk)
    s[BACKEND_SESSION_KEY] = "koe.accounts.backends.UsernameOrEmailBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash()
    s.create()
    print("SESSION", s.session_key)
"""
    out = subprocess.run([KOE, "shell", "-c", code], env=env, capture_output=True, text=True)
    sessions = [line.split()[1] for line in out.stdout.splitlines() if line.startswith("SESSION")]
    if len(sessions) != count:
        raise SystemExit(out.stderr[-2000:])
    return sessions


def post(port: int, session: str, text: str) -> int:
    token = secrets.token_hex(16)
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

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


# ### Readers: one client process holds up to PER_CLIENT sockets ###


REQUEST = b"GET /now/stream/public HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"


class StreamClient(asyncio.Protocol):
    """One SSE reader as a protocol callback (no coroutine per reader: the clients share
    the machine with the server, so they must cost little)."""

    def __init__(self, state, live: bool):
        self.state = state
        self.live = live
        self.buffer = b""
        self.held = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(REQUEST)

    def data_received(self, data):
        now = time.time()
        self.buffer += data
        if not self.held:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 200 " not in self.buffer[: self.buffer.find(b"\r\n")]:
                self.state["failed"] += 1
                self.transport.close()
                return
            self.held = True
            self.state["connected"] += 1
            self.buffer = self.buffer[end + 4 :]
            if not self.live:
                # The kernel keeps what the server writes; it is read and counted at the end.
                self.transport.pause_reading()
                self.state["paused"].append(self)
        cut = self.buffer.rfind(b"\n\n")
        if cut < 0:
            return
        done, self.buffer = self.buffer[:cut], self.buffer[cut + 2 :]
        start = 0
        while True:  # each event's data has "t":<write time> (PostgreSQL puts it first)
            i = done.find(b'"t":', start)
            if i < 0:
                break
            j = min(k for k in (done.find(b",", i), done.find(b"}", i)) if k > 0)
            self.state["events"] += 1
            if self.live:
                self.state["latencies"].append(now - float(done[i + 4 : j]))
            start = j

    def connection_lost(self, exc):
        if self.held:
            self.state["connected"] -= 1
            self.held = False


async def _open(loop, port, source, state, live):
    try:
        await loop.create_connection(
            lambda: StreamClient(state, live), "127.0.0.1", port, local_addr=(source, 0)
        )
    except OSError:
        state["failed"] += 1


def client_main(ports, count, first_address, conn, seconds_limit, live_every):
    """A client process: open `count` streams, report, collect latencies until told to stop;
    then read what the paused streams hold and count every delivery."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    raise_fd_limit()

    async def run():
        loop = asyncio.get_running_loop()
        state = {"connected": 0, "failed": 0, "latencies": [], "events": 0, "paused": []}
        tasks = []
        for i in range(count):
            source = f"127.0.0.{first_address + i // PER_ADDRESS}"
            live = (i // len(ports)) % live_every == 0  # as many on each server
            port = ports[i % len(ports)]
            tasks.append(asyncio.create_task(_open(loop, port, source, state, live)))
            if i % 200 == 199:
                await asyncio.sleep(0.05)  # let the server accept in steps
        end = time.monotonic() + min(seconds_limit, 60 + count / 20)  # a slow start is a figure
        while state["connected"] + state["failed"] < count and time.monotonic() < end:
            await asyncio.sleep(0.2)
        conn.send(("connected", state["connected"], state["failed"]))
        await loop.run_in_executor(None, conn.recv)  # "measure": clear what came before
        state["latencies"], state["events"] = [], 0
        await loop.run_in_executor(None, conn.recv)  # "stop"
        latencies, held = state["latencies"], state["connected"]
        state["latencies"] = []  # what comes from here is late by design, not a figure
        for reader in state["paused"]:
            reader.transport.resume_reading()
        quiet_since, seen = time.monotonic(), -1
        while time.monotonic() - quiet_since < 1.0:  # until nothing more comes for a second
            await asyncio.sleep(0.2)
            if state["events"] != seen:
                seen, quiet_since = state["events"], time.monotonic()
        conn.send(("done", held, state["failed"], latencies, state["events"]))

    asyncio.run(run())


# ### One run ###


def run(layer: str, args) -> dict:
    readers = args.readers or GOALS[layer][0]
    data_dir = tempfile.mkdtemp(prefix=f"koe-bench-realtime-{layer}-")
    env = {
        **os.environ,
        "KOE_DATA_DIR": data_dir,
        "KOE_SECRET_KEY": "bench-realtime-" + "k" * 40,
        "DJANGO_SETTINGS_MODULE": "koe.settings",
        # Granian (koe run's default server) takes at most backlog/workers = 1,024 requests
        # at once per worker, and a stream is a request that lasts: let it hold them all.
        "GRANIAN_BACKPRESSURE": str(readers + 1000),
        "GRANIAN_BACKLOG": "4096",
    }
    for key in ("KOE_DEBUG", "KOE_DATABASE_URL", "KOE_REDIS_URL"):
        env.pop(key, None)
    database = None
    if layer == "redis":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{PG_NAME}"')
        database = f"{PG_SERVER}/{PG_NAME}"
        env.update(KOE_DATABASE_URL=database, KOE_REDIS_URL=REDIS)
    servers, clients = [], []
    try:
        ports = [free_port()]
        servers.append(start_server(env, ports[0], migrate=True))
        if layer == "redis":
            ports.append(free_port())
            env_b = {**env, "KOE_DATA_DIR": data_dir + "-b"}
            servers.append(start_server(env_b, ports[1], migrate=False))
        posters = make_posters(env, 60)
        idle_rss = [rss_mb(s.pid) for s in servers]

        started = time.monotonic()
        per_client = [PER_CLIENT] * (readers // PER_CLIENT) + (
            [readers % PER_CLIENT] if readers % PER_CLIENT else []
        )
        address = 1
        live_every = max(1, readers // args.live) if args.live else 1
        for count in per_client:
            parent, child = mp.Pipe()
            process = mp.Process(
                target=client_main,
                args=(ports, count, address, child, args.minutes * 60, live_every),
            )
            process.start()
            clients.append((process, parent))
            address += max(1, -(-count // PER_ADDRESS))
        held = failed = 0
        for _process, pipe in clients:
            _, ok, bad = pipe.recv()
            held, failed = held + ok, failed + bad
        connect_seconds = time.monotonic() - started
        print(f"  {held:,} streams open ({failed} failed) in {connect_seconds:.1f} s", flush=True)
        time.sleep(2)
        for _process, pipe in clients:
            pipe.send("measure")
        steal_before = cpu_times()
        client_pids = [process.pid for process, _pipe in clients]
        cpu_before = (
            [cpu_seconds(family(s.pid)) for s in servers],
            cpu_seconds(client_pids),
            cpu_seconds([os.getpid()]),
            machine_busy_seconds(),
            time.monotonic(),
        )
        loaded_rss = [rss_mb(s.pid) for s in servers]
        threads = [threads_of(s.pid) for s in servers]

        sent = statuses = 0
        interval = 1.0 / args.rate
        next_at = time.monotonic()
        end = next_at + args.seconds
        while time.monotonic() < end:
            status = post(ports[0], posters[sent % len(posters)], f"Bench post {sent} #bench")
            statuses += status == 302
            sent += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        time.sleep(3)  # the last deliveries
        steal = steal_since(steal_before)
        cpu = {
            "servers": [
                cpu_seconds(family(s.pid)) - b for s, b in zip(servers, cpu_before[0], strict=True)
            ],
            "clients": cpu_seconds(client_pids) - cpu_before[1],
            "poster": cpu_seconds([os.getpid()]) - cpu_before[2],
            "machine": machine_busy_seconds() - cpu_before[3],
            "seconds": time.monotonic() - cpu_before[4],
        }
        latencies, held_end, delivered = [], 0, 0
        for _process, pipe in clients:
            pipe.send("stop")
        for _process, pipe in clients:
            _, ok, _bad, got, events = pipe.recv()
            held_end += ok
            latencies.extend(got)
            delivered += events
        latencies.sort()
        result = {
            "layer": layer,
            "readers": readers,
            "held": held,
            "held_end": held_end,
            "failed": failed,
            "posts": statuses,
            "deliveries": delivered,
            "expected": statuses * held,
            "live": live_every,
            "sampled": len(latencies),
            "cpu": cpu,
            "p50": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
            "max": 1000 * latencies[-1] if latencies else float("nan"),
            "rss_idle": idle_rss,
            "rss": loaded_rss,
            "threads": threads,
            "steal": steal,
            "load": load(),
        }
        return result
    finally:
        for process, _pipe in clients:
            process.terminate()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            shutil.rmtree(data_dir + "-b", ignore_errors=True)
            if database:
                import psycopg

                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def report(r: dict) -> None:
    goal_readers, goal_p99 = GOALS[r["layer"]]
    ok = r["held"] >= goal_readers and r["p99"] <= goal_p99
    servers = "one process" if r["layer"] == "memory" else "two processes"
    print(f"\n{r['layer']} layer, {servers}:")
    print(f"  readers asked {r['readers']:,}, held {r['held']:,} (at the end {r['held_end']:,})")
    print(f"  posts {r['posts']}, deliveries {r['deliveries']:,} of {r['expected']:,} expected")
    who = "every reader" if r["live"] == 1 else f"1 in {r['live']} readers, reading live"
    print(
        f"  latency write→client p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms, "
        f"max {r['max']:.0f} ms ({r['sampled']:,} deliveries to {who})"
    )
    c = r["cpu"]
    ours = sum(c["servers"]) + c["clients"] + c["poster"]
    servers = " + ".join(f"{x:.1f}" for x in c["servers"])
    print(
        f"  CPU in the {c['seconds']:.0f} s of posting (of {2 * c['seconds']:.0f} on two cores): "
        f"servers {servers} s, reader clients {c['clients']:.1f} s, poster "
        f"{c['poster']:.1f} s, the rest of the machine (databases included) "
        f"{max(0.0, c['machine'] - ours):.1f} s"
    )
    if r["deliveries"]:
        per = 1e6 * sum(c["servers"]) / r["deliveries"]
        print(f"  server CPU per delivered event {per:.1f} µs (posting and reading included)")
    rss = ", ".join(
        f"{a:.0f} → {b:.0f} MB ({t} threads)"
        for a, b, t in zip(r["rss_idle"], r["rss"], r["threads"], strict=True)
    )
    print(f"  server memory idle → with readers: {rss}")
    print(f"  load {r['load']}, steal {r['steal']:.1f}%")
    verdict = "PASS" if ok else "MISS"
    print(f"  goal {goal_readers:,} readers with p99 ≤ {goal_p99:.0f} ms: {verdict}")


def main(argv=None) -> None:
    args = parse_args(argv)
    hard = raise_fd_limit()
    print(f"Koe realtime benchmark · {cpu_model()} · {os.cpu_count()} CPUs · fd limit {hard}")
    print(f"load before {load()} · {args.rate} posts/s for {args.seconds:.0f} s")
    layers = ["memory", "redis"] if args.layer == "both" else [args.layer]
    for layer in layers:
        print(f"\n{layer}: starting", flush=True)
        report(run(layer, args))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
