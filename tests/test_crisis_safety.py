"""Safety check-in (安否確認): followers hear of it, anyone finds it by name, searches are found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koe.accounts import services as account_services
from koe.crisis import safety, services
from koe.crisis.names import fold
from koe.social import follows
from koe.social.models import Notification
from tests.conftest import make_user

SAFETY = Notification.Kind.SAFETY


@pytest.fixture
def crisis(staff):
    return services.do_declare(
        staff, name="能登半島地震", area="石川県", started_at=timezone.now() - timedelta(hours=1)
    )


def check_in(user, crisis, capture, **fields):
    with capture(execute=True):
        return safety.do_check_in(user, crisis, **fields)


def test_followers_are_told_once(crisis, alice, bob, django_capture_on_commit_callbacks):
    carol = make_user("carol", language="ja")
    follows.do_follow(bob, alice.blog)
    follows.do_follow(carol, alice.blog)
    _checkin, created = check_in(
        alice, crisis, django_capture_on_commit_callbacks, message="I am fine", area="輪島"
    )
    assert created
    told = Notification.objects.filter(kind=SAFETY, actor=alice)
    assert sorted(n.recipient.username for n in told) == ["bob", "carol"]
    assert "Alice is safe" in told.get(recipient=bob).text
    assert "I am fine" in told.get(recipient=bob).text
    assert "Alice" in told.get(recipient=carol).text  # written in carol's language (ja)
    # A second check-in updates the words and tells nobody again; the job is safe to repeat.
    _checkin, created = check_in(
        alice, crisis, django_capture_on_commit_callbacks, message="still fine"
    )
    assert not created
    assert safety.notify_followers_of_checkin.call_local(_checkin.pk) == 0
    assert told.count() == 2
    # It shows on the reader's notifications page.
    client = Client()
    client.force_login(bob)
    assert "Alice is safe" in client.get("/notifications/").content.decode()


def test_a_blocked_follower_is_not_told(crisis, alice, bob, django_capture_on_commit_callbacks):
    follows.do_follow(bob, alice.blog)
    account_services.do_block(alice, bob)
    check_in(alice, crisis, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind=SAFETY, recipient=bob).exists()


@pytest.mark.parametrize(
    "query",
    ["山田", "山田太郎", "山田 太郎", "太郎", "taro", "TARO_Y", "ｔａｒｏ", "yamada"],
)
def test_search_by_display_name_or_username_japanese_too(
    crisis, query, django_capture_on_commit_callbacks
):
    taro = make_user("taro_yamada", display_name="山田 太郎")
    check_in(taro, crisis, django_capture_on_commit_callbacks, message="避難所にいます")
    found = safety.search_checkins(crisis, query)
    assert [c.user for c in found] == [taro]
    page = Client().get(f"/crisis/{crisis.pk}/people/", {"q": query}).content.decode()
    assert "避難所にいます" in page and "山田 太郎" in page


def test_kana_width_and_spacing_fold_alike(crisis, django_capture_on_commit_callbacks):
    hanako = make_user("hanako", display_name="さとう はなこ")
    check_in(hanako, crisis, django_capture_on_commit_callbacks)
    for query in ("サトウハナコ", "ｻﾄｳ ﾊﾅｺ", "はなこ", "さとう　はなこ"):
        assert [c.user for c in safety.search_checkins(crisis, query)] == [hanako], query
    assert fold("ｻﾄｳ") == fold("さとう") == "サトウ"


def test_search_finds_nobody_for_nothing_or_a_stranger(
    crisis, alice, django_capture_on_commit_callbacks
):
    check_in(alice, crisis, django_capture_on_commit_callbacks)
    assert list(safety.search_checkins(crisis, "")) == []
    assert list(safety.search_checkins(crisis, "   ")) == []
    assert list(safety.search_checkins(crisis, "鈴木")) == []
    assert (
        "Nobody of that name"
        in Client().get(f"/crisis/{crisis.pk}/people/?q=鈴木").content.decode()
    )


def test_check_ins_of_another_crisis_are_not_found(
    crisis, staff, alice, django_capture_on_commit_callbacks
):
    other = services.do_declare(
        staff, name="台風", area="千葉", started_at=timezone.now() - timedelta(hours=1)
    )
    check_in(alice, other, django_capture_on_commit_callbacks)
    assert list(safety.search_checkins(crisis, "alice")) == []


def test_someone_who_blocked_the_searcher_is_not_found_by_them(
    crisis, alice, bob, django_capture_on_commit_callbacks
):
    check_in(alice, crisis, django_capture_on_commit_callbacks)
    account_services.do_block(alice, bob)
    assert list(safety.search_checkins(crisis, "alice", bob)) == []
    assert len(safety.search_checkins(crisis, "alice")) == 1


def test_looking_for_shows_found_when_they_check_in(
    crisis, bob, django_capture_on_commit_callbacks
):
    search = safety.do_look_for(bob, crisis, name="やまだ たろう", area="輪島", note="祖父です")
    also = safety.do_look_for(bob, crisis, name="taro_yamada")
    other = safety.do_look_for(bob, crisis, name="山田")  # too short to be sure: stays open
    assert not search.is_found
    taro = make_user("taro_yamada", display_name="ヤマダ タロウ")
    check_in(taro, crisis, django_capture_on_commit_callbacks, message="元気です")
    for entry in (search, also, other):
        entry.refresh_from_db()
    assert search.is_found and search.found_checkin.user == taro
    assert also.is_found
    assert not other.is_found
    told = Notification.objects.filter(kind=SAFETY, recipient=bob, actor=taro)
    assert told.count() == 2 and "checked in as safe" in told.first().text
    page = Client().get(f"/crisis/{crisis.pk}/people/").content.decode()
    assert "Found" in page and "元気です" in page and "祖父です" in page


def test_looking_for_someone_who_checked_in_already_is_found_at_once(
    crisis, alice, bob, django_capture_on_commit_callbacks
):
    check_in(alice, crisis, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(bob)
    response = client.post(
        f"/crisis/{crisis.pk}/looking-for/", {"name": "Alice", "area": "", "note": ""}
    )
    assert response.status_code == 302
    entry = bob.crisis_searches.get()
    assert entry.is_found and entry.found_checkin.user == alice


def test_the_seeker_marks_found_and_nobody_else_can(crisis, alice, bob):
    entry = safety.do_look_for(bob, crisis, name="Grandma Sato")
    other = Client()
    other.force_login(alice)
    response = other.post(f"/crisis/looking-for/{entry.pk}/found/")
    assert response.status_code == 403
    entry.refresh_from_db()
    assert not entry.is_found
    mine = Client()
    mine.force_login(bob)
    assert mine.post(f"/crisis/looking-for/{entry.pk}/found/").status_code == 302
    entry.refresh_from_db()
    assert entry.is_found and entry.found_checkin is None


def test_check_in_through_the_page(crisis, alice, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/crisis/{crisis.pk}/check-in/", {"message": "無事です", "area": "金沢"}
        )
    assert response.status_code == 302
    html = client.get(f"/crisis/{crisis.pk}/").content.decode()
    assert "You checked in as safe" in html and "無事です" in html
