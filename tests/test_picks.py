"""Editors' picks: staff pick a public post for a while; the author is told and decides
about any new headline; a pick ends on its own, and at once when its post stops being public."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from koe.discovery import picks
from koe.discovery.models import Pick
from koe.social.models import Notification
from tests.conftest import publish


def soon(hours=0):
    return timezone.now() + timedelta(hours=hours)


def pick(post, staff, *, start=-1, end=24, headline=""):
    return picks.do_pick(post, staff, starts_at=soon(start), ends_at=soon(end), headline=headline)


def front(client=None):
    """The front page's picks section alone ("" without one): the page lists new posts too."""
    page = (client or Client()).get("/").content.decode()
    start = page.find('<section class="picks-front"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


def test_a_picked_post_shows_on_the_front_page_and_under_picks(public_post, staff):
    assert front() == ""
    pick(public_post, staff)
    page = front()
    assert "Editors' picks" in page and public_post.title in page
    listing = Client().get("/picks/").content.decode()
    assert public_post.title in listing and public_post.get_absolute_url() in listing


def test_the_author_is_told(public_post, staff, alice):
    pick(public_post, staff)
    told = Notification.objects.get(recipient=alice, kind=Notification.Kind.PICK)
    # Written once, in alice's language (English until the catalogue has the words).
    assert told.post == public_post and told.text and told.actor is None
    client = Client()
    client.force_login(alice)
    page = client.get("/notifications/").content.decode()
    assert public_post.title in page


def test_a_proposed_headline_shows_only_after_the_author_accepts(public_post, staff, alice):
    the_pick = pick(public_post, staff, headline="猫と東京の一日")
    assert "猫と東京の一日" not in front() and public_post.title in front()
    told = Notification.objects.get(recipient=alice, kind=Notification.Kind.PICK)
    assert "猫と東京の一日" in told.text

    author = Client()
    author.force_login(alice)
    dashboard = author.get("/dashboard/").content.decode()
    assert "猫と東京の一日" in dashboard and "Accept" in dashboard
    response = author.post(f"/picks/{the_pick.pk}/headline/", {"answer": "accept"})
    assert response.status_code == 302
    assert "猫と東京の一日" in front() and public_post.title not in front()

    author.post(f"/picks/{the_pick.pk}/headline/", {"answer": "decline"})
    assert "猫と東京の一日" not in front() and public_post.title in front()


def test_only_the_author_answers_and_bad_answers_are_a_400(public_post, staff, bob_client):
    the_pick = pick(public_post, staff, headline="Another title")
    answer = bob_client.post(f"/picks/{the_pick.pk}/headline/", {"answer": "accept"})
    assert answer.status_code == 404
    with pytest.raises(PermissionDenied):
        picks.do_answer_headline(the_pick, staff, accept=True)
    the_pick.refresh_from_db()
    assert the_pick.headline_status == Pick.Headline.PROPOSED

    author = Client()
    author.force_login(public_post.blog.owner)
    assert author.post(f"/picks/{the_pick.pk}/headline/", {"answer": "maybe"}).status_code == 400
    plain = pick(publish(public_post.blog.owner, title="Plain"), staff)
    answer = author.post(f"/picks/{plain.pk}/headline/", {"answer": "accept"})
    assert answer.status_code == 400 and "No headline was proposed" in answer.content.decode()
    assert Client().post(f"/picks/{the_pick.pk}/headline/", {"answer": "accept"}).status_code == 302


def test_a_pick_ends_on_its_own_and_starts_on_time(public_post, staff):
    pick(public_post, staff, start=2, end=4)
    assert public_post.title not in front()
    assert list(Pick.objects.live(now=soon(3))) and not list(Pick.objects.live(now=soon(5)))
    assert [p.post for p in picks.front_picks(now=soon(3))] == [public_post]
    assert picks.front_picks(now=soon(5)) == []
    assert [p.post for p in picks.earlier_picks(now=soon(5))] == [public_post]


def test_staff_end_a_pick_now(public_post, staff, client):
    the_pick = pick(public_post, staff)
    client.force_login(staff)
    assert client.post(f"/picks/{the_pick.pk}/end/").status_code == 302
    assert public_post.title not in front()
    assert picks.do_end_pick(the_pick, staff) is False


@pytest.mark.parametrize("visibility", ["private", "members"])
def test_a_post_that_stops_being_public_stops_showing_at_once(public_post, staff, visibility):
    pick(public_post, staff)
    publish(
        public_post.blog.owner,
        post=public_post,
        title=public_post.title,
        body="hidden now",
        visibility=visibility,
    )
    assert public_post.title not in front()
    assert public_post.title not in Client().get("/picks/").content.decode()
    assert picks.front_picks() == [] and not picks.earlier_picks(now=soon(48)).exists()


def test_a_pick_of_a_deactivated_author_stops_showing(public_post, staff, alice):
    pick(public_post, staff)
    alice.is_active = False
    alice.save()
    assert public_post.title not in front()


def test_only_public_posts_can_be_picked(alice, staff):
    for post in (
        publish(alice, title="Secret", visibility="private"),
        publish(alice, title="Members", visibility="members"),
        publish(alice, title="Draft", publish=False),
        publish(alice, title="Later", publish_at=soon(48)),
    ):
        with pytest.raises(ValidationError):
            pick(post, staff)
    assert not Pick.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.PICK).exists()


