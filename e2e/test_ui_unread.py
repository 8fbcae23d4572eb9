"""Unread counts, read marks, mentions and notifications (issue 15, items 3
and 4) in real Chromium, with two people (and a second tab): counts on the
conversation links while another conversation is open, opening one marks
it read in every tab of that person (the ``read`` event), the "New
messages" line, counts surviving a reload, ``@name`` (as names compare),
``@channel`` and direct messages counting as mentions, ``data-mention`` on
the article, the tab's title "(N) Flack", "Enable notifications" asking
the browser only when pressed, and desktop notifications while the page is
hidden, a click on one opening its conversation.

Everything is found by role and accessible name. A hidden page is emulated
as in ``test_ui_awareness.py`` (headless pages are always visible).
Notifications: the browser's permission is Playwright's (``permissions``),
and a small script of the test's own, run before the page's, records every
``new Notification(...)`` instead of showing it (headless Chromium shows
none), keeping the notification objects so the test can "click" one by
calling the ``onclick`` the page set, as the browser would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Locator, expect
from test_accessibility import AXE, audit
from test_ui_awareness import SET_VISIBILITY

if TYPE_CHECKING:  # only a type: "conftest" is another module when tests/ runs first
    from conftest import Person

# Test glue, never part of the page: ``Notification`` replaced by a recorder
# that keeps what the page asked for (the browser's permission stays the
# browser's: Playwright's grant).
RECORD_NOTIFICATIONS = """
    const Real = window.Notification;
    window.__notes = [];
    window.__asked = 0;
    class Recorded {
        constructor(title, options) {
            this.title = title;
            this.options = options || {};
            this.onclick = null;
            this.closed = false;
            window.__notes.push(this);
        }
        close() { this.closed = true; }
        static get permission() { return Real.permission; }
        static requestPermission() { window.__asked += 1; return Real.requestPermission(); }
    }
    window.Notification = Recorded;
"""

# The same recorder, with a browser that has not been asked yet and says
# ``answer`` when it is (headless Chromium never shows its prompt).
ASK_LATER = """answer => {
    let state = "default";
    window.__asked = 0;
    window.Notification = class {
        static get permission() { return state; }
        static requestPermission() {
            window.__asked += 1;
            state = answer;
            return Promise.resolve(answer);
        }
    };
}"""

NOTES = "() => window.__notes.map(n => ({title: n.title, body: n.options.body, tag: n.options.tag}))"


def directs(someone: Person) -> Locator:
    return someone.page.get_by_role("navigation", name="Direct messages")


def people(someone: Person) -> Locator:
    return someone.page.get_by_role("navigation", name="People")


def unread(count: int, mentions: int = 0) -> re.Pattern[str]:
    """What a link's accessible name ends with: ``count`` unread, ``mentions`` mentions."""
    said = f", {count} unread"
    if mentions:
        said += f", {mentions} mention" + ("s" if mentions > 1 else "")
    return re.compile(re.escape(said) + "$")


NOTHING_UNREAD = re.compile(r"^(?!.*(unread|mention)).*$")


def new_messages(someone: Person) -> Locator:
    return someone.log.get_by_role("separator", name="New messages")


