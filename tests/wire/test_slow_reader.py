"""A client that stops reading is cut off instead of growing server memory."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from urllib.parse import urlsplit

import aiohttp

from wire_support import unique


def ws_text_frame(text: str) -> bytes:
    """One masked websocket text frame (clients must mask)."""
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    return header + mask + masked


async def stalled_client(server_url: str, name: str, channel: str) -> tuple[str, asyncio.StreamWriter]:
    """A real socket.io client over a hand-made websocket that joins, then never reads again."""
    parts = urlsplit(server_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill up quickly
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(5):
        response = await reader.readuntil(b"\r\n\r\n")
    assert b" 101 " in response
    # Engine.IO's open packet, the first frame (the server's are unmasked):
    # the session id, to ask the server about later.
    async with asyncio.timeout(5):
        head = await reader.readexactly(2)
        length = head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
        opened = (await reader.readexactly(length)).decode()
    assert opened.startswith("0"), opened
    sid = json.loads(opened[1:])["sid"]
    for text in (
        "40",
        "420" + json.dumps(["claim_name", {"name": name}]),
        "421" + json.dumps(["join_channel", {"channel": channel}]),
    ):
        writer.write(ws_text_frame(text))
        await writer.drain()
        await asyncio.sleep(0.2)
    return sid, writer  # from now on nobody reads ``reader``


# What Engine.IO answers an HTTP request for a websocket session: while it
# lives, that it expected none; once closed, that it is disconnected or unknown.
ALIVE = "Unexpected HTTP request"


async def session_state(server_url: str, sid: str) -> str:
    """What the server says of Engine.IO session ``sid``, asked over HTTP."""
    url = f"{server_url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        said = await response.text()
    assert response.status == 400, said
    if ALIVE in said:
        return ALIVE
    assert "Session is disconnected" in said or "Invalid session" in said, said
    return "closed"


async def test_a_client_that_stops_reading_is_disconnected(server_url: str, peers) -> None:
    channel = unique("slow-")
    talker = await (await peers()).named(unique("talker"))
    await talker.ok("create_channel", {"channel": channel})
    await talker.ok("join_channel", {"channel": channel})
    sleepy = unique("sleepy")
    sid, writer = await stalled_client(server_url, sleepy, channel)
    try:
        await talker.wait_for("notice", lambda n: n["kind"] == "join" and n["name"] == sleepy)
        assert await session_state(server_url, sid) == ALIVE
        big = "x" * 3990
        for n in range(3_000):  # ~12 MB: past what may wait, whatever the kernel buffers hold
            await talker.ok("send_message", {"channel": channel, "text": f"{n} {big}"})
        # Closing a connection is no news any more (membership stays), so
        # the server itself is asked: its Engine.IO session is closed.
        async with asyncio.timeout(10):  # bounded: the reaper looks every second
            while await session_state(server_url, sid) == ALIVE:
                await asyncio.sleep(0.1)
        # The server is fine and still delivers to everyone else.
        sent = await talker.ok("send_message", {"channel": channel, "text": "after"})
        assert sent["message"]["text"] == "after"
    finally:
        writer.transport.abort()


def test_queued_bytes_counts_packets_and_skips_the_stop_sign() -> None:
    from types import SimpleNamespace

    from engineio import packet

    from flack.transport.uvicorn_direct import queued_bytes

    queue: asyncio.Queue[object] = asyncio.Queue()
    for item in (packet.Packet(packet.MESSAGE, "x" * 10), packet.Packet(packet.MESSAGE, b"yy"), None):
        queue.put_nowait(item)
    assert queued_bytes(SimpleNamespace(queue=queue)) == 12
