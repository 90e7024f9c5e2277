"""The demo's social life: follows, reblogs and memberships, made through Koe's own actions.

Every action here is idempotent, and each is tried only when its result is missing, so a
second run adds nothing; the notifications they leave are the actions' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from koe.blogs import memberships as membership_actions
from koe.blogs import services as blog_services
from koe.blogs.models import Membership, Post
from koe.demo import art
from koe.demo.content import Picture, PostSpec
from koe.social import follows as follow_actions
from koe.social.models import Follow

TOKYO = ZoneInfo("Asia/Tokyo")

#: follower → the blogs they follow. "!name": notify of new posts; "~name": a hidden follow.
FOLLOWS = {
    "cafe_hinata": ("demo", "neko_nikki", "kyoto_sanpo", "crumb_club", "ramen_michi"),
    "demo": (
        "!cafe_hinata",
        "!kyoto_sanpo",
        "!light_and_grain",
        "trail_notes",
        "crumb_club",
        "~ramen_michi",
    ),
    "neko_nikki": ("cafe_hinata", "kyoto_sanpo", "demo", "light_and_grain"),
    "trail_notes": ("demo", "light_and_grain", "kyoto_sanpo", "side_b_radio"),
    "kyoto_sanpo": ("cafe_hinata", "neko_nikki", "ramen_michi", "light_and_grain"),
    "light_and_grain": ("trail_notes", "kyoto_sanpo", "side_b_radio"),
    "tokyo_dev": ("demo", "ramen_michi", "side_b_radio", "cafe_hinata"),
    "crumb_club": ("cafe_hinata", "demo", "light_and_grain"),
    "ramen_michi": ("tokyo_dev", "kyoto_sanpo", "cafe_hinata", "neko_nikki", "side_b_radio"),
    "side_b_radio": ("light_and_grain", "trail_notes", "tokyo_dev"),
}

#: (reblogger, original blog, original title, the reblogger's words), in the reblogger's language.
REBLOGS = (
    (
        "cafe_hinata",
        "demo",
        "My first three years in Tokyo, in ten small lessons",
        "東京暮らしの10のレッスン、共感しかない\n\n"
        "特に9番の「季節限定は全部ほしくなる」、カフェ巡りをしているとよくわかります。"
        "東京に来たばかりの方にもおすすめしたい記事です。",
    ),
    (
        "trail_notes",
        "light_and_grain",
        "Golden hour on the bay: a five-minute window",
        "Read this before your next sunset hike\n\n"
        "Five minutes is all the light you get. Mika's timing notes work just as well on a "
        "ridge as on the bay.",
    ),
    (
        "ramen_michi",
        "kyoto_sanpo",
        "錦市場で食べ歩き、予算2000円の全記録",
        "京都遠征の前に必読です\n\n食べ歩きの予算感がとても参考になりました。締めのラーメンはどこにしよう。",
    ),
    (
        "demo",
        "cafe_hinata",
        "朝7時から開いている、谷中の古民家カフェ",
        "A café in Yanaka that opens at seven\n\n"
        "Hinata found the perfect reason to get up early on a Saturday. Going this weekend!",
    ),
)

#: blog → its members-only posts (published in the past, readable by approved members only).
MEMBERS_POSTS = {
    "neko_nikki": (
        PostSpec(
            title="【アメンバー限定】むぎの寝相コレクション",
            category="むぎの日常",
            tags=("猫", "茶トラ", "寝顔"),
            day=2,
            time="22:10",
            pictures=(Picture("cat", "へそ天で眠るむぎ", "neko-members-1"),),
            body="""\
いつも読んでくださるアメンバーのみなさんだけに、むぎの寝相をこっそり公開します。

{{pic:1}}

## 今週のベスト3

1. へそ天（おなか丸出し）
2. 香箱座りのまま寝落ち
3. 段ボールからはみ出す後ろ足

> 猫は一日の3分の2を寝て過ごすそうです。むぎはたぶん4分の3。

次回は「むぎの変な声」特集の予定です。
""",
        ),
    ),
    "light_and_grain": (
        PostSpec(
            title="Members only: contact sheets from my last roll",
            category="Film",
            tags=("film", "photography"),
            day=4,
            time="21:00",
            pictures=(Picture("bokeh", "Contact sheet of night frames", "grain-members-1"),),
            body="""\
Thank you for being members. Here is the whole roll, misses and all, before I pick the keepers.

{{pic:1}}

## What went wrong, frame by frame

- Frames 3 to 5: I trusted the meter under a bright sign and lost the shadows.
- Frame 12: a bus, again.
- Frame 30: the one I will print.

