"""Raw, malformed engine.io / socket.io frames close only their own connection."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from flack.protocol import SOCKET_PAYLOAD_MAX
from wire_support import unique

GARBAGE: list[str | bytes] = [
    "",
    "garbage",
    "9",  # no such engine.io packet type
    "4",  # socket.io packet without a type
    "49",  # no such socket.io packet type
    "42",  # event without data
    "42[",  # broken JSON
    '42"just a string"',
    "42[]",  # event without a name
    "42[42]",  # event name not a string
    '42[{"a":1}]',
    '42/nowhere,["x"]',  # a namespace that does not exist
    '421["claim_name"',
    "40{not json",
    "4" + "2" * 1000,
    "\x00\xff\ufffd",
    b"\x00\x01\x02\xff",  # binary frame where text is expected
    '451-["send_message",{"_placeholder":true,"num":0}]',  # binary attachment never sent
    "42" + json.dumps(["send_message", {"channel": "x", "text": "y" * (SOCKET_PAYLOAD_MAX + 10)}]),
]


async def raw_socket(session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """A websocket through the handshake: engine.io open, socket.io connect."""
    ws = await session.ws_connect("/socket.io/?EIO=4&transport=websocket", max_msg_size=0)
    opened = await ws.receive_str(timeout=5)
    assert opened.startswith("0{")
    await ws.send_str("40")
    connected = await ws.receive_str(timeout=5)
    assert connected.startswith("40")
    return ws


@pytest.mark.parametrize("frame", GARBAGE, ids=range(len(GARBAGE)))
async def test_garbage_frame_hurts_nobody_else(server_url: str, peers, frame: str | bytes) -> None:
    channel = unique("frames-")
    healthy = await (await peers()).named(unique("healthy"))
    await healthy.ok("create_channel", {"channel": channel})
    await healthy.ok("join_channel", {"channel": channel})
    async with aiohttp.ClientSession(server_url) as session:
        ws = await raw_socket(session)
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        # The server either ignores the frame or closes this one connection.
        try:
            async with asyncio.timeout(0.3):
                async for _ in ws:
                    pass
        except TimeoutError:
            pass
        await ws.close()
    sent = await healthy.ok("send_message", {"channel": channel, "text": "still here"})
    assert sent["message"]["text"] == "still here"
    assert (await healthy.ok("list_channels"))["channels"]


async def test_oversized_packet_closes_the_connection(server_url: str) -> None:
    async with aiohttp.ClientSession(server_url) as session:
        ws = await raw_socket(session)
        big = "42" + json.dumps(["send_message", {"channel": "x", "text": "y" * (SOCKET_PAYLOAD_MAX + 10)}])
        await ws.send_str(big)
        async with asyncio.timeout(5):
            async for _ in ws:
                pass
        assert ws.closed
