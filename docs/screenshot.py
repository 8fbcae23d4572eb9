"""Make docs/screenshot.png: two people chatting (run inside the test venv).

    python docs/screenshot.py

Starts a real server on loopback, drives two Chromium contexts through the UI
and saves the second person's view side by side with the first's.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from flack.testing import running_server

ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.wait_for_selector('body[data-ready="true"]', timeout=60_000)
    page.get_by_role("textbox", name="Display name").fill(name)
    page.get_by_role("button", name="Save name").click()


def say(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.keyboard.press("Enter")
    page.get_by_role("log", name="Messages").get_by_text(text).wait_for()


def main() -> None:
    out = Path(__file__).with_name("screenshot.png")
    with running_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("FLACK_CHROMIUM", "/usr/bin/chromium"), args=ARGS
        )
        size = {"width": 900, "height": 560}
        ada = browser.new_context(viewport=size).new_page()
        bob = browser.new_context(viewport=size).new_page()
        sign_in(ada, url, "Ada")
        sign_in(bob, url, "Grace")
        for channel in ("general", "random", "python"):
            ada.get_by_role("textbox", name="New channel").fill(channel)
            ada.get_by_role("button", name="Create channel").click()
            ada.get_by_role("heading", name=channel).wait_for()
        ada.get_by_role("navigation", name="Channels").get_by_role("button", name="general").click()
        bob.get_by_role("navigation", name="Channels").get_by_role("button", name="general").click()
        say(ada, "Morning! Is the Pyodide build green?")
        say(bob, "Green. The whole client is Python now, even the DOM code.")
        say(ada, "And <b>markup</b> shows up as plain text, as it should.")
        say(bob, "Shipping it. Files next!")
        bob.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
