"""Search as a reader asks it: posts they may read, blogs and hashtags, with filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import unescape

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from koe.accounts.services import blocked_user_ids
from koe.blogs.models import Blog, Post, Tag
from koe.discovery import index
from koe.discovery.tokens import MAX_QUERY, highlight, is_cjk, query_terms

PAGE = 20
#: The shortest unfinished word matched as a prefix as one types.
MIN_PREFIX = 3
#: Pages of posts a query can reach: the index weighs at most index.CANDIDATES matches.
MAX_PAGE = index.CANDIDATES // PAGE
#: "Any time" and the recent periods a reader can pick, newest first.
PERIODS = {
    "day": (timedelta(days=1), _("Past 24 hours")),
    "week": (timedelta(days=7), _("Past week")),
    "month": (timedelta(days=30), _("Past month")),
    "year": (timedelta(days=365), _("Past year")),
}


@dataclass
class Filters:
    blog: str = ""
    official: bool = False
    genre: str = ""
    #: One of PERIODS, or "" for any time.
    period: str = ""
    #: Days in the reader's time zone, both included.
    since: date | None = None
    until: date | None = None

    @property
    def narrows_blogs(self) -> bool:
        return bool(self.blog or self.official or self.genre)

    def published_between(self) -> tuple[datetime | None, datetime | None]:
        """The time span the filters allow, as aware datetimes; until is exclusive."""
        zone = timezone.get_current_timezone()
        since = until = None
        if self.period in PERIODS:
            since = timezone.now() - PERIODS[self.period][0]
        if self.since:
            start = datetime.combine(self.since, time.min, tzinfo=zone)
            since = max(since, start) if since else start
        if self.until:
            until = datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=zone)
        return since, until


@dataclass
class Results:
    query: str
    page: int = 1
    posts: list = field(default_factory=list)
    blogs: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    has_next: bool = False

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
        # Usernames are lower case (accounts' validator): an exact match uses their index,
        # where iexact upper-cases every username (10 ms at 10,000 people).
        blogs = blogs.filter(owner__username=filters.blog.lower())
    if filters.official:
        blogs = blogs.exclude(official_category="")
    if filters.genre:
        blogs = blogs.filter(genre__slug=filters.genre)
    blocked = blocked_user_ids(user)
    if blocked:
        blogs = blogs.exclude(owner_id__in=blocked)
    return blogs, bool(filters.narrows_blogs or blocked)


def do_search(
    query: str,
    user,
    filters: Filters | None = None,
    *,
    page: int = 1,
    as_you_type: bool = False,
) -> Results:
    """Deny by default: hits come from public posts only, and pass through visible_to.
    As the reader types, the last word may be unfinished, so it matches as a prefix.
    Blogs and hashtags are listed on the first page only."""
    filters = filters or Filters()
    query = clean_query(query)
    page = min(max(1, page), MAX_PAGE)
    terms = query_terms(query)
    results = Results(query=query, page=page)
    if not terms:
        return results
    blogs, narrowed = _blogs_for(filters, user)
    since, until = filters.published_between()
    prefix = as_you_type and _unfinished_word(query)
    hits = index.search(
        terms,
        blogs=blogs if narrowed else None,
        since=since,
        until=until,
        prefix_last=prefix,
    )
    order = [hit.post_id for hit in hits]
    start = (page - 1) * PAGE
    visible = _visible(order, user, start + PAGE + 1)  # one more tells if there is a next page
    wanted = visible[start : start + PAGE]
    results.has_next = len(visible) > start + PAGE and page < MAX_PAGE
    posts = Post.objects.filter(pk__in=wanted).select_related("blog__owner", "blog__genre")
    loaded = posts.defer("body").in_bulk()
    for pk in wanted:
        post = loaded.get(pk)
        if post is None:  # deleted since the line above
            continue
        post.highlighted = highlight(_plain(post), query)
        results.posts.append(post)
    if page == 1 and not filters.blog:
        results.blogs = list(
            index.matching_blogs(blogs, terms, prefix_last=prefix)
            .select_related("owner")
            .order_by("-follower_count", "pk")[:5]
        )
        # Tags by name first, then one public post each: `posts__in=public()` would
        # materialise every public post.
        in_use = Post.objects.public().filter(tags=OuterRef("pk"))
        tags = Tag.objects.filter(Exists(in_use), name__icontains=query.lstrip("#"))
        results.tags = list(tags.order_by("name")[:10])
    return results


def _unfinished_word(query: str) -> bool:
    """Whether the last word may be typed on: a word of 3 letters or more. A shorter prefix
    would gather the matches of hundreds of words (every word in "a…")."""
    terms = query_terms(query)
    return bool(terms) and not is_cjk(query[-1]) and len(terms[-1]) >= MIN_PREFIX


def _visible(order: list[int], user, enough: int) -> list[int]:
    """The first `enough` ids of `order` the user may read, in order, asking about a few
    ids at a time: most pages need one small query, and a long IN list is slow to send."""
    visible: list[int] = []
    done = 0
    while done < len(order) and len(visible) < enough:
        chunk = order[done : done + max(PAGE + 10, enough - len(visible) + 10)]
        done += len(chunk)
        readable = Post.objects.visible_to(user).filter(pk__in=chunk).values_list("pk", flat=True)
        allowed = set(readable)
        visible.extend(pk for pk in chunk if pk in allowed)
    return visible


def _plain(post: Post) -> str:
    return unescape(strip_tags(post.body_html)) or post.excerpt
