"""The connection state is always on screen, in words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from flack import testing

CONNECTED = re.compile(r"^\s*connected\s*$", re.I)
NOT_CONNECTED = re.compile(r"reconnecting|offline|disconnected|connecting", re.I)


def test_status_says_connected_after_boot(person, names):
    """Right after boot, before and after choosing a name, role=status says
    "Connected"."""
    alice = person()
    expect(alice.status).to_have_text(CONNECTED)
    alice.take_name(names("Alice"))
    expect(alice.status).to_have_text(CONNECTED)


def test_status_follows_the_server_going_away_and_coming_back(person, names, monkeypatch: pytest.MonkeyPatch):
    """When the server stops the status stops saying "Connected"; when it is
    back on the same address the page reconnects by itself and keeps its name."""
    quiet = {"FLACK_LOG_LEVEL": "warning"}
    port = testing.free_port()
    monkeypatch.setattr(testing, "free_port", lambda: port)
    with testing.running_server(quiet) as url:
        name = names("Alice")
        alice = person(name, url=url)
        expect(alice.status).to_have_text(CONNECTED)
    expect(alice.status).to_have_text(NOT_CONNECTED, timeout=15_000)

    with testing.running_server(quiet):
        expect(alice.status).to_have_text(CONNECTED, timeout=30_000)
        # The name is back in the header (the People list names her too, once it is listed).
        expect(alice.page.locator("#my-name")).to_have_text(name)
        expect(alice.dialog).to_be_hidden()
        # Working again: a channel can be created and opened.
        room = names("Again")
        alice.create_channel(room)
        alice.expect_open(room)
        alice.page.context.close()
