"""Team conversations (issue 14) in real Chromium, with two or three people:
direct messages (a third person never sees them; they come back after a
reload), threads, reactions, edit and delete (live for the others, and
after a reload), and leaving a channel.

Everything is found by role and accessible name, the issue's public
interface. Where something must *not* arrive, a later message that must
arrive is the barrier.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Locator, expect

from flack.protocol import HISTORY_LIMIT
from wire_support import Peer

if TYPE_CHECKING:  # only a type: "conftest" is another module when tests/ runs first
    from conftest import Person


def people(someone: Person) -> Locator:
    return someone.page.get_by_role("navigation", name="People")


def directs(someone: Person) -> Locator:
    return someone.page.get_by_role("navigation", name="Direct messages")


def thread(someone: Person) -> Locator:
    return someone.page.get_by_role("complementary", name="Thread")


def thread_log(someone: Person) -> Locator:
    return thread(someone).get_by_role("log", name="Thread messages")


def chip(article: Locator, label: str) -> Locator:
    """A reaction's toggle button under a message ("👍 2")."""
    return article.get_by_role("button", name=label, exact=True)


def in_channel(person, names, *, count: int = 2) -> tuple[list[Person], str]:
    """``count`` people with names, all in one new channel."""
    everyone = [person(names(who)) for who in ("Alice", "Bob", "Carol")[:count]]
    room = names("Team")
    everyone[0].create_channel(room)
    everyone[0].expect_open(room)
    for someone in everyone[1:]:
        expect(someone.channel_button(room)).to_be_visible()
        someone.open_channel(room)
    return everyone, room


def test_direct_messages_reach_only_their_people_and_come_back_after_a_reload(person, names):
    (alice, bob, carol), room = in_channel(person, names, count=3)
    assert alice.name and bob.name

    # Everyone with a name is in People, Alice herself marked.
    expect(people(alice).get_by_role("button", name=f"{alice.name} (you)")).to_be_visible()
    people(alice).get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    expect(directs(alice).get_by_role("link", name=bob.name)).to_have_attribute("aria-current", "true")
    alice.send("just between us")

    # Bob's list shows the conversation (named by Alice) without a reload.
    dm = directs(bob).get_by_role("link", name=alice.name)
    expect(dm).to_be_visible()
    dm.click()
    expect(bob.heading(alice.name)).to_be_visible()
    expect(bob.article("just between us")).to_be_visible()
    bob.send("agreed")
    expect(alice.article("agreed")).to_be_visible()

    # The barrier: a channel message Carol must see, sent after the direct ones.
    alice.channel_button(room).click()
    alice.expect_open(room)
    alice.send("channel news")
    expect(carol.article("channel news")).to_be_visible()
    expect(directs(carol).get_by_role("link")).to_have_count(0)
    expect(carol.page.get_by_text("just between us")).to_have_count(0)

    # After a reload the conversation is listed again, with its messages.
    alice.reload()
    dm = directs(alice).get_by_role("link", name=bob.name)
    expect(dm).to_be_visible()
    dm.click()
    expect(alice.article("just between us")).to_be_visible()
    expect(alice.article("agreed")).to_be_visible()


def test_thread_replies_stay_out_of_the_channel_and_the_count_is_live(person, names):
    (alice, bob), _room = in_channel(person, names)
    alice.send("where do we meet?")
    question = bob.article("where do we meet?")
    expect(question).to_be_visible()

    question.hover()
    question.get_by_role("button", name="Reply in thread").click()
    expect(thread(bob)).to_be_visible()
    expect(thread_log(bob).get_by_role("article").first).to_contain_text("where do we meet?")
    reply = bob.page.get_by_role("textbox", name="Reply", exact=True)
    expect(reply).to_be_focused()
    reply.fill("in the lobby")
    reply.press("Enter")
    expect(thread_log(bob).get_by_role("article").nth(1)).to_contain_text("in the lobby")

    # Alice: the count under the question, live; the reply is not in her log.
    count = alice.article("where do we meet?").get_by_role("button", name=re.compile(r"\b1 reply\b"))
    expect(count).to_be_visible()
    alice.send("barrier after the reply")
    expect(alice.article("barrier after the reply")).to_be_visible()
    expect(alice.article("in the lobby")).to_have_count(0)

    count.click()
    expect(thread_log(alice).get_by_role("article")).to_have_count(2)
    expect(thread_log(alice).get_by_role("article").first).to_contain_text("where do we meet?")
    expect(thread_log(alice).get_by_role("article").nth(1)).to_contain_text("in the lobby")

    # A second reply counts for both.
    bob.page.get_by_role("textbox", name="Reply", exact=True).fill("at nine")
    bob.page.get_by_role("textbox", name="Reply", exact=True).press("Enter")
    expect(thread_log(alice).get_by_role("article")).to_have_count(3)
    expect(question.get_by_role("button", name=re.compile(r"\b2 replies\b"))).to_be_visible()
    thread(alice).get_by_role("button", name="Close thread").click()
    expect(thread(alice)).to_be_hidden()


