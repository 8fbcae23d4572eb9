"""Text from people is shown as text, never run as markup; limits are enforced."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PAYLOAD = "<img src=x onerror=alert(1)><b>bold</b>"


def test_markup_in_messages_and_names_is_shown_literally(person, names):
    """A message and a display name full of markup show up as the very
    characters typed: no element is created from them and no script runs
    (a JS dialog would fail the test)."""
    marked = f"<b>{names('Eve')}</b>&amp;"
    eve, bob = person(marked), person(names("Bob"))
    room = names("Safety")
    eve.create_channel(room)
    eve.expect_open(room)
    bob.open_channel(room)

    eve.send(PAYLOAD)
    for viewer in (eve, bob):
        article = viewer.article(PAYLOAD)
        expect(article).to_have_count(1)
        expect(article).to_contain_text(PAYLOAD)
        expect(article).to_contain_text(marked)
        expect(viewer.log.locator("img, b, script")).to_have_count(0)
        expect(viewer.page.locator("img")).to_have_count(0)
    # Eve's own name, shown as typed (not as bold text plus "&").
    expect(eve.page.get_by_text(marked, exact=True).first).to_be_visible()
    assert eve.watch.dialogs == [] and bob.watch.dialogs == []


def test_channel_names_with_markup_are_refused_not_rendered(person, names):
    """Markup characters are not allowed in channel names: an alert says so,
    and nothing is injected into the channel list."""
    alice = person(names("Alice"))
    alice.create_channel("<img src=x onerror=alert(1)>")
    expect(alice.alert).to_be_visible()
    expect(alice.alert).to_have_text(re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{3,}"))
    expect(alice.channels.locator("img")).to_have_count(0)
    expect(alice.page.locator("img")).to_have_count(0)


def test_messages_over_4000_characters_are_refused(person, names):
    """4,001 characters: an alert in words, the text stays in the composer and
    nobody receives anything. Exactly 4,000 characters are fine."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room = names("Limits")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)

    too_long = "z" * 4001
    alice.composer.fill(too_long)
    alice.composer.press("Enter")
    expect(alice.alert).to_be_visible()
    expect(alice.alert).to_contain_text(re.compile(r"4,?000"))
    expect(alice.composer).to_have_value(too_long)

    longest = "y" * 4000
    alice.send(longest)
    expect(bob.articles).to_have_count(1)  # the 4,000 one only
    expect(bob.articles.first).to_contain_text(longest)
    expect(bob.log).not_to_contain_text("zzzz")
    expect(alice.log).not_to_contain_text("zzzz")
    expect(alice.alert).to_have_count(0)  # a successful send clears the error
