"""Abuse limits in the core, with a fake clock."""

from __future__ import annotations

import pytest

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.core.errors import RateLimited, TooManyChannels, TooManyConnections
from flack.core.limits import Limits, TokenBucket, retry_after


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0.0
    clock.now += 100  # refills up to the burst, not beyond
    assert [bucket.take() for _ in range(4)][-1] > 0


def test_retry_after_rounds_up_to_a_tenth() -> None:
    assert retry_after(0.01) == 0.1 and retry_after(0.31) == 0.4 and retry_after(2.0) == 2.0


@pytest.fixture
def chat(clock: Clock) -> Chat:
    limits = Limits(
        message_rate=1,
        message_burst=2,
        channel_rate=0.1,
        channel_burst=1,
        max_channels=2,
        connections_per_address=2,
    )
    return Chat(MemoryBackend(100), name_idle_seconds=60, clock=clock, limits=limits)


async def test_message_rate_per_connection(chat: Chat, clock: Clock) -> None:
    for sid in ("a", "b"):
        chat.connect(sid, "10.0.0.1")
        await chat.claim_name(sid, sid.upper(), None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.join("b", "general")
    await chat.post("a", "general", "1")
    await chat.post("a", "general", "2")
    with pytest.raises(RateLimited) as refused:
        await chat.post("a", "general", "3")
    assert refused.value.to_ack()["error"]["retry_after"] == 1.0
    await chat.post("b", "general", "b's own budget")
    clock.now += 1
    await chat.post("a", "general", "3")
    assert [m.text for m in await chat.history(chat.session("a").channel)] == [
        "1",
        "2",
        "b's own budget",
        "3",
    ]


async def test_channel_creation_rate_and_count(chat: Chat, clock: Clock) -> None:
    chat.connect("a")
    await chat.claim_name("a", "A", None)
    await chat.create_channel("a", "one")
    with pytest.raises(RateLimited):
        await chat.create_channel("a", "two")
    clock.now += 10
    await chat.create_channel("a", "two")
    clock.now += 10
    with pytest.raises(TooManyChannels):
        await chat.create_channel("a", "three")


async def test_connections_per_address(chat: Chat) -> None:
    chat.connect("a", "10.0.0.1")
    chat.connect("b", "10.0.0.1")
    with pytest.raises(TooManyConnections):
        chat.connect("c", "10.0.0.1")
    chat.connect("d", "10.0.0.2")  # another address
    await chat.disconnect("a")
    chat.connect("c", "10.0.0.1")
