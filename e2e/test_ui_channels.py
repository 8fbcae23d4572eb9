"""Channels: created by anyone, shown to everyone live, unique in any letter case."""

from __future__ import annotations

import re

from playwright.sync_api import expect

WORDS = re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{2,}")


def test_new_channel_appears_for_everyone_without_reload(person, names):
    """A creates a channel: it opens for A, and B's list shows it live."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room = names("Live")
    expect(bob.channel_button(room)).to_have_count(0)

    alice.create_channel(room)
    alice.expect_open(room)
    expect(alice.page.get_by_role("textbox", name="New channel")).to_have_value("")

    expect(bob.channel_button(room)).to_be_visible()
    # Listing it does not open it for B.
    expect(bob.channel_button(room)).not_to_have_attribute("aria-current", "true")
    bob.open_channel(room)


def test_duplicate_channel_in_other_case_is_refused(person, names):
    """Creating an existing channel in another letter case shows an alert in
    words and creates nothing."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room = names("Dup")
    alice.create_channel(room)
    expect(bob.channel_button(room)).to_be_visible()

    expect(bob.alert).to_have_count(0)
    bob.create_channel(room.upper())
    expect(bob.alert).to_be_visible()
    expect(bob.alert).to_have_text(WORDS)
    expect(bob.alert).to_contain_text(re.compile(r"exist|already|taken", re.I))
    expect(bob.channel_button(room)).to_have_count(1)
    expect(alice.channel_button(room)).to_have_count(1)
    expect(bob.heading(room.upper())).to_have_count(0)


def test_invalid_channel_names_are_refused(person, names):
    """A channel name breaking the rules (bad characters, too long) shows an
    alert in words, and no channel appears for anybody."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    bad = names("bad/name!")
    alice.create_channel(bad)
    expect(alice.alert).to_be_visible()
    expect(alice.alert).to_have_text(WORDS)
    expect(alice.channels).not_to_contain_text(bad)

    too_long = "L" * 41
    alice.create_channel(too_long)
    expect(alice.alert).to_contain_text(re.compile(r"40|long|characters", re.I))

    # A valid channel created afterwards shows up for Bob, the bad ones never did.
    ok = names("Fine")
    alice.create_channel(ok)
    alice.expect_open(ok)
    expect(alice.alert).to_have_count(0)
    expect(bob.channel_button(ok)).to_be_visible()
    expect(bob.channels).not_to_contain_text(bad)
    expect(bob.channels).not_to_contain_text(too_long)
