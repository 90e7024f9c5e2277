"""A blogger opens the analytics after a few visits and sees the numbers and the chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from koe.accounts.models import User
from koe.analytics import rollup
from tests.browser.test_journey import sign_up
from tests.conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def test_dashboard_shows_views_visitors_and_a_chart(chromium, live_server, page, tmp_path):
    sign_up(page, "kana", "Kana")
    kana = User.objects.get(username="kana")
    post = publish(kana, title="Counted in the browser")

    # Three readers from one address, told apart by their browsers; then a robot
    # (headless Chromium says so in its user agent), which is counted apart.
    for agent in (PHONE, PHONE.replace("17_0", "16_0"), DESKTOP, None):
        options = {"base_url": live_server.url}
        if agent:
            options["user_agent"] = agent
        context = chromium.new_context(**options)
        reader = context.new_page()
        reader.goto(post.get_absolute_url())
        expect(reader.locator("h1")).to_have_text("Counted in the browser")
        reader.goto("/@kana/")
        context.close()
    page.goto(post.get_absolute_url())  # the blogger's own view is not counted

    rollup.rollup(now=timezone.now() + timedelta(seconds=30))
    page.goto("/dashboard/analytics/?range=today")
    numbers = page.locator(".analytics-numbers")
    expect(numbers.locator(".stat__value").nth(0)).to_have_text("6")  # views
    expect(numbers.locator(".stat__value").nth(1)).to_have_text("3")  # visitors
    expect(page.locator("#analytics-live [data-live='now']")).to_have_text("3")
    chart = page.locator("#chart svg").first
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    expect(page.get_by_text(re.compile("Counted in the browser"))).not_to_have_count(0)
    page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)
    assert not page.js_errors, page.js_errors
