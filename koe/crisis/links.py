"""Where a crisis hashtag's posts are read: Koe Now's live hashtag timeline (one line to change)."""

from django.urls import reverse


def tag_url(name: str) -> str:
    return reverse("now:tag", args=[name])
