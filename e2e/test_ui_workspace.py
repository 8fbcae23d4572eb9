"""Setting up a workspace is not refused (issue 12): one person creates 20
channels in a row through the page and all 20 appear; every refusal amid
the burst is shown in words, each on a line of its own.

The server runs with the default budgets for creating channels and for
notices (each channel opened is one), but refilling 50 times slower than
the defaults: the 20 must fit in the bursts alone, however fast or slow this
machine is, and the creations after them are refused for certain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from flack.core.limits import Limits
from flack.testing import running_server

WORKSPACE = 20
DEFAULTS = Limits()
SETUP = {
    "FLACK_LOG_LEVEL": "warning",
    "FLACK_CHANNEL_BURST": str(DEFAULTS.channel_burst),
    "FLACK_CHANNEL_RATE": str(DEFAULTS.channel_rate / 50),
    "FLACK_NOTICE_BURST": str(DEFAULTS.notice_burst),
    "FLACK_NOTICE_RATE": str(DEFAULTS.notice_rate / 50),
}


@pytest.fixture
def setup_server() -> Iterator[str]:
    """A server of this test's own with the budgets above (request it before
    ``person``, so the pages close before it stops)."""
    with running_server(SETUP) as url:
        yield url


def test_twenty_channels_in_a_row_all_appear_and_every_refusal_shows(setup_server, person, names, seeder):
    existing = names("Existing")
    seeder(setup_server, names("Seeder"), existing, [])
    alice = person(names("Alice"), url=setup_server)
    expect(alice.channel_button(existing)).to_be_visible()
    box = alice.page.get_by_role("textbox", name="New channel")

    rooms = [names(f"Team{index:02d}") for index in range(WORKSPACE)]
    typed = [*rooms[:7], existing.upper(), *rooms[7:], names("Extra1"), names("Extra2")]
    # As fast as the page takes them: no waiting for one answer before the
    # next name (someone pasting a list, or typing very fast).
    for name in typed:
        box.fill(name)
        box.press("Enter")

    for room in rooms:
        expect(alice.channel_button(room)).to_be_visible()
    alice.expect_open(rooms[-1])  # the last one created opens

    # Three refusals, each on its own line, in words, with its channel:
    # the one the list already had, and the two over the budget.
    lines = alice.alert.locator("p")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_have_text(re.compile(rf"^Could not create #{existing.upper()}: .*already exists"))
    for line, extra in zip((lines.nth(1), lines.nth(2)), typed[-2:], strict=True):
        expect(line).to_have_text(re.compile(rf"^Could not create #{extra}: Slow down: .*new channels"))
    expect(alice.channels.get_by_role("button")).to_have_count(WORKSPACE + 1)
    # The last refused name is still in the box, to try again later.
    expect(box).to_have_value(typed[-1])

    # Dismiss takes every line away at once.
    alice.page.get_by_role("button", name="Dismiss").click()
    expect(alice.alert).to_have_count(0)


def test_one_at_a_time_each_new_channel_opens(setup_server, person, names):
    """At a person's pace (each answer back before the next name) every
    created channel opens in turn, and opening them all fits the budget."""
    alice = person(names("Alice"), url=setup_server)
    for index in range(WORKSPACE):
        room = names(f"Slow{index:02d}")
        alice.create_channel(room)
        alice.expect_open(room)
    expect(alice.alert).to_have_count(0)
