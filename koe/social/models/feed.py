"""The home feed, written ahead for ordinary blogs (one row per follower and post)."""

from django.conf import settings
from django.db import models

from koe.blogs.models import Blog, Post


class FeedEntry(models.Model):
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    # Copied from the post so the feed is read from this table's index alone.
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "post"], name="social_feedentry_once")
        ]
        indexes = [
            models.Index(
                fields=["reader", "-published_at", "-post"], name="social_feed_reader_time"
            ),
            models.Index(fields=["reader", "blog"], name="social_feed_reader_blog"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} for {self.reader_id}"


class HomeVisit(models.Model):
    """When the reader last opened their home feed, to mark what is new since."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} at {self.seen_at:%Y-%m-%d %H:%M}"
