"""Blogs' own parts of pages that are placed through core.slots."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string

from koe.blogs.memberships import check_can_reblog, membership_of
from koe.blogs.models import Post


def membership_box(request, blog, **kwargs) -> str:
    context = {"blog": blog, "membership": membership_of(blog, request.user)}
    return render_to_string("blogs/_membership_box.html", context, request=request)


def reblogs_box(request, post, **kwargs) -> str:
    if not post.is_public:
        return ""
    try:
        check_can_reblog(post, request.user)
        can_reblog = True
    except (PermissionDenied, ValidationError):
        can_reblog = False
    reblogs = (
        Post.objects.public()
        .filter(reblog_of=post)
        .select_related("blog__owner")
        .order_by("-published_at")[:20]
    )
    context = {"post": post, "reblogs": reblogs, "can_reblog": can_reblog}
    return render_to_string("blogs/_reblogs.html", context, request=request)
