"""Showing applicants' evidence to staff without trusting it."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from koe.official.services import LINK

register = template.Library()


@register.filter
def evidence_links(text: str) -> str:
    """Escaped text whose http(s) addresses are links that pass no rank and no opener.

    Only what LINK matches becomes a link, so no javascript: or data: address can.
    """
    parts, last = [], 0
    for match in LINK.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?)」』）")
        parts.append(escape(text[last : match.start()]))
        parts.append(
            format_html(
                '<a href="{}" rel="nofollow noopener noreferrer" target="_blank">{}</a>', url, url
            )
        )
        last = match.start() + len(url)
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is escaped above
