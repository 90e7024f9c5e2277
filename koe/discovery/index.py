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

#: How many best matches are weighed for freshness and checked for visibility.
CANDIDATES = 200
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
    ids = list(public.order_by("pk").values_list("pk", flat=True))
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


def _match_sql(terms: list[str], prefix_last: bool) -> tuple[str, str, str]:
    """The FROM/WHERE clause, the relevance expression and the query argument.

    Terms hold only letters and digits (see tokens), and are quoted anyway, so nothing
    a searcher types is ever full-text syntax."""
    last = len(terms) - 1
    if connection.vendor == "sqlite":
        parts = [f'"{t}"' + ("*" if prefix_last and i == last else "") for i, t in enumerate(terms)]
        return (
            "discovery_fts JOIN discovery_searchdocument d ON d.id = discovery_fts.rowid "
            "WHERE discovery_fts MATCH %s",
            # bm25 is lower for better matches; turn it into "higher is better".
            "-bm25(discovery_fts)",
            " AND ".join(parts),
        )
    parts = [f"'{t}'" + (":*" if prefix_last and i == last else "") for i, t in enumerate(terms)]
    return (
        "discovery_searchdocument d, to_tsquery('simple', %s) q "
        "WHERE to_tsvector('simple', d.terms) @@ q",
        "ts_rank(to_tsvector('simple', d.terms), q)",
        " & ".join(parts),
    )


def search(terms: list[str], *, blogs=None, prefix_last: bool = False) -> list[Hit]:
    """The best matching public posts, most relevant and freshest first.

    `blogs`, when given, is a queryset of Blog ids to search within."""
    if not terms:
        return []
    where, relevance, argument = _match_sql(terms, prefix_last)
    sql = f"SELECT d.post_id, {relevance} AS relevance, d.published_at FROM {where}"  # noqa: S608
    params: list = [argument]
    if blogs is not None:
        blogs_sql, blogs_params = blogs.query.sql_with_params()
        sql += f" AND d.blog_id IN ({blogs_sql})"
        params.extend(blogs_params)
    sql += f" ORDER BY relevance DESC LIMIT {CANDIDATES}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    hits = [Hit(pk, float(rel or 0), _aware(at)) for pk, rel, at in rows]
    now = timezone.now()
    hits.sort(key=lambda hit: hit.score(now), reverse=True)
    return hits


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands raw SQL results back as text
        value = datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value
