"""Social's answers to what accounts and blogs announce. They run in the sender's transaction."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from koe.accounts.signals import user_blocked
from koe.blogs.models import Post
from koe.blogs.signals import (
    membership_decided,
    membership_requested,
    post_published,
    post_reblogged,
)
from koe.core import pagecache
from koe.social import follows, tasks
from koe.social.models import Comment, Follow, Like
from koe.social.notifications import Kind, notify, notify_mentions


@receiver(post_published)
def deliver_new_post(sender, post, **kwargs):
    transaction.on_commit(lambda: tasks.fan_out_post(post.pk))
    transaction.on_commit(lambda: tasks.notify_followers_of_post(post.pk))
    notify_mentions(post.body, actor=post.blog.owner, post=post)


@receiver(post_reblogged)
def tell_about_reblog(sender, reblog, original, **kwargs):
    notify(
        original.blog.owner, Kind.REBLOG, actor=reblog.blog.owner, blog=reblog.blog, post=original
    )


@receiver(membership_requested)
def tell_about_membership_request(sender, membership, **kwargs):
    blog = membership.blog
    notify(blog.owner, Kind.MEMBERSHIP_REQUEST, actor=membership.member, blog=blog)


@receiver(membership_decided)
def tell_about_membership_answer(sender, membership, approved, **kwargs):
    blog = membership.blog
    notify(
        membership.member,
        Kind.MEMBERSHIP_ANSWER,
        actor=blog.owner,
        blog=blog,
        text="approved" if approved else "refused",
    )


@receiver(user_blocked)
def end_follows(sender, blocker, blocked, **kwargs):
    follows.end_follows_between(blocker, blocked)


# ### Cached pages: comments, likes and follower counts show on the blog's pages ###


@receiver(post_save, sender=Comment)
@receiver(post_delete, sender=Comment)
@receiver(post_save, sender=Like)
@receiver(post_delete, sender=Like)
def forget_pages_of_reaction(sender, instance, **kwargs):
    # The lists' cards show the counts too; they may lag by KOE_PAGE_CACHE_SITE_SECONDS.
    # No row when the post itself is being deleted: its own deletion retires its pages.
    blog_id = Post.objects.filter(pk=instance.post_id).values_list("blog_id", flat=True).first()
    if blog_id is not None:
        pagecache.touch_blog(blog_id)


@receiver(post_save, sender=Follow)
@receiver(post_delete, sender=Follow)
def forget_pages_of_followed_blog(sender, instance, **kwargs):
    pagecache.touch_blog(instance.blog_id)


@receiver(post_reblogged)
def forget_pages_of_reblogged(sender, reblog, original, **kwargs):
    pagecache.touch_blog(original.blog_id)  # its "reblogged by" box
