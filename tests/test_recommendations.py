"""Blogs you may like from a known follow graph, the welcome step after sign-up, and
related posts under a post: never private, never the post itself, never a blocked person."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from koe.accounts.services import do_block
from koe.blogs import services as blog_services
from koe.blogs.models import Genre, Post
from koe.discovery import recommendations
from koe.social.follows import do_follow, do_mute
from koe.social.models import Follow
from tests.conftest import PASSWORD, make_user, publish

User = get_user_model()


@pytest.fixture
def graph(db):
    """me follows A. r1 follows A, B, C; r2 follows A, B; r3 follows A, D; r4 follows C, E.
    So the readers of A also read B (twice), C and D (once each); C has more followers."""
    me = make_user("me")
    bloggers = {name: make_user(f"blog{name.lower()}") for name in "ABCDE"}
    for person in bloggers.values():
        publish(person, title=f"Post by {person.username}")
    readers = {name: make_user(name) for name in ("r1", "r2", "r3", "r4")}
    follows = {"me": "A", "r1": "ABC", "r2": "AB", "r3": "AD", "r4": "CE"}
    people = {"me": me, **readers}
    for who, blogs in follows.items():
        for name in blogs:
            do_follow(people[who], bloggers[name].blog)
    return me, bloggers, readers


def names(blogs):
    return [blog.owner.username[-1].upper() for blog in blogs]


def test_co_followed_blogs_come_first_most_shared_first(graph):
    me, bloggers, _readers = graph
    assert names(recommendations.blogs_you_may_like(me, limit=3)) == ["B", "C", "D"]


def test_then_popular_blogs_fill_the_list(graph):
    me, bloggers, _readers = graph
    suggested = names(recommendations.blogs_you_may_like(me, limit=5))
    assert suggested[:3] == ["B", "C", "D"]
    assert suggested[3] == "E"
    assert "A" not in suggested  # already followed
    assert len(suggested) == 4  # me's own blog has no post, and is never suggested anyway


def test_own_blocked_muted_inactive_and_empty_blogs_are_never_suggested(graph):
    me, bloggers, readers = graph
    publish(me, title="My own post")
    do_follow(readers["r1"], me.blog)  # so me's blog is co-followed by r1
    do_block(me, bloggers["B"])
    do_mute(me, bloggers["C"].blog)
    bloggers["D"].is_active = False
    bloggers["D"].save()
    make_user("empty")  # a blog with nothing public in it
    suggested = names(recommendations.blogs_you_may_like(me, limit=10))
    assert suggested == ["E"]


def test_a_new_follow_shows_at_once_despite_the_cache(graph):
    me, bloggers, _readers = graph
    assert "B" in names(recommendations.blogs_you_may_like(me, limit=3))
    do_follow(me, bloggers["B"].blog)
    assert "B" not in names(recommendations.blogs_you_may_like(me, limit=3))


def test_a_new_reader_gets_popular_blogs_of_the_chosen_genres(graph):
    _me, bloggers, readers = graph
    cooking = Genre.objects.get(slug="cooking")
    blog_services.do_update_blog(bloggers["E"].blog, genre=cooking)
    blog_services.do_update_blog(bloggers["D"].blog, genre=cooking)
    newcomer = make_user("newcomer")
    assert names(recommendations.blogs_you_may_like(newcomer, [cooking], limit=2)) == ["D", "E"]
    # With no genre chosen: the most followed blogs of all.
    assert names(recommendations.blogs_you_may_like(newcomer, limit=2)) == ["A", "B"]


def test_sign_up_lands_on_the_welcome_step(client, graph):
    response = client.post(
        "/accounts/signup/",
        {"username": "hana", "display_name": "花", "email": "hana@example.com",
         "password": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.url == "/welcome/"
    page = client.get("/welcome/")
    assert page.status_code == 200
    assert "Blogs to follow" in page.content.decode()


def test_welcome_picks_genres_and_follows_with_htmx(client, graph):
    _me, bloggers, _readers = graph
    travel = Genre.objects.get(slug="travel")
    blog_services.do_update_blog(bloggers["C"].blog, genre=travel)
    hana = make_user("hana")
    client.force_login(hana)
    part = client.get("/welcome/?genre=travel&genre=%00&genre=nope", HTTP_HX_REQUEST="true")
    assert part.status_code == 200
    assert "<html" not in part.content.decode()
    assert part.content.decode().index("blogc") < part.content.decode().index("bloga")
    followed = client.post("/@blogc/follow", HTTP_HX_REQUEST="true")
    assert followed.status_code == 200
    assert Follow.objects.filter(follower=hana, blog=bloggers["C"].blog).exists()
    again = client.get("/welcome/?genre=travel").content.decode()
    assert "@blogc" not in again


def test_welcome_needs_an_account(client, db):
    response = client.get("/welcome/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_suggestions_page_and_dashboard_panel(client, graph):
    me, _bloggers, _readers = graph
    assert client.get("/suggestions/").status_code == 200
    client.force_login(me)
    page = client.get("/suggestions/").content.decode()
    assert "@blogb" in page
    dashboard = client.get("/dashboard/").content.decode()
    assert "Blogs you may like" in dashboard and "@blogb" in dashboard


# ### Related posts ###


@pytest.fixture
def cats(alice, bob):
    carol = make_user("carol")
    posts = {
        "main": publish(alice, title="東京の猫カフェ", tags=["猫", "東京"]),
        "two_tags": publish(bob, title="Another", tags=["猫", "東京"]),
        "one_tag": publish(carol, title="Something", tags=["猫"]),
        "words": publish(carol, title="猫カフェ巡り"),
        "private": publish(bob, title="猫カフェ secret", tags=["猫", "東京"],
                           visibility=Post.Visibility.PRIVATE),
        "members": publish(bob, title="猫カフェ members", tags=["猫", "東京"],
                           visibility=Post.Visibility.MEMBERS),
        "draft": publish(bob, title="猫カフェ draft", tags=["猫", "東京"], publish=False),
        "unrelated": publish(carol, title="Bicycles", tags=["自転車"]),
    }  # fmt: skip
    return posts


def titles(posts):
    return [p.title for p in posts]


def test_related_posts_share_hashtags_and_words(cats, bob):
    related = titles(recommendations.related_posts(cats["main"], bob))
    assert related[0] == "Another"  # two hashtags shared
    assert set(related) == {"Another", "Something", "猫カフェ巡り"}


def test_related_posts_are_never_private_nor_the_post_itself(cats, bob, client):
    related = titles(recommendations.related_posts(cats["main"], bob))
    for hidden in ("東京の猫カフェ", "猫カフェ secret", "猫カフェ members", "猫カフェ draft"):
        assert hidden not in related
    page = client.get(cats["main"].get_absolute_url()).content.decode()
    assert "Related posts" in page and "猫カフェ巡り" in page
    assert "猫カフェ secret" not in page and "猫カフェ members" not in page


def test_related_posts_hide_blocked_people_and_follow_changes(cats, alice, bob):
    carol = User.objects.get(username="carol")
    do_block(alice, carol)
    assert titles(recommendations.related_posts(cats["main"], alice)) == ["Another"]
    # A post that turns private leaves the cached list at once.
    post = cats["two_tags"]
    blog_services.do_save_post(
        bob.blog, post=post, title=post.title, body=post.body, publish=True,
        visibility=Post.Visibility.PRIVATE,
    )  # fmt: skip
    assert titles(recommendations.related_posts(cats["main"], alice)) == []


def test_a_post_that_is_not_public_shows_no_related_posts(cats, bob, client):
    members = cats["members"]
    assert recommendations.related_posts(members, bob) == []
    client.force_login(bob)
    page = client.get(members.get_absolute_url()).content.decode()
    assert "Related posts" not in page


def test_bad_genre_choices_are_ignored_never_a_500(client, graph):
    me, _bloggers, _readers = graph
    junk = "&".join(f"genre={value}" for value in ("%00", "x" * 300, "'--", "%E2%80%AE", "nope"))
    assert client.get(f"/suggestions/?{junk}").status_code == 200
    assert client.get("/trends/" + "x" * 300 + "/").status_code == 404
    assert client.get("/trends/?genre=" + "x" * 300).status_code == 404
    client.force_login(me)
    many = "&".join(f"genre=g{i}" for i in range(500))
    assert client.get(f"/welcome/?{many}").status_code == 200
    assert client.post("/welcome/").status_code == 405
