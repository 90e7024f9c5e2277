"""bench/feed.py: the synthetic follow graph, made in bulk (not through Koe's actions)."""

from __future__ import annotations

import array
import heapq
import itertools
import time
from datetime import timedelta

from feed_common import Clock, say
from machine import write_rows

# ### The synthetic graph ###


def batched(iterable, n: int):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def reported(items, batch: int, total: int, label: str, clock: Clock):
    """batched(items, batch), saying how far it has got every ~10 s and at the end."""
    done, t0 = 0, time.perf_counter()
    last = t0
    for chunk in batched(items, batch):
        yield chunk
        done += len(chunk)
        now = time.perf_counter()
        if now - last > 10 or done == total:
            last = now
            say(clock, f"  {label}: {done:,}/{total:,} ({done / max(now - t0, 1e-9):,.0f} rows/s)")
    if done != total:
        say(clock, f"  {label}: {done:,} rows")


def bulk_insert(model, objects, total: int, label: str, clock: Clock, batch: int = 5000) -> list:
    """bulk_create in batches of `batch`, one transaction each, with progress every ~10 s."""
    from django.db import transaction

    created = []
    keep = total <= 1_000_000  # the big tables are not kept in memory
    for chunk in reported(objects, batch, total, label, clock):
        with transaction.atomic():
            rows = model.objects.bulk_create(chunk)
        if keep:
            created.extend(rows)
    return created


def secondary_indexes(model) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that no constraint stands behind."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        else:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            )
        return list(cur.fetchall())


def without_indexes(model):
    """Drop the secondary indexes for a bulk load; the caller puts them back with the result.

    Building an index once, sorted, is many times faster than growing it row by row."""
    from django.db import connection

    saved = secondary_indexes(model)
    with connection.cursor() as cur:
        for name, _sql in saved:
            cur.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return saved


def restore_indexes(saved, label: str, clock: Clock) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for _name, sql in saved:
            cur.execute(sql)
    say(clock, f"  {label}: {len(saved)} indexes rebuilt")


def raw_insert(
    model, columns: list[str], rows, total: int, label: str, clock: Clock, batch: int = 50_000
) -> None:
    """Plain rows straight into the model's table, a transaction a batch (write_rows()).

    For the two big tables only (follows, feed entries): bulk_create spends ~0.2 ms a row in
    Python on this machine, which is 20 minutes for 5 million follows.
    """
    from django.db import transaction

    names = [model._meta.get_field(c).column for c in columns]
    for chunk in reported(rows, batch, total, label, clock):
        with transaction.atomic():
            write_rows(model._meta.db_table, names, chunk)


def follow_count(rng) -> int:
    """Most readers follow 10-100 blogs, a few hundreds, a very few up to 2,000 (log-uniform)."""
    u = rng.random()
    if u < 0.95:
        return int(10 * 10 ** rng.random())
    if u < 0.995:
        return int(100 * 5 ** rng.random())
    return int(500 * 4 ** rng.random())


