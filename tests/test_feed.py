"""Follows, the hybrid home feed, reblogs, memberships and notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from koe.accounts.services import do_block
from koe.blogs import memberships
from koe.blogs.models import Post
from koe.social import feed, follows, notifications
from koe.social.models import FeedEntry, Follow, Notification
from tests.conftest import make_user, publish

Kind = Notification.Kind


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def feed_titles(reader, **kwargs) -> list[str]:
    posts, _cursor = feed.home_feed(reader, **kwargs)
    return [p.title for p in posts]


# ### Follows ###


def test_follow_counts_backfills_and_notifies(alice, bob):
    publish(alice, title="Before the follow")
    follow, created = follows.do_follow(bob, alice.blog)
    assert created and follow.is_public
    alice.blog.refresh_from_db()
    assert alice.blog.follower_count == 1
    assert feed_titles(bob) == ["Before the follow"]
    assert kinds(alice) == [Kind.FOLLOW]


def test_following_twice_changes_nothing(alice, bob):
    follows.do_follow(bob, alice.blog)
    _follow, created = follows.do_follow(bob, alice.blog)
    alice.blog.refresh_from_db()
    assert not created and alice.blog.follower_count == 1 and Follow.objects.count() == 1


def test_unfollow_and_unfollow_again(alice, bob):
    publish(alice)
    follows.do_follow(bob, alice.blog)
    assert follows.do_unfollow(bob, alice.blog) is True
    assert follows.do_unfollow(bob, alice.blog) is False
    alice.blog.refresh_from_db()
    assert alice.blog.follower_count == 0
    assert not FeedEntry.objects.filter(reader=bob).exists()


@pytest.mark.parametrize("case", ["own", "blocked", "anonymous"])
def test_refused_follows_write_nothing(alice, bob, case):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied, ValidationError

    who = {"own": alice, "blocked": bob, "anonymous": AnonymousUser()}[case]
    if case == "blocked":
        do_block(alice, bob)
    with pytest.raises((PermissionDenied, ValidationError)):
        follows.do_follow(who, alice.blog)
    assert not Follow.objects.exists()


def test_daily_follow_limit(bob, monkeypatch):
    monkeypatch.setattr(follows, "FOLLOWS_PER_DAY", 3)
    blogs = [make_user(f"blogger{i}").blog for i in range(4)]
    client = Client()
    client.force_login(bob)
    for blog in blogs[:3]:
        client.post(f"/@{blog.owner.username}/follow")
    response = client.post(f"/@{blogs[3].owner.username}/follow", follow=True)
    assert "up to 3 blogs a day" in response.content.decode()
    assert Follow.objects.filter(follower=bob).count() == 3


def test_follow_views_over_htmx(alice, bob_client):
    response = bob_client.post("/@alice/follow", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "is-following" in response.content.decode()
    response = bob_client.post("/@alice/unfollow", HTTP_HX_REQUEST="true")
    assert "is-following" not in response.content.decode()
    assert bob_client.post("/@nobody/follow").status_code == 404


def test_hidden_follows_are_not_listed(alice, bob, client):
    carol = make_user("carol", display_name="Carol")
    follows.do_follow(bob, alice.blog)
    follows.do_follow(carol, alice.blog, is_public=False)
    page = client.get("/@alice/followers/").content.decode()
    assert "Bob" in page and "Carol" not in page
    assert kinds(alice) == [Kind.FOLLOW]  # a hidden follow tells nobody
    alice.blog.show_followers = False
    alice.blog.save()
    assert client.get("/@alice/followers/").status_code == 404


# ### The home feed ###


def test_feed_is_newest_first_with_cursor_pages(alice, bob):
    follows.do_follow(bob, alice.blog)
    start = timezone.now() - timedelta(days=1)
    for i in range(25):
        publish(alice, title=f"P{i:02}", publish_at=start + timedelta(minutes=i))
    first, cursor = feed.home_feed(bob, limit=10)
    assert [p.title for p in first] == [f"P{i:02}" for i in range(24, 14, -1)]
    second, cursor = feed.home_feed(bob, cursor=cursor, limit=10)
    third, cursor = feed.home_feed(bob, cursor=cursor, limit=10)
    assert [p.title for p in second + third] == [f"P{i:02}" for i in range(14, -1, -1)]
    assert cursor is None


def test_huge_blogs_are_merged_at_read_time(alice, bob, settings):
    settings.KOE_FANOUT_LIMIT = 2
    star = make_user("star")
    for reader in (bob, alice, make_user("fan")):
        follows.do_follow(reader, star.blog)
    follows.do_follow(bob, alice.blog)
    before = FeedEntry.objects.count()
    publish(star, title="From the star")
    publish(alice, title="From alice")
    assert FeedEntry.objects.count() == before + 1, "only alice's post was written ahead"
    assert feed_titles(bob) == ["From alice", "From the star"]


def test_members_only_posts_reach_members_only(alice, bob):
    carol = make_user("carol")
    for reader in (bob, carol):
        follows.do_follow(reader, alice.blog)
    memberships.do_decide_membership(
        memberships.do_request_membership(alice.blog, bob), approve=True
    )
    publish(alice, title="For members", visibility="members")
    assert feed_titles(bob) == ["For members"]
    assert feed_titles(carol) == []


def test_muted_blogs_leave_the_feed_and_notifications(alice, bob):
    follows.do_follow(bob, alice.blog)
    publish(alice, title="Seen")
    follows.do_mute(bob, alice.blog)
    assert feed_titles(bob) == []
    publish(alice, body="hello @bob")
    assert Kind.MENTION not in kinds(bob)
    follows.do_unmute(bob, alice.blog)
    assert "Seen" in feed_titles(bob)


def test_home_page_marks_what_is_new_and_loads_more(alice, bob_client, bob):
    follows.do_follow(bob, alice.blog)
    publish(alice, title="Old news", publish_at=timezone.now() - timedelta(hours=2))
    bob_client.get("/home/")
    publish(alice, title="Fresh")
    page = bob_client.get("/home/").content.decode()
    assert page.index("Fresh") < page.index("Old news")
    assert page.count("feed-item--new") == 1
    for i in range(25):
        publish(alice, title=f"Bulk {i}", publish_at=timezone.now() - timedelta(days=1, minutes=i))
    page = bob_client.get("/home/").content.decode()
    assert 'hx-trigger="revealed"' in page
    more = "/home/?cursor=" + page.split('hx-get="/home/?cursor=')[1].split('"')[0]
    partial = bob_client.get(more, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Bulk" in partial


def test_a_bad_cursor_starts_at_the_top(alice, bob_client, bob):
    follows.do_follow(bob, alice.blog)
    publish(alice, title="Top")
    for cursor in ("nonsense", "9" * 40 + "-1", "-", "1-x"):
        response = bob_client.get(f"/home/?cursor={cursor}")
        assert response.status_code == 200 and "Top" in response.content.decode()


def test_home_needs_an_account(client, db):
    assert client.get("/home/").status_code == 302


# ### Reblogs ###


def test_reblog_carries_the_original_and_tells_its_author(alice, bob, bob_client):
    original = publish(alice, title="Worth sharing", body="Original words")
    response = bob_client.post(f"/@alice/{original.pk}/reblog/", {"comment": "Read this!"})
    reblog = Post.objects.get(reblog_of=original)
    assert response.status_code == 302 and response["Location"] == reblog.get_absolute_url()
    page = bob_client.get(reblog.get_absolute_url()).content.decode()
    assert "Read this!" in page and "Worth sharing" in page
    assert "Bob" in bob_client.get(original.get_absolute_url()).content.decode()
    assert Kind.REBLOG in kinds(alice)
    bob_client.post(f"/@alice/{original.pk}/reblog/", {"comment": "again"})
    assert Post.objects.filter(reblog_of=original).count() == 1


def test_reblog_card_hides_an_original_that_became_private(alice, bob, client):
    from koe.blogs.memberships import do_reblog

    original = publish(alice, title="Soon private", body="secret words")
    reblog = do_reblog(original, bob)
    Post.objects.filter(pk=original.pk).update(visibility="private")
    page = client.get(reblog.get_absolute_url()).content.decode()
    assert "Soon private" not in page and "no longer available" in page


def test_reblogs_can_be_refused_per_post(alice, bob_client):
    original = publish(alice, title="Mine only", allow_reblogs=False)
    response = bob_client.post(f"/@alice/{original.pk}/reblog/", {"comment": "x"})
    assert response.status_code == 302
    assert not Post.objects.filter(reblog_of=original).exists()


# ### Memberships ###


def test_membership_request_answer_and_leave(alice, bob, bob_client):
    alice_client = Client()
    alice_client.force_login(alice)
    secret = publish(alice, title="Members story", body="only for members", visibility="members")
    assert "only for members" not in bob_client.get(secret.get_absolute_url()).content.decode()
    bob_client.post("/@alice/members/request")
    assert Kind.MEMBERSHIP_REQUEST in kinds(alice)
    membership = alice.blog.memberships.get()
    assert "Bob" in alice_client.get("/dashboard/members/").content.decode()
    alice_client.post("/dashboard/members/", {"membership": membership.pk, "action": "approve"})
    assert Kind.MEMBERSHIP_ANSWER in kinds(bob)
    assert "only for members" in bob_client.get(secret.get_absolute_url()).content.decode()
    bob_client.post("/@alice/members/leave")
    assert "only for members" not in bob_client.get(secret.get_absolute_url()).content.decode()


def test_refused_request_can_be_asked_again(alice, bob):
    request = memberships.do_request_membership(alice.blog, bob)
    assert memberships.do_decide_membership(request, approve=False) is None
    assert memberships.do_request_membership(alice.blog, bob).status == "pending"


# ### Notifications ###


def test_likes_comments_and_mentions_notify(alice, bob, bob_client):
    post = publish(alice, title="Hello")
    bob_client.post(f"/@alice/{post.pk}/like")
    bob_client.post(f"/@alice/{post.pk}/comments/", {"body": "Nice, @carol"})
    carol = make_user("carol")
    bob_client.post(f"/@alice/{post.pk}/comments/", {"body": "Nice, @carol"})
    assert sorted(kinds(alice)) == sorted([Kind.LIKE, Kind.COMMENT, Kind.COMMENT])
    assert kinds(carol) == [Kind.MENTION]


def test_new_post_notifications_for_those_who_asked(alice, bob):
    carol = make_user("carol")
    follows.do_follow(bob, alice.blog, notify_posts=True)
    follows.do_follow(carol, alice.blog)
    publish(alice, title="News")
    assert Kind.NEW_POST in kinds(bob) and Kind.NEW_POST not in kinds(carol)
    assert notifications.notify_followers(Post.objects.get(title="News").pk) == 0, "once only"


def test_unread_count_mark_read_and_settings(alice, bob, client):
    follows.do_follow(bob, alice.blog)
    client.force_login(alice)
    assert ">1<" in client.get("/notifications/unread").content.decode()
    assert "followed your blog" in client.get("/notifications/").content.decode()
    client.post("/notifications/read")
    assert notifications.unread_count(alice) == 0
    client.post("/notifications/settings/", {"site-like": "on", "email-follow": "on"})
    prefs = notifications.preferences_for(alice)
    assert prefs["follow"] == (False, True) and prefs["like"] == (True, False)


def test_email_notifications_are_sent_once(alice, bob, django_capture_on_commit_callbacks):
    notifications.do_set_preferences(alice, {"follow": (True, True)})
    with django_capture_on_commit_callbacks(execute=True):
        follows.do_follow(bob, alice.blog)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    notification = Notification.objects.get(recipient=alice)
    assert notifications.email_notification.call_local(notification.pk) is False
    assert len(mail.outbox) == 1


def test_blocking_ends_follows_and_silences(alice, bob):
    follows.do_follow(bob, alice.blog)
    follows.do_follow(alice, bob.blog)
    do_block(alice, bob)
    assert not Follow.objects.exists()
    alice.blog.refresh_from_db()
    assert alice.blog.follower_count == 0
    assert notifications.notify(alice, Kind.LIKE, actor=bob) is None


def test_a_follow_remembers_the_post_that_brought_it(alice, bob_client, bob):
    post = publish(alice, title="Convincing")
    bob_client.post("/@alice/follow", HTTP_REFERER=f"http://testserver{post.get_absolute_url()}")
    assert Follow.objects.get(follower=bob).source_post == post


def test_the_follow_button_shows_the_new_count(alice, bob_client):
    response = bob_client.post("/@alice/follow", HTTP_HX_REQUEST="true")
    assert "1 follower" in response.content.decode()


def test_late_new_post_notices_skip_later_followers(alice, bob):
    post = publish(alice, title="Old news", publish_at=timezone.now() - timedelta(days=3))
    follows.do_follow(bob, alice.blog, notify_posts=True)
    assert notifications.notify_followers(post.pk) == 0
    assert Kind.NEW_POST not in kinds(bob)
