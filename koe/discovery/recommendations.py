"""Blogs a reader may like (from readers who follow the same blogs) and posts related to a
post (shared hashtags and similar words). Computed from existing tables, cached briefly."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef

from koe.accounts.models import Block
from koe.accounts.services import blocked_user_ids
from koe.blogs.models import Blog, Genre, Post
from koe.discovery import index
from koe.discovery.tokens import is_cjk, query_terms, runs
from koe.social.models import Follow, Mute

#: How many of the latest followers of the reader's blogs are asked what else they follow;
#: a blog with a million followers costs what one with a thousand does.
PEERS = 1000
#: Co-followed blogs weighed before the reader's own follows, mutes and blocks are taken out.
CANDIDATES = 200
SUGGESTION_SECONDS = 600
RELATED_SECONDS = 900
RELATED = 5
#: Of each hashtag, only its latest posts are weighed; a post's first few hashtags count.
TAG_POSTS = 200
MAX_TAGS = 10
#: Words of the title searched for related posts, the longest first.
RELATED_WORDS = 3
_HIRAGANA = re.compile(r"[\u3041-\u309f]+")


def _readable_blogs(user):
    """Blogs of active people with something public to read, never the reader's own, one
    they follow, muted or blocked."""
    has_posts = Exists(Post.objects.public().filter(blog_id=OuterRef("pk")))
    blogs = Blog.objects.filter(owner__is_active=True).filter(has_posts)
    if user is not None and user.is_authenticated:
        blogs = blogs.exclude(owner_id=user.pk)
        blogs = blogs.exclude(pk__in=Follow.objects.filter(follower_id=user.pk).values("blog_id"))
        blogs = blogs.exclude(pk__in=Mute.objects.filter(user_id=user.pk).values("blog_id"))
        blocked = blocked_user_ids(user)
        if blocked:
            blogs = blogs.exclude(owner_id__in=blocked)
    return blogs


def co_followed(user, *, limit: int = 6) -> list[int]:
    """Blog ids followed by the people who follow what the reader follows, the blogs most
    of them share first (then the more followed)."""
    followed = Follow.objects.filter(follower_id=user.pk).values("blog_id")
    peers = (
        Follow.objects.filter(blog_id__in=followed)
        .exclude(follower_id=user.pk)
        .order_by("-created_at")
        .values("follower_id")[:PEERS]
    )
    # Counted by follower first (an index range per peer), the readable ones kept after:
    # asking the database for both at once makes it walk every follow of every blog.
    rows = (
        Follow.objects.filter(follower_id__in=peers)
        .exclude(blog_id__in=followed)
        .values("blog_id")
        .annotate(shared=Count("follower_id", distinct=True))
        .order_by("-shared", "blog_id")
        .values_list("blog_id", "shared")[: CANDIDATES + limit]
    )
    shared = dict(rows)
    readable = _readable_blogs(user).filter(pk__in=list(shared))
    followers = dict(readable.values_list("pk", "follower_count"))
    # Equal numbers of shared readers: the more followed blog first.
    kept = sorted(followers, key=lambda pk: (-shared[pk], -followers[pk], pk))
    return kept[:limit]


def popular(user, genres=(), *, limit: int = 6, exclude=()) -> list[int]:
    """The most followed readable blogs, of the given genres when any are given."""
    blogs = _readable_blogs(user).exclude(pk__in=list(exclude))
    if genres:
        blogs = blogs.filter(genre__in=list(genres))
    return list(blogs.order_by("-follower_count", "pk").values_list("pk", flat=True)[:limit])


def blogs_you_may_like(user, genres=(), *, limit: int = 6) -> list[Blog]:
    """The most followed blogs of the genres the reader chose, when they chose some; then
    co-followed blogs; then (a new reader, or a small circle) the most followed blogs of the
    genres they already read, and finally of all Koe."""
    signed_in = user is not None and user.is_authenticated
    key = None
    ids = None
    if signed_in:
        genre_key = ",".join(str(g.pk) for g in genres)
        key = f"discovery:suggest:{user.pk}:{genre_key}:{limit}"
        ids = cache.get(key)
    if ids is None:
        ids = popular(user, genres, limit=limit) if genres else []
        if signed_in and len(ids) < limit:
            more = [pk for pk in co_followed(user, limit=limit) if pk not in ids]
            ids += more[: limit - len(ids)]
        if signed_in and not genres and len(ids) < limit:
            ids += popular(user, _genres_followed(user), limit=limit - len(ids), exclude=ids)
        if len(ids) < limit:
            ids += popular(user, (), limit=limit - len(ids), exclude=ids)
        if key:
            cache.set(key, ids, SUGGESTION_SECONDS)
    # Checked again at reading time: a follow made since, or a block, shows at once.
    found = _readable_blogs(user).select_related("owner", "genre").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _genres_followed(user) -> list:
    ids = Follow.objects.filter(follower_id=user.pk, blog__genre__isnull=False).values(
        "blog__genre_id"
    )
    return list(Genre.objects.filter(pk__in=ids))


# ### Related posts ###


def _by_tags(post: Post) -> dict[int, float]:
    """Public posts sharing the post's hashtags, among each tag's latest TAG_POSTS posts
    (a tag on a hundred thousand posts costs what one on a few hundred does)."""
    tags = Post.tags.through.objects
    shared: dict[int, int] = {}
    for tag_id in tags.filter(post_id=post.pk).values_list("tag_id", flat=True)[:MAX_TAGS]:
        latest = tags.filter(tag_id=tag_id).order_by("-post_id")
        for pk in latest.values_list("post_id", flat=True)[:TAG_POSTS]:
            if pk != post.pk:
                shared[pk] = shared.get(pk, 0) + 1
    public = set(
        Post.objects.public()
        .filter(pk__in=list(shared), reblog_of__isnull=True)
        .values_list("pk", flat=True)
    )
    return {pk: 2.0 * n for pk, n in shared.items() if pk in public}


def _title_words(title: str) -> list[str]:
    """The title's longest words: runs of kanji or katakana (hiragana is mostly particles
    and endings) and Latin words of four letters or more."""
    pieces = set()
    for run in runs(title):
        for piece in _HIRAGANA.split(run):
            if piece and len(piece) >= (2 if is_cjk(piece[0]) else 4):
                pieces.add(piece)
    return sorted(pieces, key=lambda w: (-len(w), w))[:RELATED_WORDS]


def _by_words(post: Post) -> dict[int, float]:
    """Posts the search index finds for each of the title's longest words."""
    found: dict[int, float] = {}
    for word in _title_words(post.title):
        for rank, hit in enumerate(index.search(query_terms(word))[: RELATED * 4]):
            if hit.post_id != post.pk:
                found[hit.post_id] = found.get(hit.post_id, 0.0) + 1.0 / (1 + rank)
    return found


def related_ids(post: Post) -> list[int]:
    key = f"discovery:related:{post.pk}"
    ids = cache.get(key)
    if ids is None:
        scores = _by_tags(post)
        for pk, score in _by_words(post).items():
            scores[pk] = scores.get(pk, 0.0) + score
        ids = sorted(scores, key=lambda pk: (-scores[pk], -pk))[: RELATED * 3]
        cache.set(key, ids, RELATED_SECONDS)
    return ids


def related_posts(post: Post, user, *, limit: int = RELATED) -> list[Post]:
    """A few public posts like this one, never itself, none of a blocked person; nothing
    for a post that is not public (its page must not lead elsewhere by its words)."""
    if not post.is_public:
        return []
    ids = related_ids(post)
    if not ids:
        return []
    # One query under every post page: the blocks are a subquery, not a list fetched first.
    posts = Post.objects.public().cards().exclude(pk=post.pk)
    if user is not None and user.is_authenticated:
        posts = posts.exclude(
            blog__owner_id__in=Block.objects.filter(blocker_id=user.pk).values("blocked_id")
        )
        posts = posts.exclude(
            blog__owner_id__in=Block.objects.filter(blocked_id=user.pk).values("blocker_id")
        )
    found = posts.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found][:limit]
