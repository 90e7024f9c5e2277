"""bench/feed.py: the measurements (feed latency, publishing, visibility, the consumer)."""

from __future__ import annotations

import statistics
import time

from feed_common import ms, percentile, say

# ### Measurements ###


def time_calls(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times


def run_sql(queries) -> None:
    """The captured statements again, straight through the driver: the database's share."""
    from django.db import connection

    with connection.cursor() as cur:
        for q in queries:
            cur.execute(q["sql"])
            cur.fetchall()


def measure_feed(args, graph, results, clock) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from koe.social.feed import home_feed

    for who in ("heavy", "typical"):
        reader = graph[who]
        cursor = None
        for _ in range(4):  # the cursor of page 5
            page, cursor = home_feed(reader, cursor=cursor)
        if cursor is None:
            say(clock, f"{who} reader has fewer than 5 pages; page 5 is measured at its end")
        for label, cur in (("first page", None), ("page 5", cursor)):

            def call(cur=cur, reader=reader):
                return home_feed(reader, cursor=cur)

            time_calls(call, 20)  # warm-up
            with CaptureQueriesContext(connection) as queries:
                posts, _next = call()
            times = time_calls(call, args.calls)
            sql = time_calls(lambda q=queries: run_sql(q), max(20, args.calls // 4))
            results[("feed", who, label)] = (times, len(queries), len(posts), sql)
            say(
                clock,
                f"home_feed {who} reader, {label}: p50 {ms(percentile(times, 0.5))}, "
                f"p99 {ms(percentile(times, 0.99))}, {len(queries)} queries, "
                f"{len(posts)} posts; the same SQL alone p50 {ms(percentile(sql, 0.5))}",
            )


def _publish(blog, title: str):
    from koe.blogs.services import do_save_post

    return do_save_post(blog, title=title, body=f"{title}\n\nBenchmark post body.", publish=True)


def measure_publish(args, graph, results, clock) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from koe.social.feed import fan_out
    from koe.social.notifications import notify_followers

    rows = {"official": [], "small": []}
    for i in range(args.publishes):
        for who in ("small", "official"):  # alternate, so load drifts hit both alike
            blog = graph[who + "_blog"]
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                post = _publish(blog, f"Publish {who} {i}")
                t1 = time.perf_counter()
            written = fan_out(post.pk)
            t2 = time.perf_counter()
            notify_followers(post.pk)
            t3 = time.perf_counter()
            writes = sum(
                q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
                for q in queries
            )
            rows[who].append((t1 - t0, t2 - t1, t3 - t2, written, len(queries), writes))
    for who, runs in rows.items():
        results[("publish", who)] = runs
        med = [statistics.median(r[k] for r in runs) for k in range(3)]
        say(
            clock,
            f"publish {who}: transaction {ms(med[0])}, fan-out {ms(med[1])} "
            f"({runs[0][3]} feed rows), notify task {ms(med[2])}, "
            f"{runs[0][4]} queries ({runs[0][5]} writes) in the transaction",
        )


def measure_visibility(args, graph, results, clock) -> None:
    from koe.social.feed import fan_out, home_feed

    heavy = graph["heavy"]
    for who in ("small", "mid", "official"):
        blog = graph[who + "_blog"]
        blog.refresh_from_db(fields=["follower_count"])
        t0 = time.perf_counter()
        post = _publish(blog, f"Visible {who}")
        t1 = time.perf_counter()
        written = fan_out(post.pk)  # what the consumer runs after the commit
        t2 = time.perf_counter()
        seen = False
        while not seen and time.perf_counter() - t0 < 30:
            seen = post.pk in {p.pk for p in home_feed(heavy)[0]}
        t3 = time.perf_counter()
        results[("visible", who)] = (
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t3 - t0,
            written,
            seen,
            blog.follower_count,
        )
        say(
            clock,
            f"visible {who} ({blog.follower_count} followers): publish {ms(t1 - t0)}, "
            f"fan-out {ms(t2 - t1)} ({written} rows), first read {ms(t3 - t2)}, "
            f"total {ms(t3 - t0)}{'' if seen else ' NOT SEEN'}",
        )


def measure_consumer(args, graph, results, clock) -> None:
    """End to end with the consumer `koe run` starts (2 threads, Huey's default polling)."""
    from huey.contrib.djhuey import HUEY

    from koe.social.feed import home_feed

    consumer = HUEY.create_consumer(workers=2, worker_type="thread", periodic=True)
    consumer.start()
    try:
        say(
            clock,
            f"consumer started; idling {args.consumer_idle:.0f}s so its polling backs off "
            "as on a quiet site",
        )
        time.sleep(args.consumer_idle)
        heavy, blog = graph["heavy"], graph["small_blog"]
        t0 = time.perf_counter()
        post = _publish(blog, "Visible through the queue")
        seen = False
        while not seen and time.perf_counter() - t0 < 30:
            seen = post.pk in {p.pk for p in home_feed(heavy)[0]}
            if not seen:
                time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        results["consumer"] = (elapsed, seen)
        say(
            clock,
            f"through the real queue: small blog's post visible after {elapsed:.2f}s"
            + ("" if seen else " (NOT SEEN within 30s)"),
        )
    finally:
        consumer.stop(graceful=True)


def explain_feed(graph, clock) -> None:
    """The plan of every query of the heavy reader's first page and page 5."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from koe.social.feed import home_feed

    reader = graph["heavy"]
    cursor = None
    for _ in range(4):
        _page, cursor = home_feed(reader, cursor=cursor)
    for label, cur in (("first page", None), ("page 5", cursor)):
        with CaptureQueriesContext(connection) as queries:
            home_feed(reader, cursor=cur)
        print(f"\n-- query plans, heavy reader, {label} --")
        for n, q in enumerate(queries, 1):
            sql = q["sql"]
            print(f"[{n}] {q['time']}s  {sql[:300]}{' ...' if len(sql) > 300 else ''}")
            with connection.cursor() as c:
                if connection.vendor == "sqlite":
                    c.execute("EXPLAIN QUERY PLAN " + sql)
                    for row in c.fetchall():
                        print(f"      {row[-1]}")
                else:
                    c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    for (line,) in c.fetchall():
                        print(f"      {line}")
    print()
