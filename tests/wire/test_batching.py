"""Coalescing: a quiet channel's message goes out alone, a burst arrives batched,
and batching never loses, repeats or reorders anything (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from flack.testing import running_server
from wire_support import Peer, raw_member, unique

BURST = 40


async def channel_with(peers, count: int) -> tuple[str, list[Peer]]:
    channel = unique("batch-")
    members = [await (await peers()).named(unique("member")) for _ in range(count)]
    await members[0].ok("create_channel", {"channel": channel})
    for member in members:
        await member.ok("join_channel", {"channel": channel})
    return channel, members


async def burst(sender: Peer, channel: str, count: int = BURST) -> list[int]:
    """``count`` messages sent at once; the ids the server gave them."""
    acks = await asyncio.gather(
        *(sender.ok("send_message", {"channel": channel, "text": f"burst {n}"}) for n in range(count))
    )
    return sorted(ack["message"]["id"] for ack in acks)


def message_frames(peer: Peer) -> list[tuple[str, Any]]:
    return [(event, data) for event, data in peer.frames if event in ("message", "messages")]


async def until(check, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


async def barrier(sender: Peer, channel: str, *receivers: Peer) -> int:
    """Send one more message and wait until every receiver has it; its id.

    Each connection gets its frames in order, so once this has arrived,
    everything sent or held before it has too: a test may then assert that
    something did *not* arrive (a repeat, an extra frame) without guessing a
    sleep long enough for it.
    """
    sent = await sender.ok("send_message", {"channel": channel, "text": "barrier"})
    last = sent["message"]["id"]
    for peer in receivers:
        await peer.wait_for("message", lambda data: data["message"]["id"] == last)
    return int(last)


def live_ids(peer: Peer, before: int) -> list[int]:
    """Ids of the chat messages ``peer`` received, up to the barrier ``before``."""
    return [data["message"]["id"] for data in peer.events("message") if data["message"]["id"] < before]


async def test_a_quiet_channel_sends_a_message_on_its_own(peers) -> None:
    channel, (alice, bob) = await channel_with(peers, 2)
    await alice.ok("send_message", {"channel": channel, "text": "hello"})
    await until(lambda: message_frames(bob))
    [(event, data)] = message_frames(bob)
    assert event == "message" and data["message"]["text"] == "hello"
    await barrier(alice, channel, bob)  # and it came once
    assert [d["message"]["text"] for d in bob.events("message")] == ["hello", "barrier"]


async def test_a_burst_arrives_batched_complete_and_in_order(peers) -> None:
    channel, (alice, bob, carol) = await channel_with(peers, 3)
    ids = await burst(alice, channel)
    last = await barrier(alice, channel, alice, bob, carol)
    for peer in (alice, bob, carol):
        assert live_ids(peer, last) == ids  # each once, oldest first
        frames = [(e, d) for e, d in message_frames(peer) if e == "messages" or d["message"]["id"] != last]
        batches = [data["messages"] for event, data in frames if event == "messages"]
        # Fewer frames than messages: at least one frame carried several.
        assert batches and len(frames) < BURST
        assert all(len(batch) >= 2 for batch in batches)
        assert all(m["channel"] == channel for batch in batches for m in batch)


async def test_a_newcomer_gets_held_messages_once_and_notices_keep_their_place(peers) -> None:
    channel, (alice, bob) = await channel_with(peers, 2)
    sending = asyncio.create_task(burst(alice, channel))
    await until(lambda: len(bob.events("message")) >= 1)
    dave = await (await peers()).named(unique("dave"))
    joined = await dave.ok("join_channel", {"channel": channel})
    ids = await sending
    # Anything still held for dave arrives before this does.
    last = await barrier(alice, channel, bob, dave)
    history = [m["id"] for m in joined["messages"]]
    live = live_ids(dave, last)
    # History and live delivery together: every message after the join, none twice.
    assert not set(history) & set(live)
    assert sorted(set(history) | set(live)) == [i for i in ids if i >= min(history + live)]
    # bob saw every message that was posted before dave's join ahead of the notice.
    kinds = [(event, data.get("name")) for event, data in bob.received if event in ("message", "notice")]
    notice_at = kinds.index(("notice", dave.name))
    before = [data["message"]["id"] for data in bob.events("message")][:notice_at]
    assert set(before) >= set(history)


@pytest.fixture(scope="module")
def unbatched_url() -> Iterator[str]:
    with running_server({"FLACK_BATCH_MS": "0", "FLACK_LOG_LEVEL": "warning"}) as url:
        yield url


async def test_batching_can_be_turned_off(unbatched_url: str) -> None:
    alice = await (await Peer(unbatched_url).connect()).named(unique("alice"))
    bob = await (await Peer(unbatched_url).connect()).named(unique("bob"))
    try:
        channel = unique("plain-")
        await alice.ok("create_channel", {"channel": channel})
        for peer in (alice, bob):
            await peer.ok("join_channel", {"channel": channel})
        ids = await burst(alice, channel)
        last = await barrier(alice, channel, bob)
        assert [event for event, _ in message_frames(bob)] == ["message"] * (BURST + 1)
        assert live_ids(bob, last) == ids
    finally:
        for peer in (alice, bob):
            await peer.sio.disconnect()


async def test_a_client_without_compression_gets_the_shared_frames_intact(server_url: str, peers) -> None:
    """Connections without per-message deflate are written one shared frame
    (transport/fanout.py); a raw websocket client checks what arrives."""
    channel, (alice,) = await channel_with(peers, 1)
    async with raw_member(server_url, channel) as ws:
        ids = await burst(alice, channel)
        last = await barrier(alice, channel, alice)
        got: list[int] = []
        async with asyncio.timeout(5):
            while last not in got:
                frame = await ws.receive_str()
                if frame == "2":  # Engine.IO ping
                    await ws.send_str("3")
                    continue
                assert frame.startswith("42"), frame
                event, data = json.loads(frame[2:])
                if event not in ("message", "messages"):
                    continue  # news for everyone with a name (names, presence)
                got += [m["id"] for m in data["messages"]] if event == "messages" else [data["message"]["id"]]
        assert got == [*ids, last]  # each once, in order, and nothing else
