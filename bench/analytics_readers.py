"""Synthetic readers for bench/analytics.py: agents, referrers of every group, languages,
and RawHits as the counting middleware makes them."""

from __future__ import annotations

import random
import time

from analytics_common import ZONE

# ### Synthetic readers ###

_CHROME = (
    "Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 {m}Safari/537.36"
)
_SAFARI = (
    "Mozilla/5.0 ({dev}; CPU {os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/{v}.0 Mobile/15E148 Safari/604.1"
)
_FIREFOX = "Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
BOT_AGENTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0", "python-requests/2.31.0", "facebookexternalhit/1.1",
]  # fmt: skip
WORDS = [
    "東京",
    "ランチ",
    "猫",
    "ブログ",
    "旅行",
    "レシピ",
    "京都",
    "カフェ",
    "写真",
    "日記",
    "子育て",
    "映画",
    "読書",
    "ラーメン",
    "桜",
    "温泉",
    "カメラ",
    "北海道",
    "sakura",
    "travel",
    "ramen",
    "cafe",
    "review",
    "2025",
    "おすすめ",
    "方法",
    "比較",
]
LANGS = [
    "ja",
    "ja-JP",
    "ja",
    "ja-JP",
    "ja",
    "en-US",
    "en",
    "zh-TW",
    "ko-KR",
    "zh-CN",
    "fr-FR",
    "de-DE",
    "es-ES",
    "th-TH",
    "pt-BR",
    "",
]


def user_agents() -> list[str]:
    """About 300 distinct people's user agents (versions vary), then robots."""
    agents = []
    for v in range(110, 135):
        agents.append(_CHROME.format(os="Windows NT 10.0; Win64; x64", v=v, m=""))
        agents.append(_CHROME.format(os="Macintosh; Intel Mac OS X 10_15_7", v=v, m=""))
        agents.append(_CHROME.format(os="Linux; Android 14; Pixel 8", v=v, m="Mobile "))
        agents.append(_CHROME.format(os="Linux; Android 13; SM-S918B", v=v, m="Mobile "))
        agents.append(_CHROME.format(os="Linux; Android 13; SM-X700", v=v, m=""))
        agents.append(_FIREFOX.format(os="Windows NT 10.0; Win64; x64", v=v))
    for major in range(14, 19):
        for minor in range(0, 7):
            agents.append(_SAFARI.format(dev="iPhone", os=f"iPhone OS {major}_{minor}", v=major))
            agents.append(
                _SAFARI.format(dev="iPhone", os=f"iPhone OS {major}_{minor}", v=major).replace(
                    "Mobile/15E148", "Mobile/15E148 Line/13.1.0"
                )
            )
            agents.append(_SAFARI.format(dev="iPad", os=f"OS {major}_{minor}", v=major))
    return agents


def referrer_for(rnd: random.Random, username: str, posts: list[int]) -> str:
    r = rnd.random()
    if r < 0.35:
        return ""
    if r < 0.50:
        words = "+".join(rnd.sample(WORDS, rnd.randint(1, 3)))
        return (
            f"https://www.google.com/search?q={words}"
            if rnd.random() < 0.3
            else "https://www.google.com/"
        )
    if r < 0.58:
        words = "+".join(rnd.sample(WORDS, rnd.randint(1, 3)))
        return f"https://search.yahoo.co.jp/search?p={words}"
    if r < 0.62:
        return "https://www.bing.com/search?q=" + rnd.choice(WORDS)
    if r < 0.72:
        return rnd.choice(
            [
                "https://t.co/abc",
                "https://www.facebook.com/",
                "https://line.me/R/",
                "https://www.instagram.com/",
                "https://note.com/someone/n/n1",
                "https://b.hatena.ne.jp/entry/x",
            ]
        )
    if r < 0.80:
        return "http://127.0.0.1/" + rnd.choice(
            [
                "home",
                "ranking",
                "search?q=x",
                "tags/cat/",
                "official/",
                "",
                f"@friend{rnd.randint(1, 40)}/",
            ]
        )
    if r < 0.92:  # moving around the same blog: not an entry
        return f"http://127.0.0.1/@{username}/{rnd.choice(posts)}/"
    return f"https://site{rnd.randint(1, 600)}.example.jp/page/{rnd.randint(1, 50)}"


def raw_hits(n: int, *, blog_id: int, username: str, posts: list[int], seed: int) -> list:
    """n synthetic RawHits of today, as the middleware would make them."""
    from koe.analytics import capture
    from koe.core.hits import Mark

    rnd = random.Random(seed)
    people, now = user_agents(), time.time()
    marks = {
        post_id: Mark(blog_id, 0, post_id, "post" if post_id else "top", ZONE, username)
        for post_id in [*posts, None]
    }
    out = []
    for i in range(n):
        agent = rnd.choice(BOT_AGENTS) if rnd.random() < 0.08 else rnd.choice(people)
        post_id = rnd.choice(posts) if rnd.random() < 0.85 else None
        address = f"203.0.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        out.append(capture.raw_hit(
            marks[post_id], now + i / 1_000_000, address, agent,
            referrer_for(rnd, username, posts), "127.0.0.1",
            f"/@{username}/{post_id}/" if post_id else f"/@{username}/", rnd.choice(LANGS),
        ))  # fmt: skip
    return out
