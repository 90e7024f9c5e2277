"""Rankings: unique readers from analytics, ranked per board and stored as snapshots.

The periodic task recomputes whole snapshots (replaced, never added to), so running it
twice, or again after a late rollup, gives the same rows. Pages read the stored rows.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from koe.analytics import readers
from koe.blogs.models import Blog, Post
from koe.core import pagecache
from koe.discovery.models import Ranking, RankingEntry, RankingExclusion

TOP = 100
#: Posts and blogs this far down the list before are still given a rank change.
PREVIOUS_DEPTH = TOP * 10
#: Past daily snapshots are kept this long; monthly ones forever (they are few).
KEEP_DAYS = 62
POST_BATCH = 2000
Period = Ranking.Period
Kind = Ranking.Kind


@dataclass(frozen=True)
class Span:
    period: str
    start: date
    end: date
    previous: tuple[date, date]


def site_today(now=None) -> date:
    zone = zoneinfo.ZoneInfo(settings.KOE_ANALYTICS_DEFAULT_ZONE)
    return timezone.localtime(now or timezone.now(), zone).date()


def spans(today: date) -> list[Span]:
    """Today so far, yesterday, and the month of yesterday so far, each with the one before."""
    yesterday = today - timedelta(days=1)
    month = yesterday.replace(day=1)
    last_month_end = month - timedelta(days=1)
    return [
        Span(Period.TODAY, today, today, (yesterday, yesterday)),
        Span(Period.DAY, yesterday, yesterday, (yesterday - timedelta(days=1),) * 2),
        Span(Period.MONTH, month, yesterday, (last_month_end.replace(day=1), last_month_end)),
    ]


# ### Who may be ranked ###


def eligible_blogs() -> dict[int, tuple[str, str]]:
    """blog id → (genre slug, official category) of blogs that may be ranked: an active
    owner, at least one public post, and not taken out by staff."""
    has_public = Post.objects.public().filter(blog_id=OuterRef("pk"))
    rows = (
        Blog.objects.filter(owner__is_active=True)
        .filter(Exists(has_public))
        .exclude(pk__in=RankingExclusion.objects.active().values("blog_id"))
        .values_list("pk", "genre__slug", "official_category")
    )
    return {pk: (genre or "", official or "") for pk, genre, official in rows}


def blog_boards(genre: str, official: str) -> tuple[str, ...]:
    """Official blogs are ranked apart from ordinary blogs, overall and by category."""
    if official:
        return ("official", f"official:{official}")
    return ("all", f"genre:{genre}") if genre else ("all",)


def post_boards(genre: str, official: str) -> tuple[str, ...]:
    """Popular posts: ordinary blogs' posts, overall and per genre."""
    if official:
        return ()
    return ("all", f"genre:{genre}") if genre else ("all",)


# ### Ranking ###


def rank_boards(scored: Iterable[tuple[int, int, tuple[str, ...]]], depth: int):
    """board → [(key, score)] best first, at most `depth` long.

    Ties are broken by the smaller key (the older blog or post), so the order never
    depends on how the database happened to return the rows."""
    boards: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for key, score, names in scored:
        for name in names:
            boards[name].append((key, score))
    return {
        name: sorted(rows, key=lambda row: (-row[1], row[0]))[:depth]
        for name, rows in boards.items()
    }


def ranked_blogs(first: date, last: date, blogs: dict, depth: int):
    scored = (
        (blog_id, n, blog_boards(*blogs[blog_id]))
        for blog_id, n in readers.blog_readers(first, last)
        if blog_id in blogs
    )
    return rank_boards(scored, depth)


def ranked_posts(first: date, last: date, blogs: dict, depth: int):
    """board → [(post id, readers)], public posts only, checked batch by batch from the
    most read down until every board is full."""
    rows = sorted(
        (
            (-n, post_id, blog_id)
            for post_id, blog_id, n in readers.post_readers(first, last)
            if blog_id in blogs and post_boards(*blogs[blog_id])
        )
    )
    boards: dict[str, list[tuple[int, int]]] = defaultdict(list)
    all_boards = {name for value in blogs.values() for name in post_boards(*value)}
    for start in range(0, len(rows), POST_BATCH):
        batch = rows[start : start + POST_BATCH]
        public = set(
            Post.objects.public()
            .filter(pk__in=[row[1] for row in batch])
            .values_list("pk", flat=True)
        )
        for minus_n, post_id, blog_id in batch:
            if post_id not in public:
                continue
            for name in post_boards(*blogs[blog_id]):
                if len(boards[name]) < depth:
                    boards[name].append((post_id, -minus_n))
        if all(len(boards[name]) >= depth for name in all_boards):
            break
    return dict(boards)


