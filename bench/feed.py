"""Home feed benchmark: a synthetic follow graph, then feed latency, publishing cost and the
time until a new post shows in a follower's feed, on SQLite and on PostgreSQL.

    .venv/bin/python bench/feed.py                      # both databases, the issue's scale
    .venv/bin/python bench/feed.py --database sqlite --readers 10000 --blogs 1000

Never run in CI. Each database runs in a child process of its own (Django is set up once per
process), one after the other, under a time limit; the parent cleans up whatever a child left.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
from datetime import UTC, datetime

from feed_common import (
    GOAL_FEED_P99_MS,
    GOAL_PUBLISH_RATIO,
    GOAL_VISIBLE_S,
    PG_NAME,
    ROOT,
    Clock,
    mark,
    percentile,
    say,
)
from feed_graph import build_graph
from feed_measure import (
    explain_feed,
    measure_consumer,
    measure_feed,
    measure_publish,
    measure_visibility,
)
from machine import (
    cpu_model,
    cpu_times,
    create_database,
    drop_database,
    load,
    run_per_database,
)

# ### The parent: one child per database, bounded in time, cleaned up after ###


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--readers", type=int, default=100_000)
    p.add_argument("--blogs", type=int, default=10_000, help="blogs besides the official")
    p.add_argument("--posts", type=int, default=20, help="posts per ordinary blog (about)")
    p.add_argument("--official-posts", type=int, default=200)
    p.add_argument("--heavy-follows", type=int, default=2_000)
    p.add_argument("--backfill", type=int, default=20, help="feed entries kept per reader")
    p.add_argument("--calls", type=int, default=200, help="timed home_feed calls per case")
    p.add_argument("--publishes", type=int, default=7, help="timed publishes per blog")
    p.add_argument("--fanout-limit", type=int, default=None, help="default: KOE_FANOUT_LIMIT")
    p.add_argument("--zipf", type=float, default=0.6, help="skew of blog popularity")
    p.add_argument(
        "--consumer-idle",
        type=float,
        default=75.0,
        help="idle seconds of a real consumer before a publish through it; 0 skips",
    )
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--minutes", type=float, default=25.0, help="time limit per database")
    p.add_argument("--keep", action="store_true", help="keep the database and data dir")
    p.add_argument("--child-data-dir", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main() -> int:
    args = parse_args()
    if args.child_data_dir:
        return run_child(args)
    return run_per_database(__file__, args, pg_name=PG_NAME, prefix="koe-bench-feed")


# ### The child: one database ###


def run_child(args) -> int:
    clock = Clock()
    steal0 = cpu_times()
    os.environ["KOE_DATA_DIR"] = args.child_data_dir
    os.environ.pop("KOE_REDIS_URL", None)  # the embedded queue and cache, as `koe run` has them
    os.environ["DJANGO_SETTINGS_MODULE"] = "koe.settings"
    os.environ["KOE_DEBUG"] = "false"
    if args.database == "postgres":
        os.environ["KOE_DATABASE_URL"] = create_database(PG_NAME)
    else:
        os.environ.pop("KOE_DATABASE_URL", None)
    sys.path.insert(0, ROOT)
    try:
        return bench(args, clock, steal0)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(
                f"kept: data dir {args.child_data_dir}"
                + (f", database {PG_NAME}" if args.database == "postgres" else "")
            )
        else:
            shutil.rmtree(args.child_data_dir, ignore_errors=True)
            if args.database == "postgres":
                drop_database(PG_NAME)


def bench(args, clock: Clock, steal0) -> int:
    import django
    from django.conf import settings

    # Not immediate: publishing enqueues its tasks in the embedded SQLite queue as `koe run`
    # does, and the bench then runs the task bodies itself, timed apart from the publish.
    settings.HUEY = {**settings.HUEY, "immediate": False}
    limit = args.fanout_limit or getattr(settings, "KOE_FANOUT_LIMIT", 10_000)
    if args.readers < 2 * limit and not args.fanout_limit:
        limit = max(100, args.readers // 10)
        print(
            f"note: {args.readers} readers < 2 x KOE_FANOUT_LIMIT; the limit is set to {limit} "
            "so the official blog is still merged at read time"
        )
    settings.KOE_FANOUT_LIMIT = limit
    django.setup()

    from django.core.management import call_command
    from django.db import connection

    vendor = connection.vendor
    print(f"== Koe home feed benchmark: {vendor} ==")
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M UTC}; nproc {os.cpu_count()}; "
        f"CPU {cpu_model()}; load average {load()}"
    )
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, database "
        + (
            f"SQLite {connection.Database.sqlite_version} (WAL, as Koe configures it)"
            if vendor == "sqlite"
            else "PostgreSQL"
        )
    )
    print(
        f"scale: {args.readers} readers, {args.blogs} blogs x ~{args.posts} posts, official "
        f"blog with {args.official_posts} posts, heavy reader follows {args.heavy_follows}, "
        f"KOE_FANOUT_LIMIT {limit}"
    )
    print(
        "Huey: not immediate (embedded SqliteHuey queue); the bench calls the task bodies "
        "feed.fan_out() and notifications.notify_followers() itself and times them."
    )
    call_command("migrate", verbosity=0)
    say(clock, "migrated")

    graph = build_graph(args, limit, clock)
    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # autovacuum would, after a load like this
        say(clock, "ANALYZE done")

    results = {}
    measure_feed(args, graph, results, clock)
    measure_publish(args, graph, results, clock)
    measure_visibility(args, graph, results, clock)
    if args.consumer_idle > 0:
        measure_consumer(args, graph, results, clock)
    explain_feed(graph, clock)
    steal1 = cpu_times()
    summarise(args, graph, results, steal0, steal1, clock)
    return 0


# ### The summary ###


def summarise(args, graph, results, steal0, steal1, clock) -> None:
    from django.db import connection

    d_steal, d_total = steal1[0] - steal0[0], steal1[1] - steal0[1]
    print(f"== Summary: {connection.vendor} ==")
    print(f"graph: {graph['stats']}")
    print(
        f"machine: nproc {os.cpu_count()}, {cpu_model()}; load average now {load()}; "
        f"CPU steal during the run {d_steal} of {d_total} jiffies "
        f"({100 * d_steal / max(1, d_total):.1f}%)"
    )
    print(
        "\nhome_feed(reader) latency over "
        f"{args.calls} calls after 20 warm-up calls (ms)  goal p99 <= {GOAL_FEED_P99_MS:.0f}"
    )
    print(
        f"  {'reader':<9} {'page':<11} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'queries':>7} {'SQL p50':>7}"
    )
    for who in ("heavy", "typical"):
        for label in ("first page", "page 5"):
            times, queries, _n, sql = results[("feed", who, label)]
            p99 = percentile(times, 0.99) * 1000
            print(
                f"  {who:<9} {label:<11} {percentile(times, 0.5) * 1000:7.2f} "
                f"{percentile(times, 0.95) * 1000:7.2f} {p99:7.2f} {times[-1] * 1000:7.2f} "
                f"{queries:7d} {percentile(sql, 0.5) * 1000:7.2f}  "
                f"{mark(p99 <= GOAL_FEED_P99_MS)}"
            )
    print(
        "  (SQL p50: the same statements run straight through the driver, without Django;"
        " the rest of the time is Django building the queries and the model instances)"
    )

    small, huge = results[("publish", "small")], results[("publish", "official")]

    def med(runs, k):
        return statistics.median(r[k] for r in runs)

    print(f"\npublishing (median of {args.publishes}; transaction = do_save_post(publish=True))")
    for who, runs in (("official", huge), ("10-follower", small)):
        blog = graph["official_blog" if who == "official" else "small_blog"]
        print(
            f"  {who:<11} blog ({blog.follower_count:>6} followers): transaction "
            f"{med(runs, 0) * 1000:7.2f} ms, {runs[0][5]} SQL writes; fan-out task "
            f"{med(runs, 1) * 1000:7.2f} ms, {runs[0][3]} feed rows; notify task "
            f"{med(runs, 2) * 1000:7.2f} ms"
        )
    ratio_tx = med(huge, 0) / med(small, 0)
    tot = [sum(med(r, k) for k in range(2)) for r in (huge, small)]
    print(
        f"  ratio official/small, publishing transaction: {ratio_tx:.2f}x  "
        f"goal <= {GOAL_PUBLISH_RATIO}x  {mark(ratio_tx <= GOAL_PUBLISH_RATIO)}"
    )
    print(f"  ratio official/small, transaction + fan-out: {tot[0] / tot[1]:.2f}x")
    ratio_all = sum(med(huge, k) for k in range(3)) / sum(med(small, k) for k in range(3))
    print(f"  ratio official/small, with the notify task too: {ratio_all:.2f}x")

    print(
        f"\ntime until the post is in the heavy reader's home feed "
        f"(publish + fan-out run at once + feed read)  goal <= {GOAL_VISIBLE_S:.0f} s"
    )
    for who in ("small", "mid", "official"):
        pub, fan, read, total, written, seen, followers = results[("visible", who)]
        print(
            f"  {who:<9} ({followers:>6} followers): {total * 1000:8.1f} ms "
            f"(publish {pub * 1000:.1f}, fan-out {fan * 1000:.1f} for {written} rows, "
            f"read {read * 1000:.1f})  {mark(seen and total <= GOAL_VISIBLE_S)}"
        )
    if "consumer" in results:
        elapsed, seen = results["consumer"]
        print(
            f"  through the embedded queue, consumer idle {args.consumer_idle:.0f}s first "
            f"(Huey polls an idle SQLite queue at most every 10 s): {elapsed:.2f} s  "
            f"{mark(seen and elapsed <= GOAL_VISIBLE_S)}"
        )
    print(f"\ntotal time {clock}")


if __name__ == "__main__":
    sys.exit(main())
