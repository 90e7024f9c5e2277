"""A short post's words as safe HTML: escaped, with hashtags, mentions and addresses linked."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.html import escape

from koe.blogs.services import is_tag_name, normalise_tag

_TOKENS = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]」』、。])"
    r"|(?<![\w@/])@(?P<user>[a-z0-9][a-z0-9_-]{1,29})\b"
    r"|(?<![\w&/])[#＃](?P<tag>[\w\u30fc\u3005]+)",
    re.IGNORECASE,
)


def hashtags(text: str) -> list[str]:
    names: list[str] = []
    for match in _TOKENS.finditer(text):
        if match.group("tag"):
            name = normalise_tag(match.group("tag"))
            if is_tag_name(name) and name not in names:
                names.append(name)
    return names[:10]


def mentions(text: str) -> list[str]:
    found = {m.group("user").lower() for m in _TOKENS.finditer(text) if m.group("user")}
    return sorted(found)[:10]


def render(text: str) -> str:
    """Escaped text; only links Koe makes itself, so no user markup ever reaches a page."""
    out, pos = [], 0
    for match in _TOKENS.finditer(text):
        out.append(escape(text[pos : match.start()]))
        raw = escape(match.group(0))
        if match.group("url"):
            href = escape(match.group("url"))
            out.append(f'<a href="{href}" rel="nofollow ugc noopener noreferrer">{raw}</a>')
        elif match.group("user"):
            href = reverse("now:user", args=[match.group("user").lower()])
            out.append(f'<a href="{href}" class="mention">{raw}</a>')
        else:
            name = normalise_tag(match.group("tag"))
            if is_tag_name(name):
                href = reverse("now:tag", args=[name])
                out.append(f'<a href="{href}" class="hashtag">{raw}</a>')
            else:
                out.append(raw)
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")
