"""Actions on blogs and posts. Each owns its transaction; views only call these."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.blogs.models import OFFICIAL_CATEGORIES, Blog, Category, Image, Post, Tag
from koe.blogs.signals import post_published
from koe.core import images, text

log = logging.getLogger(__name__)
MAX_TAGS = 10
MAX_TAG_LENGTH = 50
_TAG_SPLIT = re.compile(r"[\s,、，#＃]+")
_TAG_OK = re.compile(r"^[\w\u30fc\u3005]+$")  # word characters, the long-vowel mark and 々
_EDITED_FIELDS = [
    "title", "body", "body_html", "excerpt", "category", "cover", "status",
    "visibility", "published_at", "is_sponsored", "allow_reblogs", "updated_at",
]  # fmt: skip
_MEDIA_IMAGE = re.compile(r"/images/\d{4}/\d{2}/([0-9a-f]{32})-display\.webp")


# ### Blogs ###


@transaction.atomic
def do_create_blog(user, *, title: str) -> Blog:
    blog, _created = Blog.objects.get_or_create(owner=user, defaults={"title": title})
    return blog


@transaction.atomic
def do_update_blog(blog: Blog, *, header_upload=None, remove_header=False, **fields) -> Blog:
    for name, value in fields.items():
        setattr(blog, name, value)
    old = []
    if header_upload is not None:
        stored = images.store_image(header_upload, "headers", {"display": (1600, False)})
        old, blog.header_image = [blog.header_image], stored.names["display"]
    elif remove_header:
        old, blog.header_image = [blog.header_image], ""
    blog.save()
    if old:
        transaction.on_commit(lambda: images.delete_files(old))
    return blog


@transaction.atomic
def do_set_badges(blog: Blog, *, official_category=None, is_top_blogger=None) -> bool:
    """Staff's marks on a blog, set by the official app's actions; None leaves a mark as it is.

    Returns whether anything changed, so callers can tell a repeat from a change.
    """
    changed = []
    if official_category is not None:
        if official_category and official_category not in dict(OFFICIAL_CATEGORIES):
            raise ValidationError(_("Please choose a category from the list."), code="category")
        if blog.official_category != official_category:
            blog.official_category = official_category
            changed.append("official_category")
    if is_top_blogger is not None and blog.is_top_blogger != bool(is_top_blogger):
        blog.is_top_blogger = bool(is_top_blogger)
        changed.append("is_top_blogger")
    if changed:
        blog.save(update_fields=changed)  # only the marks: the rest of this instance may be old
    return bool(changed)


@transaction.atomic
def do_save_category(blog: Blog, name: str, category: Category | None = None) -> Category:
    name = text.clean_line(name)[:40]
    if not name:
        raise ValidationError(_("Please enter a name."), code="required")
    clash = blog.categories.filter(name=name)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ValidationError(_("This blog already has a category with this name."), code="taken")
    if category is None:
        last = blog.categories.order_by("-position").values_list("position", flat=True).first()
        return Category.objects.create(blog=blog, name=name, position=(last or 0) + 1)
    category.name = name
    category.save(update_fields=["name"])
    return category


@transaction.atomic
def do_delete_category(category: Category) -> None:
    category.delete()  # its posts stay, without a category


# ### Posts ###


def normalise_tag(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).casefold().strip("_")


def is_tag_name(name: str) -> bool:
    """True when name is a hashtag in its normal form (what parse_tags gives)."""
    return 0 < len(name) <= MAX_TAG_LENGTH and _TAG_OK.fullmatch(name) is not None


def parse_tags(raw: str) -> list[str]:
    """Hashtags from what a writer typed: '#東京, cats  旅行' → ['東京', 'cats', '旅行']."""
    names: list[str] = []
    for part in _TAG_SPLIT.split(text.clean_line(raw or "")):
        name = normalise_tag(part)
        if not name or name in names:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("A hashtag can have at most %(n)d characters."),
                code="tag_length",
                params={"n": MAX_TAG_LENGTH},
            )
        if not _TAG_OK.match(name):
            raise ValidationError(
                _("Hashtags may contain letters, digits and '_' only: %(tag)s"),
                code="tag_chars",
                params={"tag": part},
            )
        names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError(
            _("A post can have at most %(n)d hashtags."), code="tag_count", params={"n": MAX_TAGS}
        )
    return names


def _cover_for(post: Post) -> Image | None:
    keys = _MEDIA_IMAGE.findall(post.body_html)
    if not keys:
        return None
    return Image.objects.filter(owner_id=post.blog.owner_id, key=keys[0]).first()


@transaction.atomic
def do_save_post(
    blog: Blog,
    *,
    post: Post | None = None,
    title: str,
    body: str,
    tags: list[str] = (),
    category: Category | None = None,
    visibility: str = Post.Visibility.PUBLIC,
    publish: bool = False,
    publish_at: datetime | None = None,
    is_sponsored: bool = False,
    allow_reblogs: bool = True,
) -> Post:
    """Create or update a post; publish=True makes it readable now or at publish_at."""
    if category is not None and category.blog_id != blog.pk:
        raise ValidationError(_("That category belongs to another blog."), code="category")
    if post is None:
        post = Post(blog=blog)
    elif post.blog_id != blog.pk:
        raise ValidationError(_("That post belongs to another blog."), code="post")
    post.title = text.clean_line(title)[:120] or _("Untitled")
    post.body = text.clean_text(body)
    post.body_html = text.render_markdown(post.body)
    post.excerpt = text.excerpt(post.body_html)
    post.category = category
    post.visibility = visibility
    post.is_sponsored = is_sponsored
    post.allow_reblogs = allow_reblogs
    if publish:
        post.status = Post.Status.PUBLISHED
        if publish_at is not None:
            post.published_at = publish_at
        elif post.published_at is None or post.published_at > timezone.now():
            post.published_at = timezone.now()
    else:
        post.status = Post.Status.DRAFT
        post.published_at = publish_at
    post.cover = _cover_for(post)
    # Only what the writer edits: counters and the announcement belong to other actions,
    # and this instance may be older than they are.
    post.save(update_fields=None if post.pk is None else _EDITED_FIELDS)
    post.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    if post.status == Post.Status.PUBLISHED and post.published_at <= timezone.now():
        announce_post(post.pk)
    return post


@transaction.atomic
def do_autosave_draft(blog: Blog, *, post: Post | None, title: str, body: str) -> Post:
    """Keep a draft's words safe while the writer types; published posts are left alone."""
    if post is not None and post.status != Post.Status.DRAFT:
        return post
    if post is None:
        post = Post(blog=blog, status=Post.Status.DRAFT)
    post.title = text.clean_line(title)[:120] or _("Untitled")
    post.body = text.clean_text(body)
    post.body_html = text.render_markdown(post.body)
    post.excerpt = text.excerpt(post.body_html)
    post.save(
        update_fields=None
        if post.pk is None
        else ["title", "body", "body_html", "excerpt", "updated_at"]
    )
    return post


