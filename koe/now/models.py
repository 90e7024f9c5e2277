"""Short posts (Koe Now), their likes and images, and the durable, ordered event log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from koe.accounts.services import blocked_user_ids
from koe.blogs.models import Image, Tag
from koe.social.models import Follow, Notification

MAX_LENGTH = 300
MAX_IMAGES = 4


def followed_author_ids(user) -> models.QuerySet:
    """Owners of the blogs this person follows: whose followers-only posts they may read."""
    return Follow.objects.filter(follower_id=user.pk).values("blog__owner_id")


class ShortPostQuerySet(models.QuerySet):
    def live(self):
        return self.filter(author__is_active=True)

    def public(self):
        return self.live().filter(visibility=ShortPost.Visibility.PUBLIC)

    def visible_to(self, user):
        """Deny by default: public posts, followers-only posts of people the viewer follows,
        and the viewer's own; nothing of anyone the viewer blocked or was blocked by."""
        if user is None or not user.is_authenticated:
            return self.public()
        allowed = (
            Q(visibility=ShortPost.Visibility.PUBLIC)
            | Q(author_id=user.pk)
            | Q(visibility=ShortPost.Visibility.FOLLOWERS, author_id__in=followed_author_ids(user))
        )
        blocked = blocked_user_ids(user)
        return self.live().filter(allowed).exclude(author_id__in=blocked)

    # ### Timelines: each is visible_to(viewer) narrowed; the live streams apply the same rules.

    def public_timeline(self, viewer):
        return self.visible_to(viewer).filter(
            visibility=ShortPost.Visibility.PUBLIC, repost_of__isnull=True
        )

    def tag_timeline(self, viewer, tag: str):
        return self.public_timeline(viewer).filter(tags__name=tag)

    def user_timeline(self, viewer, author):
        return self.visible_to(viewer).filter(author_id=author.pk)

    def home_timeline(self, viewer):
        return self.visible_to(viewer).filter(
            Q(author_id=viewer.pk) | Q(author_id__in=followed_author_ids(viewer))
        )

    def cards(self):
        return (
            self.select_related("author", "reply_to__author", "repost_of__author")
            .prefetch_related("images", "repost_of__images")
            .order_by("-id")
        )


class ShortPost(models.Model):
    """A short post of up to 300 characters; a repost carries no words of its own."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        FOLLOWERS = "followers", _("Followers only")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="short_posts"
    )
    text = models.CharField(_("text"), max_length=MAX_LENGTH, blank=True)
    #: Escaped text with links for hashtags, mentions and addresses, made once on save.
    html = models.TextField(blank=True, editable=False)
    visibility = models.CharField(
        _("who can read it"), max_length=10, choices=Visibility.choices, default="public"
    )
    #: Set while the post replied to exists; is_reply stays when that post is deleted.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    is_reply = models.BooleanField(default=False, editable=False)
    repost_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reposts"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="short_posts")
    images = models.ManyToManyField(Image, blank=True, related_name="+")
    like_count = models.PositiveIntegerField(default=0, editable=False)
    reply_count = models.PositiveIntegerField(default=0, editable=False)
    repost_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Notifications about this post go with it: a deleted post leaves no words behind.
    notifications = GenericRelation(
        Notification, content_type_field="target_type", object_id_field="target_id"
    )

    objects = ShortPostQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["author", "-id"], name="now_post_author"),
            models.Index(fields=["visibility", "-id"], name="now_post_visibility"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "repost_of"],
                condition=Q(repost_of__isnull=False),
                name="now_repost_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.text[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("now:post", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def notification_excerpt(self) -> str:
        """How a notification names it; shown only while its reader may see the post."""
        return self.text[:100]


class ShortPostLike(models.Model):
    post = models.ForeignKey(ShortPost, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="now_like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.post_id}"


class Event(models.Model):
    """One entry of the durable, ordered event log that live streams read and resume from.

    Written inside the writer's transaction, so an event exists exactly when what it tells
    of committed; its id is the SSE event id a reconnecting client sends as Last-Event-ID.
    """

    stream = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["stream", "id"], name="now_event_stream")]

    def __str__(self) -> str:
        return f"{self.pk} {self.stream}/{self.kind}"
