"""Short posts: writing, threads, reposts, likes, deleting, the blog's bubble, and bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from koe.accounts import services as account_services
from koe.blogs.models import Image
from koe.now import services
from koe.now.models import Event, ShortPost, ShortPostLike
from koe.social.models import Notification
from tests.conftest import image_bytes, make_user


def post(user, text="Hello", **options) -> ShortPost:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.do_post(user, text=text, **options)


def _png(name="a.png"):
    return SimpleUploadedFile(name, image_bytes(), content_type="image/png")


def test_posting_through_the_page_links_tags_and_mentions(alice_client, alice, bob):
    response = alice_client.post(
        "/now/post", {"text": "Trains are running again #東京 @bob", "visibility": "public"}
    )
    assert response.status_code == 302
    short = ShortPost.objects.get()
    assert [t.name for t in short.tags.all()] == ["東京"]
    assert 'href="/now/tags/%E6%9D%B1%E4%BA%AC/"' in short.html or "/now/tags/東京/" in short.html
    assert 'href="/now/@bob/"' in short.html
    page = Client().get(f"/now/{short.pk}/").content.decode()
    assert "Trains are running again" in page
    assert Notification.objects.filter(recipient=bob, kind="mention", actor=alice).exists()
    event = Event.objects.get()
    assert (event.stream, event.kind, event.payload["post"]) == ("now", "post", short.pk)


def test_markup_is_shown_as_text(alice):
    short = post(alice, "<script>alert(1)</script> <b>bold</b>")
    assert "<script>" not in short.html and "&lt;script&gt;" in short.html


def test_images_go_through_the_pipeline(alice_client, alice):
    response = alice_client.post(
        "/now/post",
        {"text": "", "visibility": "public", "images": [_png(), _png("b.png")], "alt": "Sky"},
    )
    assert response.status_code == 302
    short = ShortPost.objects.get()
    shots = list(short.images.all())
    assert len(shots) == 2 and all(s.display.endswith(".webp") and s.alt == "Sky" for s in shots)
    assert shots[0].thumb_url in Client().get(f"/now/{short.pk}/").content.decode()


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({"text": "x" * 301}, 0, "at most 300 characters"),
        ({"text": "   "}, 0, "Please write something"),
        ({"text": "five"}, 5, "at most 4 images"),
        ({"text": "hi", "visibility": "secret"}, 0, "Select a valid choice"),
    ],
)
def test_bad_posts_are_refused_and_nothing_is_stored(alice_client, data, files, message):
    data = {"visibility": "public", **data}
    if files:
        data["images"] = [_png(f"{i}.png") for i in range(files)]
    response = alice_client.post("/now/post", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ShortPost.objects.count() == 0 and Image.objects.count() == 0
    assert Event.objects.count() == 0


def test_a_broken_image_stores_nothing(alice_client):
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = alice_client.post("/now/post", {"text": "hi", "visibility": "public", "images": bad})
    assert response.status_code == 400
    assert ShortPost.objects.count() == 0 and Image.objects.count() == 0


def test_the_message_speaks_japanese(client, db):
    client.force_login(make_user("hana", language="ja"))
    response = client.post("/now/post", {"text": "", "visibility": "public"})
    assert response.status_code == 400
    assert '<html lang="ja">' in response.content.decode()


def test_anonymous_cannot_post(client, db):
    response = client.post("/now/post", {"text": "hi", "visibility": "public"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ShortPost.objects.count() == 0


def test_a_flood_is_refused(alice_client):
    for i in range(services.POSTS_PER_MINUTE):
        assert (
            alice_client.post("/now/post", {"text": f"n{i}", "visibility": "public"}).status_code
            == 302
        )
    response = alice_client.post("/now/post", {"text": "one more", "visibility": "public"})
    assert response.status_code in (400, 429)
    assert "Please wait" in response.content.decode() or "Too many" in response.content.decode()
    assert ShortPost.objects.count() == services.POSTS_PER_MINUTE


def test_replies_form_a_thread(alice, bob):
    root = post(alice, "Is the Chuo line running?")
    answer = post(bob, "@alice yes, with delays", reply_to=root)
    again = post(alice, "Thanks!", reply_to=answer)
    root.refresh_from_db()
    assert root.reply_count == 1
    page = Client().get(f"/now/{answer.pk}/").content.decode()
    page = page[page.index("<main") :]
    assert page.index("Is the Chuo line running?") < page.index("yes, with delays")
    assert page.index("yes, with delays") < page.index("Thanks!")
    assert Notification.objects.filter(recipient=alice, actor=bob, kind="mention").count() == 1
    assert again.is_reply


def test_replying_to_a_deleted_or_hidden_post_is_refused(alice_client, alice, bob):
    gone = post(bob, "soon gone")
    gone_id = gone.pk
    services.do_delete(bob, gone)
    hidden = post(bob, "for followers", visibility="followers")
    for target in (gone_id, hidden.pk):
        response = alice_client.post(
            "/now/post", {"text": "reply", "visibility": "public", "reply_to": target}
        )
        assert response.status_code == 400
        assert "gone or hidden" in response.content.decode()
    assert ShortPost.objects.filter(author=alice).count() == 0


def test_a_reply_outlives_its_deleted_parent(alice, bob):
    root = post(alice, "root")
    reply = post(bob, "reply", reply_to=root)
    services.do_delete(alice, root)
    page = Client().get(f"/now/{reply.pk}/").content.decode()
    assert "Replying to a post that is gone" in page


def test_likes_and_reposts(alice, bob):
    short = post(alice, "Water at the school gym #shelter")
    assert services.do_like(bob, short) is True
    assert services.do_like(bob, short) is False
    repost = services.do_repost(bob, short)
    assert services.do_repost(bob, short) == repost
    short.refresh_from_db()
    assert (short.like_count, short.repost_count) == (1, 1)
    page = Client().get(f"/now/@{bob.username}/").content.decode()
    assert "Bob reposted" in page and "Water at the school gym" in page
    services.do_unlike(bob, short)
    assert ShortPostLike.objects.count() == 0
    with pytest.raises(Exception, match="own post"):
        services.do_repost(alice, short)


def test_only_public_posts_can_be_reposted(alice, bob):
    from koe.social import follows

    follows.do_follow(bob, alice.blog)
    short = post(alice, "close friends", visibility="followers")
    with pytest.raises(Exception, match="Only public posts"):
        services.do_repost(bob, short)


def test_blocked_people_cannot_react(alice, bob):
    short = post(alice, "hello")
    account_services.do_block(alice, bob)
    with pytest.raises(Exception, match="cannot react"):
        services.do_like(bob, short)


def test_deleting_removes_post_and_images_and_tells_streams(alice_client, alice, bob):
    alice_client.post("/now/post", {"text": "oops", "visibility": "public", "images": _png()})
    short = ShortPost.objects.get()
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.post(f"/now/{short.pk}/delete").status_code == 403
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert alice_client.post(f"/now/{short.pk}/delete").status_code == 302
    assert ShortPost.objects.count() == 0 and Image.objects.count() == 0
    assert Event.objects.order_by("-id").first().kind == "delete"


def test_latest_public_post_is_a_bubble_on_the_blog(client, alice):
    post(alice, "An older thought")
    post(alice, "The newest thought")
    post(alice, "Only for followers", visibility="followers")
    page = client.get(f"/@{alice.username}/").content.decode()
    assert "now-bubble" in page and "The newest thought" in page
    assert "Only for followers" not in page and "An older thought" not in page


def test_timelines_page_older_posts_and_new_ones(client, alice, monkeypatch):
    monkeypatch.setattr(services, "POSTS_PER_MINUTE", 100)
    posts = [post(alice, f"number {i}") for i in range(35)]
    first = client.get("/now/").content.decode()
    assert "number 34" in first and "number 4" not in first and "?before=" in first
    older = client.get(f"/now/?before={posts[5].pk}").content.decode()
    assert "number 4" in older and "number 34" not in older
    newer = client.get(f"/now/?after={posts[32].pk}").content.decode()
    assert "number 33" in newer and "number 34" in newer and "number 32" not in newer
    assert "<html" not in newer  # a fragment for the "new posts" bar


def test_pages_have_no_inline_script(client, alice):
    short = post(alice, "hi")
    for url in ("/now/", f"/now/{short.pk}/", "/now/tags/x/", f"/now/@{alice.username}/"):
        page = client.get(url).content.decode()
        assert "<script>" not in page and ' style="' not in page, url


def test_deleted_account_takes_its_posts(alice, bob):
    post(alice, "bye")
    make_user("carol")
    account_services.do_delete_account(alice)
    assert ShortPost.objects.count() == 0


def test_demo_timeline_is_written_once(alice, bob):
    from koe.now import demo

    people = [alice, bob, make_user("carol"), make_user("dave"), make_user("erin")]
    lines = []
    assert demo.populate(people, lines.append) == len(demo.POSTS)
    assert demo.populate(people, lines.append) == 0
    assert ShortPost.objects.filter(is_reply=True).count() == 2
    assert "#東京" in Client().get("/now/").content.decode()
    assert len(lines) == 2
