"""What the directory reads: official blogs and their newest public posts, in few queries."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Prefetch, Subquery

from koe.blogs.models import OFFICIAL_CATEGORIES, Blog, Post, Tag

SORTS = ("followers", "latest")


def official_blogs(category: str = "", sort: str = "followers"):
    """Official blogs of active people, each with `latest_post_at`: one query per page."""
    latest = (
        Post.objects.public()
        .filter(blog_id=OuterRef("pk"))
        .order_by("-published_at")
        .values("published_at")[:1]
    )
    blogs = (
        Blog.objects.exclude(official_category="")
        .filter(owner__is_active=True)
        .select_related("owner")
        .annotate(latest_post_at=Subquery(latest))
    )
    if category:
        blogs = blogs.filter(official_category=category)
    if sort == "latest":
        return blogs.order_by(F("latest_post_at").desc(nulls_last=True), "-follower_count", "pk")
    return blogs.order_by("-follower_count", "pk")


def category_counts() -> list[tuple[str, object, int]]:
    """(slug, name, number of official blogs) for each category that has any, in list order."""
    counts = dict(
        Blog.objects.exclude(official_category="")
        .filter(owner__is_active=True)
        .values("official_category")
        .annotate(n=Count("pk"))
        .values_list("official_category", "n")
    )
    return [(slug, name, counts[slug]) for slug, name in OFFICIAL_CATEGORIES if counts.get(slug)]


def official_posts(category: str = ""):
    """The newest posts anyone may read from official blogs; public() keeps the rest out."""
    posts = Post.objects.public().exclude(blog__official_category="")
    if category:
        posts = posts.filter(blog__official_category=category)
    return posts.cards().prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def top_bloggers():
    return (
        Blog.objects.filter(is_top_blogger=True, owner__is_active=True)
        .select_related("owner")
        .order_by("-follower_count", "pk")
    )
