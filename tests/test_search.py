"""Search finds Japanese by one or two characters, English by words, the better match
first, keeps up with edits, and never shows a post to someone who may not read it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from koe.accounts.services import do_block
from koe.blogs import services as blog_services
from koe.blogs.models import Blog, Genre, Post
from koe.discovery.models import SearchDocument
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
     "-猫 OR *", "!!!???", "'; DROP TABLE x; --", "#", "東京" * 300, "a:b", "^猫", "猫\x00"],
)  # fmt: skip
def test_bad_queries_never_fail(client, posts, query):
    response = client.get("/search", {"q": query})
    assert response.status_code == 200
    response = client.get("/search", {"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200


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
