"""A newcomer's first visit, in a real browser: sign up, write with an image and a hashtag,
publish, read it signed out, comment as a guest, and like it as a second reader."""

from __future__ import annotations

import re

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MEDIA_MARKDOWN = re.compile(r"!\[[^\]]*\]\(/media/[^)\s]+\)")


def sign_up(page, username: str, display_name: str) -> None:
    page.goto("/")
    page.locator("header").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("E-mail address").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    # A newcomer first meets the welcome step (genres, blogs to follow); these journeys skip it.
    expect(page).to_have_url(re.compile(r"/welcome/$"))
    page.locator("main").get_by_role("link", name="Skip for now").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_out(page) -> None:
    page.locator("footer").get_by_role("button", name="Log out").click()
    expect(page.locator("header").get_by_role("link", name="Log in")).to_be_visible()


def test_newcomer_publishes_and_readers_respond(page, tmp_path):
    picture = tmp_path / "koe-sunrise.png"
    PILImage.new("RGB", (320, 200), (233, 120, 150)).save(picture)

    # A blogger signs up and writes a first post.
    sign_up(page, "hanako", "Hanako 花子")
    page.locator("header").get_by_role("link", name="Write").click()
    expect(page).to_have_url(re.compile(r"/dashboard/posts/new/$"))
    page.get_by_label("Title").press_sequentially("はじめまして — first light")
    body = page.locator("textarea[name=body]")
    body.fill("## Hello, Koe\n\nA *first* post, with **Markdown**.\n\n- 朝\n- 昼\n\n")

    # The editor uploads the picture, showing its progress, and writes its Markdown into the text.
    page.locator("input[data-upload-input]").set_input_files(picture)
    expect(page.locator("[data-uploads] progress")).to_be_attached()
    page.wait_for_function(
        "pattern => new RegExp(pattern).test(document.querySelector('textarea[name=body]').value)",
        arg=MEDIA_MARKDOWN.pattern,
    )
    assert MEDIA_MARKDOWN.search(body.input_value())

    page.get_by_label("Hashtags").fill("sakura")
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/@hanako/\d+/"))
    post_url = page.url

    # The published page shows the picture (really loaded) and the hashtag link.
    expect(page.locator("h1.post__title")).to_have_text("はじめまして — first light")
    image = page.locator(".prose img").first
    expect(image).to_have_attribute("src", re.compile(r"^/media/"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    expect(page.locator("a.tag", has_text="#sakura")).to_have_attribute("href", "/tags/sakura/")

    # Signed out, anyone can read it and leave a comment with a name.
    log_out(page)
    page.goto(post_url)
    expect(page.locator("h1.post__title")).to_be_visible()
    expect(page.locator(".prose")).to_contain_text("first post")
    comments = page.locator("#comments")
    comments.get_by_label("Name").fill("通りすがり")
    comments.get_by_label("Comment").fill("Lovely colours! きれいですね。")
    comments.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment", has_text="Lovely colours!")).to_contain_text("通りすがり")

    # A second reader makes an account, logs in and likes the post without a page load.
    sign_up(page, "taro", "Taro 太郎")
    log_out(page)
    page.goto(post_url)
    page.locator(".like-button").click()  # signed out, the like button asks to log in first
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username or e-mail").fill("taro")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(post_url)
    like = page.locator(".like-button")
    expect(like.locator(".like-count")).to_have_text("0")
    page.evaluate("window.__samePage = true")
    like.click()
    expect(page.locator(".like-button .like-count")).to_have_text("1")
    expect(page.locator(".like-button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__samePage === true"), "the like reloaded the page (no htmx)"

    page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
    assert page.js_errors == []
