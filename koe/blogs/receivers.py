"""Blogs' answers to what accounts announces."""

from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import override

from koe.accounts.signals import account_deleting, user_blocked, user_signed_up
from koe.blogs import services
from koe.blogs.models import Blog, Image, Membership


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
