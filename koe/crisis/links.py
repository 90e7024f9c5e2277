"""Where a crisis hashtag's posts are read: one place to change when /now/tags/ arrives."""

from django.urls import reverse


def tag_url(name: str) -> str:
    return reverse("blogs:tag", args=[name])
