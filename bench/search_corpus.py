"""bench/search.py: the corpus of posts (Japanese and English, made in bulk, not through
Koe's actions), its full-text index and its sizes."""

from __future__ import annotations

import random
from datetime import timedelta

from feed_common import Clock, say
from feed_graph import bulk_insert, reported, restore_indexes, without_indexes
from machine import write_rows

# ### The corpus ###


def build(args, clock: Clock) -> dict:
    """Bloggers, blogs, posts and their search documents, written in bulk: the posts and
    documents as plain rows (COPY on PostgreSQL, executemany on SQLite), with the full-text
    index built once at the end, not through Koe's actions (not what is measured)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from faker import Faker

    from koe.blogs.models import Blog, Post
    from koe.discovery.models import SearchDocument
    from koe.discovery.tokens import document_terms

    rng = random.Random(args.seed)
    ja, en = Faker("ja_JP"), Faker("en_US")
    ja.seed_instance(args.seed)
    en.seed_instance(args.seed + 1)
    n_posts = args.posts
    n_blogs = max(10, n_posts // 100)
    say(clock, f"building {n_posts:,} posts in {n_blogs:,} blogs with Faker ja_JP and en_US")

    User = get_user_model()
    password = make_password(None)
    users = (
        User(
            username=f"blogger{b}",
            email=f"blogger{b}@bench.invalid",
            display_name=f"Blogger {b}",
            password=password,
        )
        for b in range(n_blogs)
    )
    owners = [u.pk for u in bulk_insert(User, users, n_blogs, "users", clock)]
    blogs = (Blog(owner_id=owners[b], title=f"Blog {b}") for b in range(n_blogs))
    blog_ids = [b.pk for b in bulk_insert(Blog, blogs, n_blogs, "blogs", clock)]

    now = timezone.now()
    span = timedelta(days=3 * 365)
    start = now - span - timedelta(hours=1)
    step = span / n_posts
    stats = {"text_bytes": 0, "terms_bytes": 0, "ja_posts": 0}

    def write(at) -> str:
        return connection.ops.adapt_datetimefield_value(at)

    def text(i: int) -> tuple[str, str, str]:
        lang = "ja" if rng.random() < args.japanese else "en"
        fake = ja if lang == "ja" else en
        title = fake.sentence(nb_words=rng.randint(3, 8))[:120]
        body = "\n\n".join(fake.paragraph(nb_sentences=rng.randint(2, 6)) for _ in range(2))
        return lang, title, body

    def post_rows():
        for i in range(n_posts):
            lang, title, body = text(i)
            at = write(start + step * i)
            stats["text_bytes"] += len(title.encode()) + len(body.encode())
            stats["ja_posts"] += lang == "ja"
            html = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            terms = document_terms(title, title, body, "")
            stats["terms_bytes"] += len(terms.encode())
            yield (
                (i + 1, blog_ids[i % n_blogs], title, body, html, body[:200], "published")
                + ("public", at, at, False, True, 0, 0, at, at),
                (i + 1, i + 1, blog_ids[i % n_blogs], terms, at),
            )

    post_columns = ["id", "blog_id", "title", "body", "body_html", "excerpt", "status"] + [
        "visibility", "published_at", "announced_at", "is_sponsored", "allow_reblogs",
        "like_count", "comment_count", "created_at", "updated_at",
    ]  # fmt: skip
    doc_columns = ["id", "post_id", "blog_id", "terms", "published_at"]
    saved_posts = without_indexes(Post)
    saved_docs = without_indexes(SearchDocument)
    triggers = fts_triggers_off()
    for chunk in reported(post_rows(), 20_000, n_posts, "posts and documents", clock):
        with transaction.atomic():
            write_rows(Post._meta.db_table, post_columns, [post for post, _ in chunk])
            write_rows(SearchDocument._meta.db_table, doc_columns, [doc for _, doc in chunk])
    restore_indexes(saved_posts, "posts", clock)
    restore_indexes(saved_docs, "documents", clock)
    build_fulltext(triggers, clock)
    stats["samples"] = sample_bodies(args, n_posts)
    stats["posts"] = n_posts
    stats["blogs"] = n_blogs
    return stats


def sample_bodies(args, n_posts: int) -> dict[str, list[str]]:
    """Bodies of random posts, by language, to cut the queries from (the same for a build
    and a --reuse of it)."""
    from koe.blogs.models import Post
    from koe.discovery.tokens import is_cjk

    rng = random.Random(args.seed)
    ids = rng.sample(range(1, n_posts + 1), min(n_posts, 6000))
    samples: dict[str, list[str]] = {"ja": [], "en": []}
    for body in Post.objects.filter(pk__in=ids).order_by("pk").values_list("body", flat=True):
        samples["ja" if any(is_cjk(c) for c in body[:40]) else "en"].append(body)
    return samples


def reread(args, clock: Clock) -> dict:
    """The figures build() would have given, read back from a kept corpus."""
    from django.db import connection

    from koe.blogs.models import Blog, Post

    length = "length(CAST({} AS BLOB))" if connection.vendor == "sqlite" else "octet_length({})"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT SUM({length.format('title')} + {length.format('body')}) FROM blogs_post"  # noqa: S608
        )
        text_bytes = cur.fetchone()[0]
        cur.execute(f"SELECT SUM({length.format('terms')}) FROM discovery_searchdocument")  # noqa: S608
        terms_bytes = cur.fetchone()[0]
    n_posts = Post.objects.count()
    samples = sample_bodies(args, n_posts)
    say(clock, f"reusing the kept corpus of {n_posts:,} posts")
    share = len(samples["ja"]) / max(1, len(samples["ja"]) + len(samples["en"]))
    return {
        "text_bytes": text_bytes,
        "terms_bytes": terms_bytes,
        "ja_posts": round(n_posts * share),  # about: from the sample
        "samples": samples,
        "posts": n_posts,
        "blogs": Blog.objects.count(),
    }


def fts_triggers_off() -> list[str]:
    """SQLite: drop the trigger that indexes each inserted document; 'rebuild' does it once."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND name = 'discovery_fts_ai'"
        )
        rows = cur.fetchall()
        for name, _sql in rows:
            cur.execute(f"DROP TRIGGER {name}")
    return [sql for _name, sql in rows]


