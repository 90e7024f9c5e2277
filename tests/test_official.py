"""Official blogs: applying, staff review, badges wherever a blog's name shows, the directory."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from koe.blogs.models import Blog, Post
from koe.demo.official import OFFICIAL, PENDING, TOP_BLOGGERS, ensure_official_blogs
from koe.official import services
from koe.official.models import OfficialApplication
from koe.social import follows
from koe.social import services as social_services
from koe.social.models import Notification
from tests.conftest import make_user, publish

Status = OfficialApplication.Status
EVIDENCE = "Official site: https://alice.example/ (links to this blog)"
APPLICATION = {"category": "musician", "real_name": "Alice Aoki", "evidence": EVIDENCE}


def apply(user, category="musician", **fields):
    data = {**APPLICATION, "category": category, **fields}
    return services.do_apply(user, **data)


def make_official(user, category="musician", staff_user=None):
    application = apply(user, category)
    return services.do_approve(application, staff_user)


def official_notifications(user):
    return list(
        Notification.objects.filter(recipient=user, kind=Notification.Kind.OFFICIAL)
        .order_by("id")
        .values_list("text", flat=True)
    )


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


# ### The life of an application ###


def test_apply_approve_and_the_badge_shows_on_the_blog_and_on_post_cards(
    alice_client, alice, staff, staff_client
):
    publish(alice, title="Tour dates")
    response = alice_client.post("/official/apply/", APPLICATION)
    assert response.status_code == 302
    application = OfficialApplication.objects.get(applicant=alice)
    assert application.status == Status.PENDING
    page = alice_client.get("/official/apply/").content.decode()
    assert "Waiting for review" in page

    again = alice_client.post("/official/apply/", APPLICATION)
    assert again.status_code == 400
    assert "waiting for review already" in again.content.decode()
    assert OfficialApplication.objects.count() == 1

    queue = staff_client.get("/staff/official/").content.decode()
    assert "Alice Aoki" in queue and "https://alice.example/" in queue
    assert staff_client.post(f"/staff/official/{application.pk}/approve/").status_code == 302

    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.reviewed_by == staff
    assert Blog.objects.get(owner=alice).official_category == "musician"
    blog_page = Client().get("/@alice/").content.decode()
    assert "badge--official" in blog_page and 'title="Official blog · Musician"' in blog_page
    front = Client().get("/").content.decode()
    card = front[front.index("Tour dates") - 2000 : front.index("Tour dates")]
    assert "badge--official" in card
    assert official_notifications(alice) == ["Your blog is now an official blog (Musician)."]

    # Official now: a new application is refused with a clear message.
    refused = alice_client.post("/official/apply/", {**APPLICATION, "category": "actor"})
    assert refused.status_code == 400
    assert "already an official blog" in refused.content.decode()


def test_refusing_needs_a_reason_and_the_applicant_sees_it(alice, alice_client, staff_client):
    application = apply(alice)
    response = staff_client.post(f"/staff/official/{application.pk}/refuse/", {"reason": "  "})
    assert response.status_code == 400
    assert "Please give a reason" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.PENDING

    reason = "Please link an account that mentions this blog."
    response = staff_client.post(f"/staff/official/{application.pk}/refuse/", {"reason": reason})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.reason) == (Status.REFUSED, reason)
    assert not Blog.objects.get(owner=alice).is_official
    page = alice_client.get("/official/apply/").content.decode()
    assert "Refused" in page and reason in page
    assert official_notifications(alice) == [reason]
    # Refused, so the form is back: she may try again with better evidence.
    assert 'name="evidence"' in page
    assert apply(alice).status == Status.PENDING


def test_revoking_takes_the_badge_back_and_allows_a_new_application(alice, staff, staff_client):
    make_official(alice, staff_user=staff)
    blog = Blog.objects.get(owner=alice)
    response = staff_client.post(f"/staff/official/blogs/{blog.pk}/revoke/", {"reason": ""})
    assert response.status_code == 302
    blog.refresh_from_db()
    assert blog.official_category == ""
    assert OfficialApplication.objects.get(applicant=alice).status == Status.REVOKED
    assert "badge--official" not in Client().get("/@alice/").content.decode()
    assert official_notifications(alice)[-1] == "Your blog is no longer an official blog."
    # Again: nothing to do, nobody told twice.
    assert services.do_revoke(blog, staff) is False
    assert len(official_notifications(alice)) == 2
    assert apply(alice).status == Status.PENDING


def test_every_action_is_safe_to_repeat(alice, bob, staff):
    application = apply(alice)
    services.do_approve(application, staff)
    services.do_approve(application, staff)
    assert len(official_notifications(alice)) == 1
    with pytest.raises(ValidationError, match="decided already"):
        services.do_refuse(application, staff, "Changed my mind")
    assert Blog.objects.get(owner=alice).official_category == "musician"

    refused = apply(bob, "writer")
    services.do_refuse(refused, staff, "No evidence")
    services.do_refuse(refused, staff, "No evidence")
    assert len(official_notifications(bob)) == 1
    with pytest.raises(ValidationError):
        services.do_approve(refused, staff)
    assert not Blog.objects.get(owner=bob).is_official

    blog = Blog.objects.get(owner=bob)
    assert services.do_set_top_blogger(blog, staff, True) is True
    assert services.do_set_top_blogger(blog, staff, True) is False
    assert services.do_set_top_blogger(blog, staff, False) is True
    assert services.do_set_top_blogger(blog, staff, False) is False
    assert official_notifications(bob)[1:] == [
        "Koe's editors have made you a top blogger.",
        "Your blog no longer carries the top blogger mark.",
    ]


def test_only_staff_may_decide_even_through_the_actions(alice, bob):
    application = apply(alice)
    blog = Blog.objects.get(owner=alice)
    for action in (
        lambda: services.do_approve(application, bob),
        lambda: services.do_refuse(application, bob, "no"),
        lambda: services.do_revoke(blog, bob),
        lambda: services.do_set_top_blogger(blog, bob, True),
    ):
        with pytest.raises(PermissionDenied):
            action()
    application.refresh_from_db()
    blog.refresh_from_db()
    assert application.status == Status.PENDING
    assert not blog.is_official and not blog.is_top_blogger


def test_a_japanese_reader_gets_the_notification_in_japanese(staff):
    hanako = make_user("hanako", language="ja")
    make_official(hanako, "actor", staff_user=staff)
    assert official_notifications(hanako) == [
        "あなたのブログは公式ブログになりました（俳優・女優）。"
    ]


# ### Who may see the moderation page ###

STAFF_PAGES = [
    ("get", "/staff/official/"),
    ("post", "/staff/official/{app}/approve/"),
    ("post", "/staff/official/{app}/refuse/"),
    ("post", "/staff/official/blogs/{blog}/revoke/"),
    ("post", "/staff/official/top-bloggers/"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_moderation_is_for_staff_only(client, alice, bob, method, path):
    application = apply(alice)
    url = path.format(app=application.pk, blog=Blog.objects.get(owner=alice).pk)
    data = {"reason": "x", "username": "alice", "on": "1"} if method == "post" else None

    anonymous = getattr(client, method)(url, data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(bob)
    assert getattr(client, method)(url, data).status_code == 404

    application.refresh_from_db()
    blog = Blog.objects.get(owner=alice)
    assert application.status == Status.PENDING and not blog.is_top_blogger
    assert not Notification.objects.filter(kind=Notification.Kind.OFFICIAL).exists()


def test_staff_see_the_queue_and_a_link_to_it(staff_client, bob_client):
    assert staff_client.get("/staff/official/").status_code == 200
    assert 'href="/staff/official/"' in staff_client.get("/").content.decode()
    assert 'href="/staff/official/"' not in bob_client.get("/").content.decode()
    assert 'href="/official/"' in Client().get("/").content.decode()


def test_evidence_is_shown_inert(alice, staff_client):
    evidence = (
        "See https://alice.example/about <script>alert(1)</script> "
        'and javascript:alert(2) <a href="https://evil.example/">x</a>'
    )
    apply(alice, evidence=evidence)
    page = staff_client.get("/staff/official/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript:' not in page
    # The applicant's own markup stays text; only the bare address becomes a (safe) link.
    assert '<a href="https://evil.example/">x</a>' not in page
    assert "&lt;a href=&quot;" in page
    assert (
        '<a href="https://alice.example/about" rel="nofollow noopener noreferrer" '
        'target="_blank">https://alice.example/about</a>' in page
    )


def test_moderation_forms_need_the_csrf_token(alice, bob, staff):
    application = apply(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    blog = Blog.objects.get(owner=bob)
    refused_posts = [
        client.post(f"/staff/official/{application.pk}/approve/"),
        client.post(f"/staff/official/{application.pk}/refuse/", {"reason": "no"}),
        client.post(f"/staff/official/blogs/{blog.pk}/revoke/"),
        client.post("/staff/official/top-bloggers/", {"username": "bob", "on": "1"}),
    ]
    assert [r.status_code for r in refused_posts] == [403] * 4
    application.refresh_from_db()
    assert application.status == Status.PENDING
    assert not Blog.objects.get(owner=bob).is_top_blogger

    page = client.get("/staff/official/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = client.post(
        f"/staff/official/{application.pk}/approve/", {"csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.APPROVED


def test_staff_mark_and_unmark_top_bloggers_by_username(bob, staff_client):
    publish(bob, title="Bob's garden")
    answer = staff_client.post("/staff/official/top-bloggers/", {"username": "@Bob", "on": "1"})
    assert answer.status_code == 302
    assert Blog.objects.get(owner=bob).is_top_blogger
    front = Client().get("/").content.decode()
    assert "badge--top" in front and "Top blogger" in front
    assert "@bob" in staff_client.get("/staff/official/").content.decode()
    staff_client.post("/staff/official/top-bloggers/", {"username": "bob", "on": "0"})
    assert not Blog.objects.get(owner=bob).is_top_blogger


# ### Bad input: a clear 4xx, nothing written ###


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"evidence": ""}, "This field is required."),
        ({"evidence": "I am very famous, trust me."}, "at least one link"),
        ({"category": "wizard"}, "Select a valid choice."),
        ({"category": ""}, "This field is required."),
        ({"real_name": "x" * 101}, "at most 100 characters"),
        ({"evidence": "https://a.example/ " + "x" * 2000}, "at most 2000 characters"),
        ({"real_name": "   "}, "This field is required."),
    ],
)
def test_bad_applications_are_refused_and_nothing_is_written(alice_client, fields, message):
    response = alice_client.post("/official/apply/", {**APPLICATION, **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OfficialApplication.objects.exists()


def test_the_actions_check_what_a_form_would(alice):
    with pytest.raises(ValidationError) as caught:
        services.do_apply(alice, category="wizard", real_name="", evidence="x" * 2001)
    assert set(caught.value.error_dict) == {"category", "real_name", "evidence"}
    assert not OfficialApplication.objects.exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/staff/official/{app}/refuse/", {"reason": "x" * 301}),
        ("/staff/official/{app}/refuse/", {}),
        ("/staff/official/blogs/{blog}/revoke/", {"reason": "x" * 301}),
        ("/staff/official/top-bloggers/", {"username": "nobody", "on": "1"}),
        ("/staff/official/top-bloggers/", {"username": "alice", "on": "maybe"}),
        ("/staff/official/top-bloggers/", {"username": "", "on": "1"}),
    ],
)
def test_bad_moderation_input_is_refused(alice, staff, staff_client, path, data):
    application = apply(alice)
    blog = Blog.objects.get(owner=alice)
    services.do_approve(apply(make_user("carol"), "actor"), staff)
    url = path.format(app=application.pk, blog=Blog.objects.get(owner__username="carol").pk)
    response = staff_client.post(url, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    application.refresh_from_db()
    blog.refresh_from_db()
    assert application.status == Status.PENDING and not blog.is_top_blogger
    assert Blog.objects.get(owner__username="carol").official_category == "actor"


def test_missing_things_are_not_found(staff_client, alice):
    assert staff_client.post("/staff/official/999/approve/").status_code == 404
    assert staff_client.post("/staff/official/blogs/999/revoke/").status_code == 404
    assert staff_client.get("/staff/official/1/approve/").status_code == 405
    assert Client().get("/official/wizard/").status_code == 404
    assert Client().get("/official/?category=wizard").status_code == 404


def test_the_apply_page_asks_to_log_in(client, db):
    response = client.get("/official/apply/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ### The directory ###


def _order(page: str, *names: str) -> list[str]:
    return sorted(names, key=page.index)


@pytest.fixture
def officials(staff):
    """An actor with many followers and an old post, a musician with few and a new one."""
    actor = make_user("actor", display_name="Aki Actor")
    singer = make_user("singer", display_name="Sora Singer")
    make_official(actor, "actor", staff)
    make_official(singer, "musician", staff)
    for i in range(3):
        follows.do_follow(make_user(f"fan{i}"), Blog.objects.get(owner=actor))
    old = publish(actor, title="Actor old news")
    Post.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=3))
    publish(singer, title="Singer new song")
    return actor, singer


def test_the_directory_sorts_by_followers_or_latest_post(client, officials):
    page = client.get("/official/").content.decode()
    assert _order(page, "Aki Actor", "Sora Singer") == ["Aki Actor", "Sora Singer"]
    assert "3 followers" in page and "0 followers" in page
    page = client.get("/official/?sort=latest").content.decode()
    assert _order(page, "Aki Actor", "Sora Singer") == ["Sora Singer", "Aki Actor"]
    # An unknown sort is the default one, not an error.
    assert client.get("/official/?sort=nonsense").status_code == 200


@pytest.mark.parametrize("path", ["/official/?category=actor", "/official/actor/"])
def test_the_directory_filters_by_category(client, officials, path):
    page = client.get(path).content.decode()
    assert "Aki Actor" in page and "Sora Singer" not in page
    assert "Actor old news" in page and "Singer new song" not in page


def test_the_stream_shows_only_public_posts_of_official_blogs(client, officials, bob):
    _actor, singer = officials
    publish(bob, title="Not official at all")
    publish(singer, title="Secret draft", publish=False)
    publish(singer, title="Only me", visibility=Post.Visibility.PRIVATE)
    publish(singer, title="For members", visibility=Post.Visibility.MEMBERS)
    publish(singer, title="Next week", publish_at=timezone.now() + timedelta(days=7))
    client.force_login(singer)  # even the author sees only public posts here
    page = client.get("/official/").content.decode()
    assert "Singer new song" in page and "Actor old news" in page
    for hidden in ("Not official at all", "Secret draft", "Only me", "For members", "Next week"):
        assert hidden not in page


def test_japanese_directory_and_form(client, officials):
    page = client.get("/official/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "公式ブログ" in page and "俳優" in page and "ミュージシャン" in page
    assert "フォロワー 3人" in page and 'title="公式ブログ・俳優' in page
    client.force_login(make_user("hanako", language="ja"))
    form = client.get("/official/apply/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "公式ブログを申請" in form and '<option value="actor">俳優・女優</option>' in form


def test_badges_show_for_commenters_and_likers(alice, bob, staff, public_post):
    services.do_set_top_blogger(Blog.objects.get(owner=bob), staff, True)
    social_services.do_comment(public_post, bob, body="Nice!")
    social_services.do_like(public_post, bob)
    post_page = Client().get(public_post.get_absolute_url()).content.decode()
    comments = post_page[post_page.index('id="comments"') :]
    assert "badge--top" in comments
    likers_url = reverse("social:likers", args=["alice", public_post.pk])
    likers = Client().get(likers_url).content.decode()
    assert "badge--top" in likers


# ### Bounded queries ###


def test_pages_make_a_bounded_number_of_queries(client, staff, django_assert_max_num_queries):
    """30 official blogs with posts and 10 applications cost what 1 would: no query per row."""
    for i in range(30):
        user = make_user(f"star{i}")
        make_official(user, "actor" if i % 2 else "writer", staff)
        publish(user, title=f"Post {i}", tags=["news", f"t{i}"])
    for i in range(10):
        apply(make_user(f"hopeful{i}"))
    services.do_set_top_blogger(Blog.objects.get(owner__username="star1"), staff, True)
    for path in ["/official/", "/official/?sort=latest", "/official/actor/"]:
        with django_assert_max_num_queries(8):
            assert client.get(path).status_code == 200
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        assert client.get("/staff/official/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/official/apply/").status_code == 200


# ### The demo ###


def test_the_demo_makes_official_blogs_once(db):
    users = {name: make_user(name) for name in [*OFFICIAL, *PENDING, *TOP_BLOGGERS]}
    first = ensure_official_blogs(users)
    assert (first.official, first.new_official, first.pending, first.top_bloggers) == (3, 3, 1, 1)
    categories = dict(
        Blog.objects.exclude(official_category="").values_list(
            "owner__username", "official_category"
        )
    )
    assert categories == {name: spec[0] for name, spec in OFFICIAL.items()}
    rows = (OfficialApplication.objects.count(), Notification.objects.count())
    again = ensure_official_blogs(users)
    assert (again.official, again.new_official, again.pending) == (3, 0, 1)
    assert (OfficialApplication.objects.count(), Notification.objects.count()) == rows
    assert Blog.objects.get(owner__username=TOP_BLOGGERS[0]).is_top_blogger
