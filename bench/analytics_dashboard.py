"""bench/analytics.py, part 3: the dashboard over a year of a busy blog."""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from analytics_common import (
    GOAL_DASHBOARD_P95_MS,
    ZONE,
    make_blogger,
    mark,
    percentile,
    say,
    setup_django,
)
from analytics_readers import BOT_AGENTS, LANGS, WORDS, referrer_for, user_agents
from machine import cpu_times, load, steal_since

# ### Part 3: the dashboard over a year of a busy blog ###

DEVICES = {"phone": 62, "pc": 29, "tablet": 8, "other": 1}
BROWSERS = {"Mobile Safari": 34, "Chrome Mobile": 22, "Chrome": 20, "Edge": 7, "Safari": 5,
            "Firefox": 3, "LINE": 4, "Samsung Internet": 2, "Chrome Mobile iOS": 2,
            "Google": 1, "Opera": 0.5, "Yandex Browser": 0.1}  # fmt: skip
SYSTEMS = {"iOS": 40, "Android": 26, "Windows": 22, "Mac OS X": 8, "Linux": 1, "Chrome OS": 1,
           "Ubuntu": 0.3, "Other": 0.2}  # fmt: skip
LANG_WEIGHTS = {"ja": 70, "ja-jp": 12, "en-us": 6, "en": 3, "zh-tw": 2, "ko-kr": 2, "zh-cn": 2,
                "fr-fr": 0.6, "de-de": 0.5, "es-es": 0.4, "th-th": 0.4, "pt-br": 0.3,
                "vi-vn": 0.3, "id-id": 0.3, "it-it": 0.2}  # fmt: skip
SOURCES = {"direct": 35, "search": 25, "koe": 20, "social": 12, "other": 8}
KOE_REFS = {"this blog": 40, "feed": 20, "ranking": 10, "search": 5, "hashtag": 5, "official": 2,
            "front page": 6, "other page": 2, "now": 1, "notifications": 2}  # fmt: skip
ENGINES = {"google": 60, "yahoo": 30, "bing": 6, "duckduckgo": 2, "baidu": 1, "naver": 1}
SOCIALS = {"X": 40, "LINE": 20, "Facebook": 10, "Instagram": 15, "note": 5, "Hatena": 5,
           "Threads": 3, "Bluesky": 2}  # fmt: skip


def spread(total: int, weights: dict, rnd: random.Random) -> dict:
    """total split over weights (with some noise), zeros left out."""
    noisy = {k: w * rnd.uniform(0.7, 1.3) for k, w in weights.items() if w > 0}
    s = sum(noisy.values())
    return {k: v for k, w in noisy.items() if (v := int(round(total * w / s))) > 0}


