"""`koe demo` fills an empty Koe with living blogs in two languages; a second run adds nothing.

The demo is made once for the module (it draws and encodes some fifty pictures); each test
reads it inside its own transaction, and the accounts are deleted when the module is done.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from koe.accounts import services as account_services
from koe.blogs.models import Blog, Category, Image, Membership, Post, Tag
from koe.demo.build import EMAIL_DOMAIN, demo_password
from koe.demo.social import FOLLOWS, MEMBERS_POSTS, REBLOGS
from koe.demo.texts import BLOGS
from koe.social.feed import home_feed
from koe.social.models import Comment, FeedEntry, Follow, Like, Notification
from tests.conftest import make_user

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def run_demo() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def printed_password(output: str) -> str:
    return re.search(r"password: (\S+)", output).group(1)


def row_counts() -> dict[str, int]:
    models = [get_user_model(), Blog, Category, Post, Image, Tag, Comment, Like]
    models += [Follow, Membership, FeedEntry, Notification]
    return {model.__name__: model.objects.count() for model in models}


def media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo made once, its output and the media folder its files went to."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        output, _errors = run_demo()
        try:
            yield output, media
        finally:
            for user in get_user_model().objects.filter(email__endswith="@" + EMAIL_DOMAIN):
                account_services.do_delete_account(user)
            Tag.objects.filter(posts=None).delete()
            # What the demo made that no account owns (ranking snapshots, the past crisis,
            # the event log, rollup progress): later tests on this worker start clean.
            for label in ("discovery", "crisis", "now", "analytics"):
                for model in apps.get_app_config(label).get_models():
                    model.objects.all().delete()


@pytest.fixture
def demo(db, demo_site, settings) -> str:
    output, settings.MEDIA_ROOT = demo_site
    return output


def test_about_ten_blogs_with_public_posts_in_japanese_and_english(demo, client):
    blogs = Blog.objects.select_related("owner", "genre")
    assert 8 <= blogs.count() <= 12
    languages = {"ja": 0, "en": 0}
    for blog in blogs:
        public = Post.objects.public().filter(blog=blog)
        assert public.count() >= 3, blog
        assert blog.genre is not None and blog.theme in {"sakura", "sora", "matcha", "sumi"}
        assert blog.owner.avatar and blog.owner.bio and blog.description
        assert blog.categories.count() >= 2
        japanese = all(JAPANESE.search(post.title + post.body) for post in public)
        languages["ja" if japanese else "en"] += 1
    assert languages["ja"] >= 4 and languages["en"] >= 4
    assert Blog.objects.exclude(header_image="").exists()
    assert Tag.objects.filter(name__in=["東京", "猫", "カフェ", "京都"]).count() == 4
    assert Tag.objects.filter(name__in=["hiking", "photography", "baking"]).count() == 3
    assert "[1/10]" in demo and "[10/10]" in demo

    page = client.get("/").content.decode()
    assert JAPANESE.search(page) and "Trail Notes" in page


def test_posts_use_markdown_and_pictures_that_are_on_disk(demo):
    images = Image.objects.all()
    assert images.count() >= 20
    root = Path(settings.MEDIA_ROOT)
    for image in images:
        assert (root / image.display).is_file() and (root / image.thumb).is_file()
    for user in get_user_model().objects.all():
        assert (root / user.avatar).is_file() and (root / user.avatar_small).is_file()
    for blog in Blog.objects.exclude(header_image=""):
        assert (root / blog.header_image).is_file()

    with_pictures = Post.objects.filter(cover__isnull=False)
    assert with_pictures.count() >= 15
    for post in with_pictures:
        assert f'src="{post.cover.display_url}"' in post.body_html
    every_body = "".join(Post.objects.values_list("body_html", flat=True))
    for tag in ("<h2>", "<ul>", "<ol>", "<blockquote>", "<table>", "<pre><code"):
        assert tag in every_body
    assert "{{pic" not in every_body


def test_every_state_a_dashboard_can_show(demo):
    posts = Post.objects.all()
    assert len([post for post in posts if post.is_scheduled]) == 1
    assert posts.filter(status=Post.Status.DRAFT).count() == 1
    assert posts.filter(is_sponsored=True).count() == 1
    assert posts.exclude(category=None).count() > posts.filter(category=None).count()
    dates = {post.published_at.date() for post in Post.objects.public()}
    assert len(dates) >= 15  # spread over the past weeks, not all at once


def test_comments_from_bloggers_and_guests_and_likes_between_bloggers(demo):
    comments = Comment.objects.visible()
    assert comments.filter(author__isnull=False).count() >= 10
    assert comments.filter(author__isnull=True).count() >= 5
    assert Like.objects.count() >= 30
    assert (
        not Like.objects.filter(post__blog__owner=models_user("cafe_hinata"))
        .filter(user=models_user("cafe_hinata"))
        .exists()
    )
    for post in Post.objects.all():
        assert post.comment_count == post.comments.visible().count()
        assert post.like_count == post.likes.count()
    assert not Comment.objects.filter(post__status=Post.Status.DRAFT).exists()


def models_user(username):
    return get_user_model().objects.get(username=username)


def test_the_second_run_adds_nothing(demo):
    rows, files = row_counts(), media_files()
    output, errors = run_demo()
    assert row_counts() == rows
    assert media_files() == files
    # One per blog, the social line and the crisis archive.
    assert output.count("(already there)") == len(BLOGS) + 2
    assert "Social: " in output
    assert "Koe Now: demo timeline already there" in output
    assert "0 accounts, 0 posts, 0 comments and 0 likes added" in output
    assert printed_password(output) == printed_password(demo)
    assert errors == ""


def test_the_demo_account_signs_in_with_the_printed_password(demo, client):
    password = printed_password(demo)
    assert password == demo_password()
    # Axes wants the request that carries the attempt.
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username="demo", password=password)
    user = models_user("demo")
    assert not user.is_staff and not user.is_superuser

    dashboard = client.get("/dashboard/").content.decode()
    assert "Cherry blossom spots" in dashboard and "Notes: a post about" in dashboard


def test_only_the_demo_account_can_sign_in(demo):
    bloggers = get_user_model().objects.filter(email__endswith="@" + EMAIL_DOMAIN)
    assert [user.username for user in bloggers if user.has_usable_password()] == ["demo"]


def test_the_password_is_this_sites_own(settings):
    ours = demo_password()
    settings.SECRET_KEY = "another installation's key"
    theirs = demo_password()
    assert ours != theirs and len(theirs) >= 16
    assert demo_password() == theirs


def test_scheduled_posts_and_drafts_stay_off_the_front_page(demo, client):
    hidden = [
        Post.objects.get(status=Post.Status.DRAFT),
        next(post for post in Post.objects.all() if post.is_scheduled),
    ]
    pages = []
    page = 1
    while True:
        response = client.get("/", {"page": page})
        pages.append(response.content.decode())
        if f"page={page + 1}" not in pages[-1]:
            break
        page += 1
    front = "".join(pages)
    assert Post.objects.public().first().title in front
    for post in hidden:
        assert post.title not in front
        assert client.get(post.get_absolute_url()).status_code == 404


def test_the_login_form_takes_the_printed_password(demo, client):
    response = client.post(
        "/accounts/login/", {"username": "demo", "password": printed_password(demo)}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_changed_demo_password_is_reported(demo):
    user = models_user("demo")
    user.set_password("something the person chose")
    user.save()
    _output, errors = run_demo()
    assert "koe changepassword demo" in errors


def test_a_real_account_with_a_demo_username_is_left_alone(demo):
    account_services.do_delete_account(models_user("neko_nikki"))
    someone = make_user("neko_nikki", display_name="Not a demo")
    output, errors = run_demo()
    assert "@neko_nikki" in output and "skipped" in output
    assert "left out" in errors
    assert not someone.blog.posts.exists()
    assert not Comment.objects.filter(author=someone).exists()
    assert not Like.objects.filter(user=someone).exists()
    assert not Follow.objects.filter(follower=someone).exists()
    assert not Follow.objects.filter(blog__owner=someone).exists()
    assert not Membership.objects.filter(member=someone).exists()
    assert not Post.objects.filter(blog__owner=someone, reblog_of__isnull=False).exists()
    someone.refresh_from_db()
    assert someone.display_name == "Not a demo" and not someone.avatar


# ### The social side ###


def signed_in(client, username="demo"):
    client.force_login(models_user(username))
    return client


def test_bloggers_follow_each_other_and_the_counts_agree(demo):
    bloggers = get_user_model().objects.filter(email__endswith="@" + EMAIL_DOMAIN)
    for user in bloggers:
        following = Follow.objects.filter(follower=user).count()
        assert 3 <= following <= 6, user
    for blog in Blog.objects.all():
        assert blog.follower_count == Follow.objects.filter(blog=blog).count(), blog
        assert blog.follower_count >= 1, blog
    assert Follow.objects.count() == sum(len(followed) for followed in FOLLOWS.values())
    assert not Follow.objects.filter(follower=models_user("demo"), blog__owner__username="demo")

    mine = Follow.objects.filter(follower=models_user("demo"))
    assert mine.count() >= 5
    assert mine.filter(notify_posts=True).count() >= 2
    assert mine.filter(is_public=False).count() == 1
    assert "Social: 41 follows" in demo


def test_reblogs_carry_the_reblogger_words_and_tell_the_author(demo, client):
    reblogs = Post.objects.filter(reblog_of__isnull=False).select_related("reblog_of__blog")
    assert reblogs.count() == len(REBLOGS) >= 3
    for reblog in reblogs:
        assert reblog.is_public and reblog.body and reblog.blog_id != reblog.reblog_of.blog_id
        assert Notification.objects.filter(
            recipient=reblog.reblog_of.blog.owner,
            kind=Notification.Kind.REBLOG,
            actor=reblog.blog.owner,
        ).exists()
    # A Japanese blog reblogs in Japanese, an English one in English.
    languages = {spec.username: spec.language for spec in BLOGS}
    for reblog in reblogs:
        japanese = bool(JAPANESE.search(reblog.title + reblog.body))
        assert japanese == (languages[reblog.blog.owner.username] == "ja"), reblog
    reblog = reblogs.first()
    page = client.get(reblog.get_absolute_url()).content.decode()
    assert reblog.reblog_of.title in page


def test_members_only_posts_with_members_and_a_request_waiting(demo, client):
    locked = Post.objects.filter(visibility=Post.Visibility.MEMBERS)
    assert locked.count() == sum(len(posts) for posts in MEMBERS_POSTS.values())
    assert locked.values("blog").distinct().count() == 2
    assert not Post.objects.public().filter(visibility=Post.Visibility.MEMBERS).exists()
    for post in locked:
        assert post.status == Post.Status.PUBLISHED and not post.is_scheduled
        members = post.blog.memberships.filter(status=Membership.Status.APPROVED)
        assert members.count() >= 2

    demo_user = models_user("demo")
    waiting = Membership.objects.filter(blog=demo_user.blog, status=Membership.Status.PENDING)
    assert waiting.count() == 1
    member_of = Membership.objects.filter(member=demo_user, status=Membership.Status.APPROVED)
    assert member_of.count() == 1
    readable = locked.filter(blog=member_of.get().blog).first()
    unreadable = locked.exclude(blog=member_of.get().blog).first()
    assert readable is not None and unreadable is not None

    # Signed out, the post is a locked teaser; signed in as demo, its words are there.
    words = "misses and all" if "misses and all" in readable.body else readable.body[:20]
    assert words not in client.get(readable.blog.get_absolute_url()).content.decode()
    teaser = client.get(readable.get_absolute_url())
    assert teaser.status_code == 200
    assert readable.title in teaser.content.decode() and words not in teaser.content.decode()
    signed_in(client)
    response = client.get(readable.get_absolute_url())
    assert response.status_code == 200 and words in response.content.decode()
    other = client.get(unreadable.get_absolute_url())
    assert unreadable.body[:20] not in other.content.decode()

    members_page = client.get("/dashboard/members/").content.decode()
    assert waiting.get().member.display_name in members_page


def test_the_demo_account_has_notifications_of_every_social_kind(demo, client):
    Kind = Notification.Kind
    kinds = set(
        Notification.objects.filter(recipient=models_user("demo")).values_list("kind", flat=True)
    )
    wanted = {Kind.FOLLOW, Kind.LIKE, Kind.COMMENT, Kind.REBLOG, Kind.MEMBERSHIP_REQUEST}
    assert wanted <= kinds
    assert {Kind.MEMBERSHIP_ANSWER, Kind.NEW_POST} <= kinds
    # Told of new posts that came after the follow only, not of the blogs' older posts.
    new_posts = Notification.objects.filter(recipient=models_user("demo"), kind=Kind.NEW_POST)
    assert new_posts.count() <= 3
    # A hidden follow tells nobody.
    hidden = Follow.objects.get(follower=models_user("demo"), is_public=False)
    assert not Notification.objects.filter(
        recipient=hidden.blog.owner, kind=Kind.FOLLOW, actor=models_user("demo")
    ).exists()

    page = signed_in(client).get("/notifications/").content.decode()
    assert "followed your blog" in page and "reblogged your post" in page
    assert "asked to become a member" in page and "liked your post" in page


def test_the_demo_account_home_feed_has_posts_reblogs_and_a_members_only_post(demo, client):
    demo_user = models_user("demo")
    posts, _cursor = home_feed(demo_user, limit=100)
    assert len(posts) >= 10
    followed = set(Follow.objects.filter(follower=demo_user).values_list("blog_id", flat=True))
    assert {post.blog_id for post in posts} <= followed
    assert any(post.reblog_of_id for post in posts)
    assert any(post.visibility == Post.Visibility.MEMBERS for post in posts)

    # Followers of those blogs who are not members never find members-only posts in theirs.
    for post in Post.objects.filter(visibility=Post.Visibility.MEMBERS):
        members = post.blog.memberships.filter(status=Membership.Status.APPROVED)
        outsiders = Follow.objects.filter(blog=post.blog).exclude(
            follower_id__in=members.values("member_id")
        )
        assert outsiders.exists()
        for follow in outsiders.select_related("follower"):
            theirs, _cursor = home_feed(follow.follower, limit=100)
            assert post.pk not in {p.pk for p in theirs}

    page = signed_in(client).get("/home/").content.decode()
    assert posts[0].title in page


def test_a_lively_public_timeline_and_a_past_crisis_in_the_archive(demo, client):
    from koe.crisis.models import Crisis
    from koe.now.models import ShortPost

    assert "Koe Now: " in demo and "Crisis archive: " in demo
    assert ShortPost.objects.count() >= 5
    assert ShortPost.objects.filter(reply_to__isnull=False).exists()
    past = Crisis.objects.get()
    assert past.ended_at is not None
    assert client.get("/now/").status_code == 200
    archive = client.get("/crisis/archive/")
    assert archive.status_code == 200 and past.name in archive.content.decode()
