"""The demo's recent hours: likes and comments spread back over the weeks they belong to,
then a burst on a few posts that share hashtags, so trends have something rising now;
and two editors' picks for the front page.

The demo's actions all happen when the command runs, which would make every like look
brand new. Moving the old ones back to the day after their post came out is done once
(a like already in its place is not moved again), so a second run changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from koe.blogs.models import Post
from koe.discovery import picks
from koe.discovery.models import Pick
from koe.social import services as social_services
from koe.social.models import Comment, Like

#: Hashtags whose newest posts (on two blogs each) get a burst of likes and comments now.
BURST_TAGS = ("東京", "photography")
BURST_LIKERS = 6
BURST_COMMENTS = {
    "ja": ("いま読みました。週末に行ってみます！", "写真がとても素敵です。"),
    "en": ("Just read this on the train, lovely.", "Saving this one for the weekend."),
}
PICK_DAYS = 7
JAPANESE = ("\u3040", "\u9fff")


@dataclass
class RecentReport:
    moved: int = 0
    likes: int = 0
    comments: int = 0
    picks: int = 0

    def line(self) -> str:
        return (
            f"Recent hours: {self.likes} new likes and {self.comments} new comments on "
            f"rising posts, {self.moved} older reactions put back in their days, "
            f"{self.picks} editors' picks added"
        )


def burst_posts(users: dict) -> list[Post]:
    owners = [user.pk for user in users.values()]
    chosen: list[Post] = []
    for tag in BURST_TAGS:
        blogs: set[int] = set()
        posts = (
            Post.objects.public()
            .filter(tags__name=tag, reblog_of__isnull=True, blog__owner_id__in=owners)
            .select_related("blog__owner")
            .order_by("-published_at", "-id")
        )
        for post in posts:
            if post.blog_id not in blogs and post not in chosen:
                blogs.add(post.blog_id)
                chosen.append(post)
            if len(blogs) == 2:
                break
    return chosen


def _put_back(rows, now, report: RecentReport) -> None:
    """Move reactions made by this run to a few hours after their post came out."""
    for row in rows.select_related("post"):
        published = row.post.published_at
        if published is None or row.created_at <= published + timedelta(days=1):
            continue  # already in its place (or the post is too new to have a past)
        hours = random.Random(f"settle/{type(row).__name__}/{row.pk}").randint(1, 20)
        when = min(published + timedelta(hours=hours), now - timedelta(hours=6))
        if when > published:
            type(row).objects.filter(pk=row.pk).update(created_at=when)
            report.moved += 1


def _language(post: Post) -> str:
    text = post.title + post.body[:200]
    return "ja" if any(JAPANESE[0] <= ch <= JAPANESE[1] for ch in text) else "en"


def ensure_recent(users: dict) -> RecentReport:
    report = RecentReport()
    now = timezone.now()
    owners = [user.pk for user in users.values()]
    rising = burst_posts(users)
    rising_ids = [post.pk for post in rising]
    _put_back(Like.objects.filter(post__blog__owner_id__in=owners).exclude(post_id__in=rising_ids),
              now, report)  # fmt: skip
    _put_back(
        Comment.objects.filter(post__blog__owner_id__in=owners).exclude(post_id__in=rising_ids),
        now,
        report,
    )
    people = sorted(users.values(), key=lambda user: user.username)
    for post in rising:
        rng = random.Random(f"burst/{post.pk}")
        others = [user for user in people if user.pk != post.blog.owner_id]
        for liker in rng.sample(others, min(BURST_LIKERS, len(others))):
            if post.likes.filter(user=liker).exists():
                continue
            try:
                report.likes += social_services.do_like(post, liker)
            except (PermissionDenied, ValidationError):
                continue
        for number, words in enumerate(BURST_COMMENTS[_language(post)]):
            author = others[(post.pk + number) % len(others)]
            if Comment.objects.filter(post=post, author=author, body=words).exists():
                continue
            try:
                social_services.do_comment(post, author, body=words)
            except (PermissionDenied, ValidationError):
                continue
            report.comments += 1
    report.picks = ensure_picks(rising, now)
    return report


def ensure_picks(rising: list[Post], now) -> int:
    """Two of the rising posts picked for a week, by Koe itself (the demo makes no staff)."""
    added = 0
    for post in rising[:2]:
        if Pick.objects.filter(post=post, ends_at__gt=now).exists():
            continue
        try:
            picks.do_pick(post, None, starts_at=now, ends_at=now + timedelta(days=PICK_DAYS))
        except ValidationError:
            continue
        added += 1
    return added