@transaction.atomic
def do_delete_post(post: Post) -> None:
    post.delete()


def adjust_counts(post_id: int, *, likes: int = 0, comments: int = 0) -> None:
    """Other apps keep a post's shown counts through this, inside their own transaction."""
    Post.objects.filter(pk=post_id).update(
        like_count=F("like_count") + likes, comment_count=F("comment_count") + comments
    )


def adjust_follower_count(blog_id: int, delta: int) -> None:
    """The social app keeps a blog's follower count through this, in its own transaction."""
    Blog.objects.filter(pk=blog_id).update(follower_count=F("follower_count") + delta)


def announce_post(post_id: int) -> bool:
    """Tell other apps a post is out, exactly once however often and wherever this runs.

    The claim is a conditional UPDATE: of two consumers racing, one changes the row and
    the other changes nothing. Receivers run in the same transaction, so a crash undoes
    the claim and the work together, and the next run tries again.
    """
    with transaction.atomic():
        claimed = (
            Post.objects.due_for_announcement()
            .filter(pk=post_id)
            .update(announced_at=timezone.now())
        )
        if not claimed:
            return False
        post = Post.objects.select_related("blog__owner").get(pk=post_id)
        post_published.send(sender=Post, post=post)
    log.info("announced post %s", post_id)
    return True


def announce_due_posts() -> int:
    """Announce every post whose time has come; safe to run twice or in parallel."""
    due = list(Post.objects.due_for_announcement().values_list("pk", flat=True)[:1000])
    return sum(announce_post(pk) for pk in due)


# ### Images ###


@transaction.atomic
def do_upload_image(user, upload, *, alt: str = "") -> Image:
    stored = images.store_image(upload, "images")
    try:
        return Image.objects.create(
            owner=user,
            key=stored.key,
            display=stored.names["display"],
            thumb=stored.names["thumb"],
            width=stored.width,
            height=stored.height,
            alt=text.clean_line(alt)[:200],
        )
    except Exception:
        images.delete_files(stored.names.values())  # no row, so no files either
        raise


@transaction.atomic
def do_delete_image(image: Image) -> None:
    files = image.files
    image.delete()
    transaction.on_commit(lambda: images.delete_files(files))
