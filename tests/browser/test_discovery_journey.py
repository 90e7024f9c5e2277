"""Discovery in a real browser: a newcomer signs up, picks a genre on the welcome step,
follows a suggested blog in place (htmx), searches in Japanese and finds trends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from koe.blogs import services as blog_services
from koe.blogs.models import Genre
from koe.social.follows import do_follow
from koe.social.models import Follow
from koe.social.services import do_like
from tests.conftest import PASSWORD, make_user, publish

pytestmark = pytest.mark.browser


@pytest.fixture
def bloggers(transactional_db):
    pets, travel = Genre.objects.get(slug="pets"), Genre.objects.get(slug="travel")
    neko = make_user("nekoblog", display_name="猫の日々")
    blog_services.do_update_blog(neko.blog, title="猫の日々", genre=pets)
    publish(
        neko, title="東京の猫カフェめぐり", body="駅から近い猫カフェを三つ。", tags=["猫", "東京"]
    )
    tabi = make_user("tabi", display_name="旅人")
    blog_services.do_update_blog(tabi.blog, title="Tabi notes", genre=travel)
    hot = publish(tabi, title="東京タワーの夜景", body="A night walk in Tokyo.", tags=["東京"])
    fans = [make_user(f"fan{i}") for i in range(4)]
    for fan in fans:
        do_follow(fan, tabi.blog)
        do_like(hot, fan)
    return neko, tabi


def test_newcomer_follows_a_suggestion_and_searches_in_japanese(page, bloggers):
    # Sign up: the newcomer lands on the welcome step, not the dashboard.
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("mio")
    page.get_by_label("Display name").fill("Mio 美緒")
    page.get_by_label("E-mail address").fill("mio@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/welcome/$"))
    expect(page.get_by_role("heading", name="Welcome to Koe")).to_be_visible()

    # Picking a genre changes the suggestions in place: the pets blog comes first.
    page.evaluate("window.__samePage = true")
    page.get_by_label("Pets").check()
    first = page.locator("#suggestions .suggestion").first
    expect(first).to_contain_text("猫の日々")
    first.get_by_role("button", name="Follow").click()
    expect(first.get_by_role("button", name=re.compile(r"^Following"))).to_be_visible()
    assert page.evaluate("window.__samePage") is True  # htmx, no page load
    assert Follow.objects.filter(follower__username="mio", blog__owner__username="nekoblog")

    page.locator("main").get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # Search in Japanese: one character finds the post as the reader types.
    page.goto("/search")
    page.locator("#search-q").fill("猫")
    results = page.locator("#search-results")
    expect(results).to_contain_text("東京の猫カフェめぐり")
    page.locator("#search-q").fill("東京")
    expect(results).to_contain_text("東京タワーの夜景")
    expect(results).to_contain_text("東京の猫カフェめぐり")

    # Under a post, related posts lead on (they share the hashtag 東京).
    results.get_by_role("link", name="東京タワーの夜景").first.click()
    related = page.locator(".related")
    expect(related).to_contain_text("東京の猫カフェめぐり")

    # Trends: the liked post is rising; the page says how that is worked out.
    page.goto("/trends/")
    expect(page.locator(".trend-posts")).to_contain_text("東京タワーの夜景")
    expect(page.get_by_role("heading", name="How trends are worked out")).to_be_visible()
    assert not page.js_errors
