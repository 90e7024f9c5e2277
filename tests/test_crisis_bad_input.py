"""Bad input and who may do what on the crisis hub: a clear message, a 4xx, nothing stored."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from koe.crisis import services
from koe.crisis.models import Alert, CheckIn, Crisis, Designation, LookingFor, Report, ReportVote
from tests.conftest import make_user

WHEN = "%Y-%m-%dT%H:%M"
TOKYO = ZoneInfo("Asia/Tokyo")


def local(moment) -> str:
    """A time as the form takes it: in the viewer's zone (Tokyo for these people)."""
    return timezone.localtime(moment, TOKYO).strftime(WHEN)


@pytest.fixture
def crisis(staff):
    return services.do_declare(
        staff, name="能登半島地震", area="石川県", started_at=timezone.now() - timedelta(hours=2)
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def counts() -> dict:
    models = (Crisis, Alert, CheckIn, LookingFor, Report, ReportVote, Designation)
    return {m.__name__: m.objects.count() for m in models}


def declaration(**fields):
    data = {
        "name": "台風15号",
        "area": "千葉県",
        "started_at": local(timezone.now() - timedelta(hours=1)),
        "areas": "",
    }
    return {**data, **fields}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Only staff or designated official accounts can declare a crisis."),
        ("ja", 'lang="ja"'),
    ],
)
def test_a_person_who_is_not_staff_cannot_declare(db, language, words):
    client = client_for(make_user("kenji", language=language))
    before = counts()
    for response in (
        client.get("/crisis/declare/", HTTP_ACCEPT_LANGUAGE=language),
        client.post("/crisis/declare/", declaration(), HTTP_ACCEPT_LANGUAGE=language),
    ):
        assert response.status_code == 403
        assert words in response.content.decode()
    assert counts() == before


