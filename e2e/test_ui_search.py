"""Search (issue 15, item 5) in real Chromium, with three people: each finds
what they may read and nothing else (a direct conversation stays its
people's), results show conversation, sender, time and the text with the
match marked, and choosing one opens the conversation at that message
(scrolled to, highlighted, focused). From the keyboard alone, and on a
375 px phone, with axe-core on the results.

Everything is found by role and accessible name. That something was *not*
found is shown by the answer being complete: the summary line counts the
results the server sent, so once it says "1 message matches." nothing else
is coming.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Locator, expect
from test_accessibility import audit, axe_source  # noqa: F401  (axe_source: a fixture)

if TYPE_CHECKING:  # only a type: "conftest" is another module when tests/ runs first
    from conftest import Person

PHONE = {"width": 375, "height": 667}
# Tab presses from the search box to "Close search", at most: the top bar's
# buttons after the box, and "Close search".
TOP_BAR_STOPS = 4
# How wide the page is, and what sticks out of a phone's width.
WIDEST = "document.scrollingElement.scrollWidth"
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
    .slice(0, 10).map(e => `${e.tagName}.${e.className} ${getComputedStyle(e).position}`)"""
# Enough messages around the one to find that it starts out of view.
FILLER = 40


def searchbox(someone: Person) -> Locator:
    return someone.page.get_by_role("searchbox", name="Search messages")


def results(someone: Person) -> Locator:
    return someone.page.get_by_role("region", name="Search results")


def result(someone: Person, text: str) -> Locator:
    return results(someone).get_by_role("article").filter(has_text=text)


def search(someone: Person, query: str) -> None:
    searchbox(someone).fill(query)
    searchbox(someone).press("Enter")


def thread_log(someone: Person) -> Locator:
    return someone.page.get_by_role("complementary", name="Thread").get_by_role("log", name="Thread messages")


def people(someone: Person) -> Locator:
    return someone.page.get_by_role("navigation", name="People")


def expect_found(someone: Person, article: Locator) -> None:
    """The message opened from a result: in view, highlighted and focused."""
    expect(article).to_have_attribute("data-found", "true")
    expect(article).to_be_in_viewport()
    expect(article).to_be_focused()


def filled_room(seeder: Any, url: str, names: Any, needle: str) -> str:
    """A channel where ``needle`` is buried under ``FILLER`` later messages."""
    room = names("Search")
    before = [f"earlier chatter {i}" for i in range(5)]
    after = [f"later chatter {i}" for i in range(FILLER)]
    seeder(url, names("Seeder"), room, [*before, needle, *after])
    return room


def test_search_finds_only_what_one_may_read_and_opens_it_at_the_message(person, names, seeder, server_url):
    word = names("Lunchbox").replace("-", "")  # one word nobody else's messages hold
    room = filled_room(seeder, server_url, names, f"Who took the {word} from the fridge?")
    alice, bob, carol = (person(names(who)) for who in ("Alice", "Bob", "Carol"))
    assert alice.name and bob.name and carol.name
    for someone in (alice, bob, carol):
        someone.open_channel(room)

    # Alice and Bob talk directly about it; Carol is not in that conversation.
    people(alice).get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    alice.send(f"psst, the {word.upper()} was me")

    # Carol finds the channel's message and not the direct one: the answer
    # is complete once the summary counts it.
    search(carol, word.lower())
    expect(results(carol)).to_contain_text("1 message matches.")
    expect(results(carol).get_by_role("article")).to_have_count(1)
    expect(result(carol, "fridge")).to_be_visible()

    # Alice finds both, newest first, each with its conversation, sender,
    # time, and the match marked.
    other = names("Elsewhere")
    alice.create_channel(other)
    alice.expect_open(other)
    search(alice, word)
    expect(results(alice)).to_contain_text("2 messages match.")
    found = results(alice).get_by_role("article")
    expect(found).to_have_count(2)
    direct, in_room = found.nth(0), found.nth(1)
    expect(direct).to_contain_text(f"psst, the {word.upper()} was me")
    expect(direct).to_have_accessible_name(re.compile(f"^{re.escape(bob.name)}, {re.escape(alice.name)}, .+"))
    expect(in_room).to_contain_text(f"#{room}")
    expect(in_room).to_contain_text("Seeder")
    expect(in_room.locator("time")).to_have_count(1)
    expect(in_room.locator("mark")).to_have_text(word)
    expect(direct.locator("mark")).to_have_text(word.upper())

    # Choosing the channel's result opens the channel at that message, which
    # was far above the newest ones; the results stay.
    in_room.click()
    alice.expect_open(room)
    expect_found(alice, alice.article("from the fridge"))
    expect(alice.article(f"later chatter {FILLER - 1}")).not_to_be_in_viewport()
    expect(results(alice)).to_be_visible()
    expect(in_room).to_have_attribute("aria-current", "true")

    # The direct one opens Alice's conversation with Bob, at the message.
    direct.click()
    expect(alice.heading(bob.name)).to_be_visible()
    expect_found(alice, alice.article("was me"))

    # Closed: the region goes, and the cursor is back in the emptied box.
    results(alice).get_by_role("button", name="Close search").click()
    expect(results(alice)).to_be_hidden()
    expect(searchbox(alice)).to_be_focused()
    expect(searchbox(alice)).to_have_value("")

    # A reply in a thread: choosing it opens the channel and the thread,
    # with the reply found there.
    question = bob.article("from the fridge")
    question.hover()
    question.get_by_role("button", name="Reply in thread").click()
    reply_box = bob.page.get_by_role("textbox", name="Reply", exact=True)
    reply_box.fill(f"that was the cat, {word}cat")
    reply_box.press("Enter")
    expect(thread_log(bob).get_by_role("article").nth(1)).to_contain_text("that was the cat")
    search(alice, f"{word}c")
    expect(results(alice)).to_contain_text("1 message matches.")
    expect(result(alice, "the cat").locator("mark")).to_have_text(f"{word}c")
    result(alice, "the cat").click()
    alice.expect_open(room)
    expect_found(alice, thread_log(alice).get_by_role("article").filter(has_text="that was the cat"))