class Year:
    """The synthetic year: per local day, hits; the rows the rollup would have made of them."""

    def __init__(self, args, blog_id: int, posts: list, zone, now: datetime):
        from koe.analytics.capture import local_date

        self.rnd = random.Random(args.seed)
        self.blog_id, self.posts, self.zone, self.now = blog_id, posts, zone, now
        self.today = local_date(now, zone.key)
        self.days = [self.today - timedelta(d) for d in range(364, -1, -1)]
        weights = []
        for d in self.days:
            w = (1.25 if d.weekday() >= 5 else 1.0) * self.rnd.uniform(0.75, 1.25)
            weights.append(w)
        weights[-1] *= self.today_fraction()  # today so far
        s = sum(weights)
        self.hits = {d: int(args.hits * w / s) for d, w in zip(self.days, weights, strict=True)}
        self.hour_weights = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.2, 1.1, 1.0, 1.1, 1.6, 1.3,
                             1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.1, 1.6, 0.9]  # fmt: skip

    def today_fraction(self) -> float:
        start, _end = self.bounds(self.today)
        return max(0.02, (self.now - start).total_seconds() / 86400)

    def bounds(self, day: date):
        from koe.analytics.rollup import day_bounds

        return day_bounds(day, self.zone)

    def alive_posts(self, day: date) -> list:
        return [p for p in self.posts if p.published_at.date() <= day]

    def rollup_rows(self):
        """DailyStats, HourlyStats, DailyPostStats and DailyBreakdown rows for every day."""
        rnd, daily, hourly, post_rows, breakdown = self.rnd, [], [], [], []
        search_pool = [" ".join(rnd.sample(WORDS, rnd.randint(1, 3))) for _ in range(20_000)]
        domains = [f"site{i}.example.jp" for i in range(1, 1500)]
        for day in self.days:
            hits = self.hits[day]
            bots = int(hits * 0.08)
            views = hits - bots
            visitors = int(views * 0.38)
            timed = int(views * 0.3)  # views the time-on-page beacon reported
            daily.append((self.blog_id, day, views, visitors, bots, timed * 75, timed, self.now))
            start, end = self.bounds(day)
            hours = int((min(end, self.now) - start).total_seconds() // 3600) + 1
            hours = min(hours, int((end - start).total_seconds() // 3600))
            hw = {h: self.hour_weights[h % 24] for h in range(hours)}
            for h, v in spread(views, hw, rnd).items():
                hourly.append((self.blog_id, start + timedelta(hours=h), v, int(v * 0.7) or 1))
            alive = self.alive_posts(day)
            if alive:
                pw = {p.pk: 1 / (rank + 1) ** 0.8 for rank, p in enumerate(reversed(alive))}
                for pk, v in spread(int(views * 0.85), pw, rnd).items():
                    post_rows.append(
                        (
                            self.blog_id,
                            pk,
                            day,
                            v,
                            int(v * 0.8) or 1,
                            int(v * 0.3) * 75,
                            int(v * 0.3),
                        )
                    )
            dims = {
                "source": spread(views, SOURCES, rnd),
                "device": spread(views, DEVICES, rnd),
                "browser": spread(views, BROWSERS, rnd),
                "os": spread(views, SYSTEMS, rnd),
                "language": spread(int(views * 0.97), LANG_WEIGHTS, rnd),
            }
            src = dims["source"]
            refs = {}  # (group, value): views; a referrer is kept with its group
            for group, weights in (("koe", KOE_REFS), ("search", ENGINES), ("social", SOCIALS)):
                refs.update(
                    {(group, k): v for k, v in spread(src.get(group, 0), weights, rnd).items()}
                )
            others = rnd.sample(domains, min(len(domains), max(1, src.get("other", 0) // 15)))
            other_w = {d: 1 / (i + 1) for i, d in enumerate(others)}
            refs.update(
                {("other", k): v for k, v in spread(src.get("other", 0), other_w, rnd).items()}
            )
            dims["referrer"] = refs
            words = rnd.sample(
                search_pool, min(len(search_pool), max(1, src.get("search", 0) // 12))
            )
            dims["search"] = spread(
                int(src.get("search", 0) * 0.25),
                {w: 1 / (i + 1) ** 0.6 for i, w in enumerate(words)},
                rnd,
            )
            entry_w = {f"/@writer/{p.pk}/": 1 / (r + 1) for r, p in enumerate(reversed(alive))}
            entry_w["/@writer/"] = 2.0
            dims["entry"] = spread(int(views * 0.6), entry_w, rnd)
            for dimension, values in dims.items():
                for value, v in values.items():
                    group, value = value if isinstance(value, tuple) else ("", value)
                    breakdown.append(
                        (self.blog_id, day, dimension, group, value[:200], v, int(v * 0.75) or 1)
                    )
        return daily, hourly, post_rows, breakdown

    def raw_rows(self, days: int = 30):
        """Raw hits of the last `days` days (today until now), pre-classified, in time order.

        The Labels rows are made now, before the rows are read (a COPY cannot wait)."""
        from koe.analytics import capture, classify

        rnd = random.Random(self.rnd.random())
        people = [(ua, classify.user_agent(ua)) for ua in user_agents()]
        robots = [(ua, classify.user_agent(ua)) for ua in BOT_AGENTS]
        pids = [p.pk for p in self.posts]
        refs = []
        for _ in range(4000):
            referrer = referrer_for(rnd, "writer", pids[-50:])
            refs.append(classify.referrer(referrer, own_host="127.0.0.1", blog_username="writer"))
        langs = [classify.language(x) for x in LANGS]
        # The Labels rows first (a COPY cannot wait for them): 5,000 combinations of agent,
        # referrer and language, each row taking one.
        chosen = []
        for _ in range(5000):
            _ua, (device, browser, system) = (
                rnd.choice(robots) if rnd.random() < 0.08 else rnd.choice(people)
            )
            group, source, terms, entry = rnd.choice(refs)
            values = (device == "bot", entry, group, source, terms, device, browser, system)
            chosen.append((*values, rnd.choice(langs)))
        ids = capture.label_ids(set(chosen))
        combos = [(values[0], ids[values]) for values in chosen]
        return self._raw_rows(days, rnd, combos, pids)

    def _raw_rows(self, days: int, rnd, combos: list, pids: list):
        for day in self.days[-days:]:
            start, end = self.bounds(day)
            end = min(end, self.now)
            n = self.hits[day]
            alive = [p.pk for p in self.alive_posts(day)] or pids[:1]
            span = (end - start).total_seconds()
            # Visitors: the day's hashes (random numbers; no salt is read during a COPY).
            pool = [rnd.getrandbits(63) for _ in range(max(1, int(n * 0.38)))]
            stamps = sorted(rnd.random() for _ in range(n))
            for x in stamps:
                ts = start + timedelta(seconds=x * span)
                is_bot, labels_id = rnd.choice(combos)
                post_id = (
                    alive[-1 - min(len(alive) - 1, int(rnd.paretovariate(1.2)) - 1)]
                    if rnd.random() < 0.85
                    else None
                )
                yield (
                    self.blog_id,
                    post_id,
                    ts,
                    rnd.choice(pool),
                    "post" if post_id else "top",
                    f"/@writer/{post_id}/" if post_id else "/@writer/",
                    "",
                    rnd.randint(5, 300) if rnd.random() < 0.3 else None,
                    is_bot,
                    labels_id,
                )


HIT_COLUMNS = ("blog_id", "post_id", "ts", "visitor", "kind", "path", "country", "seconds",
               "is_bot", "labels_id")  # fmt: skip


def bulk_insert(connection, table: str, columns: tuple, rows, label: str) -> int:
    """Rows into a table the fast way: executemany on SQLite, COPY on PostgreSQL."""
    t0, count, last = time.perf_counter(), 0, time.monotonic()
    cols = ", ".join(columns)
    if connection.vendor == "sqlite":

        def adapt(v):
            if isinstance(v, datetime):
                return str(v.astimezone(UTC).replace(tzinfo=None))
            if isinstance(v, date):
                return v.isoformat()
            return v

        raw = connection.connection
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        chunk = []
        for row in rows:
            chunk.append(tuple(adapt(v) for v in row))
            if len(chunk) >= 50_000:
                with raw:
                    raw.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
                if time.monotonic() - last > 10:
                    say(f"  {label}: {count:,} rows")
                    last = time.monotonic()
        if chunk:
            with raw:
                raw.executemany(sql, chunk)
            count += len(chunk)
    else:
        with (
            connection.connection.cursor() as cur,
            cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
                if count % 100_000 == 0 and time.monotonic() - last > 10:
                    say(f"  {label}: {count:,} rows")
                    last = time.monotonic()
        connection.connection.commit()
    say(f"  {label}: {count:,} rows in {time.perf_counter() - t0:.1f}s")
    return count


def bench_dashboard(args, data_dir: str, result: dict) -> None:
    connection = setup_django(buffered=False)
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from koe.accounts.models import User
    from koe.analytics import rollup
    from koe.blogs.models import Post
    from koe.social.models import Follow

    call_command("collectstatic", interactive=False, verbosity=0)  # as `koe run` does
    user, first = make_blogger()
    blog, zone = user.blog, rollup.blog_zone(ZONE)
    now = datetime.now(UTC)
    say(
        f"building a year of @{user.username}: {args.hits:,} hits, {args.posts} posts "
        "(bulk SQL / COPY, not Koe's actions)"
    )
    year_start = now - timedelta(days=365)
    Post.objects.filter(pk=first.pk).update(published_at=year_start)
    extra = Post.objects.bulk_create(
        Post(blog=blog, title=f"Post {i}", body="x", body_html="<p>x</p>", status="published",
             visibility="public", published_at=year_start + timedelta(days=365 * i / args.posts))
        for i in range(1, args.posts)
    )  # fmt: skip
    first.refresh_from_db()
    posts = [first, *extra]
    followers = User.objects.bulk_create(
        User(username=f"reader{i}", email=f"reader{i}@example.com", display_name=f"R{i}",
             password="!") for i in range(2000)
    )  # fmt: skip
    Follow.objects.bulk_create(
        Follow(follower=f, blog=blog, source_post=random.choice(posts)) for f in followers
    )
    follows = list(Follow.objects.filter(blog=blog).values_list("pk", flat=True))
    for i, pk in enumerate(follows):  # created_at is auto_now_add: spread it over the year
        Follow.objects.filter(pk=pk).update(created_at=year_start + timedelta(days=365 * i / 2000))

    year = Year(args, blog.pk, posts, zone, now)
    daily, hourly, post_rows, breakdown = year.rollup_rows()
    bulk_insert(
        connection,
        "analytics_dailystats",
        ("blog_id", "date", "views", "visitors", "bot_views", "seconds", "timed", "computed_at"),
        daily,
        "DailyStats",
    )
    bulk_insert(
        connection,
        "analytics_hourlystats",
        ("blog_id", "hour", "views", "visitors"),
        hourly,
        "HourlyStats",
    )
    bulk_insert(
        connection,
        "analytics_dailypoststats",
        ("blog_id", "post_id", "date", "views", "visitors", "seconds", "timed"),
        post_rows,
        "DailyPostStats",
    )
    bulk_insert(
        connection,
        "analytics_dailybreakdown",
        ("blog_id", "date", "dimension", '"group"', "value", "views", "visitors"),
        breakdown,
        "DailyBreakdown",
    )
    raw_count = bulk_insert(
        connection, "analytics_hit", HIT_COLUMNS, year.raw_rows(30), "Hit (last 30 days)"
    )
    from koe.analytics.models import RollupState

    RollupState.objects.update_or_create(name="hits", defaults={"done_until": now})
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # autovacuum would, after a load like this
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # as a long-running site's `PRAGMA optimize` would
    sizes = (
        f"DailyStats {len(daily):,}, HourlyStats {len(hourly):,}, DailyPostStats "
        f"{len(post_rows):,}, DailyBreakdown {len(breakdown):,}, raw Hit {raw_count:,}"
    )
    say(f"stage ready: {sizes}; year total {sum(year.hits.values()):,} hits")

    lines = []
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    try:
        url = reverse("analytics:dashboard")
    except NoReverseMatch:
        url = None
    today = year.today
    ranges = [(k, {"range": k}) for k in ("7d", "30d", "12m", "all", "today")] + [
        # mid-month to mid-month, all in the past (by month); and 45 days up to today (by day)
        ("c-past", {"start": str(today - timedelta(200)), "end": str(today - timedelta(20))}),
        ("c-45d", {"start": str(today - timedelta(44)), "end": str(today)}),
    ]
    if url is None:
        say(
            "the dashboard page has not landed (no analytics:dashboard URL): timing the rollup "
            "queries it will run (koe/analytics/queries.py) instead"
        )
    from django.core.cache import cache

    for key, params in ranges:
        fn = page_timer(client, url, params) if url else queries_timer(blog, key)
        for _ in range(3):
            fn()  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            fn()
        captured = list(ctx.captured_queries)  # the next request resets the query log
        n_queries, sql_ms = (
            len(captured),
            sum(float(q["time"]) for q in captured) * 1000,
        )
        times, steal0 = [], cpu_times()
        for _ in range(args.calls):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        # The first view after the rollup rewrote yesterday (as it does after midnight): the
        # closed months come from the cache, yesterday's month is read again.
        after_rollup = []
        for _ in range(3):
            rollup.recompute_day(blog.pk, year.today - timedelta(1), zone)
            t0 = time.perf_counter()
            fn()
            after_rollup.append((time.perf_counter() - t0) * 1000)
        cold = []  # nothing cached at all (a restarted process with the in-memory cache)
        for _ in range(3):
            cache.clear()
            t0 = time.perf_counter()
            fn()
            cold.append((time.perf_counter() - t0) * 1000)
        goal = (
            ""
            if key == "today"
            else f" (goal p95 <= {GOAL_DASHBOARD_P95_MS:g}) " + mark(p95 <= GOAL_DASHBOARD_P95_MS)
        )
        what = "page" if url else "queries"
        line = (
            f"dashboard {what} range={key:5} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {max(times):7.1f} ms  {n_queries} queries ({sql_ms:.0f} ms of SQL in one "
            f"call){goal}; after a rollup of yesterday {statistics.median(after_rollup):.0f} ms "
            f"(median of 3); empty cache {statistics.median(cold):.0f} ms; "
            f"steal {steal_since(steal0):.1f}%; load {load()}"
        )
        say(line)
        lines.append(line)
        if p95 > GOAL_DASHBOARD_P95_MS and key != "today":
            explain_slowest(connection, captured)
            profile(fn, f"dashboard range={key}")

    times = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        live = rollup.live(blog.pk, ZONE, now=now)  # the stage's now: its last 5 min have hits
        times.append((time.perf_counter() - t0) * 1000)
    line = (
        f"rollup.live() p50 {percentile(times, 0.5):.1f} ms  p95 {percentile(times, 0.95):.1f} ms"
        f" (today so far: {live['views']:,} views, {live['now']} visitors now); load {load()}"
    )
    say(line)
    lines.append(line)

    busiest = max(year.days[-30:-1], key=lambda d: year.hits[d])
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        counted = rollup.recompute_day(blog.pk, busiest, zone)
        times.append(time.perf_counter() - t0)
    line = (
        f"rollup.recompute_day({busiest}, {year.hits[busiest]:,} raw hits -> {counted:,} "
        f"views) median of 3 {statistics.median(times) * 1000:.0f} ms; load {load()}"
    )
    say(line)
    lines.append(line)
    if statistics.median(times) > 2.0:
        profile(lambda: rollup.recompute_day(blog.pk, busiest, zone), "recompute_day")
    result["summary"] = [sizes, *lines]


def page_timer(client, url: str, params: dict):
    def get():
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        return response

    return get


def queries_timer(blog, key: str):
    from django.utils import timezone

    from koe.analytics import queries

    def run():
        scope = queries.Scope.of_blog(blog)
        now = timezone.now()
        period = queries.make_period(key, scope.today(now), lambda: queries.first_day(scope))
        queries.series(scope, period, now)
        queries.sources(queries.breakdowns(scope, period))
        queries.posts(scope, period)
        queries.follower_growth(scope, period)

    return run


def explain_slowest(connection, captured: list[dict], n: int = 2) -> None:
    slow = sorted(captured, key=lambda q: float(q["time"]), reverse=True)[:n]
    for q in slow:
        sql = q["sql"]
        print(f"  slow query ({float(q['time']) * 1000:.0f} ms): {sql[:400]}")
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        try:
            with connection.cursor() as cur:
                cur.execute(prefix + sql)
                for row in cur.fetchall():
                    print("    " + " | ".join(str(x) for x in row))
        except Exception as e:  # noqa: BLE001 - the SQL as logged may not re-run verbatim
            print(f"    (no plan: {e})")


def profile(fn, label: str) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(15)
    print(f"  profile of {label} (top 15 by own time):")
    print("\n".join("  " + line for line in text.getvalue().splitlines()[6:] if line.strip()))