def test_without_an_account_reading_works_and_writing_asks_to_log_in(crisis):
    reader = Client()
    before = counts()
    for path, data in (
        ("/crisis/declare/", declaration()),
        (f"/crisis/{crisis.pk}/check-in/", {"message": "hi"}),
        (f"/crisis/{crisis.pk}/alerts/", {"body": "hi"}),
        (f"/crisis/{crisis.pk}/looking-for/", {"name": "x"}),
        (
            f"/crisis/{crisis.pk}/reports/transit/",
            {"transit-place": "x", "transit-status": "running"},
        ),
        (f"/crisis/{crisis.pk}/end/", {}),
    ):
        response = reader.post(path, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert counts() == before
    assert reader.get(f"/crisis/{crisis.pk}/").status_code == 200


def test_only_staff_or_designated_accounts_post_alerts_or_end(crisis, alice):
    client = client_for(alice)
    before = counts()
    response = client.post(f"/crisis/{crisis.pk}/alerts/", {"body": "fake alert"})
    assert response.status_code == 403
    assert "Only staff or designated official accounts" in response.content.decode()
    response = client.post(f"/crisis/{crisis.pk}/end/")
    assert response.status_code == 403
    response = client.post(f"/crisis/{crisis.pk}/designate/", {"username": "alice"})
    assert response.status_code == 404
    assert counts() == before
    crisis.refresh_from_db()
    assert crisis.is_active


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": ""}, "This field is required."),
        ({"area": "   "}, "This field is required."),
        (
            {"started_at": local(timezone.now() + timedelta(days=1))},
            "cannot be in the future",
        ),
        ({"started_at": local(timezone.now() - timedelta(days=60))}, "30 days ago"),
        ({"started_at": "yesterday"}, "Enter a valid date/time."),
        ({"areas": ",".join(f"area{i}" for i in range(20))}, "At most 12 areas"),
    ],
)
def test_declaring_with_bad_fields_stores_nothing(staff, fields, message):
    before = counts()
    response = client_for(staff).post("/crisis/declare/", declaration(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def report_data(kind="transit", **fields):
    data = {
        "transit": {"place": "JR七尾線", "status": "stopped"},
        "supplies": {"place": "市役所", "subject": "水", "status": "available"},
        "shelter": {"place": "輪島市", "subject": "輪島中学校", "status": "open"},
    }[kind]
    return {f"{kind}-{k}": v for k, v in {**data, **fields}.items()}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("transit", {"place": ""}, "This field is required."),
        ("transit", {"place": "   "}, "This field is required."),
        ("supplies", {"subject": ""}, "This field is required."),
        ("shelter", {"place": ""}, "This field is required."),
        ("transit", {"place": "線" * 101}, "at most 100 characters"),
        ("transit", {"note": "n" * 301}, "at most 300 characters"),
        ("transit", {"area": "a" * 101}, "at most 100 characters"),
        ("transit", {"status": "open"}, "Select a valid choice."),
        ("supplies", {"status": "bogus"}, "Select a valid choice."),
        (
            "transit",
            {"observed_at": local(timezone.now() + timedelta(hours=2))},
            "That time is in the future.",
        ),
        (
            "shelter",
            {"observed_at": local(timezone.now() - timedelta(hours=5))},
            "That time is before the crisis began.",
        ),
        ("transit", {"observed_at": "13:61"}, "Enter a valid date/time."),
    ],
)
def test_bad_reports_store_nothing(crisis, alice, kind, fields, message):
    before = counts()
    response = client_for(alice).post(
        f"/crisis/{crisis.pk}/reports/{kind}/", report_data(kind, **fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_a_report_too_old_for_its_kind_is_refused(staff, alice):
    crisis = services.do_declare(
        staff, name="x", area="y", started_at=timezone.now() - timedelta(days=2)
    )
    seen = local(timezone.now() - timedelta(hours=4))
    response = client_for(alice).post(
        f"/crisis/{crisis.pk}/reports/transit/", report_data(observed_at=seen)
    )
    assert response.status_code == 400
    assert "shown for 3 hours" in response.content.decode()
    assert not Report.objects.exists()


def test_an_unknown_kind_or_vote_is_not_found(crisis, alice):
    client = client_for(alice)
    assert client.post(f"/crisis/{crisis.pk}/reports/weather/", {}).status_code == 404
    assert client.post("/crisis/reports/1/like/").status_code == 404
    assert client.get("/crisis/123456/").status_code == 404


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("check-in/", {"message": "m" * 141}, "at most 140 characters"),
        ("check-in/", {"area": "a" * 101}, "at most 100 characters"),
        ("looking-for/", {"name": ""}, "This field is required."),
        ("looking-for/", {"name": "n" * 101}, "at most 100 characters"),
        ("looking-for/", {"name": "・ "}, "Please give their name."),
        ("looking-for/", {"name": "x", "note": "n" * 301}, "at most 300 characters"),
        ("alerts/", {"body": ""}, "This field is required."),
        ("alerts/", {"body": "a" * 1001}, "at most 1000 characters"),
    ],
)
def test_bad_check_ins_searches_and_alerts_store_nothing(crisis, staff, path, data, message):
    before = counts()
    response = client_for(staff).post(f"/crisis/{crisis.pk}/{path}", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_japanese_messages(crisis):
    response = client_for(make_user("kenji", language="ja")).post(
        f"/crisis/{crisis.pk}/reports/transit/",
        report_data(place=""),
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert "このフィールドは必須です。" in response.content.decode()


def test_floods_are_refused(crisis, alice):
    client = client_for(alice)
    answers = [
        client.post(
            f"/crisis/{crisis.pk}/reports/transit/", report_data(place=f"line {i}")
        ).status_code
        for i in range(12)
    ]
    assert answers[:10] == [302] * 10 and answers[10:] == [429, 429]
    assert Report.objects.count() == 10
    answers = [
        client.post(f"/crisis/{crisis.pk}/check-in/", {"message": str(i)}).status_code
        for i in range(11)
    ]
    assert answers[-1] == 429
    assert CheckIn.objects.get().message == "9"


def test_too_many_open_searches(crisis, alice):
    client = client_for(alice)
    for i in range(20):
        assert (
            client.post(f"/crisis/{crisis.pk}/looking-for/", {"name": f"p{i}"}).status_code == 302
        )
    response = client.post(f"/crisis/{crisis.pk}/looking-for/", {"name": "one more"})
    assert response.status_code in (400, 429)
    assert LookingFor.objects.count() == 20


def test_designating_a_person_who_is_not_official_says_why(crisis, staff, alice):
    response = client_for(staff).post(f"/crisis/{crisis.pk}/designate/", {"username": "alice"})
    assert response.status_code == 400
    assert "Only official (verified) accounts" in response.content.decode()
    response = client_for(staff).post(f"/crisis/{crisis.pk}/designate/", {"username": "nobody"})
    assert response.status_code == 400 and "no such account" in response.content.decode()
    assert not Designation.objects.exists()


def test_what_people_type_is_shown_as_text_everywhere(crisis, staff, alice, bob):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"'
    services.do_post_alert(staff, crisis, body=evil)
    client = client_for(alice)
    client.post(f"/crisis/{crisis.pk}/check-in/", {"message": evil[:140], "area": evil[:100]})
    client.post(
        f"/crisis/{crisis.pk}/reports/supplies/",
        report_data("supplies", place=evil[:100], subject=evil[:100], note=evil),
    )
    client_for(bob).post(f"/crisis/{crisis.pk}/looking-for/", {"name": evil[:100], "note": evil})
    assert Report.objects.count() == 1 and CheckIn.objects.count() == 1
    for path in (
        f"/crisis/{crisis.pk}/",
        f"/crisis/{crisis.pk}/people/?q=alice",
        f"/crisis/{crisis.pk}/lite/?q=alice",
        f"/crisis/{crisis.pk}/feed.atom",
        f"/crisis/{crisis.pk}/feed.json",
    ):
        body = Client().get(path).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, path
    # The feed's text is text: a reader of the JSON gets exactly what was typed.
    texts = [i["content_text"] for i in json.loads(body)["items"]]
    assert any(evil in text for text in texts)


def test_people_searches_are_rate_limited(crisis):
    reader = Client()
    answers = [reader.get(f"/crisis/{crisis.pk}/people/?q=x{i}").status_code for i in range(62)]
    assert answers[:60] == [200] * 60 and answers[60:] == [429, 429]
