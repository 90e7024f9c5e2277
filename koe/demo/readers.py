"""The demo's readers: five weeks of anonymous visits, rolled up by analytics, then ranked.

Visits are written as raw hits in bulk (no request could be made for forty thousand readers)
and each blog's days are counted by analytics' own rollup. A day already counted is left
as it is, so a second run adds nothing. Every number comes from a seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from koe.analytics import capture, rollup
from koe.analytics.models import DailyStats, Hit
from koe.blogs.models import Post
from koe.demo.texts import BLOGS
from koe.discovery import rankings

TOKYO = ZoneInfo("Asia/Tokyo")
DAYS = 35
#: Readers a day: each blog's usual level, from the most read to the least.
BASE_READERS = (140, 110, 90, 75, 60, 50, 42, 35, 28, 22, 18, 14, 10)
SOURCES = (
    ("search", "google", "東京 カフェ"), ("search", "yahoo", ""), ("social", "X", ""),
    ("social", "LINE", ""), ("koe", "ranking", ""), ("koe", "feed", ""), ("direct", "", ""),
    ("direct", "", ""), ("other", "example.org", ""),
)  # fmt: skip
DEVICES = (
    ("phone", "Mobile Safari", "iOS"), ("phone", "Chrome Mobile", "Android"),
    ("pc", "Chrome", "Windows"), ("pc", "Safari", "Mac OS X"), ("tablet", "Mobile Safari", "iOS"),
)  # fmt: skip


@dataclass
class ReadersReport:
    days: int = 0
    new_days: int = 0
    hits: int = 0
    ranked: int = 0

    def line(self) -> str:
        head = f"Readers: {self.days} blog-days of visits"
        if not self.new_days:
            return f"{head} (nothing new); rankings: {self.ranked} rows"
        added = f"added {self.new_days}, {self.hits} page views"
        return f"{head} ({added}); rankings: {self.ranked} rows"


def _hours_of(day: date, now: datetime) -> list[datetime]:
    """The hours of a Tokyo day that have begun by now (all 24 for a past day)."""
    start = datetime.combine(day, time.min, tzinfo=TOKYO)
    return [start + timedelta(hours=h) for h in range(24) if start + timedelta(hours=h) < now]


def _day_hits(blog, posts, language: str, day: date, base: int, now: datetime) -> list[Hit]:
    rng = random.Random(f"readers/{blog.owner.username}/{day.isoformat()}")
    hours = _hours_of(day, now)
    if not hours:
        return []
    # A weekly rhythm, a slow drift and daily noise, so ranks move from day to day.
    weekend = 1.25 if day.weekday() >= 5 else 1.0
    drift = 1.0 + 0.4 * rng.random() - 0.2
    readers = max(1, round(base * weekend * drift * len(hours) / 24))
    open_posts = [p for p in posts if p.published_at <= hours[-1]]
    hits = []
    for _reader in range(readers):
        visitor = rng.getrandbits(63)
        moment = rng.choice(hours) + timedelta(seconds=rng.randrange(3600))
        moment = min(moment, now - timedelta(minutes=1)).astimezone(UTC)
        group, source, terms = rng.choice(SOURCES)
        device, browser, system = rng.choice(DEVICES)
        # The first view comes from somewhere; the next ones from the blog itself.
        labels = (False, True, group, source, terms, device, browser, system, language)
        moving_on = (False, False, "koe", "this blog", "", device, browser, system, language)
        for view in range(rng.choice((1, 1, 1, 2, 2, 3))):
            # Newer posts are read more; some readers land on the blog's top page.
            post = None
            if open_posts and rng.random() < 0.8:
                post = open_posts[min(int(rng.expovariate(0.6)), len(open_posts) - 1)]
            hits.append(
                Hit(
                    blog_id=blog.pk,
                    post_id=post.pk if post else None,
                    ts=moment + timedelta(seconds=40 * view),
                    visitor=visitor,
                    kind=Hit.Kind.POST if post else Hit.Kind.TOP,
                    is_bot=False,
                    path=post.get_absolute_url() if post else blog.get_absolute_url(),
                    labels_id=capture.label_id(labels if view == 0 else moving_on),
                )
            )
    for _crawl in range(rng.randrange(3)):
        hits.append(
            Hit(blog_id=blog.pk, ts=rng.choice(hours).astimezone(UTC), visitor=rng.getrandbits(63),
                kind=Hit.Kind.TOP, is_bot=True, path=blog.get_absolute_url(),
                labels_id=capture.label_id(
                    (True, False, "direct", "", "", "bot", "Googlebot", "", "")
                ))
        )  # fmt: skip
    return hits


def ensure_readers(users: dict, progress=lambda line: None) -> ReadersReport:
    """Visits for the last five weeks and today so far, counted, then the rankings computed."""
    report = ReadersReport()
    now = timezone.now()
    today = timezone.localdate(now, timezone=TOKYO)
    zone = rollup.blog_zone("Asia/Tokyo")
    specs = [spec for spec in BLOGS if spec.username in users]
    order = random.Random("readers/order").sample(specs, len(specs))
    for index, spec in enumerate(order):
        blog = users[spec.username].blog
        base = BASE_READERS[min(index, len(BASE_READERS) - 1)]
        posts = list(
            Post.objects.public()
            .filter(blog=blog)
            .select_related("blog__owner")
            .order_by("-published_at", "-id")
        )
        counted = set(DailyStats.objects.filter(blog=blog).values_list("date", flat=True))
        for back in range(DAYS, -1, -1):
            day = today - timedelta(days=back)
            report.days += 1
            if day in counted:
                continue
            hits = _day_hits(blog, posts, spec.language, day, base, now)
            with transaction.atomic():
                Hit.objects.bulk_create(hits, batch_size=2000)
                rollup.recompute_day(blog.pk, day, zone)
            report.new_days += 1
            report.hits += len(hits)
        progress(f"  readers for @{spec.username}: {base} a day or so")
    report.ranked = rankings.compute_all(today=today, now=now)
    return report
