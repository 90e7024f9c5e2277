"""The index follows posts as they are announced, edited, re-tagged, hidden or deleted.
Receivers run in the sender's transaction, so the index changes with the post or not at all."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from koe.blogs.models import Post
from koe.blogs.signals import post_published
from koe.discovery import index


@receiver(post_published)
def index_published_post(sender, post, **kwargs):
    index.index_post(post.pk)


@receiver(post_save, sender=Post)
def reindex_saved_post(sender, instance, raw=False, **kwargs):
    if not raw:
        index.index_post(instance.pk)


@receiver(m2m_changed, sender=Post.tags.through)
def reindex_retagged_post(sender, instance, action, reverse=False, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and not reverse:
        index.index_post(instance.pk)


@receiver(post_delete, sender=Post)
def unindex_deleted_post(sender, instance, **kwargs):
    index.unindex_post(instance.pk)
