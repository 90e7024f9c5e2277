"""Text in and out: Markdown to safe HTML, plain-text excerpts, and input clean-up."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

import nh3
from django.conf import settings
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figure", "figcaption",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "mark", "ol", "p",
    "pre", "s", "section", "small", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "input": {"type", "checked", "disabled"},
    "li": {"id", "class"},
    "ol": {"start"},
    "section": {"class"},
    "sup": {"class", "id"},
    "td": {"align"},
    "th": {"align"},
    "ul": {"class"},
}
SAFE_CLASSES = {
    "task-list-item",
    "contains-task-list",
    "footnotes",
    "footnote-item",
    "footnote-ref",
}
URL_SCHEMES = {"http", "https", "mailto"}
_INVISIBLE_EDGES = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(footnote_plugin).use(tasklists_plugin)
    return md


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        kept = [c for c in value.split() if c in SAFE_CLASSES]
        return " ".join(kept) or None
    if tag == "img" and attr == "src":
        # Images come only from Koe's own media: outside images would tell others who reads.
        media = settings.MEDIA_URL
        if media.startswith("/") and value.startswith("//"):
            return None  # "//host/..." leaves the site even though it starts with "/"
        return value if value.startswith(media) else None
    if tag == "input" and attr == "type":
        return value if value == "checkbox" else None
    return value


def sanitize_html(raw: str) -> str:
    """Reduce HTML to the tags and attributes Koe shows; everything else goes."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Markdown to safe HTML; headings start at h2 because the page title is the h1."""
    rendered = _markdown().render(clean_text(source))
    rendered = re.sub(r"<(/?)h1>", r"<\1h2>", rendered)
    rendered = rendered.replace("<img ", '<img loading="lazy" ')
    return sanitize_html(rendered)


def html_to_text(markup: str) -> str:
    """The words of some HTML, whitespace folded."""
    text = nh3.clean(markup, tags=set(), attributes={})
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def excerpt(markup: str, length: int = 160) -> str:
    text = html_to_text(markup)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def clean_text(value: str) -> str:
    """Normalise user text: NFC, Unix newlines, no control characters."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", value)


def clean_line(value: str) -> str:
    """One line of user text: clean_text with whitespace folded.

    Invisible characters at either end go too, so a name of only zero-width spaces is empty.
    """
    return re.sub(r"\s+", " ", clean_text(value)).strip(" " + _INVISIBLE_EDGES)
