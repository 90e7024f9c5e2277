"""A crisis's life: declared, a banner on every page, alerts, then ended and kept in the archive."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from koe.crisis import reports, safety, services
from koe.crisis.models import Crisis
from koe.official import services as official_services
from tests.conftest import make_user

BANNER = 'class="crisis-banner"'
TOKYO = ZoneInfo("Asia/Tokyo")  # the staff member's zone: the form reads times in it


def declare(user, name="能登半島地震", area="石川県", areas="輪島, 珠洲", **extra):
    started = extra.pop("started_at", timezone.now() - timedelta(hours=1))
    return services.do_declare(user, name=name, area=area, started_at=started, areas=areas)


def make_official(user):
    application = official_services.do_apply(
        user, category="organisation", real_name="Town office", evidence="https://town.example/"
    )
    official_services.do_approve(application, None)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_declare_shows_a_banner_on_every_page_until_the_crisis_ends(
    staff, staff_client, alice, bob_client, public_post, django_capture_on_commit_callbacks
):
    reader = Client()
    assert BANNER not in reader.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/crisis/declare/",
            {
                "name": "能登半島地震",
                "area": "石川県",
                "started_at": timezone.localtime(
                    timezone.now() - timedelta(hours=2), TOKYO
                ).strftime("%Y-%m-%dT%H:%M"),
                "areas": "輪島、珠洲",
            },
        )
    crisis = Crisis.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/crisis/{crisis.pk}/"
    assert [h["tag"] for h in crisis.hashtags] == [
        "能登半島地震",
        "能登半島地震_輪島",
        "能登半島地震_珠洲",
    ]
    pages = [
        "/",
        public_post.get_absolute_url(),
        "/@alice/",
        "/official/",
        "/search?q=x",
        "/crisis/",
    ]
    for page in pages:
        for client in (reader, bob_client):
            html = client.get(page).content.decode()
            assert BANNER in html, page
            assert f'href="/crisis/{crisis.pk}/"' in html
            assert "能登半島地震" in html

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(f"/crisis/{crisis.pk}/end/").status_code == 302
    crisis.refresh_from_db()
    assert crisis.ended_at is not None
    for page in pages:
        assert BANNER not in reader.get(page).content.decode(), page
    hub = reader.get(f"/crisis/{crisis.pk}/").content.decode()
    # Each hashtag leads to its live timeline of short posts, readable before anyone uses it.
    assert (
        'href="/now/tags/%E8%83%BD%E7%99%BB%E5%8D%8A%E5%B3%B6%E5%9C%B0%E9%9C%87_%E8%BC%AA%E5%B3%B6/"'
        in hub
    )
    assert reader.get("/now/tags/能登半島地震_輪島/").status_code == 200
    archive = reader.get("/crisis/archive/").content.decode()
    assert "能登半島地震" in archive and f"/crisis/{crisis.pk}/" in archive
    hub = reader.get(f"/crisis/{crisis.pk}/")
    assert hub.status_code == 200 and "Ended" in hub.content.decode()


def test_the_banner_costs_no_query_once_cached(staff, django_assert_num_queries, rf):
    from koe.crisis import panels

    crisis = declare(staff)
    cache.clear()
    request = rf.get("/")
    with django_assert_num_queries(1):
        assert crisis.name in panels.banner(request)
    with django_assert_num_queries(0):
        assert crisis.name in panels.banner(request)


def test_the_whole_life_alerts_checkins_reports_then_the_archive_keeps_them(
    staff, staff_client, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        crisis = declare(staff)
    services.do_post_alert(staff, crisis, body="Tsunami warning: move to high ground.", pinned=True)
    services.do_post_alert(staff, crisis, body="Water at the town hall from 15:00.")
    with django_capture_on_commit_callbacks(execute=True):
        safety.do_check_in(alice, crisis, message="無事です", area="輪島")
    reports.do_report(bob, crisis, kind="transit", status="stopped", place="のと鉄道", area="輪島")
    reader = Client()
    html = reader.get(f"/crisis/{crisis.pk}/").content.decode()
    assert html.index("Tsunami warning") < html.index("Water at the town hall")
    assert "無事です" in html and "のと鉄道" in html and "Pinned" in html

    with django_capture_on_commit_callbacks(execute=True):
        services.do_end(crisis, staff)
    html = reader.get(f"/crisis/{crisis.pk}/").content.decode()
    assert "Tsunami warning" in html and "無事です" in html and "のと鉄道" in html
    # Nothing new is written into a record.
    assert f'action="/crisis/{crisis.pk}/check-in/"' not in html
    response = Client()
    response.force_login(bob)
    answer = response.post(f"/crisis/{crisis.pk}/check-in/", {"message": "late"})
    assert answer.status_code == 409
    assert "has ended" in answer.content.decode()


def test_alerts_newest_first_with_pinned_ones_on_top(staff):
    crisis = declare(staff)
    first = services.do_post_alert(staff, crisis, body="first")
    services.do_post_alert(staff, crisis, body="second")
    services.do_post_alert(staff, crisis, body="third")
    services.do_pin_alert(staff, first, True)
    assert [a.body for a in crisis.alerts.in_order()] == ["first", "third", "second"]


def test_a_designated_official_account_may_post_alerts_and_declare(staff, alice, bob):
    crisis = declare(staff)
    make_official(alice)
    assert not services.can_post_alert(alice, crisis)
    services.do_designate(staff, alice, crisis)
    assert services.can_post_alert(alice, crisis)
    assert not services.can_declare(alice)
    alert = services.do_post_alert(alice, crisis, body="避難所を開設しました")
    assert alert.author == alice
    other = declare(staff, name="台風15号", area="千葉県", areas="")
    assert not services.can_post_alert(alice, other)

    services.do_designate(staff, alice)  # every crisis
    assert services.can_post_alert(alice, other) and services.can_declare(alice)
    assert declare(alice, name="大雨", area="熊本県").declared_by == alice

    # Only verified (official) accounts can be designated.
    with pytest.raises(Exception, match="official"):
        services.do_designate(staff, bob, crisis)


def test_losing_the_official_badge_ends_the_right_to_post_alerts(staff, alice):
    crisis = declare(staff)
    make_official(alice)
    services.do_designate(staff, alice, crisis)
    official_services.do_revoke(alice.blog, None)
    assert not services.can_post_alert(alice, crisis)


def test_the_hub_and_archive_read_without_an_account(staff):
    crisis = declare(staff)
    reader = Client()
    for page in ("/crisis/", f"/crisis/{crisis.pk}/", f"/crisis/{crisis.pk}/people/?q=x"):
        assert reader.get(page).status_code == 200, page
    services.do_end(crisis, staff)
    for page in ("/crisis/", "/crisis/archive/", f"/crisis/{crisis.pk}/"):
        assert reader.get(page).status_code == 200, page


def test_the_hub_speaks_japanese(staff):
    crisis = declare(staff)
    html = Client().get(f"/crisis/{crisis.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'lang="ja"' in html and "安否確認" in html


def test_several_crises_at_once_each_have_a_banner_line(staff):
    one = declare(staff, name="地震", area="石川県")
    two = declare(staff, name="Flood", area="Kumamoto")
    html = Client().get("/").content.decode()
    assert f"/crisis/{one.pk}/" in html and f"/crisis/{two.pk}/" in html
    index = Client().get("/crisis/").content.decode()
    assert "地震" in index and "Flood" in index


def test_a_crisis_declared_by_koe_itself(db):
    crisis = declare(None, name="Demo", area="Nowhere")
    assert crisis.declared_by is None and crisis.is_active
    make_user("someone")
    assert services.do_end(crisis, None)
    assert not services.do_end(crisis, None)  # ending twice changes nothing


def test_the_hub_reads_in_a_fixed_number_of_queries(staff, django_assert_num_queries):
    crisis = declare(staff)
    reader = Client()

    def add(n):
        for i in range(n):
            person = make_user(f"person{Crisis.objects.count()}{i}{n}")
            services.do_post_alert(staff, crisis, body=f"alert {i}")
            safety.do_check_in(person, crisis, message="safe")
            reports.do_report(
                person, crisis, kind="supplies", status="none", place="x", subject="水"
            )

    add(2)
    reader.get(f"/crisis/{crisis.pk}/")  # the banner's cache is filled
    # The crisis, alerts, reports (count, page), check-ins (recent, count): none per item.
    with django_assert_num_queries(6):
        assert reader.get(f"/crisis/{crisis.pk}/").status_code == 200
    add(10)
    with django_assert_num_queries(6):
        assert reader.get(f"/crisis/{crisis.pk}/").status_code == 200


def test_the_admin_lists_crises_designations_alerts_and_reports(staff):
    crisis = declare(staff)
    services.do_post_alert(staff, crisis, body="alert")
    staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    for model in ("crisis", "designation", "alert", "report"):
        assert client.get(f"/admin/crisis/{model}/").status_code == 200, model
    assert client.get(f"/admin/crisis/crisis/{crisis.pk}/change/").status_code == 200
