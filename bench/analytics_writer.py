"""bench/analytics.py, part 2: the batch writer's rows per second."""

from __future__ import annotations

import cProfile
import io
import pstats
import time

from analytics_common import (
    GOAL_WRITER_SQLITE,
    ZONE,
    busy,
    make_blogger,
    mark,
    percentile,
    say,
    setup_django,
)
from analytics_readers import raw_hits
from machine import cpu_times, load, steal_since

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
