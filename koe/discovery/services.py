"""Search as a reader asks it: posts they may read, blogs and hashtags, with filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import unescape

from django.db.models import Q
from django.utils.html import strip_tags

from koe.accounts.services import blocked_user_ids
from koe.blogs.models import Blog, Post, Tag
from koe.discovery import index
from koe.discovery.tokens import MAX_QUERY, highlight, is_cjk, query_terms

PAGE = 20


@dataclass
class Filters:
    blog: str = ""
    official: bool = False
    genre: str = ""

    @property
    def any(self) -> bool:
        return bool(self.blog or self.official or self.genre)


@dataclass
class Results:
    query: str
    posts: list = field(default_factory=list)
    blogs: list = field(default_factory=list)
    tags: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.posts or self.blogs or self.tags)


def clean_query(raw: str) -> str:
    """One line of at most MAX_QUERY printable characters (PostgreSQL refuses NUL)."""
    printable = "".join(ch for ch in " ".join((raw or "").split()) if ch.isprintable())
    return printable[:MAX_QUERY]


def _blogs_for(filters: Filters, user):
    blogs = Blog.objects.filter(owner__is_active=True)
    if filters.blog:
        blogs = blogs.filter(owner__username__iexact=filters.blog)
    if filters.official:
        blogs = blogs.exclude(official_category="")
    if filters.genre:
        blogs = blogs.filter(genre__slug=filters.genre)
    blocked = blocked_user_ids(user)
    if blocked:
        blogs = blogs.exclude(owner_id__in=blocked)
    return blogs, bool(filters.any or blocked)


def do_search(
    query: str, user, filters: Filters | None = None, *, as_you_type: bool = False
) -> Results:
    """Deny by default: hits come from public posts only, and pass through visible_to.
    As the reader types, the last word may be unfinished, so it matches as a prefix."""
    filters = filters or Filters()
    query = clean_query(query)
    terms = query_terms(query)
    results = Results(query=query)
    if not terms:
        return results
    blogs, narrowed = _blogs_for(filters, user)
    restrict = blogs.values("pk") if narrowed else None
    hits = index.search(terms, blogs=restrict, prefix_last=as_you_type and not is_cjk(query[-1]))
    order = [hit.post_id for hit in hits]
    visible = (
        Post.objects.visible_to(user)
        .filter(pk__in=order)
        .select_related("blog__owner", "blog__genre")
        .in_bulk()
    )
    for pk in order:
        post = visible.get(pk)
        if post is None:
            continue
        post.highlighted = highlight(_plain(post), query)
        results.posts.append(post)
        if len(results.posts) == PAGE:
            break
    if not filters.blog:
        results.blogs = list(
            blogs.filter(Q(title__icontains=query) | Q(description__icontains=query))
            .select_related("owner")
            .order_by("-follower_count", "pk")[:5]
        )
        results.tags = list(
            Tag.objects.filter(name__icontains=query.lstrip("#"), posts__in=Post.objects.public())
            .distinct()
            .order_by("name")[:10]
        )
    return results


def _plain(post: Post) -> str:
    return unescape(strip_tags(post.body_html)) or post.excerpt
