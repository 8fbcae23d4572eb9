"""Messages arrive live, only in their channel, with sender, time and text."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def local_clock_texts(iso: str, zone: str) -> list[str]:
    """How ``iso`` may read on a clock in ``zone``: 24-hour or 12-hour."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    h12 = when.hour % 12 or 12
    return [f"{when.hour:02d}:{when.minute:02d}", f"{h12:02d}:{when.minute:02d}"]


def test_message_reaches_its_channel_only_with_sender_and_time(person, names):
    """A presses Enter: B (same channel) sees A's name, the text and an ISO UTC
    ``<time datetime>``; C in another channel never sees it. Send works too."""
    alice, bob, carol = person(names("Alice")), person(names("Bob")), person(names("Carol"))
    x, y = names("Xroom"), names("Yroom")
    alice.create_channel(x)
    alice.expect_open(x)
    bob.open_channel(x)
    carol.create_channel(y)
    carol.expect_open(y)

    text = f"hello from {alice.name}"
    alice.composer.fill(text)
    alice.composer.press("Enter")
    seen = bob.article(text)
    expect(seen).to_have_count(1)
    expect(seen).to_contain_text(alice.name)
    stamp = seen.locator("time")
    expect(stamp).to_have_attribute("datetime", ISO_UTC)
    expect(stamp).not_to_have_text("")
    expect(alice.article(text)).to_have_count(1)  # once, although ack and event both arrive
    expect(alice.composer).to_have_value("")

    # The Send button sends too.
    alice.composer.fill("sent with the button")
    alice.send_button.click()
    expect(bob.article("sent with the button")).to_contain_text(alice.name)
    expect(alice.composer).to_have_value("")

    # Carol, in Y, gets her own message (a sync point) but never X's.
    carol.send("only in Y")
    expect(carol.article("only in Y")).to_be_visible()
    expect(carol.log).not_to_contain_text(text)
    expect(carol.log).not_to_contain_text("sent with the button")
    expect(bob.log).not_to_contain_text("only in Y")


def test_shift_enter_makes_a_newline_instead_of_sending(person, names):
    """Shift+Enter adds a line; the next Enter sends both lines as one message."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room = names("Lines")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)

    alice.composer.fill("first line")
    alice.composer.press("Shift+Enter")
    alice.composer.type("second line")
    expect(alice.composer).to_have_value("first line\nsecond line")
    expect(bob.articles).to_have_count(0)
    alice.composer.press("Enter")
    expect(bob.articles).to_have_count(1)
    expect(bob.articles.first).to_contain_text("first line")
    expect(bob.articles.first).to_contain_text("second line")


def test_own_messages_look_different_and_times_are_local(person, names):
    """A's own article is marked differently from the same article in B's view,
    and B (in Tokyo) reads the time on a Tokyo clock."""
    alice = person(names("Alice"), timezone_id="UTC", locale="en-GB")
    bob = person(names("Bob"), timezone_id="Asia/Tokyo", locale="en-GB")
    room = names("Clocks")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)

    alice.send("what time is it")
    mine, theirs = alice.article("what time is it"), bob.article("what time is it")
    expect(theirs).to_be_visible()
    mine_marks = mine.evaluate("e => [e.className, JSON.stringify(e.dataset)]")
    theirs_marks = theirs.evaluate("e => [e.className, JSON.stringify(e.dataset)]")
    assert mine_marks != theirs_marks, "own and others' messages are marked the same"

    iso = theirs.locator("time").get_attribute("datetime")
    assert iso and ISO_UTC.match(iso), iso
    assert mine.locator("time").get_attribute("datetime") == iso
    tokyo = local_clock_texts(iso, "Asia/Tokyo")
    utc = local_clock_texts(iso, "UTC")
    bob_clock = theirs.locator("time").inner_text()
    alice_clock = mine.locator("time").inner_text()
    assert any(t in bob_clock for t in tokyo), (bob_clock, tokyo)
    assert not any(t in bob_clock for t in utc), (bob_clock, utc)  # Tokyo is UTC+9
    assert any(t in alice_clock for t in utc), (alice_clock, utc)


def test_join_and_leave_are_announced_to_the_others(person, names):
    """When B opens A's channel (and so joins it) A reads a join notice; when
    B presses "Leave channel" A reads a leave notice. Opening another channel
    and coming back is not news (issue 14: membership, not viewing). B's own
    log shows no notice about B."""
    alice, bob = person(names("Alice")), person(names("Bob"))
    room, other = names("Meet"), names("Elsewhere")
    alice.create_channel(other)
    alice.create_channel(room)
    alice.expect_open(room)

    bob.open_channel(room)
    joined = re.compile(re.escape(bob.name) + r".*join", re.I)
    expect(alice.log).to_contain_text(joined)
    expect(bob.log).not_to_contain_text(joined)

    bob.open_channel(other)
    bob.open_channel(room)
    bob.page.get_by_role("button", name="Leave channel").click()
    expect(alice.log).to_contain_text(re.compile(re.escape(bob.name) + r".*(left|leave)", re.I))
    # The leave notice is the barrier: switching away and back said nothing.
    expect(alice.log.get_by_text(joined)).to_have_count(1)
    # Notices are not messages.
    expect(alice.articles).to_have_count(0)


def test_log_follows_new_messages_only_when_at_the_bottom(person, names, seeder, server_url):
    """Scrolled up, a new message does not move the view; at the bottom, new
    messages keep it at the bottom."""
    room = names("Scroll")
    seeder(server_url, names("Seeder"), room, [f"filler {i}\nsecond line" for i in range(60)])
    alice, bob = person(names("Alice")), person(names("Bob"))
    alice.open_channel(room)
    bob.open_channel(room)
    expect(bob.articles).to_have_count(60)

    m = bob.scroll_metrics()
    assert m["height"] > m["client"] + 200, f"the log does not scroll: {m}"
    # Opening a channel shows its newest message.
    assert abs(m["top"] + m["client"] - m["height"]) <= 2, m

    bob.log.evaluate("e => { e.scrollTop = 0; }")
    bob.page.wait_for_function("e => e.scrollTop === 0", arg=bob.log.element_handle(), timeout=5_000)
    alice.send("arrives while Bob reads history")
    expect(bob.article("arrives while Bob reads history")).to_be_attached()
    m = bob.scroll_metrics()
    assert m["top"] <= 2, f"the view was yanked down: {m}"

    bob.log.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    for i in range(3):
        alice.send(f"arrives at the bottom {i}")
        expect(bob.article(f"arrives at the bottom {i}")).to_be_attached()
        bob.page.wait_for_function(
            "e => Math.abs(e.scrollTop + e.clientHeight - e.scrollHeight) <= 2",
            arg=bob.log.element_handle(),
            timeout=5_000,
        )
    expect(bob.article("arrives at the bottom 2")).to_be_in_viewport()
