"""The browser tests' own watcher (conftest.Watch): a renderer crash is
reported with what the machine looked like, not only as a boot timeout."""

from __future__ import annotations

import contextlib

from playwright.sync_api import Error


def test_a_crashed_page_is_reported(person):
    someone = person(boot=False)
    with someone.page.expect_event("crash"), contextlib.suppress(Error):
        someone.page.goto("chrome://crash")  # Chromium's own way to crash a renderer
    (report,) = someone.watch.crashes
    assert "MemAvailable" in report and "chromium processes" in report
    assert any("pages crashed" in problem for problem in someone.watch.problems())
    someone.watch.crashes.clear()  # this crash was the point: do not fail the test for it
