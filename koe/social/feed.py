"""The home feed: written ahead for ordinary blogs, merged at read time for huge ones.

A post of a blog with fewer than KOE_FANOUT_LIMIT followers is copied into a FeedEntry row
for every follower by a background task right after it is published. A blog at or over
the limit writes nothing: its posts are read from the posts table when a follower opens
the feed, and merged with the entries. Publishing therefore costs the same for a blog with
a million followers as for one with ten, and a feed read is two index range scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch, Q

from koe.blogs.models import Post, Tag
from koe.social.models import FeedEntry, Follow, Mute

BACKFILL = 20


def fanout_limit() -> int:
    return getattr(settings, "KOE_FANOUT_LIMIT", 10_000)


@dataclass(frozen=True)
class Cursor:
    """Where a page of the feed ends: the last post's time and id."""

    published_at: datetime
    post_id: int

    def __str__(self) -> str:
        return f"{int(self.published_at.timestamp() * 1_000_000)}-{self.post_id}"

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        """None for anything that is not a cursor we made; the feed then starts at the top."""
        try:
            micros, post_id = (raw or "").split("-")
            moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            return cls(moment, int(post_id))
        except (ValueError, OverflowError, OSError):
            return None


def _before(cursor: Cursor | None, time_field: str, id_field: str) -> Q:
    if cursor is None:
        return Q()
    # The redundant upper bound lets the index range start at the cursor instead of
    # filtering every row of the pages before it.
    return Q(**{f"{time_field}__lte": cursor.published_at}) & (
        Q(**{f"{time_field}__lt": cursor.published_at})
        | Q(**{time_field: cursor.published_at, f"{id_field}__lt": cursor.post_id})
    )


def fan_out(post_id: int) -> int:
    """Write the post into each follower's feed; returns the rows written.

    Safe to repeat: rows are unique, and a second run writes none. One INSERT ... SELECT,
    so the follower ids never travel to Python and back (9,000 followers: one statement).
    """
    post = Post.objects.published().select_related("blog").filter(pk=post_id).first()
    if post is None or post.blog.follower_count >= fanout_limit():
        return 0
    qn = connection.ops.quote_name
    entry, follow = FeedEntry._meta, Follow._meta
    fields = ("reader", "post", "blog", "published_at")
    into = ", ".join(qn(entry.get_field(f).column) for f in fields)
    follower, blog = (qn(follow.get_field(f).column) for f in ("follower", "blog"))
    # Names from the models' metadata, values as parameters.
    sql = (
        f"INSERT INTO {qn(entry.db_table)} ({into}) SELECT {follower}, %s, %s, %s "  # noqa: S608
        f"FROM {qn(follow.db_table)} WHERE {blog} = %s ON CONFLICT DO NOTHING"
    )
    published_at = connection.ops.adapt_datetimefield_value(post.published_at)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [post.pk, post.blog_id, published_at, post.blog_id])
        return max(cursor.rowcount, 0)


def backfill(reader, blog) -> None:
    """A new follow shows the blog's latest posts at once (ordinary blogs only)."""
    if blog.follower_count >= fanout_limit():
        return
    recent = Post.objects.public().filter(blog=blog).order_by("-published_at")[:BACKFILL]
    FeedEntry.objects.bulk_create(
        [
            FeedEntry(reader=reader, post=p, blog_id=blog.pk, published_at=p.published_at)
            for p in recent
        ],
        ignore_conflicts=True,
    )


def forget_blog(reader_id: int, blog_id: int) -> None:
    FeedEntry.objects.filter(reader_id=reader_id, blog_id=blog_id).delete()


def home_feed(reader, *, cursor: Cursor | None = None, limit: int = 20):
    """A page of the reader's feed, newest first, and the cursor of the next page."""
    # Mutes and huge blogs stay subqueries: the database resolves them next to the index
    # scans, so a page is four queries whatever the reader follows.
    muted = Mute.objects.filter(user=reader).values("blog_id")
    written = (
        FeedEntry.objects.filter(reader=reader)
        .filter(_before(cursor, "published_at", "post_id"))
        .exclude(blog_id__in=muted)
        .order_by("-published_at", "-post_id")
        .values_list("published_at", "post_id")[:limit]
    )
    huge = (
        Follow.objects.filter(follower=reader, blog__follower_count__gte=fanout_limit())
        .exclude(blog_id__in=muted)
        .values("blog_id")
    )
    merged = (
        Post.objects.published()
        .filter(blog_id__in=huge)
        .filter(_before(cursor, "published_at", "id"))
        .order_by("-published_at", "-id")
        .values_list("published_at", "id")[:limit]
    )
    page = sorted({*written, *merged}, reverse=True)[:limit]
    next_cursor = Cursor(*page[-1]) if len(page) == limit else None
    # Deny by default: whatever the rows say, only posts the reader may read now are shown.
    # Unordered: the page's order is already known.
    posts = {
        p.pk: p
        for p in Post.objects.visible_to(reader)
        .filter(pk__in=[post_id for _, post_id in page])
        .cards()
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by()
    }
    return [posts[i] for _, i in page if i in posts], next_cursor