def looking_elsewhere(person, names) -> tuple[Person, Person, str, str]:
    """Alice and Bob in a room; Bob has another channel open."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room, other = names("Team"), names("Other")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)
    bob.create_channel(other)
    bob.expect_open(other)
    return alice, bob, room, other


def second_tab(someone: Person) -> Any:
    """Another tab of the same browser (same stored name): the same person."""
    tab = someone.context.new_page()
    someone.watch.attach(tab)
    tab.goto(someone.url)
    expect(tab.locator('body[data-ready="true"]')).to_be_attached(timeout=60_000)
    return tab


def test_counts_show_while_elsewhere_and_opening_reads_them_in_every_tab(person, names):
    alice, bob, room, other = looking_elsewhere(person, names)
    tab = second_tab(bob)
    tab_link = tab.get_by_role("navigation", name="Channels").get_by_role("button", name=room)
    expect(tab.get_by_role("heading", name=other)).to_be_visible()

    for text in ("first news", "second news", "third news"):
        alice.send(text)
    link = bob.channel_button(room)
    expect(link).to_have_accessible_name(unread(3))
    expect(tab_link).to_have_accessible_name(unread(3))
    expect(bob.page).to_have_title("Flack")  # no mention among them

    # Counts are the server's: a reload shows them again.
    tab.reload()
    expect(tab.locator('body[data-ready="true"]')).to_be_attached(timeout=60_000)
    expect(tab_link).to_have_accessible_name(unread(3))

    # Opening the room reads it: "New messages" before the first of them,
    # the count gone here and in the other tab (the server's ``read``).
    bob.open_channel(room)
    expect(new_messages(bob)).to_be_visible()
    following = new_messages(bob).locator("xpath=following-sibling::article[1]")
    expect(following).to_contain_text("first news")
    expect(link).to_have_accessible_name(NOTHING_UNREAD)
    expect(tab_link).to_have_accessible_name(NOTHING_UNREAD)

    # Read live from now on: a message arriving moves neither the line nor a count.
    alice.send("fourth news")
    expect(bob.article("fourth news")).to_be_visible()
    expect(following).to_contain_text("first news")
    expect(tab_link).to_have_accessible_name(NOTHING_UNREAD)  # marked read by the open tab

    # Another conversation opened: the line goes; read marks survive a reload.
    bob.open_channel(other)
    expect(new_messages(bob)).to_have_count(0)
    bob.reload()
    expect(link).to_have_accessible_name(NOTHING_UNREAD)
    bob.open_channel(room)
    expect(bob.article("fourth news")).to_be_visible()
    expect(new_messages(bob)).to_have_count(0)


def test_mentions_and_direct_messages_count_mark_articles_and_title_the_tab(person, names):
    alice, bob, room, _other = looking_elsewhere(person, names)
    assert alice.name and bob.name

    alice.send(f"hey @{bob.name.upper()} look")  # names compare case-insensitively
    alice.send("@channel standup now")
    alice.send(f"plain words, and `@{bob.name}` in code")
    people(alice).get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    alice.send("psst, a direct one")

    link = bob.channel_button(room)
    dm = directs(bob).get_by_role("link", name=alice.name)
    expect(link).to_have_accessible_name(unread(3, mentions=2))
    expect(dm).to_have_accessible_name(unread(1, mentions=1))
    expect(bob.page).to_have_title("(3) Flack")
    # The same from the server's own counts (its mention rule is the page's).
    bob.reload()
    expect(link).to_have_accessible_name(unread(3, mentions=2))
    expect(dm).to_have_accessible_name(unread(1, mentions=1))
    expect(bob.page).to_have_title("(3) Flack")

    bob.open_channel(room)
    expect(bob.article("hey")).to_have_attribute("data-mention", "true")
    expect(bob.article("standup")).to_have_attribute("data-mention", "true")
    expect(bob.article("plain words")).not_to_have_attribute("data-mention", "true")
    expect(bob.page).to_have_title("(1) Flack")
    # Alice's own mention of Bob is not marked on her page.
    alice.channel_button(room).click()
    alice.expect_open(room)
    expect(alice.article("hey")).not_to_have_attribute("data-mention", "true")

    dm.click()
    expect(bob.heading(alice.name)).to_be_visible()
    expect(bob.page).to_have_title("Flack")
    expect(dm).to_have_accessible_name(NOTHING_UNREAD)


@pytest.mark.parametrize(
    ("answer", "status"), [("granted", "Notifications on"), ("denied", "Notifications blocked")]
)
def test_enable_notifications_asks_the_browser_only_when_pressed(person, names, answer, status):
    bob = person(boot=False)
    bob.context.add_init_script(f"({ASK_LATER})({answer!r})")
    bob.open()
    bob.take_name(names("Bob"))
    button = bob.page.get_by_role("button", name="Enable notifications")
    expect(button).to_be_visible()
    # Booted, named, a channel made and opened: nobody asked the browser.
    room = names("Room")
    bob.create_channel(room)
    bob.expect_open(room)
    assert bob.page.evaluate("window.__asked") == 0

    button.click()
    expect(bob.page.get_by_text(status, exact=True)).to_be_visible()
    expect(button).to_be_hidden()
    assert bob.page.evaluate("window.__asked") == 1


def test_mentions_and_direct_messages_notify_while_hidden_and_a_click_opens_them(person, names):
    alice = person(names("Alice"))
    bob = person(boot=False, permissions=["notifications"])
    bob.context.add_init_script(RECORD_NOTIFICATIONS)
    bob.open()
    bob.take_name(names("Bob"))
    assert alice.name and bob.name
    room = names("Team")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)
    # Allowed already: nothing to press, and the page says so.
    expect(bob.page.get_by_role("button", name="Enable notifications")).to_be_hidden()
    expect(bob.page.get_by_text("Notifications on", exact=True)).to_be_visible()

    # Seen with the page in front: no notification.
    alice.send(f"@{bob.name} while you look")
    expect(bob.article("while you look")).to_be_visible()

    bob.page.evaluate(SET_VISIBILITY, True)
    alice.send("plain, no notification")
    long = "can you check the build " + "and the tests " * 20
    alice.send(f"@{bob.name} {long}")
    people(alice).get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    alice.send("psst, a direct one")

    # The direct message went last: once it is notified, everything before was heard.
    bob.page.wait_for_function("() => window.__notes.length >= 2")
    notes = bob.page.evaluate(NOTES)
    assert [note["title"] for note in notes] == [alice.name, alice.name], notes
    assert notes[0]["body"].startswith(f"@{bob.name} can you check the build and the tests")
    assert len(notes[0]["body"]) <= 100 and notes[0]["body"].endswith("…")
    assert notes[1]["body"] == "psst, a direct one"
    expect(bob.page).to_have_title("(2) Flack")
    link = bob.channel_button(room)
    # The open conversation counts too while nobody looks at it.
    expect(link).to_have_accessible_name(unread(2, mentions=1))

    # A click on the direct one opens that conversation here.
    bob.page.evaluate("() => window.__notes[1].onclick()")
    expect(bob.heading(alice.name)).to_be_visible()
    assert bob.page.evaluate("() => window.__notes[1].closed")
    # Still hidden (the emulation): nothing is marked read until it is in front.
    dm = directs(bob).get_by_role("link", name=alice.name)
    expect(dm).to_have_accessible_name(unread(1, mentions=1))
    bob.page.evaluate(SET_VISIBILITY, False)
    expect(dm).to_have_accessible_name(NOTHING_UNREAD)
    expect(bob.page).to_have_title("(1) Flack")


def test_screens_with_counts_have_no_serious_or_critical_violations(person, names):
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in frontend/ (axe-core is a dev dependency)")
    source = Path(AXE).read_text(encoding="utf-8")
    alice, bob, room, _other = looking_elsewhere(person, names)
    assert bob.name
    alice.send(f"@{bob.name} look at this")
    alice.send("and this")
    link = bob.channel_button(room)
    expect(link).to_have_accessible_name(unread(2, mentions=1))
    severe: dict[str, list[dict[str, Any]]] = {}
    for scheme in ("light", "dark"):
        bob.page.emulate_media(color_scheme=scheme)
        severe[f"counts ({scheme})"] = audit(bob.page, source, f"links with counts ({scheme})")
    bob.open_channel(room)
    expect(new_messages(bob)).to_be_visible()
    for scheme in ("light", "dark"):
        bob.page.emulate_media(color_scheme=scheme)
        severe[f"new messages ({scheme})"] = audit(bob.page, source, f"new messages, a mention ({scheme})")
    assert not any(severe.values()), severe


def test_a_deleted_unread_mention_leaves_the_counts(person, names):
    """The page cannot tell what a deleted message was: the server recounts."""
    alice, bob, room, _other = looking_elsewhere(person, names)
    alice.send(f"@{bob.name} oops, wrong person")
    link = bob.channel_button(room)
    expect(link).to_have_accessible_name(unread(1, mentions=1))
    expect(bob.page).to_have_title("(1) Flack")

    regret = alice.article("oops, wrong person")
    regret.hover()
    regret.get_by_role("button", name="Delete message").click()
    dialog = alice.page.get_by_role("dialog", name="Delete this message?")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(alice.article("oops, wrong person")).to_have_count(0)

    expect(link).to_have_accessible_name(NOTHING_UNREAD)
    expect(bob.page).to_have_title("Flack")