def test_staff_pick_through_the_page(public_post, staff, client):
    client.force_login(staff)
    page = client.get(f"/picks/manage/?post={public_post.pk}")
    assert page.status_code == 200 and str(public_post.pk) in page.content.decode()
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    address = "http://testserver" + public_post.get_absolute_url()
    response = client.post(
        "/picks/manage/", {"post": address, "starts_at": start, "ends_at": end, "headline": ""}
    )
    assert response.status_code == 302
    assert Pick.objects.get().post == public_post
    post_page = client.get(public_post.get_absolute_url()).content.decode()
    assert "Pick this post" in post_page


A, B, PAST = "2030-01-01T10:00", "2030-01-02T10:00", "2020-01-01T10:00"


@pytest.mark.parametrize(
    ("post", "start", "end", "headline", "message"),
    [
        ("", A, B, "", "Name the post"),
        ("/@alice/999999/", A, B, "", "No post at"),
        ("not a post", A, B, "", "No post at"),
        ("POST", B, A, "", "after the start"),
        ("POST", PAST, "2020-01-02T10:00", "", "already past"),
        ("POST", A, "2030-03-01T10:00", "", "at most 31 days"),
        ("POST", "yesterday", B, "", "valid date"),
        ("POST", A, B, "x" * 121, "at most 120"),
    ],
)
def test_bad_picks_are_a_400_and_write_nothing(
    public_post, staff, client, post, start, end, headline, message
):
    client.force_login(staff)
    data = {"post": str(public_post.pk) if post == "POST" else post, "starts_at": start,
            "ends_at": end, "headline": headline}  # fmt: skip
    response = client.post("/picks/manage/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Pick.objects.exists()


def test_the_same_post_cannot_be_picked_twice_at_once(public_post, staff):
    pick(public_post, staff)
    with pytest.raises(ValidationError):
        pick(public_post, staff, start=2, end=30)
    assert Pick.objects.count() == 1


def test_only_staff_pick(public_post, bob_client, staff):
    assert bob_client.get("/picks/manage/").status_code == 404
    data = {"post": public_post.pk, "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-02T10:00"}
    assert bob_client.post("/picks/manage/", data).status_code == 404
    the_pick = pick(public_post, staff)
    assert bob_client.post(f"/picks/{the_pick.pk}/end/").status_code == 404
    assert "Pick this post" not in bob_client.get(public_post.get_absolute_url()).content.decode()
    anonymous = Client().get("/picks/manage/")
    assert anonymous.status_code == 302
    with pytest.raises(PermissionDenied):
        pick(public_post, public_post.blog.owner, start=30, end=40)
