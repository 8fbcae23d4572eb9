"""Coming back: the channel that was open is open again; a vanished one is explained."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def test_returning_visit_reopens_the_last_channel(person, names):
    """A opens X, closes the page and comes back in a new page of the same
    browser: X is open again (heading, aria-current) without a click, with its
    history; a reload does the same."""
    alice = person(names("Alice"))
    x, other = names("Return"), names("Decoy")
    alice.create_channel(x)
    alice.create_channel(other)
    alice.expect_open(other)
    alice.open_channel(x)
    alice.send("still here after a return")

    alice.new_page()
    alice.expect_open(x)
    expect(alice.channel_button(other)).not_to_have_attribute("aria-current", "true")
    expect(alice.article("still here after a return")).to_be_visible()
    expect(alice.composer).to_be_enabled()
    expect(alice.alert).to_have_count(0)

    alice.reload()
    alice.expect_open(x)
    expect(alice.article("still here after a return")).to_be_visible()


def moved_storage(state: dict[str, Any], old_origin: str, new_origin: str) -> dict[str, Any]:
    """A browser's saved state with the old origin's localStorage moved to a
    new origin, exactly as the client wrote it (no knowledge of its keys)."""
    origins = [dict(o, origin=new_origin) for o in state["origins"] if o["origin"] == old_origin]
    assert origins and origins[0]["localStorage"], "the client stored nothing in localStorage"
    return {"cookies": [], "origins": origins}


def test_returning_to_a_channel_that_no_longer_exists(person, names, seeder, fresh_server):
    """A browser that remembers a channel the server does not have (a fresh
    server) shows an alert naming the channel, and a working channel list."""
    alice = person(names("Alice"))
    gone = names("Vanished")
    alice.create_channel(gone)
    alice.expect_open(gone)
    remembered = moved_storage(alice.context.storage_state(), alice.watch.origin, fresh_server.rstrip("/"))

    present = names("Present")
    seeder(fresh_server, names("Seeder"), present, ["hello"])
    back = person(url=fresh_server, storage_state=remembered)

    expect(back.alert).to_be_visible()
    expect(back.alert).to_contain_text(gone)
    expect(back.alert).to_contain_text(re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{3,}"))
    expect(back.dialog).to_be_hidden()  # the remembered name was claimed quietly
    expect(back.channels).to_be_visible()
    expect(back.channel_button(present)).to_be_visible()
    expect(back.channel_button(gone)).to_have_count(0)
    expect(back.heading(gone)).to_have_count(0)
    expect(back.page.get_by_role("textbox", name="New channel")).to_be_visible()
    expect(back.status).to_have_text(re.compile(r"\bconnected\b", re.I))

    # The vanished channel is forgotten: the next visit does not complain again.
    back.reload()
    expect(back.channel_button(present)).to_be_visible()
    expect(back.alert).to_have_count(0)

    # And the page works: the other channel opens, with its history.
    back.open_channel(present)
    expect(back.article("hello")).to_be_visible()
