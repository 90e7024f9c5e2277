"""Hashtags and posts rising now: the last three hours against their usual level.

Computed from likes, comments, reblogs, new posts and readers (no table of its own) and
cached for a few minutes. The formula is told in plain words on /trends/ and in
docs/ARCHITECTURE.md; keep the three in step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, F
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from koe.accounts.services import blocked_user_ids
from koe.analytics import recent
from koe.blogs.models import Post, Tag
from koe.social.models import Comment, Like

WINDOW_HOURS = 3
#: What the last hour counts, the hour before it, and the one before that.
FRESHNESS = (1.0, 0.5, 0.25)
WEIGHTS = {"like": 1.0, "comment": 2.0, "reblog": 3.0, "reader": 0.25, "post": 2.0}
USUAL_DAYS = 7
#: Added to the usual level, so a quiet item needs real activity to rise.
SMOOTHING = 2.0
#: Actions (weighted, not freshness-discounted) an item needs in the window to trend at all.
MIN_VOLUME = 3.0
#: Now must be at least the usual level plus SMOOTHING.
MIN_RISE = 1.0
#: A hashtag trends only when posts of this many different blogs carry it.
MIN_BLOGS_PER_TAG = 2
#: Only the posts with most activity in the window are weighed, so the work stays bounded.
ACTIVE_POSTS = 1000
KEEP = 30
CACHE_SECONDS = 300
CACHE_KEY = "discovery:trends:v1"
CHUNK = 500


@dataclass
class Trend:
    """One rising post or hashtag: `key` is its id; `recent` and `usual` are in the same
    freshness-weighted units, `volume` is the plain weighted count in the window."""

    key: int
    recent: float
    usual: float
    volume: float
    genre_id: int | None = None
    owner_id: int | None = None
    name: str = ""

    @property
    def score(self) -> float:
        return self.recent / (self.usual + SMOOTHING)

    @property
    def rising(self) -> bool:
        return self.volume >= MIN_VOLUME and self.score >= MIN_RISE


@dataclass
class Snapshot:
    computed_at: datetime
    posts: list[Trend] = field(default_factory=list)
    #: Per genre id, and None for all of Koe.
    tags: dict[int | None, list[Trend]] = field(default_factory=dict)


class _Tally:
    def __init__(self):
        self.recent: dict = defaultdict(float)
        self.volume: dict = defaultdict(float)

    def add(self, key, ago: int, amount: float) -> None:
        self.recent[key] += amount * FRESHNESS[ago]
        self.volume[key] += amount


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _public(prefix: str = "") -> dict:
    return {
        f"{prefix}status": Post.Status.PUBLISHED,
        f"{prefix}visibility": Post.Visibility.PUBLIC,
        f"{prefix}blog__owner__is_active": True,
    }


def _likes(since: datetime, until: datetime):
    # The author's own likes and comments are no sign of interest from anyone else.
    return Like.objects.filter(
        created_at__gte=since, created_at__lt=until, user__is_active=True
    ).exclude(user_id=F("post__blog__owner_id"))


def _comments(since: datetime, until: datetime):
    return (
        Comment.objects.visible()
        .filter(created_at__gte=since, created_at__lt=until)
        .exclude(author_id=F("post__blog__owner_id"))
    )


def _reblogs(since: datetime, until: datetime):
    return Post.objects.filter(
        reblog_of__isnull=False, published_at__gte=since, published_at__lt=until, **_public()
    )


# ### Posts ###


def _recent_by_post(now: datetime) -> _Tally:
    since = now - timedelta(hours=WINDOW_HOURS)
    tally = _Tally()

    def ago(name):
        return recent.hours_ago(name, now, WINDOW_HOURS)

    likes = _likes(since, now).annotate(ago=ago("created_at")).values("post_id", "ago")
    for row in likes.annotate(n=Count("id")).order_by():
        tally.add(row["post_id"], row["ago"], WEIGHTS["like"] * row["n"])
    # Several comments from one name within an hour count once.
    comments = _comments(since, now).annotate(ago=ago("created_at")).values("post_id", "ago")
    for row in comments.annotate(n=Count("name", distinct=True)).order_by():
        tally.add(row["post_id"], row["ago"], WEIGHTS["comment"] * row["n"])
    reblogs = _reblogs(since, now).annotate(ago=ago("published_at")).values("reblog_of_id", "ago")
    for row in reblogs.annotate(n=Count("blog_id", distinct=True)).order_by():
        tally.add(row["reblog_of_id"], row["ago"], WEIGHTS["reblog"] * row["n"])
    for post_id, hours in recent.post_readers_by_hour(now, WINDOW_HOURS).items():
        for hour, readers in enumerate(hours):
            if readers:
                tally.add(post_id, hour, WEIGHTS["reader"] * readers)
    return tally


def _usual_by_post(posts: dict[int, tuple], since: datetime) -> dict[int, float]:
    """Each post's usual level: its weighted actions in the USUAL_DAYS before the window,
    per hour of its life in that time (at least a day), as FRESHNESS would weigh them."""
    start = since - timedelta(days=USUAL_DAYS)
    totals: dict[int, float] = defaultdict(float)
    ids = list(posts)
    for chunk in _chunks(ids):
        for pk, n in (
            _likes(start, since).filter(post_id__in=chunk).values("post_id")
            .annotate(n=Count("id")).values_list("post_id", "n").order_by()
        ):  # fmt: skip
            totals[pk] += WEIGHTS["like"] * n
        for pk, n in (
            _comments(start, since).filter(post_id__in=chunk).values("post_id")
            .annotate(n=Count("id")).values_list("post_id", "n").order_by()
        ):  # fmt: skip
            totals[pk] += WEIGHTS["comment"] * n
        for pk, n in (
            _reblogs(start, since).filter(reblog_of_id__in=chunk).values("reblog_of_id")
            .annotate(n=Count("blog_id", distinct=True)).values_list("reblog_of_id", "n")
            .order_by()
        ):  # fmt: skip
            totals[pk] += WEIGHTS["reblog"] * n
    last_day = since.date() - timedelta(days=1)
    first_day = since.date() - timedelta(days=USUAL_DAYS)
    for pk, readers in recent.post_readers_per_day(ids, first_day, last_day).items():
        totals[pk] += WEIGHTS["reader"] * readers
    usual = {}
    for pk, (_genre, _owner, published_at) in posts.items():
        hours = (since - published_at).total_seconds() / 3600
        hours = min(max(hours, 24.0), USUAL_DAYS * 24.0)
        usual[pk] = totals.get(pk, 0.0) / hours * sum(FRESHNESS)
    return usual


def _public_meta(ids: list[int], now: datetime) -> dict[int, tuple]:
    meta = {}
    for chunk in _chunks(ids):
        rows = (
            Post.objects.public()
            .filter(pk__in=chunk, published_at__lte=now)
            .values_list("pk", "blog__genre_id", "blog__owner_id", "published_at")
        )
        meta.update({pk: (genre, owner, at) for pk, genre, owner, at in rows})
    return meta


# ### Hashtags ###


def _tags_of(ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = Post.tags.through.objects.filter(post_id__in=chunk).values_list("post_id", "tag_id")
        for post_id, tag_id in rows:
            found[post_id].append(tag_id)
    return found


def _recent_by_tag(now, by_post: _Tally, meta: dict[int, tuple], usual: dict[int, float]):
    """(tally keyed by (tag, genre), the usual level of the active posts per (tag, genre),
    blogs per (tag, genre)) from the active public posts' activity and the new public
    posts carrying each tag."""
    since = now - timedelta(hours=WINDOW_HOURS)
    tally = _Tally()
    posts_usual: dict[tuple, float] = defaultdict(float)
    blogs: dict[tuple, set] = defaultdict(set)
    for post_id, tags in _tags_of(list(meta)).items():
        genre, owner, _at = meta[post_id]
        for tag_id in tags:
            key = (tag_id, genre)
            tally.recent[key] += by_post.recent[post_id]
            tally.volume[key] += by_post.volume[post_id]
            posts_usual[key] += usual.get(post_id, 0.0)
            blogs[key].add(owner)
    # A new post with the tag counts once per blog and hour.
    new_posts = (
        Post.objects.public()
        .filter(published_at__gte=since, published_at__lte=now, reblog_of__isnull=True)
        .filter(tags__isnull=False)
        .annotate(ago=recent.hours_ago("published_at", now, WINDOW_HOURS))
        .values_list("tags", "blog__genre_id", "blog__owner_id", "ago")
        .order_by()
        .distinct()
    )
    for tag_id, genre, owner, ago in new_posts:
        tally.add((tag_id, genre), ago, WEIGHTS["post"])
        blogs[(tag_id, genre)].add(owner)
    return tally, posts_usual, blogs


def _usual_new_posts(tag_ids: list[int], since: datetime) -> dict[tuple, float]:
    """The usual pace of new public posts carrying each tag, per genre, over USUAL_DAYS,
    as FRESHNESS would weigh it over the window. Driven from the week's posts (an index
    range), never from a tag's every post: a tag on a million posts costs no more."""
    start = since - timedelta(days=USUAL_DAYS)
    week = Post.objects.filter(
        published_at__gte=start, published_at__lt=since, reblog_of__isnull=True, **_public()
    ).values("pk")
    rows = (
        Post.tags.through.objects.filter(post_id__in=week)
        # "+ 0": look each post's tags up by post, not each tag's posts (SQLite would
        # otherwise probe every (post, tag) pair).
        .annotate(tag_key=F("tag_id") + 0)
        .filter(tag_key__in=tag_ids)
        .values("tag_id", "post__blog__genre_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    hours = USUAL_DAYS * 24.0
    return {
        (row["tag_id"], row["post__blog__genre_id"]): WEIGHTS["post"]
        * row["n"]
        / hours
        * sum(FRESHNESS)
        for row in rows
    }


def _tag_trends(now, by_post: _Tally, meta, post_usual) -> dict[int | None, list[Trend]]:
    """A hashtag's usual level: the usual levels of its posts active now, and its usual
    pace of new posts."""
    since = now - timedelta(hours=WINDOW_HOURS)
    tally, posts_usual, blogs = _recent_by_tag(now, by_post, meta, post_usual)
    overall_volume: dict[int, float] = defaultdict(float)
    overall_blogs: dict[int, set] = defaultdict(set)
    for (tag_id, _genre), volume in tally.volume.items():
        overall_volume[tag_id] += volume
        overall_blogs[tag_id] |= blogs[(tag_id, _genre)]
    candidates = [
        tag_id
        for tag_id, volume in overall_volume.items()
        if volume >= MIN_VOLUME and len(overall_blogs[tag_id]) >= MIN_BLOGS_PER_TAG
    ]
    if not candidates:
        return {}
    usual: dict[tuple, float] = defaultdict(float)
    for key, value in _usual_new_posts(candidates, since).items():
        usual[key] += value
    for key, value in posts_usual.items():
        if key[0] in candidates:
            usual[key] += value
    names = dict(Tag.objects.filter(pk__in=candidates).values_list("pk", "name"))
    by_genre: dict[int | None, list[Trend]] = defaultdict(list)
    overall: dict[int, Trend] = {}
    for (tag_id, genre), volume in tally.volume.items():
        if tag_id not in names:
            continue
        total = overall.setdefault(tag_id, Trend(tag_id, 0.0, 0.0, 0.0, name=names[tag_id]))
        total.recent += tally.recent[(tag_id, genre)]
        total.volume += volume
        item = Trend(tag_id, tally.recent[(tag_id, genre)], usual.get((tag_id, genre), 0.0),
                     volume, genre_id=genre, name=names[tag_id])  # fmt: skip
        if genre is not None and item.rising and len(blogs[(tag_id, genre)]) >= MIN_BLOGS_PER_TAG:
            by_genre[genre].append(item)
    for (tag_id, _genre), value in usual.items():
        if tag_id in overall:
            overall[tag_id].usual += value
    by_genre[None] = [item for item in overall.values() if item.rising]
    return {genre: _best(items) for genre, items in by_genre.items()}


def _best(items: list[Trend]) -> list[Trend]:
    return sorted(items, key=lambda t: (-t.score, -t.volume, t.key))[:KEEP]


# ### Reading ###


def compute(now: datetime | None = None) -> Snapshot:
    """What is rising at `now`. Every list holds public posts only, at the time of computing."""
    now = now or timezone.now()
    since = now - timedelta(hours=WINDOW_HOURS)
    by_post = _recent_by_post(now)
    active = sorted(by_post.volume, key=lambda pk: -by_post.volume[pk])[:ACTIVE_POSTS]
    meta = _public_meta(active, now)
    # Every active post's usual level: its own trend, and its hashtags' usual level.
    usual = _usual_by_post(meta, since)
    posts = [
        Trend(pk, by_post.recent[pk], usual[pk], by_post.volume[pk], genre_id=genre, owner_id=owner)
        for pk, (genre, owner, _at) in meta.items()
        if by_post.volume[pk] >= MIN_VOLUME
    ]
    rising = sorted(
        (t for t in posts if t.rising), key=lambda t: (-t.score, -t.volume, t.key)
    )  # fmt: skip
    return Snapshot(computed_at=now, posts=rising, tags=_tag_trends(now, by_post, meta, usual))


@db_periodic_task(crontab(minute=f"*/{CACHE_SECONDS // 60}"))
@HUEY.lock_task("koe-trends")
def refresh_trends() -> int:
    """Work trends out ahead, so a reader's page normally finds them ready."""
    found = compute()
    cache.set(CACHE_KEY, found, CACHE_SECONDS * 2)
    return len(found.posts)


def snapshot(*, compute_missing: bool = True) -> Snapshot | None:
    """The latest computation: refreshed every CACHE_SECONDS by the task above, or here
    when the task has not run (no consumer yet, or a cache that was cleared) unless the
    caller would rather show nothing than wait."""
    found = cache.get(CACHE_KEY)
    if found is None and compute_missing:
        found = compute()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def trending_posts(user, genre=None, *, limit: int = 10, snap: Snapshot | None = None) -> list:
    """Rising posts the viewer may see, best first, each with its Trend as `.trend`.

    Checked again at reading time: a post turned private since the computation is left
    out, and so is anyone the viewer blocked or was blocked by."""
    snap = snap or snapshot()
    blocked = blocked_user_ids(user)
    genre_id = genre.pk if genre is not None else None
    chosen = [
        t for t in snap.posts
        if t.owner_id not in blocked and (genre_id is None or t.genre_id == genre_id)
    ][: limit * 2]  # fmt: skip
    found = Post.objects.public().cards().in_bulk([t.key for t in chosen])
    posts = []
    for trend in chosen:
        post = found.get(trend.key)
        if post is not None:
            post.trend = trend
            posts.append(post)
    return posts[:limit]


def trending_tags(genre=None, *, limit: int = 10, snap: Snapshot | None = None) -> list[Trend]:
    snap = snap or snapshot()
    return snap.tags.get(genre.pk if genre is not None else None, [])[:limit]
