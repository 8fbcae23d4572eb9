"""Setting up a workspace fits the default budgets (issue 12): one person
creates 20 channels and opens each, all at once; the 21st waits its turn."""

from __future__ import annotations

import pytest

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.core.errors import ChannelExists, RateLimited
from flack.core.limits import Limits

WORKSPACE = 20


@pytest.fixture
def chat(clock: Clock) -> Chat:
    # The defaults a person gets from `flack serve` (README, Configuration).
    return Chat(MemoryBackend(100), name_idle_seconds=60, clock=clock, limits=Limits())


async def test_twenty_channels_created_and_opened_at_once(chat: Chat, clock: Clock) -> None:
    chat.connect("a", "10.0.0.1")
    await chat.claim_name("a", "Alice", None)
    # At a person's pace the browser opens every channel it created (one
    # notice each); here the clock does not move at all: the bursts alone
    # must carry the whole set-up.
    for index in range(WORKSPACE):
        channel = await chat.create_channel("a", f"room-{index}")
        await chat.join("a", channel.name)
    assert len(await chat.list_channels()) == WORKSPACE

    with pytest.raises(RateLimited) as refused:
        await chat.create_channel("a", "one-too-many")
    assert refused.value.to_ack()["error"]["retry_after"] == 5.0  # 1 per 5 s after the burst
    clock.now += 5
    await chat.create_channel("a", "one-too-many")


async def test_a_refused_duplicate_costs_nothing(chat: Chat, clock: Clock) -> None:
    chat.connect("a", "10.0.0.1")
    await chat.claim_name("a", "Alice", None)
    await chat.create_channel("a", "general")
    for attempt in range(WORKSPACE * 2):  # the same name (and a Cyrillic look-alike), again and again
        with pytest.raises(ChannelExists):
            await chat.create_channel("a", "General" if attempt % 2 else "g\u0435neral")
        clock.now += 0.001
    for index in range(WORKSPACE - 1):  # the burst is still whole
        await chat.create_channel("a", f"room-{index}")
    with pytest.raises(RateLimited):
        await chat.create_channel("a", "one-too-many")


def test_the_defaults_are_what_the_readme_says() -> None:
    limits = Limits()
    assert (limits.channel_burst, limits.channel_rate) == (WORKSPACE, 0.2)
    assert limits.notice_burst >= WORKSPACE  # opening each of them fits too
