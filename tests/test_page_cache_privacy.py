"""A public post that leaves the public leaves every cached page at once, including other
blogs' pages that showed it (related posts, reblog cards, rankings, picks)."""

from __future__ import annotations

import pytest
from django.test import Client

from koe.blogs import services as blog_services
from tests.agents import WINDOWS
from tests.conftest import make_user, publish
from tests.test_page_cache import warm


def page(url: str) -> tuple[str, str]:
    response = Client(HTTP_USER_AGENT=WINDOWS, HTTP_ACCEPT_LANGUAGE="en").get(url)
    assert response.status_code == 200
    return response.content.decode(), response.get("X-Koe-Cache", "")


def hide(post, how: str) -> None:
    if how in ("private", "members"):
        blog_services.do_save_post(
            post.blog,
            post=post,
            title=post.title,
            body=post.body,
            tags=["soup"],
            visibility=how,
            publish=True,
        )
    elif how == "deleted":
        blog_services.do_delete_post(post)
    elif how == "deactivated":
        owner = post.blog.owner
        owner.is_active = False
        owner.save()


@pytest.mark.parametrize("how", ["private", "members", "deleted", "deactivated"])
def test_a_post_that_leaves_the_public_leaves_other_blogs_cached_pages(db, how):
    alice, carol = make_user("alice"), make_user("carol")
    theirs = publish(alice, title="Miso soup at dawn", body="Warm.", tags=["soup"])
    mine = publish(carol, title="Soup diary", body="Hot.", tags=["soup"])
    url = mine.get_absolute_url()
    warm(url)
    body, _ = page(url)
    assert "Miso soup at dawn" in body  # shown under carol's post as related
    body, cached = page(url)
    assert cached == "hit" and "Miso soup at dawn" in body
    hide(theirs, how)
    body, _ = page(url)
    assert "Miso soup at dawn" not in body


def test_the_blogs_bubble_shows_a_new_short_post_and_forgets_a_deleted_one(db):
    from koe.now import services as now_services

    alice = make_user("alice")
    publish(alice, title="Hello", body="Words.")
    warm("/@alice/")
    page("/@alice/")
    assert page("/@alice/")[1] == "hit"
    short = now_services.do_post(alice, text="Trains are running again on the Ginza line")
    assert "Trains are running again" in page("/@alice/")[0]
    now_services.do_delete(alice, short)
    assert "Trains are running again" not in page("/@alice/")[0]
