"""Who sees a short post where: public and followers-only posts, for an anonymous reader,
a follower, another person, a blocked person and the author, on every page and timeline.
(The live streams follow the same rules: tests/test_now_stream.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

from koe.accounts import services as account_services
from koe.now import services
from koe.social import follows
from tests.conftest import make_user

SURFACES = ("page", "public", "tag", "user", "home")
#: (visibility, viewer) → the surfaces that show the post; home needs an account.
EXPECTED = {
    ("public", "anonymous"): {"page", "public", "tag", "user"},
    ("public", "follower"): {"page", "public", "tag", "user", "home"},
    ("public", "other"): {"page", "public", "tag", "user"},
    ("public", "blocked"): set(),
    ("public", "author"): {"page", "public", "tag", "user", "home"},
    ("followers", "anonymous"): set(),
    ("followers", "follower"): {"page", "user", "home"},
    ("followers", "other"): set(),
    ("followers", "blocked"): set(),
    ("followers", "author"): {"page", "user", "home"},
}


@pytest.fixture
def people(db):
    author = make_user("writer")
    follower, other, blocked = make_user("fan"), make_user("passerby"), make_user("troll")
    follows.do_follow(follower, author.blog)
    follows.do_follow(blocked, author.blog)
    account_services.do_block(author, blocked)  # also ends the follow
    return {"author": author, "follower": follower, "other": other, "blocked": blocked}


def _client(people, viewer) -> Client:
    client = Client()
    if viewer != "anonymous":
        client.force_login(people[viewer])
    return client


def _shows(client, url, words) -> bool:
    response = client.get(url)
    assert response.status_code in (200, 302, 404), url
    return response.status_code == 200 and words in response.content.decode()


@pytest.mark.parametrize(("visibility", "viewer"), sorted(EXPECTED))
def test_visibility_matrix(people, visibility, viewer):
    words = f"A {visibility} post about the shelter"
    short = services.do_post(people["author"], text=f"{words} #matrix", visibility=visibility)
    client = _client(people, viewer)
    urls = {
        "page": f"/now/{short.pk}/",
        "public": "/now/",
        "tag": "/now/tags/matrix/",
        "user": "/now/@writer/",
        "home": "/now/home/",
    }
    seen = {name for name in SURFACES if _shows(client, urls[name], words)}
    assert seen == EXPECTED[(visibility, viewer)]


def test_a_hidden_post_page_is_a_404_not_a_403(people):
    short = services.do_post(people["author"], text="secret", visibility="followers")
    assert Client().get(f"/now/{short.pk}/").status_code == 404


def test_new_posts_fragment_follows_the_same_rules(people):
    services.do_post(people["author"], text="fragment for followers", visibility="followers")
    assert "fragment for followers" not in Client().get("/now/@writer/?after=0").content.decode()
    fan = _client(people, "follower")
    assert "fragment for followers" in fan.get("/now/@writer/?after=0").content.decode()


def test_mentions_do_not_tell_people_who_may_not_read(people):
    from koe.social.models import Notification

    services.do_post(people["author"], text="@passerby @fan hush", visibility="followers")
    told = set(
        Notification.objects.filter(kind="mention").values_list("recipient__username", flat=True)
    )
    assert told == {"fan"}


def test_a_deactivated_authors_posts_vanish(people):
    short = services.do_post(people["author"], text="still here?")
    people["author"].is_active = False
    people["author"].save()
    assert Client().get(f"/now/{short.pk}/").status_code == 404
    assert "still here?" not in Client().get("/now/").content.decode()