def build_graph(args, limit: int, clock: Clock) -> dict:
    """Users, blogs, posts, follows and feed entries written in bulk, not through the actions."""
    import random

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from faker import Faker

    from koe.blogs.models import Blog, Post
    from koe.social.models import FeedEntry, Follow

    rng = random.Random(args.seed)
    User = get_user_model()
    n_blogs, n_readers = args.blogs, args.readers
    small_i, mid_i = n_blogs - 1, n_blogs - 2
    small_n = min(10, n_readers)
    mid_n = min(9000, int(0.9 * limit), n_readers)
    say(
        clock,
        "building the graph with bulk_create (not through the sign-up, follow and "
        "publish actions: too slow for 100k people, and not what is measured)",
    )

    # -- who follows what, decided in memory first so follower_count is right from the start
    weights = [1 / (i + 1) ** args.zipf for i in range(n_blogs)]
    weights[small_i] = weights[mid_i] = 0.0  # their followers are chosen exactly, below
    cum = list(itertools.accumulate(weights))
    population = range(n_blogs)
    available = n_blogs - 2
    follows: list[array.array] = []
    for r in range(n_readers):
        if r == 0:  # the heavy reader: the official, the small and the mid blog, and the rest
            k = args.heavy_follows - 3
        elif r == 1:  # the typical reader: the official blog and 50 more
            k = 50
        else:
            k = follow_count(rng)
        k = max(0, min(k, available))
        chosen: dict[int, None] = {}
        while len(chosen) < k:
            for b in rng.choices(population, cum_weights=cum, k=k - len(chosen) + 8):
                chosen[b] = None
                if len(chosen) == k:
                    break
        follows.append(array.array("i", chosen))
    follows[0].extend([small_i, mid_i])
    for r in rng.sample(range(2, n_readers), small_n - 1):
        follows[r].append(small_i)
    for r in rng.sample(range(1, n_readers), mid_n - 1):
        follows[r].append(mid_i)
    counts = [0] * n_blogs
    for arr in follows:
        for b in arr:
            counts[b] += 1
    n_follows = sum(len(a) for a in follows) + n_readers  # + everyone follows the official
    huge = {b for b in range(n_blogs) if counts[b] >= limit}
    say(
        clock,
        f"sampled {n_follows:,} follows; {len(huge)} ordinary blogs reach the fan-out "
        f"limit by popularity (merged at read time, like the official one)",
    )

    # -- people
    fakes = [Faker("ja_JP"), Faker("en_US")]
    for f in fakes:
        f.seed_instance(args.seed)
    names = [fakes[i % 2].name() for i in range(1000)]
    titles = [fakes[i % 2].sentence(nb_words=6)[:100] for i in range(1000)]

    def person(username: str, i: int):
        return User(
            username=username,
            email=f"{username}@bench.invalid",
            display_name=names[i % len(names)],
            password=make_password(None),
        )

    def reader_name(r: int) -> str:
        return {0: "heavy-reader", 1: "typical-reader"}.get(r, f"reader{r}")

    users = itertools.chain(
        (person(reader_name(r), r) for r in range(n_readers)),
        (person(f"blogger{b}", b) for b in range(n_blogs)),
        [person("official-star", 7)],
    )
    people = bulk_insert(User, users, n_readers + n_blogs + 1, "users", clock)
    reader_ids = [u.pk for u in people[:n_readers]]
    blogger_ids = [u.pk for u in people[n_readers:]]

    # -- blogs
    blogs = [
        Blog(owner_id=blogger_ids[b], title=titles[b % len(titles)][:80], follower_count=counts[b])
        for b in range(n_blogs)
    ]
    blogs.append(
        Blog(
            owner_id=blogger_ids[n_blogs],
            title="Official star",
            follower_count=n_readers,
            official_category="musician",
        )
    )
    blog_ids = [b.pk for b in bulk_insert(Blog, blogs, len(blogs), "blogs", clock)]
    official_i = n_blogs

    # -- posts, published over the last 30 days, public and announced
    now = timezone.now()
    by_blog: list[list[tuple]] = [[] for _ in range(n_blogs + 1)]
    plan = []
    for b in range(n_blogs + 1):
        n = (
            args.official_posts
            if b == official_i
            else rng.randint(max(1, args.posts - 5), args.posts + 5)
        )
        for _ in range(n):
            plan.append((b, now - timedelta(seconds=rng.uniform(60, 30 * 86400))))

    def post(b, at, i):
        title = titles[i % len(titles)]
        return Post(
            blog_id=blog_ids[b],
            title=title,
            body=f"{title}\n\nA benchmark post.",
            body_html=f"<p>{title}</p><p>A benchmark post.</p>",
            excerpt=title,
            status=Post.Status.PUBLISHED,
            visibility=Post.Visibility.PUBLIC,
            published_at=at,
            announced_at=at,
        )

    posts = bulk_insert(
        Post, (post(b, at, i) for i, (b, at) in enumerate(plan)), len(plan), "posts", clock
    )
    for (b, at), p in zip(plan, posts, strict=True):
        by_blog[b].append((at, p.pk, blog_ids[b]))
    for lst in by_blog:
        lst.sort(reverse=True)
    del posts, plan

    # -- follows
    from django.db import connection

    def db_time(at):
        return connection.ops.adapt_datetimefield_value(at)

    def follow_rows():
        for r, arr in enumerate(follows):
            at = db_time(now - timedelta(seconds=rng.uniform(86400, 300 * 86400)))
            yield (reader_ids[r], blog_ids[official_i], True, False, at)
            for b in arr:
                yield (reader_ids[r], blog_ids[b], True, False, at)

    saved = without_indexes(Follow)
    raw_insert(
        Follow,
        ["follower", "blog", "is_public", "notify_posts", "created_at"],
        follow_rows(),
        n_follows,
        "follows",
        clock,
    )
    restore_indexes(saved, "follows", clock)

    # -- feed entries, as fan-out would have written them: ordinary blogs only. Every entry
    # for the heavy and the typical reader, the latest --backfill for everyone else.
    def entries_for(r: int):
        lists = [by_blog[b] for b in follows[r] if b not in huge]
        merged = heapq.merge(*lists, reverse=True)
        return merged if r < 2 else itertools.islice(merged, args.backfill)

    n_entries = sum(
        min(args.backfill, sum(len(by_blog[b]) for b in follows[r] if b not in huge))
        for r in range(2, n_readers)
    )
    n_entries += sum(len(by_blog[b]) for r in (0, 1) for b in follows[r] if b not in huge)

    def entry_rows():
        for r in range(n_readers):
            for at, post_id, blog_id in entries_for(r):
                yield (reader_ids[r], post_id, blog_id, db_time(at))

    saved = without_indexes(FeedEntry)
    raw_insert(
        FeedEntry,
        ["reader", "post", "blog", "published_at"],
        entry_rows(),
        n_entries,
        "feed entries",
        clock,
    )
    restore_indexes(saved, "feed entries", clock)

    ordinary = sorted(c for i, c in enumerate(counts) if i not in (small_i, mid_i))
    stats = (
        f"{len(people):,} users ({n_readers:,} readers), {n_blogs + 1:,} blogs "
        f"({len(huge) + 1} at or over the fan-out limit {limit:,}), "
        f"{sum(len(x) for x in by_blog):,} posts, {n_follows:,} follows "
        f"(followers per ordinary blog: median {ordinary[len(ordinary) // 2]:,}, "
        f"max {ordinary[-1]:,}), {n_entries:,} feed entries "
        f"(all for the heavy and typical reader, the latest {args.backfill} per other "
        f"reader; a full backfill would be "
        f"{sum(len(by_blog[b]) for arr in follows for b in arr if b not in huge):,})"
    )
    say(clock, f"graph built: {stats}")
    heavy_blogs = len(follows[0]) + 1
    return {
        "heavy": User.objects.get(pk=reader_ids[0]),
        "typical": User.objects.get(pk=reader_ids[1]),
        "small_blog": Blog.objects.select_related("owner").get(pk=blog_ids[small_i]),
        "mid_blog": Blog.objects.select_related("owner").get(pk=blog_ids[mid_i]),
        "official_blog": Blog.objects.select_related("owner").get(pk=blog_ids[official_i]),
        "stats": stats + f"; the heavy reader follows {heavy_blogs:,} blogs",
    }
