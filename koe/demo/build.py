"""Making the demo content through Koe's own actions, adding only what is missing.

Accounts are keyed by username, posts by title within their blog, comments by their author
and words, likes by who likes what: running it again finds everything there and adds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from faker import Faker

from koe.accounts import services as account_services
from koe.blogs import services as blog_services
from koe.blogs.models import Genre, Post
from koe.crisis import demo as crisis_demo
from koe.demo import art
from koe.demo.content import (
    COMMENTS_EN,
    COMMENTS_JA,
    DRAFT,
    PUBLISHED,
    BlogSpec,
    Picture,
    PostSpec,
)
from koe.demo.official import ensure_official_blogs
from koe.demo.readers import ensure_readers
from koe.demo.recent import ensure_recent
from koe.demo.social import ensure_social
from koe.demo.texts import BLOGS
from koe.now import demo as now_demo
from koe.social import services as social_services
from koe.social.models import Comment

DEMO_USERNAME = "demo"
#: Every demo account has an address here; an account without one is someone real, left alone.
EMAIL_DOMAIN = "demo.koe.invalid"
TOKYO = ZoneInfo("Asia/Tokyo")


def demo_password() -> str:
    """The demo account's password: this site's own (from its SECRET_KEY), the same every run."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"koe-demo", hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode().lower()[:16]
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


@dataclass
class BlogReport:
    spec: BlogSpec
    skipped: bool = False
    posts: int = 0
    comments: int = 0
    likes: int = 0
    new_posts: int = 0
    new_comments: int = 0
    new_likes: int = 0

    def line(self, index: int, total: int) -> str:
        head = f"[{index}/{total}] @{self.spec.username} {self.spec.title}"
        if self.skipped:
            return f"{head}: skipped, this username belongs to an account that is not a demo one"
        counts = f"{self.posts} posts, {self.comments} comments, {self.likes} likes"
        new = (self.new_posts, self.new_comments, self.new_likes)
        if new == (self.posts, self.comments, self.likes):
            return f"{head}: {counts}"
        if not any(new):
            return f"{head}: {counts} (already there)"
        added = f"{self.new_posts} posts, {self.new_comments} comments, {self.new_likes} likes"
        return f"{head}: {counts} (added {added})"


@dataclass
class DemoResult:
    blogs: list[BlogReport]
    new_accounts: int
    #: False when a "demo" account exists whose password is no longer the one we print.
    password_ok: bool


def _upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _seed(picture: Picture, fallback: str) -> str:
    return picture.seed or fallback


# ### Accounts ###


def _is_demo_account(user) -> bool:
    return user.email.lower().endswith("@" + EMAIL_DOMAIN)


@transaction.atomic
def _create_account(spec: BlogSpec):
    """Sign up, then dress the profile and the blog: all of it, or none of it."""
    # Only "demo" signs in; the others get no usable password (None: Django's unusable mark),
    # which also spares a slow password hash per account.
    password = demo_password() if spec.username == DEMO_USERNAME else None
    language = spec.language if spec.account_language is None else spec.account_language
    user = account_services.do_sign_up(
        username=spec.username,
        email=f"{spec.username}@{EMAIL_DOMAIN}",
        password=password,
        display_name=spec.display_name,
        language=language,
    )
    avatar = art.avatar(spec.display_name[:1], spec.username, spec.hue)
    account_services.do_update_profile(
        user,
        avatar_upload=_upload("avatar.png", avatar, "image/png"),
        bio=spec.bio,
        time_zone="Asia/Tokyo",
    )
    blog = blog_services.do_create_blog(user, title=spec.title)
    header = None
    if spec.header is not None:
        data = art.header(spec.header.kind, _seed(spec.header, spec.username))
        header = _upload("header.jpg", data, "image/jpeg")
    blog_services.do_update_blog(
        blog,
        header_upload=header,
        title=spec.title,
        description=spec.description,
        genre=Genre.objects.filter(slug=spec.genre).first(),
        theme=spec.theme,
    )
    for name in spec.categories:
        blog_services.do_save_category(blog, name)
    return user


def ensure_accounts() -> tuple[dict[str, object], int, bool]:
    """The demo bloggers by username (someone else's username is left out), and how many are new."""
    User = get_user_model()
    users, created, password_ok = {}, 0, True
    for spec in BLOGS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = _create_account(spec)
            created += 1
        elif not _is_demo_account(user):
            continue
        elif spec.username == DEMO_USERNAME:
            password_ok = user.check_password(demo_password())
        users[spec.username] = user
    return users, created, password_ok


# ### Posts ###


def _when(spec: PostSpec) -> datetime:
    """`day` days before today in Tokyo, at `time`: day ≥ 1 is always past, day ≤ -1 to come."""
    today = timezone.localdate(timezone=TOKYO)
    return datetime.combine(
        today - timedelta(days=spec.day), time.fromisoformat(spec.time), tzinfo=TOKYO
    )


