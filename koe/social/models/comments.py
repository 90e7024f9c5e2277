"""Comments and likes on posts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from koe.blogs.models import Post


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Comment.Status.VISIBLE)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)


class Comment(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("Shown")
        PENDING = "pending", _("Awaiting approval")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=50)
    body = models.TextField(_("comment"), max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name}: {self.body[:40]}"


class Like(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="social_like_once")]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.post}"
