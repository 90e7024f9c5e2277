"""Notifications about short posts and check-ins link what they are about, while the reader
may see it: never a followers-only post's words to someone who cannot read it, nor a deleted
post's words to anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from koe.accounts import services as account_services
from koe.blogs.models import Tag
from koe.crisis import safety
from koe.crisis import services as crisis_services
from koe.now import services
from koe.social import follows, notifications
from koe.social.models import Notification
from tests.conftest import make_user

Kind = Notification.Kind


def page(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/notifications/")
    assert response.status_code == 200
    return response.content.decode()


def test_mention_reply_repost_and_like_link_the_short_post(alice, bob):
    original = services.do_post(alice, text="Water at the school gym @bob")
    assert f'href="/now/{original.pk}/">Water at the school gym @bob</a>' in page(bob)

    reply = services.do_post(bob, text="Thank you, on my way", reply_to=original)
    services.do_like(bob, original)
    services.do_repost(bob, original)
    told = Notification.objects.filter(recipient=alice, actor=bob)
    assert sorted(told.values_list("kind", flat=True)) == ["like", "mention", "reblog"]
    assert {n.target for n in told} == {reply, original}
    assert not any(n.text for n in told)  # no copy of the words that could outlive the post
    html = page(alice)
    assert f'href="/now/{reply.pk}/">Thank you, on my way</a>' in html
    assert html.count(f'href="/now/{original.pk}/">Water at the school gym @bob</a>') == 2


def test_an_image_only_post_is_linked_by_a_label(alice, bob):
    post = services.do_post(alice, text="@bob")
    post.text = ""  # as if it had only images
    post.save(update_fields=["text"])
    assert f'href="/now/{post.pk}/">See it</a>' in page(bob)


def test_a_followers_only_reply_tells_only_someone_who_may_read_it(alice, bob):
    original = services.do_post(alice, text="Is the Ginza line running?")
    services.do_post(bob, text="Only for my followers", reply_to=original, visibility="followers")
    assert not Notification.objects.filter(recipient=alice).exists()
    assert "Only for my followers" not in page(alice)

    follows.do_follow(alice, bob.blog)
    reply = services.do_post(
        bob, text="Now you follow me", reply_to=original, visibility="followers"
    )
    assert Notification.objects.get(recipient=alice).target == reply
    assert f'href="/now/{reply.pk}/">Now you follow me</a>' in page(alice)


@pytest.mark.parametrize("ending", ["unfollow", "block", "deactivate"])
def test_words_go_when_the_reader_may_no_longer_see_the_post(alice, bob, ending):
    follows.do_follow(bob, alice.blog)
    post = services.do_post(alice, text="Followers only: spare room @bob", visibility="followers")
    assert "spare room" in page(bob)
    if ending == "unfollow":
        follows.do_unfollow(bob, alice.blog)
    elif ending == "block":
        account_services.do_block(alice, bob)
    else:
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    html = page(bob)
    assert "spare room" not in html
    assert f"/now/{post.pk}/" not in html
    n = notifications.with_links([Notification.objects.get(recipient=bob)], bob)[0]
    assert n.link is None


def test_a_deleted_short_post_leaves_no_words_behind(alice, bob):
    carol = make_user("carol")
    post = services.do_post(alice, text="Shelter list, please share @bob")
    services.do_like(carol, post)
    services.do_repost(carol, post)
    assert Notification.objects.filter(target_id=post.pk).count() == 3
    services.do_delete(alice, post)
    assert not Notification.objects.filter(target_id=post.pk).exists()
    assert "Shelter list" not in page(bob)
    assert "Shelter list" not in page(alice)


def test_a_target_that_cannot_say_who_sees_it_gets_no_link(alice, bob):
    tag = Tag.objects.create(name="linkless")
    with_tag = notifications.notify(bob, Kind.MENTION, actor=alice, target=tag)
    assert notifications.with_links([with_tag], bob)[0].link is None
    assert "/tags/linkless/" not in page(bob)


def test_the_email_names_the_address_but_not_the_words(alice, bob):
    notifications.do_set_preferences(bob, {Kind.MENTION: (True, True)})
    mail.outbox.clear()
    with _commit():
        post = services.do_post(alice, text="Quiet words for the page @bob")
    body = mail.outbox[-1].body
    assert f"/now/{post.pk}/" in body
    assert "Quiet words" not in body


def _commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def crisis(staff):
    return crisis_services.do_declare(
        staff, name="Flood", area="Kanto", started_at=timezone.now() - timedelta(hours=1)
    )


def test_a_check_in_links_the_person_finder(crisis, alice, bob):
    follows.do_follow(bob, alice.blog)
    with _commit():
        checkin, _created = safety.do_check_in(alice, crisis, message="At my aunt's")
    url = f"/crisis/{crisis.pk}/people/?q=alice"
    assert Notification.objects.get(recipient=bob, kind=Kind.SAFETY).target == checkin
    assert f'href="{url}"' in page(bob).replace("&amp;", "&")
    finder = Client().get(url).content.decode()
    assert "At my aunt" in finder


def test_a_blocked_person_s_check_in_is_not_linked(crisis, alice, bob):
    follows.do_follow(bob, alice.blog)
    with _commit():
        safety.do_check_in(alice, crisis)
    account_services.do_block(bob, alice)
    assert f"/crisis/{crisis.pk}/people/" not in page(bob)


def test_the_page_asks_a_fixed_number_of_queries(crisis, alice, bob):
    def count() -> int:
        client = Client()
        client.force_login(bob)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/notifications/").status_code == 200
        # The crisis banner asks once a minute at most, whatever the page: not counted.
        return sum('"crisis_crisis"' not in q["sql"] for q in queries)

    follows.do_follow(bob, alice.blog)
    services.do_post(alice, text="first @bob")
    with _commit():
        safety.do_check_in(alice, crisis)
    count()  # warms what the process keeps (content types, the banner)
    few = count()
    for i in range(8):
        services.do_post(alice, text=f"more {i} @bob", rate_limited=False)
    assert count() == few  # one query per kind of target, not one per row
