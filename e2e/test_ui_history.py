"""Opening a channel shows its history, capped at the newest 100 messages."""

from __future__ import annotations

from playwright.sync_api import expect

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
