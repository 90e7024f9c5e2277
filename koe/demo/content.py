"""What the demo is made of: blogs, posts and comments, as plain data.

The words themselves live in texts/, one module per blog; this module shapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLISHED, SCHEDULED, DRAFT = "published", "scheduled", "draft"


@dataclass(frozen=True)
class Picture:
    """A drawn picture (see art.SCENES); in a post body, `{{pic:N}}` stands for the Nth."""

    kind: str
    alt: str
    seed: str = ""


@dataclass(frozen=True)
class PostSpec:
    title: str
    body: str
    tags: tuple[str, ...] = ()
    category: str = ""
    #: Days before today (negative: after); the hour and minute are Tokyo time.
    day: int = 1
    time: str = "09:00"
    pictures: tuple[Picture, ...] = ()
    state: str = PUBLISHED
    sponsored: bool = False
    #: (who, words): "@username" for a demo blogger, any other name for a guest.
    comments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BlogSpec:
    username: str
    language: str  # the blog's language: "ja" or "en"
    display_name: str
    bio: str
    title: str
    description: str
    genre: str
    theme: str
    hue: float  # the avatar's colour
    categories: tuple[str, ...] = ()
    header: Picture | None = None
    posts: tuple[PostSpec, ...] = field(default_factory=tuple)
    #: The account's interface language; "" lets the browser decide.
    account_language: str | None = None


# Said by other demo bloggers (or guests) under posts that bring no comments of their own.
COMMENTS_JA = (
    "素敵な写真ですね！見ていて癒やされました。",
    "いつも楽しく読んでいます。次の更新も楽しみにしています！",
    "わかります〜！私も同じこと思っていました。",
    "行ってみたくなりました。場所を教えてもらえますか？",
    "読んでいるだけでお腹が空いてきました笑",
    "丁寧な記事をありがとうございます。参考になりました。",
    "この季節ならではですね。",
    "いいなあ、うらやましいです！",
)
COMMENTS_EN = (
    "Lovely post, thanks for sharing!",
    "This made my morning. Looking forward to the next one.",
    "Bookmarked. I want to try this myself.",
    "Great photos. What camera do you use?",
    "Ha, I know exactly that feeling.",
    "Such a helpful write-up, thank you.",
    "I never thought about it that way before.",
)