def test_search_from_the_keyboard_alone(person, names, seeder, server_url):
    word = names("Keyword").replace("-", "")
    room = filled_room(seeder, server_url, names, f"first {word} here")
    seeder(server_url, names("Seeder"), room, [f"second {word} there"], create=False)
    alice = person(names("Alice"))
    alice.open_channel(room)
    page = alice.page

    # The box comes first in the top bar, before "Change name".
    page.get_by_role("button", name="Change name").focus()
    page.keyboard.press("Shift+Tab")
    expect(searchbox(alice)).to_be_focused()

    # A query the server would refuse is refused in its words.
    page.keyboard.type("!!!")
    page.keyboard.press("Enter")
    expect(results(alice)).to_contain_text("Search for some words, from:name or in:channel.")
    expect(searchbox(alice)).to_have_attribute("aria-invalid", "true")

    # Nothing matches: said so.
    searchbox(alice).fill("")
    page.keyboard.type("zzzqqq")
    page.keyboard.press("Enter")
    expect(results(alice)).to_contain_text("No messages match.")
    expect(searchbox(alice)).not_to_have_attribute("aria-invalid", "true")

    # Two results: the arrow keys go from the box through them; Space opens.
    searchbox(alice).fill("")
    page.keyboard.type(f"{word} in:#{room}")
    page.keyboard.press("Enter")
    expect(results(alice)).to_contain_text("2 messages match.")
    page.keyboard.press("ArrowDown")
    expect(result(alice, "second")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(result(alice, "first")).to_be_focused()
    page.keyboard.press("Space")
    expect_found(alice, alice.article(f"first {word} here"))

    # Tab goes on from the box to "Close search", then the first result (the
    # top bar's buttons come between: how many is the top bar's business).
    searchbox(alice).focus()
    close = page.get_by_role("button", name="Close search")
    for _ in range(TOP_BAR_STOPS):
        page.keyboard.press("Tab")
        if close.evaluate("e => e === document.activeElement"):
            break
    expect(close).to_be_focused()
    page.keyboard.press("Tab")
    expect(result(alice, "second")).to_be_focused()
    page.keyboard.press("Enter")
    expect_found(alice, alice.article(f"second {word} there"))

    # Escape in the results closes them, back to the (emptied) box.
    result(alice, "first").focus()
    page.keyboard.press("Escape")
    expect(results(alice)).to_be_hidden()
    expect(searchbox(alice)).to_be_focused()
    expect(searchbox(alice)).to_have_value("")

    # Ctrl+K from anywhere (here: typing in the composer) goes back to the box,
    # its text selected, and types nothing into the composer.
    searchbox(alice).fill(word)
    composer = page.get_by_role("textbox", name="Message")
    composer.focus()
    page.keyboard.type("draft")
    page.keyboard.press("Control+K")
    expect(searchbox(alice)).to_be_focused()
    assert page.evaluate(
        "() => document.activeElement.selectionEnd - document.activeElement.selectionStart"
    ) == len(word)
    expect(composer).to_have_value("draft")


def test_search_on_a_phone_with_axe_on_the_results(person, names, seeder, server_url, axe_source):  # noqa: F811
    word = names("Phoneword").replace("-", "")
    room = filled_room(seeder, server_url, names, f"the {word} is on the table")
    alice = person(names("Alice"), viewport=PHONE)
    alice.open_channel(room)

    # The box fits the top bar, and nothing is wider than the phone.
    expect(searchbox(alice)).to_be_visible()
    banner = alice.page.get_by_role("banner").bounding_box()
    print(f"\ntop bar on a 375 px phone with the search box: {banner}")
    # One row, as high as without the box (39 px): the messages keep their share.
    assert banner is not None and banner["height"] < 42, banner
    search(alice, word)
    expect(results(alice)).to_contain_text("1 message matches.")
    assert alice.page.evaluate(WIDEST) <= PHONE["width"], alice.page.evaluate(TOO_WIDE)
    severe = audit(alice.page, axe_source, "search results on a phone")

    # Chosen: the message is in view under the results, which stay.
    result(alice, "table").click()
    expect_found(alice, alice.article("on the table"))
    expect(results(alice)).to_be_in_viewport()
    log = alice.log.bounding_box()
    assert log is not None and log["height"] >= 0.3 * PHONE["height"], log
    severe += audit(alice.page, axe_source, "a message opened from the results, on a phone")
    assert severe == [], severe
