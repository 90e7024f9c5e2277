"""Rankings benchmark: how long the ranking task takes for 100,000 blogs with a month of
analytics counts behind them (goal: the daily rankings in 30 s or less).

    .venv/bin/python bench/ranking.py                      # SQLite, then PostgreSQL
    .venv/bin/python bench/ranking.py --database sqlite --blogs 10000   # a quick look

Builds, in bulk (bulk_create, executemany on SQLite, COPY on PostgreSQL, not through Koe's
actions): the blogs and their owners (about 2% official, the rest over the genres), two
public posts each, `DailyStats` for every blog on every day of the month so far (the
pessimistic case: every blog read every day), and `DailyPostStats` for the posts read on
each day (a third of the blogs). Then times discovery.rankings: who may be ranked, the
daily rankings (blogs and posts, with the day before for the rank change), the monthly
rankings, and the whole task as the quarter-hourly job runs it.

Each database runs in a child process under a time limit; the temporary data dir and the
database koe_bench_ranking (at postgres://postgres@127.0.0.1:5432) are removed afterwards.
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
import time
from datetime import UTC, date, datetime, timedelta

from machine import (
    cpu_model,
    cpu_times,
    create_database,
    drop_database,
    load,
    steal_since,
    write_rows,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_NAME = "koe_bench_ranking"
GOAL_DAILY_S = 30.0
TODAY = date(2026, 3, 21)  # the site's date when the task runs: yesterday is the 20th


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--blogs", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--minutes", type=float, default=30.0, help="time limit per database")
    p.add_argument("--keep", action="store_true", help="keep the data dir and the database")
    p.add_argument("--child", help=argparse.SUPPRESS)  # database:data_dir:result_file
    return p.parse_args(argv)


def machine_line() -> str:
    one = os.getloadavg()[0]
    note = " (busy machine: figures pessimistic)" if one > 4 else ""
    return (
        f"machine: nproc {os.cpu_count()}, CPU {cpu_model()}, load {load()}{note}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}"
    )


STARTED = time.perf_counter()


def say(text: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {text}", flush=True)


# ### The parent ###


def main() -> int:
    args = parse_args()
    if args.child:
        return run_child(args)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"== Koe ranking benchmark: {args.blogs:,} blogs on {', '.join(databases)} ==")
    print(machine_line())
    results, failed = [], 0
    for database in databases:
        data_dir = tempfile.mkdtemp(prefix=f"koe-bench-ranking-{database}-")
        result_file = os.path.join(data_dir, "result.json")
        argv = [a for a in sys.argv[1:] if not a.startswith("--database")]
        if "--database" in sys.argv[1:]:
            i = sys.argv[1:].index("--database")
            argv = sys.argv[1:][:i] + sys.argv[1:][i + 2 :]
        cmd = [sys.executable, os.path.abspath(__file__), *argv, "--child",
               f"{database}:{data_dir}:{result_file}"]  # fmt: skip
        print(f"\n-- {database} (limit {args.minutes:g} min) --", flush=True)
        child = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        try:
            rc = child.wait(timeout=args.minutes * 60)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            print(f"!! {database}: stopped; cleaning up", flush=True)
            rc = 1
        if os.path.exists(result_file):
            with open(result_file) as f:
                results.append(json.load(f))
        if args.keep:
            print(f"kept: {data_dir}" + (f", database {PG_NAME}" if database == "postgres" else ""))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if database == "postgres":
                drop_pg_database()
        failed += rc != 0
    if results:
        print("\n== Summary ==")
        for r in results:
            for line in r["summary"]:
                print(f"{r['database']:8} {line}")
        print(machine_line())
    return 1 if failed else 0


def drop_pg_database() -> None:
    try:
        drop_database(PG_NAME)
    except Exception as e:  # noqa: BLE001 - PostgreSQL may simply not be there
        print(f"(could not drop {PG_NAME}: {e})")


# ### The child: build, then measure ###


def run_child(args) -> int:
    database, data_dir, result_file = args.child.split(":", 2)
    os.environ["KOE_DATA_DIR"] = data_dir
    os.environ.pop("KOE_REDIS_URL", None)
    os.environ.pop("KOE_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "koe.settings"
    os.environ["KOE_DEBUG"] = "false"
    if database == "postgres":
        os.environ["KOE_DATABASE_URL"] = create_database(PG_NAME)
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    random.seed(args.seed)
    build(args.blogs)
    summary = measure(args.blogs)
    with open(result_file, "w") as f:
        json.dump({"database": database, "summary": summary}, f)
    return 0


def insert(model, columns: list[str], rows) -> None:
    """Many plain rows into a model's table, in one transaction (write_rows())."""
    from django.db import transaction

    with transaction.atomic():
        write_rows(model._meta.db_table, [model._meta.get_field(c).column for c in columns], rows)


