"""The social side in a real browser: a reader follows a writer, finds the new post at home,
asks to become a member, is approved, and reads a members-only post; the writer is told."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_journey import sign_up

pytestmark = pytest.mark.browser

SECRET_WORDS = "The lantern festival route, for members only"


@pytest.fixture
def second_page(chromium, live_server):
    """Another browser with cookies of its own, as `page` is made (tests/browser/conftest.py)."""
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.js_errors = errors
    yield tab
    context.close()


def write(page, title: str, body: str, *, visibility: str = "public") -> str:
    """Write a post in the editor and publish it; returns the post's address."""
    page.locator("header").get_by_role("link", name="Write").click()
    expect(page).to_have_url(re.compile(r"/dashboard/posts/new/$"))
    page.get_by_label("Title").fill(title)
    page.locator("textarea[name=body]").fill(body)
    page.locator("select[name=visibility]").select_option(visibility)
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/@\w+/\d+/"))
    expect(page.locator("h1.post__title")).to_have_text(title)
    return page.url


def test_reader_follows_joins_and_reads_members_only_post(page, second_page, tmp_path):
    writer, reader = page, second_page

    # Two people sign up, each in a browser of their own.
    sign_up(writer, "mizuki", "Mizuki 瑞希")
    sign_up(reader, "kaito", "Kaito 海斗")

    # The reader follows the writer's blog; htmx swaps the button in place.
    reader.goto("/@mizuki/")
    reader.evaluate("window.__samePage = true")
    follow_box = reader.locator(".follow-box")
    follow_box.get_by_role("button", name="Follow").click()
    following = follow_box.get_by_role("button", name=re.compile(r"^Following"))
    expect(following).to_be_visible()
    expect(following).to_have_attribute("aria-pressed", "true")
    assert reader.evaluate("window.__samePage === true"), "following reloaded the page"
    reader.reload()
    expect(reader.locator(".follow-box")).to_contain_text("1 follower")
    expect(
        reader.locator(".follow-box").get_by_role("button", name=re.compile(r"^Following"))
    ).to_be_visible()

    # The writer publishes a public post, and it reaches the reader's home feed.
    public_url = write(writer, "Lanterns on the river", "The **first** lanterns went up tonight.")
    reader.locator("header").get_by_role("link", name="Home", exact=True).click()
    expect(reader).to_have_url(re.compile(r"/home/$"))
    card = reader.locator(".post-card", has_text="Lanterns on the river")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Lanterns on the river")).to_have_attribute(
        "href", urlsplit(public_url).path
    )

    # A members-only post: the reader sees its title behind a lock, and none of its words.
    members_title = "Festival night: the secret route"
    members_url = write(
        writer, members_title, f"{SECRET_WORDS}. Meet at the third bridge.", visibility="members"
    )
    reader.goto("/@mizuki/")
    locked = reader.locator(".post-card--locked", has_text=members_title)
    expect(locked).to_be_visible()
    expect(locked.locator(".badge", has_text="Members only")).to_be_visible()
    expect(reader.locator("main")).not_to_contain_text(SECRET_WORDS)
    locked.get_by_role("link", name=members_title).click()
    expect(reader).to_have_url(members_url)
    expect(reader.locator("h1.post__title")).to_contain_text(members_title)
    expect(reader.locator("main .badge", has_text="Members only")).to_be_visible()
    expect(reader.locator("main")).not_to_contain_text(SECRET_WORDS)

    # The reader asks to become a member, and waits.
    reader.locator(".locked-card").get_by_role("button", name="Ask to become a member").click()
    expect(reader.locator(".messages")).to_contain_text("Your request has been sent")
    expect(reader.locator("main")).to_contain_text("waiting for the blogger's answer")
    expect(reader.locator("main")).not_to_contain_text(SECRET_WORDS)

    # The writer approves the request on the dashboard's Members page.
    writer.locator("header").get_by_role("link", name="Dashboard").click()
    writer.locator("nav.tabs").get_by_role("link", name="Members").click()
    expect(writer).to_have_url(re.compile(r"/dashboard/members/$"))
    request = writer.locator(".member-row", has_text="@kaito")
    expect(request).to_be_visible()
    request.get_by_role("button", name="Approve").click()
    expect(writer.locator(".messages")).to_contain_text("Approved")
    members = writer.locator("section.card", has=writer.get_by_role("heading", name="Members"))
    expect(members.locator(".member-row", has_text="@kaito")).to_be_visible()
    expect(writer.get_by_text("No requests.")).to_be_visible()

    # Now the reader reads the members-only post in full.
    reader.goto(members_url)
    expect(reader.locator("h1.post__title")).to_have_text(members_title)
    expect(reader.locator(".prose")).to_contain_text(SECRET_WORDS)

    # The writer's notifications tell of the follow and of the request.
    writer.locator("header a.bell").click()
    expect(writer).to_have_url(re.compile(r"/notifications/$"))
    notes = writer.locator("main")
    expect(notes).to_contain_text("Kaito 海斗 followed your blog.")
    expect(notes).to_contain_text("Kaito 海斗 asked to become a member.")

    reader.screenshot(path=str(tmp_path / "social-reader.png"), full_page=True)
    writer.screenshot(path=str(tmp_path / "social-journey.png"), full_page=True)
    assert writer.js_errors == [] and reader.js_errors == []
