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
from django.db.models import Prefetch
from django.utils import timezone

from koe.blogs.models import Blog, Post, Tag
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


def _page_sql(cursor: Cursor | None) -> str:
    """One statement for a page of (time, post id): the reader's written entries and the
    posts of huge blogs they follow, each an index range scan, merged by the database.

    Written by hand from the models' metadata because the ORM cannot put LIMIT inside a
    compound statement on SQLite, and building the two querysets cost more than running them.
    """
    qn = connection.ops.quote_name
    entry, follow, mute = FeedEntry._meta, Follow._meta, Mute._meta
    post, blog = Post._meta, Blog._meta

    def col(meta, name):
        return qn(meta.get_field(name).column)

    def before(time_col: str, id_col: str) -> str:
        if cursor is None:
            return ""
        # The redundant upper bound lets the index range start at the cursor.
        return (
            f" AND {time_col} <= %(at)s AND ({time_col} < %(at)s"
            f" OR ({time_col} = %(at)s AND {id_col} < %(id)s))"
        )

    # Every name below comes from the models' metadata; every value is a parameter.
    muted = (
        f"SELECT {col(mute, 'blog')} FROM {qn(mute.db_table)}"  # noqa: S608
        f" WHERE {col(mute, 'user')} = %(reader)s"
    )
    e_time, e_post = col(entry, "published_at"), col(entry, "post")
    written = (
        f"SELECT {e_time} AS t, {e_post} AS i FROM {qn(entry.db_table)}"  # noqa: S608
        f" WHERE {col(entry, 'reader')} = %(reader)s{before(e_time, e_post)}"
        f" AND {col(entry, 'blog')} NOT IN ({muted})"
        f" ORDER BY {e_time} DESC, {e_post} DESC LIMIT %(limit)s"
    )
    huge = (
        f"SELECT f.{col(follow, 'blog')} FROM {qn(follow.db_table)} f"  # noqa: S608
        f" JOIN {qn(blog.db_table)} b ON b.{qn(blog.pk.column)} = f.{col(follow, 'blog')}"
        f" WHERE f.{col(follow, 'follower')} = %(reader)s"
        f" AND b.{col(blog, 'follower_count')} >= %(huge)s"
        f" AND f.{col(follow, 'blog')} NOT IN ({muted})"
    )
    p_time, p_id = col(post, "published_at"), qn(post.pk.column)
    merged = (
        f"SELECT {p_time} AS t, {p_id} AS i FROM {qn(post.db_table)}"  # noqa: S608
        f" WHERE {col(post, 'blog')} IN ({huge}) AND {col(post, 'status')} = %(published)s"
        f" AND {p_time} <= %(now)s{before(p_time, p_id)}"
        f" ORDER BY {p_time} DESC, {p_id} DESC LIMIT %(limit)s"
    )
    return (
        f"SELECT t, i FROM (SELECT * FROM ({written}) w UNION SELECT * FROM ({merged}) m) page"  # noqa: S608
        " ORDER BY t DESC, i DESC LIMIT %(limit)s"
    )


def _as_datetime(value) -> datetime:
    # PostgreSQL's driver gives aware datetimes; SQLite gives Django's stored UTC text.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def home_feed(reader, *, cursor: Cursor | None = None, limit: int = 20):
    """A page of the reader's feed, newest first, and the cursor of the next page."""
    # Mutes and huge blogs stay subqueries: the database resolves them next to the index
    # scans, so a page is three queries whatever the reader follows.
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "reader": reader.pk,
        "limit": limit,
        "huge": fanout_limit(),
        "published": Post.Status.PUBLISHED,
        "now": adapt(timezone.now()),
    }
    if cursor is not None:
        params.update(at=adapt(cursor.published_at), id=cursor.post_id)
    with connection.cursor() as db:
        db.execute(_page_sql(cursor), params)
        page = [(_as_datetime(t), i) for t, i in db.fetchall()]
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
