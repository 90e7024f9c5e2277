"""Blogs' answers to what accounts announces, and what makes cached pages stale."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import override

from koe.accounts.signals import account_deleting, user_blocked, user_signed_up
from koe.blogs import services
from koe.blogs.models import Blog, Category, Image, Membership, Post
from koe.blogs.signals import post_published
from koe.core import pagecache


@receiver(user_signed_up)
def create_blog_for_new_user(sender, user, **kwargs):
    with override(user.language or "ja"):
        title = _("%(name)s's blog") % {"name": user.name}
    services.do_create_blog(user, title=title[:80])


@receiver(account_deleting)
def collect_blog_files(sender, user, files, **kwargs):
    for image in Image.objects.filter(owner=user).only("display", "thumb"):
        files.extend(image.files)
    blog = Blog.objects.filter(owner=user).only("header_image").first()
    if blog:
        files.append(blog.header_image)


@receiver(user_blocked)
def end_memberships_between(sender, blocker, blocked, **kwargs):
    Membership.objects.filter(blog__owner=blocker, member=blocked).delete()
    Membership.objects.filter(blog__owner=blocked, member=blocker).delete()


# ### Cached pages: what a signed-out reader sees changes, so the cache forgets it ###

_AUTOSAVED = frozenset({"title", "body", "body_html", "excerpt", "updated_at"})


@receiver(pre_save, sender=Post)
def remember_whether_public(sender, instance, update_fields=None, **kwargs):
    if instance.status == Post.Status.DRAFT and update_fields and set(update_fields) <= _AUTOSAVED:
        return
    instance._was_public = (
        instance.pk is not None and Post.objects.public().filter(pk=instance.pk).exists()
    )


@receiver(post_save, sender=Post)
@receiver(post_delete, sender=Post)
def forget_pages_of_post(sender, instance, update_fields=None, **kwargs):
    if instance.status == Post.Status.DRAFT and update_fields and set(update_fields) <= _AUTOSAVED:
        return  # a draft's words kept while typing: on no public page
    gone = kwargs.get("created") is None  # post_delete sends no "created"
    if getattr(instance, "_was_public", False) and (gone or not instance.is_public):
        # A public post left the public: other blogs' cached pages may show it too
        # (related posts, reblog cards, rankings, picks), so every cached page retires.
        pagecache.touch_layout()
    pagecache.touch_blog(instance.blog_id, site=True)


@receiver(pre_delete, sender=Post)
def remember_whether_public_before_deleting(sender, instance, **kwargs):
    instance._was_public = instance.is_public


@receiver(post_published)
def forget_pages_of_published_post(sender, post, **kwargs):
    pagecache.touch_blog(post.blog_id, site=True)  # a scheduled post's time has come


@receiver(post_save, sender=Blog)
@receiver(post_delete, sender=Blog)
def forget_pages_of_blog(sender, instance, **kwargs):
    pagecache.touch_blog(instance.pk, site=True)  # title, theme, badges show on cards too


@receiver(post_save, sender=Category)
@receiver(post_delete, sender=Category)
def forget_pages_of_category(sender, instance, **kwargs):
    pagecache.touch_blog(instance.blog_id)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def forget_pages_of_person(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    if not instance.is_active:
        pagecache.touch_layout()  # their posts leave every page that showed them
    for blog_id in Blog.objects.filter(owner=instance).values_list("pk", flat=True):
        pagecache.touch_blog(blog_id, site=True)  # name and picture on their pages and cards
