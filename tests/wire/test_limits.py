"""Abuse limits on a real server with small limits: rates, channel count, connections per address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import socketio

from flack.testing import running_server
from wire_support import Peer, unique

SMALL = {
    "FLACK_LOG_LEVEL": "warning",
    "FLACK_MESSAGE_RATE": "2",
    "FLACK_MESSAGE_BURST": "3",
    "FLACK_CHANNEL_RATE": "0.5",
    "FLACK_CHANNEL_BURST": "2",
    "FLACK_MAX_CHANNELS": "5",
    "FLACK_CONNECTIONS_PER_ADDRESS": "4",
}


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def small_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with running_server({**SMALL, "FLACK_INTEGRATION": request.param}) as url:
        yield url


async def connect_when_room(url: str) -> Peer:
    """A connected peer. The server learns that a connection closed a moment
    after the client closed it, so while it still counts one that just closed
    (an earlier test's, or one this test closed) the refusal is retried, a
    bounded number of times; any other refusal fails at once."""
    for _ in range(100):
        peer = Peer(url)
        reasons: list[Any] = []
        peer.sio.on("connect_error", reasons.append)
        try:
            return await peer.connect()
        except socketio.exceptions.ConnectionError:
            assert is_refusal(reasons), reasons
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept counting connections that were closed")


def is_refusal(reasons: list[Any]) -> bool:
    """Whether a failed connect was the per-address limit. The core refuses the
    Socket.IO connect with a coded reason; while the server still holds an
    Engine.IO session that just closed, the refusal comes one step earlier, at
    the Engine.IO handshake (HTTP 401), which python-socketio's websocket
    client reports only as ``"Connection error"``."""
    if not reasons:
        return False
    reason = reasons[0]
    if isinstance(reason, dict):
        return bool(reason.get("data") == {"code": "too_many_connections"})
    return reason == "Connection error"


async def core_refusal(url: str) -> Any:
    """The coded reason the core gives the connection just past the limit,
    retried (bounded) while a closed session still holds the handshake slot."""
    for _ in range(100):
        refused = socketio.AsyncClient(reconnection=False)
        reasons: list[Any] = []
        refused.on("connect_error", reasons.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(url, transports=["websocket"], wait_timeout=5)
        assert is_refusal(reasons), reasons
        if isinstance(reasons[0], dict):
            return reasons[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept counting sessions that were closed")


@pytest.fixture
async def make(small_url: str) -> AsyncIterator[Callable[[], Any]]:
    made: list[Peer] = []

    async def peer() -> Peer:
        made.append(await connect_when_room(small_url))
        return made[-1]

    yield peer
    for one in made:
        await one.sio.disconnect()


async def test_limits(make) -> None:
    # One test, in order: the channel limit is server-wide.
    alice = await (await make()).named(unique("alice"))
    first, second = unique("lim-"), unique("lim-")
    await alice.ok("create_channel", {"channel": first})
    await alice.ok("create_channel", {"channel": second})
    ack = await alice.call("create_channel", {"channel": unique("lim-")})
    assert ack["error"]["code"] == "rate_limited"
    assert 0 < ack["error"]["retry_after"] <= 2.0
    assert "Try again in" in ack["error"]["message"]

    # Messages: a burst of 3, then about one every half second.
    await alice.ok("join_channel", {"channel": first})
    for i in range(3):
        await alice.ok("send_message", {"channel": first, "text": f"m{i}"})
    ack = await alice.call("send_message", {"channel": first, "text": "too fast"})
    assert ack["error"]["code"] == "rate_limited" and 0 < ack["error"]["retry_after"] <= 0.5
    await asyncio.sleep(ack["error"]["retry_after"])
    await alice.ok("send_message", {"channel": first, "text": "after waiting"})
    texts = [m["text"] for m in (await alice.ok("join_channel", {"channel": first}))["messages"]]
    assert texts == ["m0", "m1", "m2", "after waiting"]  # the refused one was not stored

    # Rates are per person (each of these is someone else); the number of channels is per server.
    bob = await (await make()).named(unique("bob"))
    carol = await (await make()).named(unique("carol"))
    await bob.ok("create_channel", {"channel": unique("lim-")})
    await bob.ok("create_channel", {"channel": unique("lim-")})
    await carol.ok("create_channel", {"channel": unique("lim-")})
    ack = await carol.call("create_channel", {"channel": unique("lim-")})
    assert ack["error"]["code"] == "too_many_channels" and "5" in ack["error"]["message"]
    assert len((await carol.ok("list_channels"))["channels"]) == 5


async def test_connections_per_address(make, small_url: str) -> None:
    peers = [await make() for _ in range(4)]
    reason = await core_refusal(small_url)
    assert reason["data"] == {"code": "too_many_connections"}
    assert "Too many connections" in reason["message"]
    await peers[0].sio.disconnect()
    late = await make()  # room again, once the server has seen it go
    assert late.sio.connected
