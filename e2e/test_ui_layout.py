"""Phone layout and focus (issue 12): on a 375x667 phone the messages get at
least 60% of the height and the open channel is always in view in the
channel strip; focus rings are never cut off; after the name dialog, focus
is in the message box."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flack.protocol import sort_channels

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 720}
STRIP = 24  # channels: far more than a phone's strip shows at once

# Where the open channel's button is, against the visible box of the list.
CURRENT_IN_STRIP = """() => {
    const list = document.getElementById("channel-list");
    const current = list.querySelector('[aria-current="true"]');
    const b = current.getBoundingClientRect(), l = list.getBoundingClientRect();
    return {
        inView: b.left >= l.left - 1 && b.right <= l.right + 1
            && b.top >= l.top - 1 && b.bottom <= l.bottom + 1,
        scrolled: list.scrollLeft,
    };
}"""

# The focused element's ring (its outline, grown by its offset), and every
# ancestor whose overflow cuts into it.
RING = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const grow = (parseFloat(style.outlineOffset) || 0) + (parseFloat(style.outlineWidth) || 0);
    const r = el.getBoundingClientRect();
    const ring = {left: r.left - grow, top: r.top - grow, right: r.right + grow, bottom: r.bottom + grow};
    const clipped = [];
    for (let box = el.parentElement; box; box = box.parentElement) {
        const s = getComputedStyle(box);
        if (s.overflowX === "visible" && s.overflowY === "visible") continue;
        const b = box.getBoundingClientRect();
        const left = b.left + box.clientLeft, top = b.top + box.clientTop;
        const right = left + box.clientWidth, bottom = top + box.clientHeight;
        const cut = ring.left < left - 0.5 || ring.top < top - 0.5
            || ring.right > right + 0.5 || ring.bottom > bottom + 0.5;
        if (cut) {
            clipped.push(box.id || box.className || box.tagName);
        }
    }
    return {
        name: el.dataset.channel || el.id,
        focusVisible: el.matches(":focus-visible"),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth) || 0,
        clipped,
    };
}"""


def seed_strip(seeder: Any, url: str, names: Any) -> tuple[list[str], str]:
    """``STRIP`` channels, and the one sorted last, with messages in it."""
    strip = [names("Strip") for _ in range(STRIP)]
    for channel in strip:
        seeder(url, names("Seeder"), channel, [])
    far = names("Zfar")
    seeder(url, names("Seeder"), far, [f"news {index}" for index in range(1, 9)])
    return strip, far


def scroll_strip(page: Page, left: int) -> None:
    page.evaluate("left => { document.getElementById('channel-list').scrollLeft = left; }", left)


def current_in_strip(page: Page) -> dict[str, Any]:
    return page.evaluate(CURRENT_IN_STRIP)


def test_phone_layout_gives_the_messages_the_height_and_keeps_the_open_channel_in_view(
    fresh_server, person, names, seeder
):
    _, far = seed_strip(seeder, fresh_server, names)
    alice = person(names("Alice"), url=fresh_server, viewport=PHONE)
    alice.open_channel(far)
    expect(alice.article("news 8")).to_be_visible()

    # The messages' share of the height.
    log = alice.log.bounding_box()
    assert log is not None
    share = log["height"] / PHONE["height"]
    print(f"\nlog height on a 375x667 phone: {log['height']:.0f} px, {share:.0%} of the viewport")
    assert share >= 0.6

    # Back again: the page reopens the far channel, and scrolls the strip
    # (which starts at its left end) to it.
    alice.reload()
    alice.expect_open(far)
    placed = current_in_strip(alice.page)
    assert placed["inView"] and placed["scrolled"] > 0, placed

    # A channel created by someone else, sorted before it, pushes it along
    # the strip: it stays in view.
    early = names("Aearly")
    seeder(fresh_server, names("Seeder"), early, [])
    expect(alice.channel_button(early)).to_be_attached()
    assert current_in_strip(alice.page)["inView"]

    # Someone browsing the strip is not yanked back by the next one.
    scroll_strip(alice.page, 0)
    later = names("Aearlier")
    seeder(fresh_server, names("Seeder"), later, [])
    expect(alice.channel_button(later)).to_be_attached()
    assert current_in_strip(alice.page) == {"inView": False, "scrolled": 0}

    # A channel opened while the strip shows its other end (one created
    # here, sorted first) is scrolled to.
    scroll_strip(alice.page, 10**6)
    first = names("Abegin")
    alice.create_channel(first)
    alice.expect_open(first)
    assert current_in_strip(alice.page)["inView"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_focus_rings_on_channel_buttons_are_whole(fresh_server, person, names, seeder, viewport):
    # Wide enough that the third does not fit a phone's strip: tabbing to it
    # must bring it (and its ring) wholly into view.
    strip = sort_channels(names("RingAround") for _ in range(3))  # in tab order
    for channel in strip:
        seeder(fresh_server, names("Seeder"), channel, [])
    alice = person(names("Alice"), url=fresh_server, viewport=viewport)
    alice.open_channel(strip[1])
    page = alice.page

    # From the keyboard: New channel, Create channel, then the channels.
    page.get_by_role("textbox", name="New channel").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create channel")).to_be_focused()
    rings = []
    for channel in strip:
        page.keyboard.press("Tab")
        expect(alice.channel_button(channel)).to_be_focused()
        rings.append(page.evaluate(RING))
    for ring in rings:
        assert ring["focusVisible"] and ring["style"] != "none" and ring["width"] >= 2, ring
        assert ring["clipped"] == [], ring


def test_after_the_name_dialog_focus_is_in_the_message_box(person, names):
    # A first visit: nothing was focused before the dialog (<body>).
    alice = person()
    alice.take_name(names("Alice"))
    expect(alice.composer).to_be_focused()

    # "Change name" with a channel open: back in the message box, not on
    # the button that opened the dialog.
    room = names("Focus")
    alice.create_channel(room)
    alice.expect_open(room)
    alice.page.get_by_role("button", name="Change name").click()
    alice.take_name(names("Alicia"))
    expect(alice.composer).to_be_focused()
    alice.send("typed straight away")
