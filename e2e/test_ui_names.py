"""Display names: chosen once, remembered, unique (in any letter case), renameable."""

from __future__ import annotations

import re

from playwright.sync_api import expect

WORDS = re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{2,}")  # a sentence, not a code or a blank


def test_first_visit_asks_for_a_name_and_later_visits_remember_it(person, names):
    """The dialog shows on the first visit only; a reload and a new page in the
    same browser show the same name without asking again."""
    alice = person()
    expect(alice.dialog).to_be_visible()
    expect(alice.dialog.get_by_role("textbox", name="Display name")).to_be_visible()
    name = names("Alice")
    alice.take_name(name)

    alice.reload()
    expect(alice.dialog).to_be_hidden()
    expect(alice.page.get_by_text(name, exact=True)).to_be_visible()

    alice.new_page()
    expect(alice.dialog).to_be_hidden()
    expect(alice.page.get_by_text(name, exact=True)).to_be_visible()
    # Still able to act as that person without being asked again.
    room = names("NameRoom")
    alice.create_channel(room)
    alice.expect_open(room)
    expect(alice.dialog).to_be_hidden()


def test_taken_and_invalid_names_are_refused_in_words(person, names):
    """A name somebody holds (in another letter case) and a 33-character name
    are refused with a sentence inside the dialog, which stays open."""
    taken = names("Alice")
    person(taken)
    bob = person()

    bob.claim(taken.upper())
    expect(bob.dialog_alert).to_be_visible()
    expect(bob.dialog_alert).to_have_text(WORDS)
    expect(bob.dialog_alert).to_contain_text(re.compile(r"taken|using|use|another|already", re.I))
    expect(bob.dialog).to_be_visible()
    expect(bob.page.get_by_text(taken.upper(), exact=True)).to_have_count(0)

    bob.claim("B" * 33)
    expect(bob.dialog_alert).to_be_visible()
    expect(bob.dialog_alert).to_contain_text(re.compile(r"32|long|characters", re.I))
    expect(bob.dialog).to_be_visible()

    bob.take_name(names("Bob"))
    expect(bob.dialog_alert).to_be_hidden()


def test_change_name_announces_the_rename_and_keeps_the_old_name(person, names):
    """ "Change name" renames; the other person in the channel reads the rename
    in the log; the old name stays the renamed person's (issue 11: before, somebody
    else could take it at once and post under it), and they can take it back."""
    old, new = names("Carol"), names("Caroline")
    carol = person(old)
    dave_name = names("Dave")
    dave = person(dave_name)
    room = names("Renames")
    carol.create_channel(room)
    carol.expect_open(room)
    dave.open_channel(room)

    carol.page.get_by_role("button", name="Change name").click()
    expect(carol.dialog).to_be_visible()
    carol.take_name(new)
    expect(carol.page.get_by_text(old, exact=True)).to_have_count(0)

    expect(dave.log).to_contain_text(re.compile(re.escape(old) + r".*" + re.escape(new)))
    # The renamed person's next message carries the new name.
    carol.send("after the rename")
    expect(dave.article("after the rename")).to_contain_text(new)

    # The old name is still Carol's: Dave cannot take it, and keeps his own.
    dave.page.get_by_role("button", name="Change name").click()
    dave.claim(old)
    expect(dave.dialog_alert).to_be_visible()
    expect(dave.dialog_alert).to_contain_text(re.compile(r"taken", re.I))
    dave.take_name(dave_name)
    # Carol can take it back.
    carol.page.get_by_role("button", name="Change name").click()
    carol.take_name(old)
    expect(dave.log).to_contain_text(re.compile(re.escape(new) + r".*" + re.escape(old)))