Ask me anything about these in the comments; members' questions shape the next public post.
""",
        ),
    ),
}

#: blog → (member, approved?, secret?): approved members, and requests still waiting.
MEMBERSHIPS = {
    "light_and_grain": (
        ("demo", True, False),
        ("trail_notes", True, False),
        ("side_b_radio", True, True),
        ("crumb_club", False, False),
    ),
    "neko_nikki": (
        ("cafe_hinata", True, False),
        ("kyoto_sanpo", True, False),
        ("ramen_michi", False, False),
    ),
    "demo": (("tokyo_dev", False, False),),
}


@dataclass
class SocialReport:
    follows: int = 0
    new_follows: int = 0
    reblogs: int = 0
    new_reblogs: int = 0
    members_posts: int = 0
    new_members_posts: int = 0
    members: int = 0
    waiting: int = 0
    new_memberships: int = 0
    #: Left out because an account refused it (a block, a deactivated blog).
    refused: int = 0

    def line(self) -> str:
        counts = (
            f"Social: {self.follows} follows, {self.reblogs} reblogs, "
            f"{self.members_posts} members-only posts, {self.members} members and "
            f"{self.waiting} waiting"
        )
        new = (self.new_follows, self.new_reblogs, self.new_members_posts, self.new_memberships)
        refused = f", {self.refused} refused by the accounts" if self.refused else ""
        if not any(new):
            return f"{counts}{refused} (already there)"
        added = (
            f"{self.new_follows} follows, {self.new_reblogs} reblogs, "
            f"{self.new_members_posts} members-only posts, {self.new_memberships} memberships"
        )
        return f"{counts}{refused} (added {added})"


def _target(name: str) -> tuple[str, bool, bool]:
    """'!name' or '~name' → (username, is_public, notify_posts)."""
    if name[0] == "!":
        return name[1:], True, True
    if name[0] == "~":
        return name[1:], False, False
    return name, True, False


def ensure_follows(users: dict, report: SocialReport) -> None:
    for username, followed in FOLLOWS.items():
        follower = users.get(username)
        if follower is None:
            continue
        for name in followed:
            target, is_public, notify_posts = _target(name)
            if target not in users:
                continue
            blog = users[target].blog
            if Follow.objects.filter(follower=follower, blog=blog).exists():
                report.follows += 1
                continue
            try:
                follow_actions.do_follow(
                    follower, blog, is_public=is_public, notify_posts=notify_posts
                )
            except (PermissionDenied, ValidationError):
                report.refused += 1
                continue
            report.follows += 1
            report.new_follows += 1


def ensure_memberships(users: dict, report: SocialReport) -> None:
    for owner, wanted in MEMBERSHIPS.items():
        if owner not in users:
            continue
        blog = users[owner].blog
        for username, approve, is_secret in wanted:
            member = users.get(username)
            if member is None:
                continue
            membership = Membership.objects.filter(blog=blog, member=member).first()
            if membership is None:
                try:
                    membership = membership_actions.do_request_membership(
                        blog, member, is_secret=is_secret
                    )
                except (PermissionDenied, ValidationError):
                    report.refused += 1
                    continue
                report.new_memberships += 1
                if approve:
                    membership = membership_actions.do_decide_membership(membership, approve=True)
            # An existing request is left as its blogger last saw it: the demo decides once.
            if membership.status == Membership.Status.APPROVED:
                report.members += 1
            else:
                report.waiting += 1


def _published_at(spec: PostSpec) -> datetime:
    today = timezone.localdate(timezone=TOKYO)
    return datetime.combine(
        today - timedelta(days=max(spec.day, 1)), time.fromisoformat(spec.time), tzinfo=TOKYO
    )


@transaction.atomic
def _create_members_post(user, spec: PostSpec) -> Post:
    blog = user.blog
    body = spec.body
    for number, picture in enumerate(spec.pictures, start=1):
        data = art.picture(picture.kind, picture.seed or f"{user.username}/{spec.title}/{number}")
        upload = SimpleUploadedFile(f"{picture.kind}.jpg", data, content_type="image/jpeg")
        image = blog_services.do_upload_image(user, upload, alt=picture.alt)
        body = body.replace(f"{{{{pic:{number}}}}}", f"![{picture.alt}]({image.display_url})")
    return blog_services.do_save_post(
        blog,
        title=spec.title,
        body=body,
        tags=blog_services.parse_tags(" ".join(spec.tags)),
        category=blog.categories.filter(name=spec.category).first() if spec.category else None,
        visibility=Post.Visibility.MEMBERS,
        publish=True,
        publish_at=_published_at(spec),
    )


def ensure_members_posts(users: dict, report: SocialReport) -> None:
    for username, specs in MEMBERS_POSTS.items():
        user = users.get(username)
        if user is None:
            continue
        for spec in specs:
            if not user.blog.posts.filter(title=spec.title).exists():
                _create_members_post(user, spec)
                report.new_members_posts += 1
            report.members_posts += 1


def ensure_reblogs(users: dict, report: SocialReport) -> None:
    for username, author, title, words in REBLOGS:
        user, owner = users.get(username), users.get(author)
        if user is None or owner is None:
            continue
        original = Post.objects.filter(blog__owner=owner, title=title).first()
        if original is None:
            continue
        if not Post.objects.filter(blog__owner=user, reblog_of=original).exists():
            try:
                membership_actions.do_reblog(original, user, comment=words)
            except (PermissionDenied, ValidationError):
                report.refused += 1
                continue
            report.new_reblogs += 1
        report.reblogs += 1


def ensure_social(users: dict) -> SocialReport:
    """Follows first, so what is published after them reaches the followers' feeds and
    notifications; memberships before the members-only posts, so members hear of them."""
    report = SocialReport()
    ensure_follows(users, report)
    ensure_memberships(users, report)
    ensure_members_posts(users, report)
    ensure_reblogs(users, report)
    return report