def build(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from koe.analytics.models import DailyPostStats, DailyStats
    from koe.blogs.models import OFFICIAL_CATEGORIES, Blog, Genre, Post

    say(f"building {n:,} people and blogs (bulk rows, not Koe's actions)")
    User = get_user_model()
    genres = list(Genre.objects.values_list("pk", flat=True))
    categories = [slug for slug, _name in OFFICIAL_CATEGORIES]
    users = [
        User(username=f"b{i}", email=f"b{i}@bench.invalid", display_name=f"Blogger {i}",
             password="!", time_zone="Asia/Tokyo")
        for i in range(n)
    ]  # fmt: skip
    User.objects.bulk_create(users, batch_size=5000)
    owners = dict(User.objects.filter(username__startswith="b").values_list("username", "pk"))
    blogs = []
    for i in range(n):
        official = random.random() < 0.02
        blogs.append(
            Blog(owner_id=owners[f"b{i}"], title=f"Blog {i}",
                 genre_id=random.choice(genres) if random.random() < 0.9 else None,
                 official_category=random.choice(categories) if official else "")
        )  # fmt: skip
    Blog.objects.bulk_create(blogs, batch_size=5000)
    blog_ids = list(Blog.objects.order_by("pk").values_list("pk", flat=True))
    say("two public posts a blog")
    published = datetime(2026, 1, 10, tzinfo=UTC)
    Post.objects.bulk_create(
        (
            Post(blog_id=b, title=f"Post {b}/{k}", status="published", visibility="public",
                 published_at=published, announced_at=published)
            for b in blog_ids for k in range(2)
        ),
        batch_size=5000,
    )  # fmt: skip
    posts = {}
    for pk, blog_id in Post.objects.values_list("pk", "blog_id").iterator(10_000):
        posts.setdefault(blog_id, []).append(pk)
    # A few blogs are much read, most hardly: a long tail, as real rankings have.
    weight = {b: max(1, int(random.paretovariate(1.2) * 3)) for b in blog_ids}
    days = [TODAY - timedelta(days=d) for d in range(TODAY.day + 30, -1, -1)]  # and last month
    say(f"DailyStats: {len(blog_ids):,} blogs x {len(days)} days")
    for day in days:
        insert(DailyStats, ["blog", "date", "views", "visitors", "bot_views", "seconds", "timed"],
               [(b, day, weight[b] * 2, max(1, int(weight[b] * random.uniform(.5, 1.5))), 0, 0, 0)
                for b in blog_ids])  # fmt: skip
    say("DailyPostStats: a third of the blogs' posts read each day")
    rows = 0
    for day in days:
        batch = []
        for b in random.sample(blog_ids, len(blog_ids) // 3):
            for post_id in posts[b]:
                batch.append((b, post_id, day, weight[b], max(1, weight[b] // 2), 0, 0))
        insert(
            DailyPostStats, ["blog", "post", "date", "views", "visitors", "seconds", "timed"], batch
        )
        rows += len(batch)
    say(f"{rows:,} post-days; analysing")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(label: str, fn, summary: list[str], goal: float | None = None):
    steal = cpu_times()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    verdict = ""
    if goal is not None:
        verdict = f"  goal <= {goal:g} s: {'PASS' if seconds <= goal else 'MISS'}"
    line = f"{label:44} {seconds:7.2f} s  (steal {steal_since(steal):.1f}%){verdict}"
    say(line)
    summary.append(line)
    return result


def measure(n: int) -> list[str]:
    from koe.discovery import rankings
    from koe.discovery.models import RankingEntry

    summary = [f"{n:,} blogs, load {load()}"]
    spans = {span.period: span for span in rankings.spans(TODAY)}
    blogs = timed("who may be ranked (eligible_blogs)", rankings.eligible_blogs, summary)
    timed("daily blog ranking, day and day before",
          lambda: (rankings.ranked_blogs(*[spans["day"].start] * 2, blogs, rankings.TOP),
                   rankings.ranked_blogs(*spans["day"].previous, blogs, rankings.PREVIOUS_DEPTH)),
          summary)  # fmt: skip
    timed("daily post ranking, day and day before",
          lambda: (rankings.ranked_posts(*[spans["day"].start] * 2, blogs, rankings.TOP),
                   rankings.ranked_posts(*spans["day"].previous, blogs, rankings.PREVIOUS_DEPTH)),
          summary)  # fmt: skip
    timed("daily rankings stored (eligible + compute)",
          lambda: rankings.compute(spans["day"]), summary, GOAL_DAILY_S)  # fmt: skip
    timed("monthly rankings stored (20 days so far)",
          lambda: rankings.compute(spans["month"]), summary)  # fmt: skip
    timed("the whole task (today, day, month)",
          lambda: rankings.compute_all(today=TODAY), summary)  # fmt: skip
    summary.append(f"{RankingEntry.objects.count():,} ranking rows stored")
    return summary


if __name__ == "__main__":
    sys.exit(main())