def build_fulltext(triggers: list[str], clock: Clock) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("INSERT INTO discovery_fts(discovery_fts) VALUES ('rebuild')")
            say(clock, "  FTS5 index rebuilt from the documents")
            cur.execute("INSERT INTO discovery_fts(discovery_fts) VALUES ('optimize')")
            say(clock, "  FTS5 index optimised (merged into one segment)")
            for sql in triggers:
                cur.execute(sql)
            cur.execute("ANALYZE")
        else:
            cur.execute("VACUUM ANALYZE")
            say(clock, "  VACUUM ANALYZE done")


def index_sizes(corpus) -> dict:
    from django.db import connection

    sizes = {}
    docs_label = "search documents (terms, with their indexes)"
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            try:
                cur.execute(
                    "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'discovery_%' "
                    "OR name LIKE 'blogs_post%' GROUP BY name"
                )
                parts = dict(cur.fetchall())
            except Exception:  # noqa: BLE001 - dbstat is a compile-time option
                parts = {}
            sizes["full-text index (FTS5 tables)"] = sum(
                v for k, v in parts.items() if k.startswith("discovery_fts")
            )
            sizes["search documents (terms, with their indexes)"] = sum(
                v for k, v in parts.items() if k.startswith("discovery_searchdocument")
                or k.startswith("sqlite_autoindex_discovery")
            )  # fmt: skip
            sizes["posts table"] = parts.get("blogs_post", 0)
        else:
            gin = "discovery_searchdocument_tsv_gin"
            for label, sql in [
                ("full-text index (GIN)", f"pg_relation_size('{gin}')"),
                (docs_label, "pg_total_relation_size('discovery_searchdocument')"),
                ("posts table", "pg_table_size('blogs_post')"),
            ]:
                cur.execute(f"SELECT {sql}")
                sizes[label] = cur.fetchone()[0]
            sizes["search documents (terms, with their indexes)"] -= sizes["full-text index (GIN)"]
    return sizes
