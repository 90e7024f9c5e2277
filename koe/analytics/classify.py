"""Turning a request's untrusted headers into a few short, safe labels."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from ua_parser import parse as parse_user_agent

SEARCH_ENGINES = {
    "google": ("q",),
    "bing": ("q",),
    "yahoo": ("p", "q"),
    "duckduckgo": ("q",),
    "baidu": ("wd", "word"),
    "yandex": ("text",),
    "naver": ("query",),
    "ecosia": ("q",),
    "startpage": ("query", "q"),
    "goo": ("MT",),
}
SOCIAL_SITES = {
    "t.co": "X", "x.com": "X", "twitter.com": "X", "facebook.com": "Facebook",
    "fb.com": "Facebook", "instagram.com": "Instagram", "line.me": "LINE",
    "threads.net": "Threads", "tiktok.com": "TikTok", "youtube.com": "YouTube",
    "reddit.com": "Reddit", "bsky.app": "Bluesky", "pinterest.com": "Pinterest",
    "linkedin.com": "LinkedIn", "note.com": "note", "mixi.jp": "mixi", "hatena.ne.jp": "Hatena",
}  # fmt: skip
BOT_WORDS = re.compile(
    r"bot|crawl|spider|slurp|fetch|scrape|monitor|preview|headless|python-requests|curl|"
    r"wget|httpclient|go-http|java/|libwww|facebookexternalhit|embedly|lighthouse",
    re.IGNORECASE,
)
TABLET_WORDS = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
PHONE_WORDS = re.compile(r"mobile|iphone|ipod|android.*mobile|windows phone", re.IGNORECASE)
MAX_UA = 512


def _cap(text: str, n: int) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:n]


@lru_cache(maxsize=4096)
def user_agent(ua: str) -> tuple[str, str, str]:
    """(device, browser, operating system) of a user agent; device is 'bot' for robots."""
    ua = ua[:MAX_UA]
    if not ua.strip() or BOT_WORDS.search(ua):
        parsed = parse_user_agent(ua) if ua.strip() else None
        name = parsed.user_agent.family if parsed and parsed.user_agent else "unknown"
        return "bot", _cap(name, 40), ""
    parsed = parse_user_agent(ua)
    if parsed.device and parsed.device.family == "Spider":
        return "bot", _cap(parsed.user_agent.family if parsed.user_agent else "bot", 40), ""
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    if TABLET_WORDS.search(ua):
        device = "tablet"
    elif PHONE_WORDS.search(ua):
        device = "phone"
    elif system in ("Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Chrome OS", "ChromeOS"):
        device = "pc"
    else:
        device = "other"
    return device, _cap(browser, 40), _cap(system, 40)


def language(accept_language: str) -> str:
    first = (accept_language or "").split(",")[0].split(";")[0].strip()
    return (
        _cap(first.lower(), 16) if re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", first) else ""
    )


def referrer(raw: str, *, own_host: str, blog_username: str) -> tuple[str, str, str, bool]:
    """(group, source, search terms, is_entry) of a Referer header.

    Groups: koe (which Koe page), search (engine and words when given), social (site),
    direct (none), other (domain). A visit from the same blog is not an entry.
    """
    raw = (raw or "")[:2000]
    if not raw:
        return "direct", "", "", True
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return "other", "", "", True
    if not host:
        return "direct", "", "", True
    if host == own_host.lower().removeprefix("www."):
        return ("koe", *_koe_page(parts.path, blog_username))
    for site, name in SOCIAL_SITES.items():
        if host == site or host.endswith("." + site):
            return "social", name, "", True
    engine = next((e for e in SEARCH_ENGINES if re.search(rf"(^|\.){e}\.", host + ".")), None)
    if engine:
        query = parse_qs(parts.query)
        words = next((query[p][0] for p in SEARCH_ENGINES[engine] if query.get(p)), "")
        return "search", engine, _cap(" ".join(words.split()), 100), True
    return "other", _cap(host, 100), "", True


def _koe_page(path: str, blog_username: str) -> tuple[str, str, bool]:
    if path.startswith(f"/@{blog_username}/"):
        return "this blog", "", False
    if path.startswith("/@"):
        other = path.split("/")[1][1:31]
        return _cap(f"@{other}", 100), "", True
    for prefix, name in (
        ("/home", "feed"), ("/ranking", "ranking"), ("/search", "search"), ("/tags/", "hashtag"),
        ("/official", "official"), ("/now", "now"), ("/notifications", "notifications"),
    ):  # fmt: skip
        if path.startswith(prefix):
            return name, "", True
    return ("front page" if path in ("", "/") else "other page"), "", True
