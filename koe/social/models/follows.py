"""Who follows which blog, and which blogs a reader has muted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from koe.blogs.models import Blog, Post


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="follows")
    #: A hidden follow is left out of every public list of followers.
    is_public = models.BooleanField(_("show that I follow this blog"), default=True)
    #: Tell me by notification when this blog publishes.
    notify_posts = models.BooleanField(_("tell me about new posts"), default=False)
    #: The post the reader was reading when they followed: "new followers it brought".
    source_post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "blog"], name="social_follow_once")
        ]
        indexes = [
            models.Index(fields=["blog", "-created_at"], name="social_follow_blog"),
            models.Index(fields=["follower", "-created_at"], name="social_follow_follower"),
            # Telling followers of a new post reads only those who asked.
            models.Index(
                fields=["blog"],
                condition=models.Q(notify_posts=True),
                name="social_follow_notify",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower} → {self.blog}"


class Mute(models.Model):
    """The reader no longer sees this blog in their feed or notifications; it is not told."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes"
    )
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "blog"], name="social_mute_once")]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.blog}"
