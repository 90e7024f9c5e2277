"""How a page says "count me": a header the analytics middleware reads and removes.

Blogs' views mark their public pages with mark(); the mark travels with the response,
so a page served later from a cache is counted exactly like a freshly rendered one.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = "X-Koe-Count"


@dataclass(frozen=True)
class Mark:
    blog_id: int
    owner_id: int
    post_id: int | None
    kind: str  # top, list, post
    time_zone: str
    username: str


def mark(response, *, blog, post=None, kind: str = "top"):
    owner = blog.owner
    zone = owner.time_zone or "Asia/Tokyo"
    post_id = post.pk if post is not None else ""
    response[HEADER] = f"{blog.pk}|{owner.pk}|{post_id}|{kind}|{zone}|{owner.username}"
    return response


def read(response) -> Mark | None:
    """The mark of a response, removed from it so it never reaches the reader."""
    raw = response.get(HEADER)
    if not raw:
        return None
    del response[HEADER]
    return parse(raw)


def parse(raw: str) -> Mark | None:
    """A mark from its header value (the page cache keeps the value with the page)."""
    try:
        blog_id, owner_id, post_id, kind, zone, username = raw.split("|")
        return Mark(
            int(blog_id), int(owner_id), int(post_id) if post_id else None, kind, zone, username
        )
    except ValueError:
        return None
