"""A client that stops reading is cut off instead of growing server memory."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from urllib.parse import urlsplit

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


async def stalled_client(server_url: str, name: str, channel: str) -> asyncio.StreamWriter:
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
    for text in (
        "40",
        "420" + json.dumps(["claim_name", {"name": name}]),
        "421" + json.dumps(["join_channel", {"channel": channel}]),
    ):
        writer.write(ws_text_frame(text))
        await writer.drain()
        await asyncio.sleep(0.2)
    return writer  # from now on nobody reads ``reader``


async def test_a_client_that_stops_reading_is_disconnected(server_url: str, peers) -> None:
    channel = unique("slow-")
    talker = await (await peers()).named(unique("talker"))
    await talker.ok("create_channel", {"channel": channel})
    await talker.ok("join_channel", {"channel": channel})
    sleepy = unique("sleepy")
    writer = await stalled_client(server_url, sleepy, channel)
    try:
        await talker.wait_for("notice", lambda n: n["kind"] == "join" and n["name"] == sleepy)
        big = "x" * 3990
        for n in range(3000):  # bounded: ~12 MB the stalled client would have to hold
            await talker.ok("send_message", {"channel": channel, "text": f"{n} {big}"})
            if any(e["kind"] == "leave" and e["name"] == sleepy for e in talker.events("notice")):
                break
        left = await talker.wait_for("notice", lambda n: n["kind"] == "leave" and n["name"] == sleepy)
        assert left["channel"] == channel
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
