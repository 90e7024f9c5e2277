"""Keeping the index and asking it: the one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from koe.blogs.models import Post
from koe.discovery.models import SearchDocument
from koe.discovery.tokens import document_terms

#: The most matches weighed for relevance and freshness. A query matching more (a common
#: character or word) is answered from its newest matches: the index is read from its newest
#: end and reading stops there, so a query costs the same however many posts contain it.
CANDIDATES = 200
#: PostgreSQL finds the newest matches in its table, not in the GIN index: it looks first
#: among the newest documents, in ever larger windows, until one holds CANDIDATES matches
#: (the newest CANDIDATES are then all in it). A word in 1 % of a million posts costs a few
#: hundred rows read instead of ten thousand.
WINDOWS = (2_000, 16_000, 128_000)
#: Searching within at most this many blogs holding at most this many documents starts
#: from their documents (see _few_blogs).
FEW_BLOGS = 50
FEW_DOCUMENTS = 20_000
#: A post this many days old counts half as much as one from today, for equal relevance.
HALF_LIFE_DAYS = 60


def terms_for(post: Post) -> str:
    # The title twice: a word in the title says more about the post than one in passing.
    tags = " ".join(post.tags.values_list("name", flat=True)) if post.pk else ""
    return document_terms(post.title, post.title, post.body, tags)


def index_post(post_id: int) -> bool:
    """Index the post if anyone may read it, else take it out. True when indexed."""
    post = Post.objects.public().filter(pk=post_id).first()
    if post is None:
        SearchDocument.objects.filter(post_id=post_id).delete()
        return False
    SearchDocument.objects.update_or_create(
        post_id=post.pk,
        defaults={
            "blog_id": post.blog_id,
            "terms": terms_for(post),
            "published_at": post.published_at,
        },
    )
    return True


def unindex_post(post_id: int) -> None:
    SearchDocument.objects.filter(post_id=post_id).delete()


@transaction.atomic
def rebuild(progress=None, batch: int = 500) -> int:
    """Index every public post and drop every document that should not be there."""
    public = Post.objects.public()
    SearchDocument.objects.exclude(post_id__in=public.values("pk")).delete()
    # In publication order, so that a new index's ids, which search reads newest first, follow it.
    ids = list(public.order_by("published_at", "pk").values_list("pk", flat=True))
    for done, post_id in enumerate(ids, 1):
        index_post(post_id)
        if progress and (done % batch == 0 or done == len(ids)):
            progress(done, len(ids))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO discovery_fts(discovery_fts) VALUES ('rebuild')")
    return len(ids)


@dataclass
class Hit:
    post_id: int
    relevance: float
    published_at: datetime

    def score(self, now: datetime) -> float:
        age_days = max(0.0, (now - self.published_at).total_seconds() / 86400)
        return self.relevance * math.pow(0.5, age_days / HALF_LIFE_DAYS)


def _match_sql(terms: list[str], prefix_last: bool, by_blog: bool) -> tuple[str, str, str]:
    """The query of the matches (post id, publication time, terms), the column that orders
    them newest first, and the match argument. Terms hold only letters and digits (see
    tokens), and are quoted anyway, so nothing a searcher types is ever full-text syntax."""
    last = len(terms) - 1
    if connection.vendor == "sqlite":
        parts = [f'"{t}"' + ("*" if prefix_last and i == last else "") for i, t in enumerate(terms)]
        if by_blog:
            return (
                # The blog's documents, newest first, each looked up in the index.
                "SELECT d.post_id, d.published_at, d.terms "
                "FROM discovery_searchdocument d CROSS JOIN discovery_fts "
                "ON discovery_fts.rowid = d.id WHERE discovery_fts MATCH %s",
                "d.id",
                " AND ".join(parts),
            )
        return (
            # FTS5 walks the matches by rowid, newest first, and stops at the LIMIT.
            "SELECT d.post_id, d.published_at, d.terms "
            "FROM discovery_fts JOIN discovery_searchdocument d ON d.id = discovery_fts.rowid "
            "WHERE discovery_fts MATCH %s",
            "discovery_fts.rowid",
            " AND ".join(parts),
        )
    parts = [f"'{t}'" + (":*" if prefix_last and i == last else "") for i, t in enumerate(terms)]
    return (
        # tsv: to_tsvector('simple', terms), stored and GIN-indexed (migration 0003).
        "SELECT d.post_id, d.published_at, d.terms FROM discovery_searchdocument d "
        "WHERE d.tsv @@ to_tsquery('simple', %s)",
        "d.id",
        " & ".join(parts),
    )


def search(
    terms: list[str],
    *,
    blogs=None,
    since: datetime | None = None,
    until: datetime | None = None,
    prefix_last: bool = False,
) -> list[Hit]:
    """The best of the newest CANDIDATES matching public posts, most relevant and freshest
    first. `blogs`, when given, is a Blog queryset to search within; `since` and `until`
    bound the publication time (until is exclusive)."""
    if not terms:
        return []
    few = _few_blogs(blogs) if blogs is not None else None
    if few == []:  # no such blog, or not one the reader may search
        return []
    sql, newest, argument = _match_sql(terms, prefix_last, by_blog=few is not None)
    params: list = [argument]
    if since is not None:
        sql += " AND d.published_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    if until is not None:
        sql += " AND d.published_at < %s"
        params.append(connection.ops.adapt_datetimefield_value(until))
    if few is not None:
        sql += f" AND d.blog_id IN ({', '.join(['%s'] * len(few))})"
        params.extend(few)
    elif blogs is not None:
        blogs_sql, blogs_params = blogs.values("pk").query.sql_with_params()
        sql += f" AND d.blog_id IN ({blogs_sql})"
        params.extend(blogs_params)
    tail = f" ORDER BY {newest} DESC LIMIT {CANDIDATES}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and few is None:
            rows = _newest_in_windows(cursor, sql, params)
        else:
            cursor.execute(sql + tail, params)
            rows = cursor.fetchall()
    relevance = _relevance([text for _pk, _at, text in rows], terms, prefix_last)
    hits = [Hit(pk, rel, _aware(at)) for (pk, at, _text), rel in zip(rows, relevance, strict=True)]
    now = timezone.now()
    hits.sort(key=lambda hit: hit.score(now), reverse=True)
    return hits


def _relevance(texts: list[str], terms: list[str], prefix_last: bool) -> list[float]:
    """BM25's weight of how often the words occur, for length (k1 1.2, b 0.75), without the
    rarity of each word: FTS5's bm25() counts every document holding a word to weigh its
    rarity, 50 ms for a character in most of a million posts. Computed here the same for
    SQLite and PostgreSQL, over the few candidates only."""
    if not texts:
        return []
    lengths = [text.count(" ") + 1 for text in texts]
    average = sum(lengths) / len(lengths)
    last = len(terms) - 1
    scores = []
    for text, length in zip(texts, lengths, strict=True):
        padded = f" {text} "
        norm = 1.2 * (0.25 + 0.75 * length / average)
        score = 0.0
        for i, term in enumerate(terms):
            # Terms are space-separated; a prefix matches the start of any of them.
            found = padded.count(f" {term}" if prefix_last and i == last else f" {term} ")
            score += found * 2.2 / (found + norm)
        scores.append(score)
    return scores


def _few_blogs(blogs) -> list[int] | None:
    """The ids of the blogs searched within, when they are few and hold few documents:
    then their documents are read newest first and each is looked up in the index, rather
    than every match of a common word checked for its blog."""
    ids = list(blogs.values_list("pk", flat=True)[: FEW_BLOGS + 1])
    if len(ids) > FEW_BLOGS:
        return None
    held = SearchDocument.objects.filter(blog_id__in=ids)[: FEW_DOCUMENTS + 1].count()
    return ids if held <= FEW_DOCUMENTS else None


def _newest_in_windows(cursor, sql: str, params: list) -> list:
    """PostgreSQL: the newest CANDIDATES matches, window by window (see WINDOWS). Past the
    first two windows the word is known to be rare (under 200 in the newest 16,000), so its
    matches are read through the GIN index: ordering by `id + 0` keeps the planner from
    walking the window, or the whole table, newest first in the hope of meeting them early
    (measured at a million posts: 2.7 s for a word in 0.1 % of posts, 14 s for one in none)."""
    cursor.execute("SELECT max(id) FROM discovery_searchdocument")
    top = cursor.fetchone()[0] or 0
    rows: list = []
    for window in [w for w in WINDOWS if w < top] + [None]:
        rare = window is None or window > WINDOWS[1]
        inner = sql + (" AND d.id > %s" if window else "")
        inner += f" ORDER BY d.id{' + 0' if rare else ''} DESC LIMIT {CANDIDATES}"
        cursor.execute(inner, [*params, *([top - window] if window else [])])
        rows = cursor.fetchall()
        if len(rows) >= CANDIDATES:
            break
    return rows


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands raw SQL results back as text
        value = datetime.fromisoformat(value)
    # Stored in UTC. (timezone.make_aware costs ~15 µs a call: too much for 500 rows.)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
