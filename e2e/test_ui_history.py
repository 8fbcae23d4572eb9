"""Opening a channel shows its history, capped at the newest 100 messages."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from wire_support import Peer, unique

TOTAL = 105


def line(i: int) -> str:
    return f"history line {i:03d}"


def test_newcomer_sees_the_newest_100_messages_in_order(person, names):
    """A sends 105 messages through the page (Enter each time); B, opening the
    channel afterwards, sees exactly 100 articles: messages 6 to 105, in order."""
    alice = person(names("Alice"))
    room = names("History")
    alice.create_channel(room)
    alice.expect_open(room)
    for i in range(1, TOTAL + 1):
        alice.send(line(i))
    expect(alice.article(line(TOTAL))).to_be_visible()

    bob = person(names("Bob"))
    bob.open_channel(room)
    expect(bob.articles).to_have_count(100)
    expect(bob.articles.first).to_contain_text(line(6))
    expect(bob.articles.last).to_contain_text(line(TOTAL))
    texts = bob.articles.all_inner_texts()
    assert [n for n in range(1, TOTAL + 1) if any(line(n) in t for t in texts)] == list(range(6, TOTAL + 1))
    for text, n in zip(texts, range(6, TOTAL + 1), strict=True):
        assert line(n) in text
        assert alice.name in text


BURST = 40


def test_a_burst_from_someone_else_shows_complete_and_in_order(person, names, server_url):
    """Messages posted at once reach an open page batched (one ``messages``
    event, see docs/protocol.md); every one is shown, once, in the server's order."""
    bob = person(names("Bob"))
    room = names("Burst")
    bob.create_channel(room)
    bob.expect_open(room)

    async def burst() -> list[tuple[int, str]]:
        peer = await Peer(server_url).connect()
        try:
            await peer.named(unique("Carol"))
            await peer.ok("join_channel", {"channel": room})
            acks = await asyncio.gather(
                *(peer.ok("send_message", {"channel": room, "text": f"burst {n:02d}"}) for n in range(BURST))
            )
            return sorted((a["message"]["id"], a["message"]["text"]) for a in acks)
        finally:
            await peer.sio.disconnect()

    # Playwright's sync API owns this thread's event loop: the peer gets its own.
    with ThreadPoolExecutor(1) as pool:
        stored = pool.submit(asyncio.run, burst()).result(60)
    expect(bob.articles).to_have_count(BURST)
    shown = bob.articles.all_inner_texts()
    for (_, text), article in zip(stored, shown, strict=True):
        assert text in article
