"""Notifications and each person's choices about them."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from koe.blogs.models import Blog, Post


class Notification(models.Model):
    class Kind(models.TextChoices):
        FOLLOW = "follow", _("New follower")
        LIKE = "like", _("Like")
        COMMENT = "comment", _("Comment")
        COMMENT_PENDING = "comment_pending", _("Comment awaiting approval")
        REBLOG = "reblog", _("Reblog")
        MENTION = "mention", _("Mention")
        MEMBERSHIP_REQUEST = "membership_request", _("Membership request")
        MEMBERSHIP_ANSWER = "membership_answer", _("Answer to a membership request")
        NEW_POST = "new_post", _("New post from a blog you follow")
        OFFICIAL = "official", _("Official blog application")
        PICK = "pick", _("Editors' pick")
        SAFETY = "safety", _("Safety check-in")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    blog = models.ForeignKey(
        Blog, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: What it is about when that is not a blog post: a short post, a check-in, anything of
    #: an app above this one, which social cannot import. The page links it while the reader
    #: may see it (koe.social.notifications.with_links says how a model takes part).
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    #: A short, already-safe text the kind needs (a refusal reason, an answer).
    text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="social_notif_recipient"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="social_notif_unread",
            ),
            # Deleting a target deletes its notifications (GenericRelation) through this.
            models.Index(fields=["target_type", "target_id"], name="social_notif_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"


class NotificationPreference(models.Model):
    """A person's choice for one kind; without a row, on the site yes and by e-mail no."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=Notification.Kind.choices)
    on_site = models.BooleanField(default=True)
    by_email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="social_notifpref_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: site={self.on_site} email={self.by_email}"
