"""Search finds Japanese by one or two characters, English by words, the better match
first, keeps up with edits, and never shows a post to someone who may not read it."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from koe.accounts.services import do_block
from koe.blogs import services as blog_services
from koe.blogs.models import Blog, Genre, Post
from koe.discovery import index
from koe.discovery.models import SearchDocument
from koe.discovery.tokens import query_terms
from tests.conftest import make_user, publish

pytestmark = pytest.mark.django_db(transaction=False)


def search(client, q, **params):
    response = client.get("/search", {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def posts(alice):
    return {
        "tokyo": publish(alice, title="東京の朝", body="今朝の東京は晴れでした。"),
        "quake": publish(alice, title="ニュース", body="昨夜、大きな地震がありました。"),
        "cat": publish(alice, title="うちの子", body="猫が窓辺で寝ている。"),
        "mixed": publish(alice, title="Django入門", body="PythonとDjangoでブログを作る。"),
        "english": publish(alice, title="Morning walk", body="The river was quiet today."),
    }


@pytest.mark.parametrize(
    ("query", "found", "absent"),
    [
        ("東京", "東京の朝", "ニュース"),
        ("地震", "ニュース", "東京の朝"),
        ("猫", "うちの子", "ニュース"),
        ("Django", "Django入門", "Morning walk"),
        ("django ブログ", "Django入門", "東京の朝"),
        ("river QUIET", "Morning walk", "Django入門"),
        ("ｄｊａｎｇｏ", "Django入門", "Morning walk"),  # full-width, NFKC
    ],
)
def test_japanese_mixed_and_english_queries_find_their_posts(client, posts, query, found, absent):
    page = search(client, query)
    assert found in page
    assert absent not in page


def test_every_term_must_match(client, posts):
    page = search(client, "東京 猫")
    assert "東京の朝" not in page and "うちの子" not in page


def test_matches_are_highlighted_and_escaped(client, alice):
    publish(alice, title="Escaping", body="<b>猫</b> & 犬 are friends")
    page = search(client, "猫")
    assert "<mark>猫</mark>" in page
    assert "<b>猫" not in page


def test_better_match_ranks_first(client, alice):
    weak = publish(alice, title="日記", body="今日は色々あった。途中で猫を見た。" + "散歩。" * 40)
    strong = publish(alice, title="猫の話", body="猫、猫、猫。うちの猫は可愛い。")
    page = search(client, "猫")
    assert page.index(strong.title) < page.index(weak.title)


def test_edits_reindex_and_hiding_or_deleting_removes(client, alice):
    post = publish(alice, title="春の日", body="桜が咲いた。")
    assert "春の日" in search(client, "桜")
    blog_services.do_save_post(
        alice.blog, post=post, title="春の日", body="雨が降った。", publish=True
    )
    assert "春の日" not in search(client, "桜")
    assert "春の日" in search(client, "雨")
    blog_services.do_save_post(
        alice.blog, post=post, title="春の日", body="雨が降った。", publish=True,
        visibility=Post.Visibility.PRIVATE,
    )  # fmt: skip
    assert not SearchDocument.objects.filter(post_id=post.pk).exists()
    assert "春の日" not in search(client, "雨")
    other = publish(alice, title="夏の日", body="雨が降った。")
    blog_services.do_delete_post(other)
    assert not SearchDocument.objects.exists()
    assert "夏の日" not in search(client, "雨")


def test_tags_are_searchable_and_listed(client, alice):
    publish(alice, title="Holiday", body="Nothing here.", tags=["kyoto"])
    page = search(client, "kyoto")
    assert "Holiday" in page
    assert "#kyoto" in page


@pytest.mark.parametrize("visibility", ["members", "private", "draft"])
def test_hidden_posts_never_enter_the_index_or_the_results(alice, client, visibility):
    if visibility == "draft":
        publish(alice, title="秘密の下書き", body="秘密の猫", publish=False)
    else:
        publish(alice, title="秘密の記事", body="秘密の猫", visibility=visibility)
    assert not SearchDocument.objects.exists()
    bob = make_user("bob")
    for viewer in (None, bob, alice):
        client.logout()
        if viewer:
            client.force_login(viewer)
        page = search(client, "秘密")
        assert "秘密の" not in page


def test_blocked_people_do_not_find_each_other(client, alice):
    publish(alice, title="見える記事", body="公開の猫")
    bob = make_user("bob")
    do_block(alice, bob)
    client.force_login(bob)
    assert "見える記事" not in search(client, "猫")


def test_filters_blog_official_and_genre(client, alice):
    carol = make_user("carol")
    publish(alice, title="Alice cats", body="猫")
    publish(carol, title="Carol cats", body="猫")
    genre = Genre.objects.first() or Genre.objects.create(
        slug="pets", name_ja="ペット", name_en="Pets"
    )
    Blog.objects.filter(owner=carol).update(official_category="musician", genre=genre)
    page = search(client, "猫", blog="alice")
    assert "Alice cats" in page and "Carol cats" not in page
    page = search(client, "猫", official="1")
    assert "Carol cats" in page and "Alice cats" not in page
    page = search(client, "猫", genre=genre.slug)
    assert "Carol cats" in page and "Alice cats" not in page


def test_matching_blogs_are_listed(client, alice):
    Blog.objects.filter(owner=alice).update(title="猫と暮らす", description="Cats")
    assert "猫と暮らす" in search(client, "猫")


@pytest.mark.parametrize(
    ("query", "found"),
    [("猫", True), ("暮らし", True), ("猫と暮らし", True), ("ｃａｔｓ", True), ("Tokyo", True),
     ("犬", False), ("猫と犬", False), ("dogs", False)],
)  # fmt: skip
def test_blogs_are_found_by_title_and_description_terms(client, alice, query, found):
    Blog.objects.filter(owner=alice).update(title="猫と暮らし日記", description="Cats in Tokyo")
    response = client.get("/search", {"q": query}, headers={"HX-Request": "true"})
    assert ("猫と暮らし日記" in response.content.decode()) is found


def test_blogs_of_blocked_or_inactive_people_are_not_listed(client, alice):
    Blog.objects.filter(owner=alice).update(title="猫と暮らす")
    bob = make_user("bob")
    do_block(alice, bob)
    client.force_login(bob)
    assert "猫と暮らす" not in search(client, "猫")
    client.logout()
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert "猫と暮らす" not in search(client, "猫")


def test_htmx_gets_the_results_alone(client, posts):
    response = client.get("/search", {"q": "東京"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "東京の朝" in body
    assert "<html" not in body
    full = search(client, "東京")
    assert 'hx-get="/search"' in full and "delay:300ms" in full


def test_as_you_type_matches_the_unfinished_word(client, posts):
    response = client.get("/search", {"q": "Djan"}, headers={"HX-Request": "true"})
    assert "Django入門" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["", " ", "x" * 500, '"', "*", "NEAR", "-", "(", ")", '"unbalanced', "東京 NEAR(猫)",
     "-猫 OR *", "!!!???", "'; DROP TABLE x; --", "#", "東京" * 300, "a:b", "^猫", "猫\x00",
     "AND", "OR", "NOT", "猫 AND", "NOT 猫", "猫 OR 犬", "東京 AND NOT 猫", "(猫 OR 犬)",
     "terms:猫", "{terms}:猫", "title:Django", "- terms : 猫", "猫*", "^", ":", "+猫",
     "猫 NEAR/2 犬", "東京 & 猫", "猫 | 犬", "!猫", "猫 <-> 犬", "猫:*", "'猫'", "''", "\\",
     "%", "_", "%%__", "\u3000", "\u200b", "🐱", "猫\n犬", "Djan*", "\"Django\"", "「東京」"],
)  # fmt: skip
def test_bad_queries_never_fail(client, posts, query):
    response = client.get("/search", {"q": query})
    assert response.status_code == 200
    response = client.get("/search", {"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "search-hit" in body or "empty-state" in body


@pytest.mark.parametrize(
    ("query", "found"),
    [("(Django)", "Django入門"), ('"river"', "Morning walk"), ("-猫", "うちの子"),
     ("猫*", "うちの子"), ("「東京」", "東京の朝"), ("^猫", "うちの子"),
     ("{river}:", "Morning walk")],
)  # fmt: skip
def test_syntax_characters_are_ignored_and_the_words_still_found(client, posts, query, found):
    assert found in search(client, query)


def test_punctuation_only_says_nothing_was_found(client, posts):
    page = search(client, "!!!???")
    assert "Nothing found for" in page and "search-hit" not in page


def test_fts_words_are_plain_text(client, alice):
    publish(alice, title="Near the sea", body="We stood near the water.")
    assert "Near the sea" in search(client, "NEAR")
    assert "Near the sea" in search(client, '"near')


def test_long_query_is_capped(client, posts):
    page = search(client, "東京" + "あ" * 500)
    assert "あ" * 101 not in page


def test_reindex_twice_gives_the_same_index(client, alice):
    publish(alice, title="東京", body="地震と猫")
    publish(alice, title="Draft", body="猫", publish=False)
    SearchDocument.objects.all().delete()
    out = io.StringIO()
    call_command("reindex", stdout=out)
    first = sorted(SearchDocument.objects.values_list("post_id", "terms"))
    call_command("reindex", stdout=out)
    second = sorted(SearchDocument.objects.values_list("post_id", "terms"))
    assert first == second and len(first) == 1
    assert "1/1" in out.getvalue()
    assert search(client, "地震").count("<mark>") >= 1


def test_scheduled_post_is_indexed_when_it_comes_out(client, alice):
    later = timezone.now() + timedelta(hours=1)
    post = publish(alice, title="予約の記事", body="花火大会", publish_at=later)
    assert "予約の記事" not in search(client, "花火")
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    blog_services.announce_due_posts()
    assert "予約の記事" in search(client, "花火")


def test_page_speaks_japanese(client, posts):
    response = client.get("/search", {"q": "存在しない言葉"}, headers={"accept-language": "ja"})
    assert "見つかりませんでした" in response.content.decode()


def _published(user, title, body, days_ago):
    return publish(
        user, title=title, body=body, publish_at=timezone.now() - timedelta(days=days_ago)
    )


def test_date_filter_by_period_and_by_days(client, alice):
    _published(alice, "Today cats", "猫の話", 0)
    _published(alice, "Last week cats", "猫の話", 5)
    _published(alice, "Old cats", "猫の話", 400)
    page = search(client, "猫", period="day")
    assert "Today cats" in page and "Last week cats" not in page and "Old cats" not in page
    page = search(client, "猫", period="month")
    assert "Last week cats" in page and "Old cats" not in page
    assert 'value="month" selected' in page  # the choice stays in the form, and in the URL
    page = search(client, "猫", period="")
    assert "Old cats" in page
    # Dates are the reader's (Asia/Tokyo for a reader signed out): after 15:00 UTC, Tokyo's
    # date is a day ahead of UTC's.
    old = timezone.localdate(timezone.now() - timedelta(days=400), ZoneInfo("Asia/Tokyo"))
    page = search(client, "猫", since=old.isoformat(), until=old.isoformat())
    assert "Old cats" in page and "Today cats" not in page
    page = search(client, "猫", since=(timezone.now() - timedelta(days=10)).date().isoformat())
    assert "Last week cats" in page and "Today cats" in page and "Old cats" not in page


@pytest.mark.parametrize(
    "params",
    [{"since": "2024-13-45"}, {"until": "yesterday"}, {"period": "century"},
     {"since": "2025-05-02", "until": "2025-05-01"}, {"page": "two"}, {"page": "0"},
     {"page": "-3"}, {"since": "9" * 300}],
)  # fmt: skip
def test_bad_filters_are_refused_with_a_message(client, posts, params):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/search", {"q": "東京", **params}, headers=headers)
        assert response.status_code == 400
        body = response.content.decode()
        assert 'role="alert"' in body and "東京の朝" not in body


def test_results_come_in_pages_with_more_results(client, alice):
    for i in range(45):
        publish(alice, title=f"Cat note {i:02d}", body="猫が好き")
    page = search(client, "猫")
    assert page.count('class="card post-card search-hit"') == 20
    assert "More results" in page and "page=2" in page
    seen = set(re.findall(r"Cat note \d\d", page))
    more = client.get("/search", {"q": "猫", "page": "2"}, headers={"HX-Request": "true"})
    assert more.status_code == 200
    body = more.content.decode()
    assert "<html" not in body and body.count("search-hit") == 20 and "page=3" in body
    seen |= set(re.findall(r"Cat note \d\d", body))
    last = client.get("/search", {"q": "猫", "page": "3"}, headers={"HX-Request": "true"})
    body = last.content.decode()
    assert body.count("search-hit") == 5 and "More results" not in body
    seen |= set(re.findall(r"Cat note \d\d", body))
    assert len(seen) == 45  # every post once, none twice
    beyond = search(client, "猫", page="999")  # capped to the last page there can be
    assert beyond.count("search-hit") == 0


def test_more_results_keep_the_query_the_filters_and_the_unfinished_word(client, alice):
    for i in range(25):
        publish(alice, title=f"Django note {i}", body="Django")
    response = client.get(
        "/search", {"q": "Djan", "period": "week"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.count("search-hit") == 20
    link = re.search(r'hx-get="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "q=Djan" in link and "period=week" in link and "page=2" in link and "prefix=1" in link
    more = client.get(link, headers={"HX-Request": "true"})
    assert more.content.decode().count("search-hit") == 5


def test_hidden_posts_are_not_counted_into_pages(client, alice):
    for i in range(21):
        publish(alice, title=f"Open {i}", body="猫")
    hidden = Post.objects.filter(title="Open 0").get()
    Post.objects.filter(pk=hidden.pk).update(visibility=Post.Visibility.PRIVATE)  # index stale
    page = search(client, "猫")
    assert page.count("search-hit") == 20 and "Open 0<" not in page
    body = client.get("/search", {"q": "猫", "page": 2}, headers={"HX-Request": "true"}).content
    assert body.decode().count("search-hit") == 0


def test_a_blog_page_has_a_box_that_searches_that_blog(client, alice):
    carol = make_user("carol")
    publish(alice, title="Alice cats", body="猫")
    publish(carol, title="Carol cats", body="猫")
    page = client.get("/@alice/").content.decode()
    assert 'name="blog" value="alice"' in page and 'action="/search"' in page
    result = search(client, "猫", blog="alice")
    assert "Alice cats" in result and "Carol cats" not in result
    assert "Within @alice" in result


def test_searching_a_blog_never_shows_its_hidden_posts(client, alice):
    publish(alice, title="秘密", body="猫の秘密", visibility="members")
    publish(alice, title="公開", body="猫の公開")
    page = search(client, "猫", blog="alice")
    assert "公開" in page and "猫の秘密" not in page


def test_a_common_word_gives_its_newest_matches_run_by_run(alice, monkeypatch):
    monkeypatch.setattr(index, "CANDIDATES", 4)
    for i in range(14):
        publish(alice, title=f"Note {i}", body="猫と犬" if i % 3 else "犬だけ")
    # Spread the documents over PostgreSQL's runs of ids (2,048 and 32,768 ids, see
    # index.RUNS): the newest small runs hold 1 of them, the newest 2 big ones 3, 8 big ones
    # 11, so every step is taken before the newest 4 are found.
    for n, doc in enumerate(SearchDocument.objects.order_by("id"), 1):
        SearchDocument.objects.filter(pk=doc.pk).update(id=1_000_000 + n)
    for n in range(1, 15):
        SearchDocument.objects.filter(pk=1_000_000 + n).update(id=n * 25_000)
    matching = SearchDocument.objects.filter(terms__contains="猫").order_by("-id")
    newest = list(matching.values_list("post_id", flat=True)[:4])
    assert sorted(hit.post_id for hit in index.search(["猫"])) == sorted(newest)
    rare = SearchDocument.objects.filter(terms__contains="だけ").order_by("-id")
    assert rare.count() == 5
    found = [hit.post_id for hit in index.search(["だけ"])]
    assert sorted(found) == sorted(rare.values_list("post_id", flat=True)[:4])


def test_a_word_being_typed_is_found_by_its_beginning_however_long(alice):
    publish(alice, title="International news", body="Interesting times.")
    publish(alice, title="Internal memo", body="Nothing else.")
    publish(alice, title="Winter", body="Interrupted sleep.")

    def found(typed):
        hits = index.search(query_terms(typed), prefix_last=True)
        return sorted(Post.objects.get(pk=h.post_id).title for h in hits)

    assert found("inte") == ["Internal memo", "International news", "Winter"]
    assert found("intern") == ["Internal memo", "International news"]
    assert found("internati") == ["International news"]  # past the 6 letters indexed
    assert found("news intern") == ["International news"]
    assert found("interrupted") == ["Winter"]  # the whole word is its own beginning
    assert found("internationally") == []


@pytest.mark.parametrize("few_documents", [0, 20_000])
def test_one_blog_is_searched_alike_from_its_documents_or_from_the_index(
    client, alice, monkeypatch, few_documents
):
    monkeypatch.setattr(index, "FEW_DOCUMENTS", few_documents)
    carol = make_user("carol")
    publish(alice, title="Alice cats", body="猫と暮らす")
    publish(alice, title="Alice dogs", body="犬と暮らす")
    publish(carol, title="Carol cats", body="猫と暮らす")
    page = search(client, "猫", blog="alice")
    assert "Alice cats" in page and "Carol cats" not in page and "Alice dogs" not in page
    assert "Nothing found" in search(client, "猫", blog="nobody")


def test_as_you_type_needs_three_letters_before_matching_a_prefix(client, posts):
    def typed(q):
        return client.get("/search", {"q": q}, headers={"HX-Request": "true"}).content.decode()

    assert "Django入門" not in typed("Dj")  # "dj…" alone would gather every word in dj
    assert "Django入門" in typed("Dja")


def test_as_you_type_finds_blogs_by_the_unfinished_word(client, alice):
    Blog.objects.filter(owner=alice).update(title="Gardening notes")
    response = client.get("/search", {"q": "Garde"}, headers={"HX-Request": "true"})
    assert "Gardening notes" in response.content.decode()
