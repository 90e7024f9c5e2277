"""Blogs, their posts, categories, hashtags and images."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

OFFICIAL_CATEGORIES = [
    ("actor", _("Actor")),
    ("musician", _("Musician")),
    ("idol", _("Idol")),
    ("athlete", _("Athlete")),
    ("comedian", _("Comedian")),
    ("writer", _("Writer")),
    ("creator", _("Creator")),
    ("talent", _("TV personality")),
    ("model", _("Model")),
    ("politician", _("Politician")),
    ("expert", _("Expert")),
    ("company", _("Company")),
    ("organisation", _("Public organisation")),
    ("media", _("Media")),
]
#: Words under /@user/<id>/ that name a post's own pages, so no post slug may be one.
RESERVED_SLUGS = {"comments", "like", "likes", "reblog", "edit"}
THEMES = [
    ("sakura", _("Sakura")),
    ("sora", _("Sora")),
    ("matcha", _("Matcha")),
    ("sumi", _("Sumi")),
]


class Genre(models.Model):
    """A topic a blog belongs to, named in Japanese and English."""

    slug = models.SlugField(unique=True)
    name_ja = models.CharField(max_length=40)
    name_en = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ja if (get_language() or "ja").startswith("ja") else self.name_en


class Blog(models.Model):
    class CommentPolicy(models.TextChoices):
        EVERYONE = "everyone", _("Everyone (also without an account)")
        USERS = "users", _("Signed-in people only")
        CLOSED = "closed", _("Nobody (comments closed)")

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blog"
    )
    title = models.CharField(_("blog title"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    genre = models.ForeignKey(
        Genre, verbose_name=_("genre"), null=True, blank=True, on_delete=models.SET_NULL
    )
    theme = models.CharField(_("design"), max_length=20, choices=THEMES, default="sakura")
    header_image = models.CharField(max_length=200, blank=True, editable=False)
    comment_policy = models.CharField(
        _("who may comment"),
        max_length=10,
        choices=CommentPolicy.choices,
        default=CommentPolicy.EVERYONE,
    )
    comments_need_approval = models.BooleanField(
        _("show comments only after I approve them"), default=False
    )
    likes_enabled = models.BooleanField(_("allow likes"), default=True)
    show_followers = models.BooleanField(_("show who follows my blog"), default=True)
    members_teaser = models.BooleanField(
        _("show the titles of members-only posts to everyone"), default=True
    )
    #: Kept by the social app through services.adjust_follower_count.
    follower_count = models.PositiveIntegerField(default=0, editable=False)
    #: Set by staff when an application for an official blog is approved; blank otherwise.
    official_category = models.CharField(
        _("official category"), max_length=20, blank=True, choices=OFFICIAL_CATEGORIES
    )
    is_top_blogger = models.BooleanField(_("top blogger"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The feed finds the few huge blogs a reader follows by this.
            models.Index(fields=["-follower_count"], name="blogs_blog_followers"),
            models.Index(
                fields=["official_category", "-follower_count"],
                condition=~Q(official_category=""),
                name="blogs_blog_official",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("blogs:blog", args=[self.owner.username])

    @property
    def username(self) -> str:
        return self.owner.username

    @property
    def header_image_url(self) -> str:
        return default_storage.url(self.header_image) if self.header_image else ""

    @property
    def is_official(self) -> bool:
        return bool(self.official_category)


class Membership(models.Model):
    """A reader allowed to read a blog's members-only posts (Ameblo's アメンバー)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Member")

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: The member keeps their membership to themselves: not listed on any page.
    is_secret = models.BooleanField(_("keep my membership secret"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blog", "member"], name="blogs_membership_once")
        ]
        indexes = [models.Index(fields=["member", "status"], name="blogs_membership_member")]

    def __str__(self) -> str:
        return f"{self.member} in {self.blog} ({self.status})"


class Category(models.Model):
    """A blog's own grouping of its posts (Ameblo calls these themes)."""

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=40)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["blog", "name"], name="blogs_category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A hashtag, stored in its normal form (NFKC, case-folded)."""

    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blogs:tag", args=[self.name])