@transaction.atomic
def _create_post(user, blog, spec: PostSpec) -> Post:
    body = spec.body
    for number, picture in enumerate(spec.pictures, start=1):
        seed = _seed(picture, f"{user.username}/{spec.title}/{number}")
        data = art.picture(picture.kind, seed)
        image = blog_services.do_upload_image(
            user, _upload(f"{picture.kind}.jpg", data, "image/jpeg"), alt=picture.alt
        )
        body = body.replace(f"{{{{pic:{number}}}}}", f"![{picture.alt}]({image.display_url})")
    category = blog.categories.filter(name=spec.category).first() if spec.category else None
    tags = blog_services.parse_tags(" ".join(spec.tags))
    return blog_services.do_save_post(
        blog,
        title=spec.title,
        body=body,
        tags=tags,
        category=category,
        publish=spec.state != DRAFT,
        publish_at=None if spec.state == DRAFT else _when(spec),
        is_sponsored=spec.sponsored,
    )


# ### Comments and likes ###


class _Guests:
    """Names for guest commenters, from Faker seeded per comment: the same name every run."""

    def __init__(self):
        self._fakers = {"ja": Faker("ja_JP"), "en": Faker("en_US")}

    def name(self, language: str, seed: str) -> str:
        fake = self._fakers[language]
        fake.seed_instance(seed)
        return fake.name()[:50]


def _wanted_comments(spec: BlogSpec, post: PostSpec, users: dict, guests: _Guests):
    """(user or None, guest name, words) for one post: its own comments, or a few from the pool."""
    if post.comments:
        for who, words in post.comments:
            if who.startswith("@"):
                if who[1:] in users:
                    yield users[who[1:]], "", words
            else:
                yield None, who, words
        return
    rng = random.Random(f"comments/{spec.username}/{post.title}")
    pool = COMMENTS_JA if spec.language == "ja" else COMMENTS_EN
    neighbours = sorted(
        name
        for name in users
        if name != spec.username and _spec_for(name).language == spec.language
    )
    for number, words in enumerate(rng.sample(pool, rng.choice((0, 1, 1, 2)))):
        if neighbours and rng.random() < 0.7:
            yield users[rng.choice(neighbours)], "", words
        else:
            yield None, guests.name(spec.language, f"{spec.username}/{post.title}/{number}"), words


def _ensure_comment(post: Post, user, name: str, words: str) -> bool:
    if user is not None:
        there = Comment.objects.filter(post=post, author=user, body=words)
    else:
        there = Comment.objects.filter(post=post, author__isnull=True, name=name, body=words)
    if there.exists():
        return False
    social_services.do_comment(post, user or AnonymousUser(), body=words, name=name)
    return True


def _wanted_likers(spec: BlogSpec, post: PostSpec, users: dict) -> list:
    rng = random.Random(f"likes/{spec.username}/{post.title}")
    others = sorted(name for name in users if name != spec.username)
    return [users[name] for name in rng.sample(others, min(len(others), rng.randint(1, 6)))]


# ### The whole demo ###


def _spec_for(username: str) -> BlogSpec:
    return next(spec for spec in BLOGS if spec.username == username)


def build_blog(spec: BlogSpec, users: dict, guests: _Guests) -> BlogReport:
    report = BlogReport(spec)
    user = users.get(spec.username)
    if user is None:
        report.skipped = True
        return report
    blog = blog_services.do_create_blog(user, title=spec.title)
    for post_spec in spec.posts:
        post = blog.posts.filter(title=post_spec.title).first()
        if post is None:
            post = _create_post(user, blog, post_spec)
            report.new_posts += 1
        report.posts += 1
        if post_spec.state != PUBLISHED or not post.is_public:
            continue  # scheduled posts and drafts stay quiet until they are out
        for commenter, name, words in _wanted_comments(spec, post_spec, users, guests):
            report.comments += 1
            report.new_comments += _ensure_comment(post, commenter, name, words)
        for liker in _wanted_likers(spec, post_spec, users):
            report.likes += 1
            if not post.likes.filter(user=liker).exists():
                report.new_likes += social_services.do_like(post, liker)
    return report


def build_demo(progress: Callable[[str], None] = lambda line: None) -> DemoResult:
    """Make whatever part of the demo is missing; report one line per blog as it goes."""
    users, created, password_ok = ensure_accounts()
    progress(f"Accounts: {len(users)} demo bloggers ({created} new)")
    guests = _Guests()
    reports = []
    for index, spec in enumerate(BLOGS, start=1):
        report = build_blog(spec, users, guests)
        progress(report.line(index, len(BLOGS)))
        reports.append(report)
    progress(ensure_official_blogs(users).line())
    progress(ensure_social(users).line())
    progress(ensure_recent(users).line())
    progress(ensure_readers(users, progress).line())
    now_demo.populate(users, progress)
    crisis_demo.populate(progress)
    return DemoResult(blogs=reports, new_accounts=created, password_ok=password_ok)
