"""The author's blog shows their latest short post as a bubble: its cached pages retire."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from koe.blogs.models import Blog
from koe.core import pagecache
from koe.now.models import ShortPost


@receiver(post_save, sender=ShortPost)
@receiver(post_delete, sender=ShortPost)
def forget_the_bubble(sender, instance, **kwargs):
    for blog_id in Blog.objects.filter(owner_id=instance.author_id).values_list("pk", flat=True):
        pagecache.touch_blog(blog_id)
