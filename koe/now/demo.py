"""A lively public timeline for `koe demo`: short posts, a thread, likes and reposts.

`populate(users, progress)` is called by the demo app; it is idempotent (people who already
have short posts are left alone) and deterministic (the same words each time).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from koe.now import services
from koe.now.models import ShortPost

#: (author index, text, visibility); a reply names the index of the post it answers.
POSTS = [
    (0, "おはようございます。今日の東京は晴れ、最高気温は18度の予報です。#東京 #天気", None),
    (1, "Morning! The Yamanote line is running on time today. #train #東京", None),
    (2, "新しいパン屋さんを見つけました。クロワッサンがおいしい！ #ランチ", None),
    (3, "Writing my first Koe Now post. Short and quick, like a voice. #koe", None),
    (4, "中央線、人身事故の影響で遅れています。振替輸送を利用してください。#train", None),
    (0, "@{1} 山手線の情報ありがとうございます！", 1),
    (1, "Lunch recommendation near Shibuya? #ランチ", None),
    (2, "@{1} 渋谷なら道玄坂のそば屋がおすすめです。", 6),
    (3, "Sunset from the river today was beautiful. #写真", None),
    (4, "今夜は流星群が見えるそうです。晴れるといいな。#天気", None),
    (0, "Koe Now shows my latest short post as a bubble on my blog. Neat! #koe", None),
    (1, "雨が降ってきました。傘を忘れずに。#天気 #東京", None),
]


def _people(users) -> list:
    people = list(users.values()) if isinstance(users, dict) else list(users)
    return [p for p in people if p.is_active]


def populate(users, progress: Callable[[str], None] = lambda line: None) -> int:
    """Write the demo's short posts once; returns how many were written."""
    people = _people(users)[:5]
    if len(people) < 2:
        return 0
    if ShortPost.objects.filter(author__in=people).exists():
        progress("Koe Now: demo timeline already there")
        return 0
    written: list[ShortPost] = []
    with transaction.atomic():
        for author_index, text, reply_index in POSTS:
            author = people[author_index % len(people)]
            names = {"{1}": people[1 % len(people)].username}
            for key, name in names.items():
                text = text.replace(key, name)
            reply_to = written[reply_index] if reply_index is not None else None
            written.append(
                services.do_post(author, text=text, reply_to=reply_to, rate_limited=False)
            )
        for i, post in enumerate(written):
            for reader in people[: 1 + i % len(people)]:
                if reader.pk != post.author_id:
                    services.do_like(reader, post)
        services.do_repost(people[3 % len(people)], written[4])
    progress(f"Koe Now: {len(written)} short posts with replies, likes and a repost")
    return len(written)
