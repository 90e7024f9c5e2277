"""Koe Now's parts of other apps' pages, placed through core.slots."""

from django.template.loader import render_to_string

from koe.now.models import ShortPost


def footer_link(request, **kwargs) -> str:
    return render_to_string("now/_footer_link.html", request=request)


def latest_bubble(request, blog, **kwargs) -> str:
    """The blogger's latest public short post, as a speech bubble beside the blog."""
    latest = (
        ShortPost.objects.public()
        .filter(author_id=blog.owner_id, repost_of__isnull=True)
        .order_by("-id")
        .first()
    )
    if latest is None:
        return ""
    return render_to_string("now/_bubble.html", {"latest": latest}, request=request)
