"""Keeping the index and asking it: the one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from koe.blogs.models import Post
from koe.discovery.models import SearchDocument
from koe.discovery.tokens import document_terms

#: The most matches weighed for relevance and freshness. A query matching more (a common
#: character or word) is answered from its newest matches: the index is read from its newest
#: end and reading stops there, so a query costs the same however many posts contain it.
CANDIDATES = 200
#: PostgreSQL's GIN index also names the run of ids each document falls in (migration 0005):
#: "~s" runs of 2**11 ids, "~b" runs of 2**15. The newest matches are looked for among the
#: newest 2 small runs first, then in as many runs as the matches found so far say will hold
#: CANDIDATES (and half as many again), up to MAX_RUNS big ones, then everywhere; the first
#: look that holds CANDIDATES holds the newest CANDIDATES. The index answers each look alone,
#: skipping through the long posting lists of common terms, and only the matches in the runs
#: are read from the table. (letter, bits, most runs asked for at once)
RUNS = (("s", 11, 16), ("b", 15, 8))
#: The same index holds the first 3 to PREFIX_LETTERS letters of each word, so that a word
#: typed on is looked up as one term rather than as every word it begins (hundreds).
PREFIX_LETTERS = 6
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


def _match_sql(terms: list[str], prefix_last: bool, by_blog: bool) -> tuple[str, str, list]:
    """The query of the matches (post id, publication time, terms), the column that orders
    them newest first, and the match's parameters. Terms hold only letters and digits (see
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
                [" AND ".join(parts)],
            )
        return (
            # FTS5 walks the matches by rowid, newest first, and stops at the LIMIT.
            "SELECT d.post_id, d.published_at, d.terms "
            "FROM discovery_fts JOIN discovery_searchdocument d ON d.id = discovery_fts.rowid "
            "WHERE discovery_fts MATCH %s",
            "discovery_fts.rowid",
            [" AND ".join(parts)],
        )
    select = "SELECT d.post_id, d.published_at, d.terms FROM discovery_searchdocument d WHERE "
    if by_blog:
        # tsv: to_tsvector('simple', terms), stored (migration 0003); each of the few blogs'
        # documents is checked.
        return select + "d.tsv @@ to_tsquery('simple', %s)", "d.id", [_tsquery(terms, prefix_last)]
    # Else the GIN index on discovery_document_tsv(tsv, id): the terms, the document's runs of
    # ids and its words' beginnings (migration 0005); {runs} is for _newest_matches. The words'
    # beginnings are raw lexemes ("'>inte'"), which to_tsquery would parse into "inte".
    words, params, match = terms[:-1] if prefix_last else terms, [], []
    if words:
        match.append("to_tsquery('simple', %s)")
        params.append(_tsquery(words, False))
    if prefix_last:
        match.append("%s::tsquery")
        params.append(f"'>{terms[-1][:PREFIX_LETTERS]}'")
    sql = select + f"discovery_document_tsv(d.tsv, d.id) @@ ({{runs}}{' && '.join(match)})"
    if prefix_last and len(terms[-1]) > PREFIX_LETTERS:  # the rest of the beginning, checked
        sql += " AND d.tsv @@ to_tsquery('simple', %s)"
        params.append(f"'{terms[-1]}':*")
    return sql, "d.id", params


def _tsquery(terms: list[str], prefix_last: bool) -> str:
    last = len(terms) - 1
    return " & ".join(
        f"'{t}'" + (":*" if prefix_last and i == last else "") for i, t in enumerate(terms)
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
    sql, newest, params = _match_sql(terms, prefix_last, by_blog=few is not None)
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
            rows = _newest_matches(cursor, sql, params)
        else:
            cursor.execute(sql + tail, params)
            rows = cursor.fetchall()
    relevance = _relevance([text for _pk, _at, text in rows], terms, prefix_last)
    hits = [Hit(pk, rel, _aware(at)) for (pk, at, _text), rel in zip(rows, relevance, strict=True)]
    now = timezone.now()
    hits.sort(key=lambda hit: hit.score(now), reverse=True)
    return hits


def matching_blogs(blogs, terms: list[str], *, prefix_last: bool = False):
    """The blogs of `blogs` (a Blog queryset) whose title or description match. PostgreSQL:
    every term, through the GIN index of discovery_blog_terms (migration 0004), since a LIKE
    scan upper-cases every title and description (15 ms at 10,000 blogs). SQLite: every term
    as a substring, a scan (6-7 ms at 10,000 blogs, as the whole query as one was)."""
    if not terms:
        return blogs.none()
    if connection.vendor != "postgresql":
        for term in terms:
            blogs = blogs.filter(Q(title__icontains=term) | Q(description__icontains=term))
        return blogs
    matches = RawSQL(
        "discovery_blog_terms(blogs_blog.title, blogs_blog.description) "
        "@@ to_tsquery('simple', %s)",
        [_tsquery(terms, prefix_last)],
        output_field=BooleanField(),
    )
    return blogs.filter(matches)


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


def _newest_matches(cursor, sql: str, params: list) -> list:
    """PostgreSQL: the newest CANDIDATES matches, looked for in the newest runs of ids first
    (see RUNS), then everywhere. Ordering by `id + 0` keeps the planner on the GIN index
    rather than walking the table newest first, checking each row."""
    cursor.execute("SELECT max(id) FROM discovery_searchdocument")
    top = cursor.fetchone()[0] or 0
    tail = f" ORDER BY d.id + 0 DESC LIMIT {CANDIDATES}"
    within = sql.replace("{runs}", "%s::tsquery && ") + tail
    wanted = 1 << RUNS[0][1]  # ids to look among (with the newest run, which is filling: 2 runs)
    while True:
        size = next(((letter, bits, -(-wanted >> bits) + 1) for letter, bits, most in RUNS
                     if wanted <= most << bits), None)  # fmt: skip
        if size is None or top >> size[1] < size[2]:  # too many runs, or all there are
            break
        letter, bits, count = size
        newest = top >> bits
        runs = " | ".join(f"'~{letter}{run}'" for run in range(newest, newest - count, -1))
        cursor.execute(within, [runs, *params])
        rows = cursor.fetchall()
        if len(rows) >= CANDIDATES:
            return rows
        if not rows:  # rarer than one in these runs: as well look everywhere at once
            break
        looked = top - ((newest - count + 1) << bits) + 1
        wanted = looked * CANDIDATES * 3 // (2 * len(rows))
    cursor.execute(sql.replace("{runs}", "") + tail, params)
    return cursor.fetchall()


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands raw SQL results back as text
        value = datetime.fromisoformat(value)
    # Stored in UTC. (timezone.make_aware costs ~15 µs a call: too much for 500 rows.)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
