"""Pages anyone can read without an account."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from koe.blogs.memberships import is_member, membership_of
from koe.blogs.models import Blog, Post, Tag
from koe.blogs.services import is_tag_name, normalise_tag
from koe.core import hits, pagecache

PAGE_SIZE = 20
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _page(request, queryset, size=PAGE_SIZE):
    paginator = Paginator(queryset, size, allow_empty_first_page=True)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # evaluated once; views then annotate the posts
    return page


def _with_tags(queryset):
    return queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def attach_originals(posts, user) -> None:
    """Give each reblog on a page its original, if the viewer may read it, in one query."""
    ids = {p.reblog_of_id for p in posts if p.reblog_of_id}
    originals = {}
    if ids:
        readable = Post.objects.visible_to(user).filter(pk__in=ids)
        originals = {o.pk: o for o in readable.select_related("blog__owner", "cover")}
    for post in posts:
        post.original = originals.get(post.reblog_of_id)


def _can_read_members(user, blog: Blog) -> bool:
    return user.is_authenticated and (user.pk == blog.owner_id or is_member(blog, user))


def _mark_locked(posts, user, blog: Blog) -> None:
    readable = _can_read_members(user, blog)
    for post in posts:
        post.locked = post.visibility == Post.Visibility.MEMBERS and not readable


def blog_or_404(username: str) -> Blog:
    return get_object_or_404(
        Blog.objects.select_related("owner", "genre"),
        owner__username=username.lower(),
        owner__is_active=True,
    )


@require_safe
@pagecache.site_page
def front(request):
    page = _page(request, _with_tags(Post.objects.public().cards()))
    attach_originals(page.object_list, request.user)
    return render(request, "blogs/front.html", {"page": page})


@require_safe
def blog(request, username):
    blog = blog_or_404(username)
    posts = Post.objects.listable_to(request.user).filter(blog=blog)
    category = None
    if request.GET.get("category", "").isdigit():
        category = blog.categories.filter(pk=request.GET["category"]).first()
        if category is None:
            raise Http404
        posts = posts.filter(category=category)
    page = _page(request, _with_tags(posts.cards()))
    _mark_locked(page.object_list, request.user, blog)
    attach_originals(page.object_list, request.user)
    context = {
        "blog": blog,
        "page": page,
        "category": category,
        "categories": blog.categories.all(),
    }
    kind = "list" if category or page.number > 1 else "top"
    response = hits.mark(render(request, "blogs/blog.html", context), blog=blog, kind=kind)
    return pagecache.mark_blog_page(response, blog.pk)


@require_safe
def post(request, username, post_id, slug=None):
    blog = blog_or_404(username)
    post = get_object_or_404(
        _with_tags(Post.objects.listable_to(request.user).select_related("category", "cover")),
        blog=blog,
        pk=post_id,
    )
    post.blog = blog
    if slug is not None and slug != post.slug:
        return redirect(post, permanent=True)
    _mark_locked([post], request.user, blog)
    if post.locked:
        # The title only: no words, no picture, no tags, nothing for search engines.
        context = {"blog": blog, "post": post, "membership": membership_of(blog, request.user)}
        return render(request, "blogs/post_locked.html", context)
    attach_originals([post], request.user)
    siblings = Post.objects.visible_to(request.user).filter(blog=blog).only("id", "title", "blog")
    previous_post = newer_post = None
    if post.published_at:
        previous_post = (
            siblings.filter(published_at__lt=post.published_at).order_by("-published_at").first()
        )
        newer_post = (
            siblings.filter(published_at__gt=post.published_at).order_by("published_at").first()
        )
    for neighbour in (previous_post, newer_post):
        if neighbour:
            neighbour.blog = blog
    context = {
        "blog": blog,
        "post": post,
        "previous_post": previous_post,
        "newer_post": newer_post,
        "categories": blog.categories.all(),
        "canonical_url": settings.BASE_URL + post.get_absolute_url(),
        "json_ld": _json_ld(post, blog),
    }
    response = render(request, "blogs/post.html", context)
    if post.is_public:  # views of public pages only; members read in private
        hits.mark(response, blog=blog, post=post, kind="post")
        pagecache.mark_blog_page(response, blog.pk)
    return response


def _json_ld(post: Post, blog: Blog) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": settings.BASE_URL + post.get_absolute_url(),
        "author": {
            "@type": "Person",
            "name": blog.owner.name,
            "url": settings.BASE_URL + blog.get_absolute_url(),
        },
        "isPartOf": {"@type": "Blog", "name": blog.title},
        "keywords": [t.name for t in post.tags.all()],
    }
    if post.published_at:
        data["datePublished"] = post.published_at.isoformat()
        data["dateModified"] = post.updated_at.isoformat()
    if post.cover:
        data["image"] = settings.BASE_URL + post.cover.display_url
    # Safe inside a <script> element: no "</script>" or "<!--" can end it early.
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


@require_safe
@pagecache.site_page
def tag(request, name):
    normal = normalise_tag(name)
    # NFKC can turn an address into one no hashtag has (＜／＞ become </>): not found.
    if not is_tag_name(normal):
        raise Http404
    if normal != name:
        return redirect("blogs:tag", name=normal, permanent=True)
    tag = Tag.objects.filter(name=normal).first()
    if tag is None:
        raise Http404
    posts = _with_tags(Post.objects.public().filter(tags=tag).cards())
    page = _page(request, posts)
    attach_originals(page.object_list, request.user)
    if not page.paginator.count:
        # Whether a hashtag is used only on drafts or private posts is nobody's business.
        raise Http404
    return render(request, "blogs/tag.html", {"tag_name": normal, "page": page})
