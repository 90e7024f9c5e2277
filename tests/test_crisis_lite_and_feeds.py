"""The light page (text only, no script or images, under 30 KB) and the Atom and JSON feeds."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koe.crisis import reports, safety, services
from koe.crisis.views.syndication import LITE_BUDGET
from tests.conftest import make_user

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def crisis(staff):
    crisis = services.do_declare(
        staff, name="能登半島地震", area="石川県", started_at=timezone.now() - timedelta(hours=2)
    )
    services.do_post_alert(staff, crisis, body="津波警報：高台へ避難してください。", pinned=True)
    services.do_post_alert(staff, crisis, body="Water at the town hall from 15:00.")
    return crisis


def fill(crisis, count, writer):
    """Many reports with every field as long as allowed, in Japanese (three bytes a letter)."""
    kinds = ["transit", "supplies", "shelter"]
    status = {"transit": "stopped", "supplies": "none", "shelter": "full"}
    for i in range(count):
        kind = kinds[i % 3]
        reports.do_report(
            writer,
            crisis,
            kind=kind,
            status=status[kind],
            place=("駅" * 99) + str(i % 10),
            subject="" if kind == "transit" else "毛" * 100,
            area="輪" * 100,
            note="注" * 300,
        )


def test_lite_is_text_only_and_small_with_many_long_reports(crisis, staff, alice):
    for _ in range(20):
        services.do_post_alert(staff, crisis, body="警" * 1000, pinned=True)
    fill(crisis, 300, alice)
    response = Client().get("/crisis/lite/")
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < LITE_BUDGET == 30 * 1024
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert "style=" not in html and "<svg" not in html
    assert "能登半島地震" in html and "警警警" in html
    assert "More reports on the full page" in html
    assert html.count("<li>") >= 8
    print(f"lite page: {len(response.content)} bytes, {html.count('<li>')} reports")


def test_lite_lists_alerts_reports_and_finds_check_ins(
    crisis, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        safety.do_check_in(make_user("hanako", display_name="佐藤 花子"), crisis, message="無事")
    reports.do_report(alice, crisis, kind="transit", status="stopped", place="のと鉄道")
    html = Client().get(f"/crisis/{crisis.pk}/lite/").content.decode()
    assert "津波警報" in html and "のと鉄道" in html and "Stopped" in html
    assert "佐藤 花子" not in html  # check-ins show only for a search
    html = Client().get(f"/crisis/{crisis.pk}/lite/?q=花子").content.decode()
    assert "佐藤 花子" in html and "無事" in html
    assert len(html.encode()) < LITE_BUDGET


def test_lite_without_a_crisis(db):
    response = Client().get("/crisis/lite/")
    assert response.status_code == 200 and "No crisis" in response.content.decode()


def test_atom_feed_is_valid_and_carries_alerts_and_reports(crisis, alice):
    reports.do_report(
        alice, crisis, kind="shelter", status="open", place="輪島中学校", subject="体育館"
    )
    response = Client().get(f"/crisis/{crisis.pk}/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - Koe's own output
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text.startswith("能登半島地震")
    assert root.find(f"{ATOM}id").text and root.find(f"{ATOM}updated").text
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 3
    for entry in entries:
        for child in ("title", "id", "updated", "link", "author"):
            assert entry.find(f"{ATOM}{child}") is not None, child
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    titles = " ".join(e.find(f"{ATOM}title").text for e in entries)
    assert "津波警報" in titles and "体育館" in titles and "Open" in titles


def test_json_feed_follows_json_feed_1_1(crisis, alice):
    r = reports.do_report(
        alice, crisis, kind="supplies", status="none", place="市役所", subject="水"
    )
    response = Client().get(f"/crisis/{crisis.pk}/feed.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["home_page_url"].startswith("http")
    assert feed["feed_url"].endswith(f"/crisis/{crisis.pk}/feed.json")
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) == 3
    for item in feed["items"]:
        assert item["id"] and (item.get("content_text") or item.get("content_html"))
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", item["date_published"])
    water = next(i for i in feed["items"] if i["_koe"]["type"] == "report")
    assert water["_koe"] == {
        "type": "report",
        "kind": "supplies",
        "status": "none",
        "place": "市役所",
        "subject": "水",
        "area": "",
        "confirmations": 0,
    }
    assert water["id"].endswith(f"#report-{r.pk}")
    pinned = [i for i in feed["items"] if i["_koe"].get("pinned")]
    assert len(pinned) == 1 and "津波警報" in pinned[0]["content_text"]


def test_feeds_of_an_archived_crisis_stay_readable(crisis):
    services.do_end(crisis, None)
    assert Client().get(f"/crisis/{crisis.pk}/feed.atom").status_code == 200
    assert len(json.loads(Client().get(f"/crisis/{crisis.pk}/feed.json").content)["items"]) == 2
    assert Client().get("/crisis/999999/feed.json").status_code == 404
