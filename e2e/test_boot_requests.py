"""What booting asks the server for (issue 13): no PyScript plugin the page
does not use, every file by its content-stamped URL, and on a repeat visit
nothing but the page itself (and the socket)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

BOOT_TIMEOUT_MS = 60_000

STAMPED = re.compile(r"/(vendor/[a-z.]+|static|py/flack)/[0-9a-f]{16}/")
UNUSED = ("py-editor", "py-game", "py-terminal", "donkey", "deprecations-manager", "codemirror")
# Requests that went to the server (a 304 too); a file read from the
# browser's cache has transferSize 0 in the page's resource timing.
FROM_THE_NETWORK = """() => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .filter((entry) => entry.transferSize > 0)
  .map((entry) => entry.name)"""


def test_boot_loads_only_stamped_files_and_no_unused_plugin(person):
    someone = person(boot=False)
    asked: list[str] = []
    someone.page.on("request", lambda request: asked.append(request.url))
    someone.open()
    files = [url for url in asked if "/socket.io/" not in url and url.rstrip("/") != someone.url]
    assert len(files) > 10  # PyScript, Pyodide, the client
    # Each file asked for once: the page's preload hints are the very
    # requests PyScript and Pyodide make (same URL, mode and credentials).
    assert len(files) == len(set(files)), sorted(u for u in files if files.count(u) > 1)
    # The client's modules come in one zip (flack/bundle.py), main.py beside it.
    client = [url for url in files if "/static/" in url and url.endswith((".py", ".zip"))]
    assert sorted(url.rsplit("/", 1)[1] for url in client) == ["client.zip", "main.py"], client
    assert all(STAMPED.search(url) for url in files), [u for u in files if not STAMPED.search(u)]
    assert not [url for url in files if any(name in url for name in UNUSED)]


def test_a_repeat_visit_asks_the_server_for_the_page_only(
    browser_type, browser_type_launch_args, server_url, tmp_path
):
    # A profile on disk, as a person's browser has: an incognito context's
    # in-memory cache may refuse Pyodide's biggest files when they are not
    # compressed (a source checkout serves them raw).
    context = browser_type.launch_persistent_context(tmp_path, **browser_type_launch_args)
    try:
        for _ in range(2):  # the first visit fills the cache
            page = context.new_page()
            page.goto(server_url)
            expect(page.locator('body[data-ready="true"]')).to_be_attached(timeout=BOOT_TIMEOUT_MS)
            went: list[str] = page.evaluate(FROM_THE_NETWORK)
            page.close()
    finally:
        context.close()
    files = [url for url in went if "/socket.io/" not in url]
    # The page itself is revalidated (a 304, or a 200 if it changed); all
    # else came from the cache without a round trip.
    assert files == [server_url + "/"], went
