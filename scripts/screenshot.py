"""Take docs/screenshot.png: Koe's front page, 1280 px wide, in Debian's Chromium.

Shrink it afterwards with `pngquant --quality 80-95` to keep it near 120 KB.

Usage: .venv/bin/python scripts/screenshot.py [URL] [OUT]  (a running `koe run` with demo content)
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/"
    out = sys.argv[2] if len(sys.argv) > 2 else "docs/screenshot.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(
            viewport={"width": 1280, "height": 1000}, locale="en-US", color_scheme="light"
        )
        page.goto(url, wait_until="networkidle")
        page.evaluate("document.fonts.ready")
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main()