# ### Storing ###


def _post_blogs(post_ids: list[int]) -> dict[int, int]:
    return dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "blog_id"))


@transaction.atomic
def store(span: Span, kind: str, boards: dict, previous: dict, now) -> int:
    """Replace the span's snapshots of one kind with these boards; returns the rows written."""
    snapshots = Ranking.objects.filter(period=span.period, start=span.start, kind=kind)
    snapshots.exclude(board__in=list(boards)).delete()
    post_blog = {}
    if kind == Kind.POSTS:
        post_blog = _post_blogs([key for rows in boards.values() for key, _n in rows[:TOP]])
    written = 0
    for name, rows in boards.items():
        ranking, _created = Ranking.objects.update_or_create(
            period=span.period,
            start=span.start,
            kind=kind,
            board=name,
            defaults={"end": span.end, "computed_at": now},
        )
        ranking.entries.all().delete()
        before = {key: rank for rank, (key, _n) in enumerate(previous.get(name, ()), start=1)}
        entries = []
        for rank, (key, n) in enumerate(rows[:TOP], start=1):
            blog_id = post_blog.get(key) if kind == Kind.POSTS else key
            if blog_id is None:  # the post was deleted meanwhile
                continue
            entries.append(
                RankingEntry(
                    ranking=ranking,
                    rank=rank,
                    blog_id=blog_id,
                    post_id=key if kind == Kind.POSTS else None,
                    readers=n,
                    previous_rank=before.get(key),
                )
            )
        RankingEntry.objects.bulk_create(entries, batch_size=1000)
        written += len(entries)
    return written


def compute(span: Span, blogs: dict | None = None, now=None) -> int:
    """Rank one span's blogs and posts and store them; safe to repeat."""
    now = now or timezone.now()
    blogs = eligible_blogs() if blogs is None else blogs
    written = 0
    for kind, ranker in ((Kind.BLOGS, ranked_blogs), (Kind.POSTS, ranked_posts)):
        current = ranker(span.start, span.end, blogs, TOP)
        previous = ranker(*span.previous, blogs, PREVIOUS_DEPTH)
        written += store(span, kind, current, previous, now)
    return written


def compute_all(today: date | None = None, now=None, *, only_today: bool = False) -> int:
    """Every period's rankings as of `today` (the site's date); returns the rows written.

    only_today: just "today so far", unless yesterday's ranking is not there yet."""
    now = now or timezone.now()
    today = today or site_today(now)
    blogs = eligible_blogs()
    chosen = spans(today)
    if only_today and Ranking.objects.filter(period=Period.DAY, start=chosen[1].start).exists():
        chosen = chosen[:1]
    written = sum(compute(span, blogs, now) for span in chosen)
    # Only the latest "today so far" means anything; old days are pruned after a while.
    Ranking.objects.filter(period=Period.TODAY, start__lt=today).delete()
    Ranking.objects.filter(period=Period.DAY, start__lt=today - timedelta(days=KEEP_DAYS)).delete()
    pagecache.touch_site()  # cached ranking pages show the new snapshots
    return written


# ### Reading ###


def latest(kind: str, board: str, period: str) -> Ranking | None:
    return Ranking.objects.filter(kind=kind, board=board, period=period).order_by("-start").first()


def entries(ranking: Ranking | None):
    """A snapshot's rows as they may be shown now: a blog taken out since, an owner gone, or
    a post that is no longer public leaves the list at once, before the next computation."""
    if ranking is None:
        return RankingEntry.objects.none()
    rows = (
        RankingEntry.objects.filter(ranking=ranking, blog__owner__is_active=True)
        .exclude(blog_id__in=RankingExclusion.objects.active().values("blog_id"))
        .select_related("blog__owner", "blog__genre")
        .order_by("rank")
    )
    if ranking.kind == Kind.POSTS:
        # Exists, not IN: the database checks a hundred posts, never lists every public one.
        public = Post.objects.public().filter(pk=OuterRef("post_id"))
        rows = rows.filter(Exists(public)).select_related("post")
    return rows