def test_reactions_are_toggles_live_for_everyone_and_survive_a_reload(person, names):
    (alice, bob), _room = in_channel(person, names)
    alice.send("lunch at noon")
    theirs = bob.article("lunch at noon")
    expect(theirs).to_be_visible()

    theirs.hover()
    theirs.get_by_role("button", name="Add reaction").click()
    picker = bob.page.get_by_role("dialog", name="Pick a reaction")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("button")).to_have_count(10)
    picker.get_by_role("button", name="👍", exact=True).click()
    expect(picker).to_be_hidden()
    expect(chip(theirs, "👍 1")).to_have_attribute("aria-pressed", "true")

    mine = alice.article("lunch at noon")
    expect(chip(mine, "👍 1")).to_have_attribute("aria-pressed", "false")
    chip(mine, "👍 1").click()
    expect(chip(mine, "👍 2")).to_have_attribute("aria-pressed", "true")
    expect(chip(theirs, "👍 2")).to_have_attribute("aria-pressed", "true")

    # Bob takes his back: one left, not his.
    chip(theirs, "👍 2").click()
    expect(chip(theirs, "👍 1")).to_have_attribute("aria-pressed", "false")
    expect(chip(mine, "👍 1")).to_have_attribute("aria-pressed", "true")

    bob.reload()
    expect(chip(bob.article("lunch at noon"), "👍 1")).to_have_attribute("aria-pressed", "false")


