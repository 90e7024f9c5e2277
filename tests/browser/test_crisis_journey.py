"""On a phone: the crisis banner leads to the hub; there a person checks in, reports, searches."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from koe.crisis import services
from tests.browser.test_journey import sign_up
from tests.conftest import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.js_errors = errors
    yield tab
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_banner_leads_to_check_in_report_and_search(phone, transactional_db):
    staff = make_user("staffer", display_name="Staff")
    staff.is_staff = True
    staff.save()
    crisis = services.do_declare(
        staff,
        name="能登半島地震",
        area="石川県",
        started_at=timezone.now() - timedelta(hours=1),
        areas="輪島, 珠洲",
    )
    services.do_post_alert(staff, crisis, body="Tsunami warning: move to high ground.", pinned=True)

    sign_up(phone, "hanako", "佐藤 花子")
    banner = phone.locator(".crisis-banner")
    expect(banner).to_contain_text("能登半島地震")
    banner.get_by_role("link", name="能登半島地震").click()
    expect(phone).to_have_url(re.compile(rf"/crisis/{crisis.pk}/$"))
    expect(phone.locator("#alerts")).to_contain_text("Tsunami warning")
    assert fits_the_screen(phone)

    # I am safe.
    safety = phone.locator("#safety")
    safety.get_by_label("Message (optional)").fill("無事です。避難所にいます。")
    safety.get_by_label("Where you are (optional)").fill("輪島")
    safety.get_by_role("button", name="I am safe").click()
    expect(phone.locator(".messages")).to_contain_text("Your followers will hear")
    expect(phone.locator("#safety")).to_contain_text("You checked in as safe")

    # A train report, with its status chosen from the radio buttons.
    reports = phone.locator("#reports")
    reports.get_by_text("Report: Trains and roads").click()
    reports.get_by_label("Line or route").fill("のと鉄道")
    reports.get_by_label("Stopped").check()
    reports.get_by_role("button", name="Send the report").first.click()
    expect(phone.locator(".messages")).to_contain_text("Thank you for the report")
    expect(phone.locator(".crisis-reports")).to_contain_text("のと鉄道")
    expect(phone.locator(".crisis-reports")).to_contain_text("Stopped")
    assert fits_the_screen(phone)

    # Anyone finds her by name, in kana or kanji.
    phone.goto(f"/crisis/{crisis.pk}/")
    phone.locator("#safety").get_by_label("Search check-ins by name").fill("花子")
    phone.locator("#safety").get_by_role("button", name="Search").click()
    expect(phone).to_have_url(re.compile(r"/people/\?q="))
    expect(phone.locator("main")).to_contain_text("無事です。避難所にいます。")

    # The light version: text only.
    phone.goto(f"/crisis/{crisis.pk}/lite/")
    expect(phone.locator("h1")).to_have_text("能登半島地震")
    assert phone.locator("script, img, link[rel=stylesheet]").count() == 0
    expect(phone.locator("body")).to_contain_text("のと鉄道")
    assert phone.js_errors == []
