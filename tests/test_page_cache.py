"""Signed-out readers get cached pages; nobody else does, nothing private gets in, and an
edit shows at once."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koe.analytics import capture
from koe.analytics.models import Hit
from koe.blogs import memberships
from koe.blogs import services as blog_services
from koe.blogs.models import Post
from koe.core import fastpath, pagecache
from koe.social import services as social_services
from tests.agents import WINDOWS
from tests.conftest import make_user, publish

ORIGIN = "http://testserver"


def reader(**headers) -> Client:
    """A signed-out browser."""
    headers.setdefault("HTTP_USER_AGENT", WINDOWS)
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return Client(**headers)


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return response


def warm(*urls):
    """Before a blog's first page is kept, a process must have rendered one of its pages
    once: it learns which blog the name is, and reads its generation before the next."""
    pagecache.forget_local()
    for url in urls:
        reader().get(url)


# ### Who gets a cached page ###


@pytest.mark.parametrize("url", ["/", "/@alice/", "POST", "/tags/tokyo/", "/@alice/?page=1"])
def test_signed_out_readers_get_the_page_rendered_once(public_post, url):
    url = public_post.get_absolute_url() if url == "POST" else url
    warm(url)
    first = get(reader(), url)
    assert first["X-Koe-Cache"] in ("miss", "hit")  # kept now, or already by warm()
    with CaptureQueriesContext(connection) as queries:
        second = get(reader(), url)
    assert second["X-Koe-Cache"] == "hit"
    assert not [q["sql"] for q in queries if "blogs_" in q["sql"] or "accounts_" in q["sql"]]
    assert second.content == first.content and "A public post" in second.content.decode()
    assert "public" in second["Cache-Control"] and "s-maxage=" in second["Cache-Control"]
    assert {"cookie", "accept-language"} <= {v.strip().lower() for v in second["Vary"].split(",")}
    # The same page for everybody: no one's CSRF token and no cookie in it.
    assert not second.cookies and not first.cookies
    assert not re.search(r'csrfmiddlewaretoken" value="\w', second.content.decode())


def test_a_signed_in_reader_never_gets_the_cached_page(public_post, bob):
    warm(public_post.get_absolute_url())
    get(reader(), public_post.get_absolute_url())
    assert get(reader(), public_post.get_absolute_url())["X-Koe-Cache"] == "hit"
    client = reader()
    client.force_login(bob)
    page = get(client, public_post.get_absolute_url())
    assert "X-Koe-Cache" not in page
    assert "/@bob/" in page.content.decode()  # the header's "My blog" is theirs
    assert "Log out" in page.content.decode() and page["Cache-Control"] == "private"


def test_no_one_gets_a_page_made_for_another_person(public_post, bob):
    carol = make_user("carol", display_name="Carol")
    for person in (bob, carol):
        client = reader()
        client.force_login(person)
        body = get(client, public_post.get_absolute_url()).content.decode()
        assert f"/@{person.username}/" in body
        assert "/@bob/" not in body if person == carol else "/@carol/" not in body
    anonymous = get(reader(), public_post.get_absolute_url()).content.decode()
    assert "/@bob/" not in anonymous and "/@carol/" not in anonymous and "Log out" not in anonymous


def test_htmx_parts_and_unknown_parameters_go_to_the_views(public_post):
    url = public_post.get_absolute_url()
    for _ in range(2):
        assert "X-Koe-Cache" not in reader().get(url + "?utm=x")
        assert "X-Koe-Cache" not in reader().get(url, HTTP_HX_REQUEST="true")


# ### Nothing private in a public entry ###


def test_members_only_and_private_posts_are_never_cached(alice, bob):
    members = publish(alice, title="For members", body="Secret soup recipe.", visibility="members")
    private = publish(alice, title="Diary", body="Only mine.", visibility="private")
    publish(alice, title="Open", body="Hello all.")
    membership = memberships.do_request_membership(alice.blog, bob)
    memberships.do_decide_membership(membership, approve=True)
    member = reader()
    member.force_login(bob)
    assert "Secret soup recipe." in get(member, members.get_absolute_url()).content.decode()
    assert "Secret soup recipe." in get(member, "/@alice/").content.decode()
    for _ in range(2):  # rendered, then (for the blog page) from the cache
        locked = reader().get(members.get_absolute_url())
        assert "Secret soup recipe." not in locked.content.decode()
        assert "X-Koe-Cache" not in locked
        assert reader().get(private.get_absolute_url()).status_code == 404
        top = get(reader(), "/@alice/").content.decode()
        assert "Secret soup recipe." not in top and "Only mine." not in top and "Diary" not in top
    owner = reader()
    owner.force_login(alice)
    assert "Only mine." in get(owner, private.get_absolute_url()).content.decode()


# ### Changes show at once ###


def test_an_edit_shows_to_signed_out_readers_at_once(alice, public_post):
    url = f"/@alice/{public_post.pk}/"
    for _ in range(2):
        (
            get(reader(), url),
            get(reader(), "/"),
            get(reader(), "/@alice/"),
            get(reader(), "/tags/tokyo/"),
        )
    assert get(reader(), url)["X-Koe-Cache"] == "hit"
    publish(alice, post=public_post, title="A better title", body="New words.", tags=["tokyo"])
    for page in (url, "/", "/@alice/", "/tags/tokyo/"):
        body = get(reader(), page).content.decode()
        assert "A better title" in body and "A public post" not in body, page
    assert "New words." in get(reader(), url).content.decode()


def test_comments_likes_settings_and_deletion_show_at_once(alice, bob, public_post):
    url = public_post.get_absolute_url()
    get(reader(), url)
    social_services.do_comment(public_post, bob, body="Lovely post!")
    assert "Lovely post!" in get(reader(), url).content.decode()
    social_services.do_like(public_post, bob)
    assert re.search(r'like-count">1<', get(reader(), url).content.decode())
    blog_services.do_update_blog(alice.blog, title="Alice in Tokyo", theme="matcha")
    body = get(reader(), url).content.decode()
    assert "Alice in Tokyo" in body and "theme-matcha" in body
    blog_services.do_delete_post(Post.objects.get(pk=public_post.pk))
    assert reader().get(url).status_code == 404
    assert "A public post" not in get(reader(), "/").content.decode()


def test_a_new_post_reaches_the_front_page_and_the_blog_at_once(alice, public_post):
    get(reader(), "/"), get(reader(), "/@alice/")
    assert get(reader(), "/")["X-Koe-Cache"] == "hit"
    publish(alice, title="Breaking news")
    assert "Breaking news" in get(reader(), "/").content.decode()
    assert "Breaking news" in get(reader(), "/@alice/").content.decode()


# ### HTTP caching ###


def test_a_reader_who_has_the_page_gets_304(public_post):
    url = f"/@alice/{public_post.pk}/"
    warm(url)
    first = get(reader(), url)
    etag, modified = first["ETag"], first["Last-Modified"]
    again = reader().get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert reader().get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert reader().get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    publish(public_post.blog.owner, post=public_post, title="Changed", tags=["tokyo"])
    changed = reader().get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


# ### Counting and languages ###


def test_analytics_counts_every_view_served_from_the_cache(public_post):
    url = public_post.get_absolute_url()
    warm(url)
    answers = [reader(REMOTE_ADDR=f"203.0.113.{i}").get(url) for i in range(1, 4)]
    assert [a["X-Koe-Cache"] for a in answers] == ["miss", "hit", "hit"]
    assert all("X-Koe-Count" not in a for a in answers)
    assert reader().get(url, HTTP_IF_NONE_MATCH=answers[0]["ETag"]).status_code == 304
    assert Hit.objects.filter(post=public_post).count() == 5  # with warm()'s


def test_each_language_gets_its_own_page(public_post):
    url = public_post.get_absolute_url()
    english = get(reader(HTTP_ACCEPT_LANGUAGE="en"), url).content.decode()
    japanese = get(reader(HTTP_ACCEPT_LANGUAGE="ja"), url).content.decode()
    assert '<html lang="en">' in english and '<html lang="ja">' in japanese
    assert get(reader(HTTP_ACCEPT_LANGUAGE="ja"), url)["X-Koe-Cache"] == "hit"
    switched = reader(HTTP_ACCEPT_LANGUAGE="ja")
    switched.cookies["django_language"] = "en"
    assert '<html lang="en">' in get(switched, url).content.decode()
    assert "2" not in get(reader(HTTP_ACCEPT_LANGUAGE="en"), url).get("X-Koe-Cache", "miss")


def test_the_language_switch_works_from_a_cached_page(public_post):
    url = public_post.get_absolute_url()
    get(reader(), url)
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ja")
    page = get(browser, url).content.decode()
    assert 'name="csrfmiddlewaretoken" value=""' in page  # no one's token
    form = {"language": "en", "next": url, "csrfmiddlewaretoken": ""}
    switched = browser.post("/i18n/setlang/", form, HTTP_ORIGIN=ORIGIN)
    assert switched.status_code == 302 and browser.cookies["django_language"].value == "en"
    assert '<html lang="en">' in get(browser, url).content.decode()


def test_tokenless_forms_still_need_our_origin_and_no_session(public_post, bob):
    form = {"language": "en", "next": "/"}
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/i18n/setlang/", form).status_code == 403  # no Origin: token needed
    evil = strict.post("/i18n/setlang/", form, HTTP_ORIGIN="https://evil.example")
    assert evil.status_code == 403
    strict.force_login(bob)
    assert strict.post("/i18n/setlang/", form, HTTP_ORIGIN=ORIGIN).status_code == 403


# ### The fast path in front of Django ###


def _asgi_get(app, path, *, headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver"), *headers],
        "client": ("198.51.100.9", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    async_to_sync(app)(scope, receive, send)
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def test_the_front_answers_cached_pages_with_the_same_bytes_headers_and_count(
    public_post, settings
):
    settings.KOE_ANALYTICS_BUFFERED = True  # the front runs in the event loop: no database
    url = public_post.get_absolute_url()
    warm(url)
    rendered = get(reader(), url)

    def not_django(scope, receive, send):
        raise AssertionError("a cached page went to Django")

    front = fastpath.wrap(not_django)
    agent = (b"user-agent", WINDOWS.encode())
    status, headers, body = _asgi_get(front, url, headers=[(b"accept-language", b"en"), agent])
    assert status == 200 and body == rendered.content
    assert headers[b"X-Koe-Cache"] == b"hit" and b"X-Koe-Count" not in headers
    assert b"script-src 'self'" in headers[b"Content-Security-Policy"]
    assert headers[b"X-Content-Type-Options"] == b"nosniff"
    capture.BUFFER.flush()
    assert Hit.objects.filter(post=public_post).count() == 3  # warm(), rendered, the front


def test_a_view_the_front_counts_is_classified_like_one_django_counts(public_post, settings):
    """The front counts from the ASGI scope: the same agent, referrer, host and (behind a
    proxy) address as the counting middleware reads from a request."""
    settings.KOE_PROXY_COUNT = 1
    url = public_post.get_absolute_url()
    warm(url)
    get(reader(HTTP_ACCEPT_LANGUAGE="en"), url)
    front = fastpath.wrap(None)
    seen = []
    for forwarded in (b"203.0.113.7", b"203.0.113.8", b"203.0.113.7"):
        _asgi_get(front, url, headers=[
            (b"user-agent", WINDOWS.encode()), (b"x-forwarded-for", forwarded),
            (b"referer", b"https://www.google.com/search?q=koe+blog"), (b"accept-language", b"en"),
        ])  # fmt: skip
        capture.BUFFER.flush()
        seen.append(Hit.objects.filter(post=public_post).latest("pk"))
    assert [h.labels.referrer_group for h in seen] == ["search"] * 3
    assert {h.labels.search_terms for h in seen} == {"koe blog"}
    assert {(h.labels.device, h.labels.browser, h.labels.os, h.labels.language) for h in seen} == {
        ("pc", "Chrome", "Windows", "en")
    }
    assert seen[0].visitor != seen[1].visitor and seen[0].visitor == seen[2].visitor
    assert {h.path for h in seen} == {url}


def test_the_front_leaves_signed_in_readers_and_misses_to_django(public_post):
    seen = []

    async def django(scope, receive, send):
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"from django"})

    front = fastpath.wrap(django)
    url = public_post.get_absolute_url()
    assert _asgi_get(front, url)[2] == b"from django"  # nothing cached yet
    warm(url)
    get(reader(HTTP_ACCEPT_LANGUAGE="ja"), url)
    session = [(b"cookie", b"sessionid=abc"), (b"accept-language", b"ja")]
    assert _asgi_get(front, url, headers=session)[2] == b"from django"
    assert _asgi_get(front, url, headers=[(b"accept-language", b"ja")])[2] != b"from django"
    assert seen == [url, url]


def test_the_cache_can_be_switched_off(public_post, settings):
    settings.KOE_PAGE_CACHE = False
    for _ in range(2):
        assert "X-Koe-Cache" not in get(reader(), public_post.get_absolute_url())
    assert pagecache.enabled() is False


# ### The uncached path stays lean ###


@pytest.mark.parametrize(
    ("url", "most"), [("/", 6), ("/@alice/", 10), ("POST", 14), ("/tags/tokyo/", 6)]
)
def test_uncached_pages_make_few_queries_and_none_per_post(alice, settings, url, most):
    """A signed-out reader's page costs the same with 3 posts as with 20, and little."""
    settings.KOE_PAGE_CACHE = False

    def count() -> int:
        first = Post.objects.filter(blog=alice.blog).order_by("published_at").first()
        with CaptureQueriesContext(connection) as queries:
            get(reader(), first.get_absolute_url() if url == "POST" else url)
        return len(
            [q for q in queries if "analytics_" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
        )

    for i in range(3):
        publish(alice, title=f"P{i}", tags=["tokyo", f"t{i}"])
    count()  # the first view of a process reads a few things once (the day's salt...)
    few = count()
    for i in range(3, 20):
        publish(alice, title=f"P{i}", tags=["tokyo", f"t{i}"])
    count()  # what other apps keep for a while (trends...) is made again after a publish
    assert count() == few <= most


def test_a_change_every_page_shows_retires_every_page(public_post):
    """A site-wide banner (a crisis) must not wait for cached pages to expire."""
    urls = ["/", "/@alice/", public_post.get_absolute_url(), "/tags/tokyo/"]
    warm(*urls)
    for url in urls:
        get(reader(), url)
    assert all(get(reader(), url)["X-Koe-Cache"] == "hit" for url in urls)
    pagecache.touch_layout()
    assert all(get(reader(), url)["X-Koe-Cache"] == "miss" for url in urls)
