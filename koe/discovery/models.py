"""The search index: one document per public post, its text as pre-tokenised terms."""

from django.db import models

from koe.blogs.models import Blog, Post


class SearchDocument(models.Model):
    """A public post's searchable terms. The full-text index over `terms` lives beside
    this table (FTS5 on SQLite, a GIN expression index on PostgreSQL), made in migrations."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="+")
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    terms = models.TextField()
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"search document for post {self.post_id}"
