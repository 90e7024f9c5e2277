"""Structured reports: one vote each, many flags hide one for staff, old ones fade and expire."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from koe.crisis import reports, services
from koe.crisis.models import Report
from tests.conftest import make_user

State = Report.State


@pytest.fixture
def crisis(staff):
    return services.do_declare(
        staff, name="大雨", area="熊本県", started_at=timezone.now() - timedelta(days=2)
    )


def report(user, crisis, kind="transit", **fields):
    defaults = {
        "transit": {"status": "delayed", "place": "JR鹿児島本線"},
        "supplies": {"status": "running_out", "place": "市役所", "subject": "水"},
        "shelter": {"status": "open", "place": "第一小学校", "subject": "第一小学校体育館"},
    }[kind]
    return reports.do_report(user, crisis, kind=kind, **{**defaults, **fields})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_kind_is_stored_with_its_fields(crisis, alice):
    seen = timezone.now() - timedelta(minutes=20)
    train = report(alice, crisis, "transit", area="熊本市", observed_at=seen, subject="ignored")
    water = report(alice, crisis, "supplies", note="残りわずか")
    hall = report(alice, crisis, "shelter", status="full")
    assert (train.place, train.subject, train.status, train.observed_at) == (
        "JR鹿児島本線",
        "",
        "delayed",
        seen,
    )
    assert (water.subject, water.status, water.note) == ("水", "running_out", "残りわずか")
    assert hall.get_status_display() == "Full"
    html = Client().get(f"/crisis/{crisis.pk}/").content.decode()
    assert "JR鹿児島本線" in html and "残りわずか" in html and "第一小学校体育館" in html
    only_supplies = Client().get(f"/crisis/{crisis.pk}/?kind=supplies").content.decode()
    assert "残りわずか" in only_supplies and "JR鹿児島本線" not in only_supplies


def test_reporting_through_the_page(crisis, alice):
    response = client_for(alice).post(
        f"/crisis/{crisis.pk}/reports/supplies/",
        {"supplies-subject": "毛布", "supplies-place": "公民館", "supplies-status": "available"},
    )
    assert response.status_code == 302
    assert Report.objects.get().subject == "毛布"


def test_one_vote_each_and_not_on_your_own(crisis, alice, bob):
    carol = make_user("carol")
    r = report(alice, crisis)
    assert reports.do_vote(bob, r, "confirm")
    with pytest.raises(ValidationError, match="already"):
        reports.do_vote(bob, r, "confirm")
    with pytest.raises(ValidationError, match="already"):
        reports.do_vote(bob, r, "flag")
    with pytest.raises(ValidationError, match="own report"):
        reports.do_vote(alice, r, "confirm")
    reports.do_vote(carol, r, "flag")
    r.refresh_from_db()
    assert (r.confirmations, r.flags, r.state) == (1, 1, State.SHOWN)
    # Through the page: a second vote is a 400 with the reason, and nothing changes.
    response = client_for(bob).post(f"/crisis/reports/{r.pk}/confirm/")
    assert response.status_code == 400 and "already" in response.content.decode()
    r.refresh_from_db()
    assert r.confirmations == 1


def test_many_flags_hide_a_report_until_staff_keep_or_remove_it(crisis, alice, staff):
    r = report(alice, crisis, note="wrong on purpose")
    flaggers = [make_user(f"flagger{i}") for i in range(reports.FLAG_LIMIT)]
    for person in flaggers[:-1]:
        reports.do_vote(person, r, "flag")
    assert "wrong on purpose" in Client().get(f"/crisis/{crisis.pk}/").content.decode()
    reports.do_vote(flaggers[-1], r, "flag")
    r.refresh_from_db()
    assert r.state == State.HELD
    assert "wrong on purpose" not in Client().get(f"/crisis/{crisis.pk}/").content.decode()
    assert "wrong on purpose" not in Client().get(f"/crisis/{crisis.pk}/feed.json").content.decode()
    staff_client = client_for(staff)
    assert "wrong on purpose" in staff_client.get(f"/crisis/{crisis.pk}/review/").content.decode()
    # Others cannot see the review page or decide.
    assert client_for(alice).get(f"/crisis/{crisis.pk}/review/").status_code == 404
    assert (
        client_for(alice).post(f"/crisis/reports/{r.pk}/review/", {"keep": "1"}).status_code == 404
    )
    staff_client.post(f"/crisis/reports/{r.pk}/review/", {"keep": "1"})
    r.refresh_from_db()
    assert r.state == State.KEPT
    assert "wrong on purpose" in Client().get(f"/crisis/{crisis.pk}/").content.decode()
    # Staff's decision stands against further flags.
    reports.do_vote(make_user("late"), r, "flag")
    r.refresh_from_db()
    assert r.state == State.KEPT
    with pytest.raises(PermissionDenied):
        reports.do_review(alice, r, keep=False)
    reports.do_review(staff, r, keep=False)
    assert "wrong on purpose" not in Client().get(f"/crisis/{crisis.pk}/").content.decode()


def test_old_reports_fade_then_expire_each_kind_by_its_own_time(crisis, alice):
    now = timezone.now()
    fresh = report(alice, crisis, "transit", place="fresh line")
    old_train = report(
        alice, crisis, "transit", place="old line", observed_at=now - timedelta(hours=2)
    )
    old_shelter = report(
        alice, crisis, "shelter", subject="old hall", observed_at=now - timedelta(hours=2)
    )
    assert not fresh.is_fading() and old_train.is_fading() and not old_shelter.is_fading()
    html = Client().get(f"/crisis/{crisis.pk}/").content.decode()
    assert html.count("crisis-report--fading") == 1
    assert re.search(rf'class="[^"]*crisis-report--fading" id="report-{old_train.pk}"', html)

    later = now + timedelta(hours=2)  # the train reports are 2 and 4 hours old
    current = set(Report.objects.current(later).values_list("pk", flat=True))
    assert current == {fresh.pk, old_shelter.pk}
    assert set(Report.objects.current(now + timedelta(hours=23)).values_list("pk", flat=True)) == (
        set()
    )
    # Once the crisis is a record, expired reports are history and shown.
    services.do_end(crisis, None)
    html = Client().get(f"/crisis/{crisis.pk}/").content.decode()
    assert "old line" in html and "crisis-report--fading" not in html


def test_votes_and_reports_end_with_the_crisis(crisis, alice, bob):
    r = report(alice, crisis)
    services.do_end(crisis, None)
    response = client_for(bob).post(f"/crisis/reports/{r.pk}/confirm/")
    assert response.status_code == 409
    response = client_for(bob).post(
        f"/crisis/{crisis.pk}/reports/transit/",
        {"transit-place": "x", "transit-status": "running"},
    )
    assert response.status_code == 409
    assert Report.objects.count() == 1