def test_edit_and_delete_own_messages_live_and_after_a_reload(person, names):
    (alice, bob), _room = in_channel(person, names)
    alice.send("teh typo")
    alice.send("regret this")
    expect(bob.article("regret this")).to_be_visible()

    # Only one's own messages can be edited or deleted.
    theirs = bob.article("teh typo")
    theirs.hover()
    expect(theirs.get_by_role("button", name="Reply in thread")).to_be_visible()
    expect(theirs.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete message")).to_have_count(0)

    mine = alice.article("teh typo")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    box = alice.log.get_by_role("textbox", name="Edit message")
    expect(box).to_be_focused()
    expect(box).to_have_value("teh typo")
    box.press("Escape")  # cancels
    expect(box).to_have_count(0)
    expect(mine).not_to_contain_text("edited")

    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    box.fill("the typo, fixed")
    box.press("Enter")
    fixed = alice.article("the typo, fixed")
    expect(fixed).to_contain_text("edited")
    expect(bob.article("the typo, fixed")).to_contain_text("edited")
    expect(bob.article("teh typo")).to_have_count(0)

    regret = alice.article("regret this")
    regret.hover()
    regret.get_by_role("button", name="Delete message").click()
    dialog = alice.page.get_by_role("dialog", name="Delete this message?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(alice.article("regret this")).to_have_count(0)
    expect(bob.article("regret this")).to_have_count(0)

    bob.reload()
    expect(bob.article("the typo, fixed")).to_contain_text("edited")
    expect(bob.articles).to_have_count(1)


def test_leaving_a_channel_closes_it_and_it_stays_left_after_a_reload(person, names):
    (alice, bob), room = in_channel(person, names)
    expect(alice.channel_button(room)).not_to_contain_text("not joined")
    alice.page.get_by_role("button", name="Leave channel").click()
    expect(alice.heading("No channel open")).to_be_visible()
    expect(alice.channel_button(room)).to_contain_text("not joined")
    expect(alice.page.get_by_role("button", name="Leave channel")).to_be_hidden()

    alice.reload()
    expect(alice.heading("No channel open")).to_be_visible()
    expect(alice.channel_button(room)).to_contain_text("not joined")

    # Opening it again joins it again: Bob's message reaches her live.
    alice.open_channel(room)
    expect(alice.channel_button(room)).not_to_contain_text("not joined")
    bob.send("welcome back")
    expect(alice.article("welcome back")).to_be_visible()


def test_a_group_conversation_reaches_everyone_in_it(person, names):
    alice, bob, carol = (person(names(who)) for who in ("Alice", "Bob", "Carol"))
    assert alice.name and bob.name and carol.name
    alice.page.get_by_role("button", name="New group").click()
    dialog = alice.page.get_by_role("dialog", name="Start a group conversation")
    expect(dialog).to_be_visible()
    dialog.get_by_role("checkbox", name=bob.name).check()
    dialog.get_by_role("checkbox", name=carol.name).check()
    dialog.get_by_role("button", name="Start group").click()
    expect(dialog).to_be_hidden()
    both = ", ".join(sorted([bob.name, carol.name], key=str.casefold))
    expect(alice.heading(both)).to_be_visible()
    alice.send("hello you two")

    for someone, others in ((bob, [alice.name, carol.name]), (carol, [alice.name, bob.name])):
        label = ", ".join(sorted(others, key=str.casefold))
        group = directs(someone).get_by_role("link", name=label)
        expect(group).to_be_visible()
        group.click()
        expect(someone.article("hello you two")).to_be_visible()


ACTIVE = """() => {
    const el = document.activeElement;
    const bar = el.closest(".message__actions");
    return {
        name: el.getAttribute("aria-label") || el.textContent,
        ring: el.matches(":focus-visible") && getComputedStyle(el).outlineStyle !== "none",
        shown: bar ? getComputedStyle(bar).opacity === "1" : null,
    };
}"""


def test_a_message_can_be_reacted_to_and_edited_with_the_keyboard_alone(person, names):
    (alice,), _room = in_channel(person, names, count=1)
    alice.send("keyboard only")
    page = alice.page
    alice.log.focus()
    # Tab from the log into the message's toolbar: shown, with a visible ring.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE)["name"] == "Add reaction":
            break
    assert page.evaluate(ACTIVE) == {"name": "Add reaction", "ring": True, "shown": True}

    page.keyboard.press("Enter")
    picker = page.get_by_role("dialog", name="Pick a reaction")
    expect(picker.get_by_role("button", name="👍", exact=True)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="❤️", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    message = alice.article("keyboard only")
    expect(chip(message, "❤️ 1")).to_have_attribute("aria-pressed", "true")
    # Back on the button that opened the picker; Escape closes it there too.
    expect(message.get_by_role("button", name="Add reaction")).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(message.get_by_role("button", name="Add reaction")).to_be_focused()

    page.keyboard.press("Tab")  # Edit message
    page.keyboard.press("Enter")
    box = alice.log.get_by_role("textbox", name="Edit message")
    expect(box).to_be_focused()
    page.keyboard.type(" (changed)")
    page.keyboard.press("Enter")
    expect(message).to_contain_text("keyboard only (changed)")
    expect(message).to_contain_text("edited")
    expect(message.get_by_role("button", name="Edit message")).to_be_focused()


def test_a_renamed_persons_direct_conversation_follows_them(person, names):
    """A direct conversation is the people in it, not their names: Bob's
    rename reaches Alice's People and Direct messages lists live, and the
    conversation is the same one, with its messages."""
    (alice, bob), _room = in_channel(person, names)
    assert bob.name
    people(alice).get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    alice.send("before the rename")
    expect(directs(bob).get_by_role("link", name=alice.name)).to_be_visible()

    old, renamed = bob.name, names("Robert")
    bob.page.get_by_role("button", name="Change name").click()
    bob.take_name(renamed)

    expect(people(alice).get_by_role("button", name=renamed)).to_be_visible()
    expect(people(alice).get_by_role("button", name=re.compile(re.escape(old)))).to_have_count(0)
    dm = directs(alice).get_by_role("link", name=renamed)
    expect(dm).to_be_visible()
    expect(alice.heading(renamed)).to_be_visible()  # the open conversation's heading too
    directs(bob).get_by_role("link", name=alice.name).click()
    bob.send("after the rename")
    expect(alice.article("after the rename")).to_contain_text(renamed)
    expect(alice.article("before the rename")).to_be_visible()


def test_a_reply_whose_thread_left_the_history_is_still_shown(person, names, server_url, wire):
    """A thread's first message is older than its replies, so it leaves the
    100-message history first: its replies, still kept, are shown in the log
    with a note instead of vanishing with the thread."""
    room = names("Busy")

    async def fill() -> None:
        ada = await (await Peer(server_url).connect()).named(names("Ada"))
        try:
            await ada.ok("create_channel", {"channel": room})
            await ada.ok("join_channel", {"channel": room})
            first = (await ada.ok("send_message", {"channel": room, "text": "the start"}))["message"]
            await ada.ok("send_message", {"channel": room, "text": "a late answer", "parent": first["id"]})
            for n in range(HISTORY_LIMIT - 1):  # pushes the start out
                await ada.ok("send_message", {"channel": room, "text": f"busy {n}"})
        finally:
            await ada.sio.disconnect()

    wire.run(fill())
    bob = person(names("Bob"))
    bob.open_channel(room)
    orphan = bob.article("a late answer")
    expect(orphan).to_contain_text("A reply in a thread whose first message is no longer kept")
    expect(bob.page.get_by_text("the start", exact=True)).to_have_count(0)
