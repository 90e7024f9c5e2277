"""Koe Now in two real browsers on the ASGI server: a reader without an account watches the
public timeline while a writer posts; a "1 new post" bar appears without reloading the page,
and a click shows the post at the top."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.test_now_stream import ServerThread

pytestmark = pytest.mark.browser


@pytest.fixture
def asgi_server(transactional_db):
    with ServerThread() as server:
        yield server


def _tab(chromium, server, width=1280):
    context = chromium.new_context(
        base_url=server.url, locale="en-US", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.js_errors = []
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    return context, tab


def test_a_post_appears_live_in_another_browser(chromium, asgi_server):
    make_user("haruka", display_name="Haruka 春香")
    writer_context, writer = _tab(chromium, asgi_server)
    reader_context, reader = _tab(chromium, asgi_server, width=390)

    # A reader without an account opens the public timeline and waits.
    reader.goto("/now/")
    expect(reader.get_by_text("Nothing here yet")).to_be_visible()
    expect(reader.locator("html[data-now-live]")).to_have_count(1)
    reader.evaluate("window.__samePage = true")

    # The writer logs in and posts from the composer.
    writer.goto("/accounts/login/")
    writer.get_by_label("Username").fill("haruka")
    writer.get_by_label("Password").fill(PASSWORD)
    writer.locator("main").get_by_role("button", name="Log in").click()
    writer.goto("/now/")
    writer.get_by_label("What is happening?").fill("Buses replace the Tokaido line today #train")
    expect(writer.locator(".now-composer__count")).to_have_text(str(300 - 43))
    writer.get_by_role("button", name="Post", exact=True).click()
    expect(writer).to_have_url(re.compile(r"/now/$"))
    expect(writer.locator(".now-post").first).to_contain_text("Buses replace the Tokaido line")

    # The reader's page did not move; a bar offers the new post, and a click shows it.
    bar = reader.get_by_role("button", name="1 new post")
    expect(bar).to_be_visible()
    assert reader.locator(".now-post").count() == 0
    bar.click()
    first = reader.locator(".now-post").first
    expect(first).to_contain_text("Buses replace the Tokaido line today")
    expect(first.get_by_role("link", name="#train")).to_have_attribute("href", "/now/tags/train/")
    expect(bar).to_be_hidden()
    assert reader.evaluate("window.__samePage") is True  # no reload
    assert reader.js_errors == [] and writer.js_errors == []
    writer_context.close()
    reader_context.close()