def public_posts_q() -> Q:
    """The condition for what anyone, signed in or not, may read."""
    return Q(
        status=Post.Status.PUBLISHED,
        published_at__lte=timezone.now(),
        visibility=Post.Visibility.PUBLIC,
        blog__owner__is_active=True,
    )


def _members_posts_q(**extra) -> Q:
    return Q(
        status=Post.Status.PUBLISHED,
        published_at__lte=timezone.now(),
        visibility=Post.Visibility.MEMBERS,
        blog__owner__is_active=True,
        **extra,
    )


def visible_posts_q(user) -> Q:
    """Deny by default: public posts, members-only posts of blogs the viewer is an
    approved member of, and everything the viewer wrote."""
    if user is None or not user.is_authenticated:
        return public_posts_q()
    member_of = Membership.objects.filter(
        member_id=user.pk, status=Membership.Status.APPROVED
    ).values("blog_id")
    return public_posts_q() | _members_posts_q(blog_id__in=member_of) | Q(blog__owner_id=user.pk)


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def public(self):
        return self.filter(public_posts_q())

    def visible_to(self, user):
        return self.filter(visible_posts_q(user))

    def listable_to(self, user):
        """What a blog's page lists: readable posts, and the locked titles of members-only
        posts on blogs that show them (the caller marks those as locked)."""
        return self.filter(visible_posts_q(user) | _members_posts_q(blog__members_teaser=True))

    def due_for_announcement(self):
        return self.published().filter(announced_at__isnull=True)

    def cards(self):
        """For lists of post cards: what for_listing gives, without the posts' words
        (a card shows the excerpt; the body can be a hundred thousand characters)."""
        return self.for_listing().defer("body", "body_html")

    def for_listing(self):
        return self.select_related("blog__owner", "blog__genre", "category", "cover").order_by(
            "-published_at", "-id"
        )


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")
        PRIVATE = "private", _("Private (only me)")

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=100_000, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    excerpt = models.CharField(max_length=200, blank=True, editable=False)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    cover = models.ForeignKey(
        "Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        _("who can read it"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    #: When readers may see it; in the future, the post is scheduled.
    published_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    #: Set exactly once, when the post's publication has been announced to other apps.
    announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_sponsored = models.BooleanField(_("sponsored (PR)"), default=False)
    #: A reblog (リブログ) carries the original as a card, and the reblogger's words as body.
    reblog_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reblogs"
    )
    allow_reblogs = models.BooleanField(_("others may reblog this post"), default=True)
    like_count = models.PositiveIntegerField(default=0, editable=False)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["blog", "status", "-published_at"], name="blogs_post_blog_pub"),
            models.Index(fields=["status", "visibility", "-published_at"], name="blogs_post_pub"),
            models.Index(
                fields=["published_at"],
                condition=Q(announced_at__isnull=True, status="published"),
                name="blogs_post_unannounced",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        username = self.blog.owner.username
        if self.slug:
            return reverse("blogs:post_slug", args=[username, self.pk, self.slug])
        return reverse("blogs:post", args=[username, self.pk])

    @property
    def slug(self) -> str:
        slug = slugify(self.title, allow_unicode=True)[:60]
        return "" if slug in RESERVED_SLUGS else slug

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.visibility == self.Visibility.PUBLIC
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )


class Image(models.Model):
    """An uploaded picture, re-encoded by the server into display and thumbnail sizes."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    key = models.CharField(max_length=32, unique=True)
    display = models.CharField(max_length=200)
    thumb = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.alt or self.key

    @property
    def display_url(self) -> str:
        return default_storage.url(self.display)

    @property
    def thumb_url(self) -> str:
        return default_storage.url(self.thumb)

    @property
    def files(self) -> list[str]:
        return [self.display, self.thumb]
