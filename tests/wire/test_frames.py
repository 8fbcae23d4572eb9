"""Raw, malformed engine.io / socket.io frames close only their own connection
(logged once, without a traceback); acknowledgements fit every client's frames."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from flack.protocol import HISTORY_LIMIT, MESSAGE_MAX, SOCKET_PAYLOAD_MAX
from flack.testing import running_server
from wire_support import Peer, unique

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


# Frames that are not valid Engine.IO / Socket.IO, each of which closes its
# connection (docs/protocol.md, "Transport").
MALFORMED: list[str | bytes] = [
    "",  # no Engine.IO packet type
    "garbage",
    "9",  # no such Engine.IO packet type
    "bQQ",  # a base64 binary message that is not base64
    "4",  # an Engine.IO message without a Socket.IO packet
    "49",  # no such Socket.IO packet type
    "42",  # an event without data
    "42[",  # broken JSON
    '42"just a string"',
    "42[]",  # an event without a name
    "42[42]",  # an event name that is not a string
    '42[{"a":1}]',
    '421["claim_name"',
    "4" + "2" * 1000,  # an ack id of 999 digits
    "40{not json",
    "40[1]",  # connect auth that is not an object
    '41{"x":1}',  # disconnect with data
    '44{"message":"forged"}',  # connect_error: servers send it, clients do not
    "\x00\xff\ufffd",
    b"\x00\x01\x02\xff",  # binary frame where text is expected
]
CLOSED = "closed a connection from"


async def closes(ws: aiohttp.ClientWebSocketResponse, within: float = 3) -> bool:
    """Whether the server closes this websocket within ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            async for _ in ws:
                pass
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize("integration", ["asgi", "sanic"])
async def test_a_malformed_packet_closes_its_connection_and_is_logged_once(
    integration: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # A server of its own, started here: its log goes to this test's capture.
    with running_server({"FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "warning"}) as url:
        healthy = await (await Peer(url).connect()).named(unique("healthy"))
        still_open = []
        async with aiohttp.ClientSession(url) as session:
            for frame in MALFORMED:
                ws = await raw_socket(session)
                await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
                if not await closes(ws):
                    still_open.append(frame)
                await ws.close()
            # A flood on one connection: it is closed at the first, said once.
            ws = await raw_socket(session)
            for _ in range(200):
                await ws.send_str("42[")
            assert await closes(ws)
        assert still_open == [], (
            f"{len(still_open)} malformed frames left their connection open: {still_open}"
        )
        assert (await healthy.ok("list_channels"))["channels"] is not None
        await healthy.sio.disconnect()
        # The server writes its line before it closes the connection, and each
        # close was seen above, so every expected line is in. Read while it
        # serves: Sanic's shutdown has noise (and tracebacks) of its own.
        log = capfd.readouterr().err
    assert "Traceback" not in log, log[-3000:]
    assert log.count(CLOSED) == len(MALFORMED) + 1, log[-3000:]


@pytest.mark.parametrize("integration", ["asgi", "sanic"])
async def test_a_malformed_long_polling_body_closes_its_session(
    integration: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with running_server({"FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "warning"}) as url:
        endpoint = url + "/socket.io/?EIO=4&transport=polling"
        async with aiohttp.ClientSession() as http:
            for body in ("garbage", "9", "42[", "42[42]"):
                async with http.get(endpoint) as response:
                    sid = json.loads((await response.text())[1:])["sid"]
                async with http.post(f"{endpoint}&sid={sid}", data="40") as response:
                    assert response.status == 200
                async with http.get(f"{endpoint}&sid={sid}") as response:
                    assert (await response.text()).startswith("40{")
                async with asyncio.timeout(5):  # answered at once, not after a ping interval
                    async with http.post(f"{endpoint}&sid={sid}", data=body) as response:
                        assert response.status in (200, 400)
                    async with http.get(f"{endpoint}&sid={sid}") as response:
                        assert response.status == 400, body  # the session is gone
        log = capfd.readouterr().err  # each line was written before its session went
    assert "Traceback" not in log, log[-3000:]
    assert log.count(CLOSED) == 4, log[-3000:]


# -- acknowledgements in bytes ------------------------------------------------------------

# python-socketio's client reads websocket frames with aiohttp, which refuses
# a frame over 4 MiB (and drops the connection).
AIOHTTP_MAX_FRAME = 4 * 1024 * 1024
# The bound docs/protocol.md gives for a join_channel acknowledgement.
JOIN_ACK_MAX = 3_100_000


def test_the_largest_possible_join_acknowledgement_is_bounded() -> None:
    """Every string at its longest, every character at its costliest in
    compact UTF-8 JSON (6 bytes: an escaped control character or lone
    surrogate; an emoji is 4), ids at their largest."""
    from socketio import packet

    from flack.protocol import Channel, File, Joined, Message, Reaction, ok_ack
    from flack.protocol.limits import (
        CHANNEL_MAX,
        CLIENT_ID_MAX,
        EMOJI_MAX,
        FILE_NAME_MAX,
        FILE_TYPE_MAX,
        NAME_MAX,
        REACTIONS_MAX,
        REACTIONS_TOTAL_MAX,
    )
    from flack.transport.engine_guard import CheckedPacket
    from flack.transport.files import file_url

    costly = "\ud800"  # a lone surrogate: "\\ud800", 6 bytes
    time = "2026-11-25T10:39:47.123Z"
    name = "😀" * FILE_NAME_MAX  # its URL is percent-encoded: 12 bytes a character
    shared = File("f" * 64, name, 10**15, costly * FILE_TYPE_MAX, file_url("f" * 64, name), True, True)
    # Reactions at their heaviest: every distinct emoji at its longest (4
    # bytes a character), the total spread over them, ids of 16 characters.
    per_emoji = REACTIONS_TOTAL_MAX // REACTIONS_MAX
    reactions = tuple(
        Reaction(chr(0x1F600 + e) * EMOJI_MAX, tuple(f"{e:08x}{p:08x}" for p in range(per_emoji)))
        for e in range(REACTIONS_MAX)
    )
    team = {"sender_id": "f" * 16, "parent": 10**15, "replies": 10**15, "reactions": reactions}
    texts = [
        Message(
            10**15 + i,
            costly * CHANNEL_MAX,
            costly * NAME_MAX,
            costly * MESSAGE_MAX,
            time,
            None,
            costly * CLIENT_ID_MAX,
            edited=True,
            revision=10**15,
            **team,  # type: ignore[arg-type]
        )
        for i in range(HISTORY_LIMIT)
    ]
    files = [
        Message(
            10**15 + i,
            costly * CHANNEL_MAX,
            costly * NAME_MAX,
            "",
            time,
            shared,
            costly * CLIENT_ID_MAX,
            revision=10**15,
            **team,  # type: ignore[arg-type]
        )
        for i in range(HISTORY_LIMIT)
    ]
    for history in (texts, files):
        ack = ok_ack(Joined(Channel(costly * CHANNEL_MAX), history, True).to_wire())
        frame = "4" + CheckedPacket(packet.ACK, data=[ack], id=10**15).encode()  # Engine.IO message
        size = len(frame.encode("utf-8"))
        assert size <= JOIN_ACK_MAX < AIOHTTP_MAX_FRAME
        assert (
            json.loads(frame[1 + len(str(packet.ACK)) + 16 :])[0]["data"]["messages"][0]
            == history[0].to_wire()
        )


async def test_a_channel_of_the_longest_emoji_messages_opens_in_python_socketio(
    server_url: str, peers
) -> None:
    # 100 messages of 4,000 emoji: 4.8 MB as ASCII-escaped JSON (every emoji
    # "\ud83d\ude00"), which python-socketio's client could not read at all.
    text = "😀" * MESSAGE_MAX
    channel = unique("emoji-")
    writer = await (await peers()).named(unique("writer"))
    await writer.ok("create_channel", {"channel": channel})
    await writer.ok("join_channel", {"channel": channel})
    for _ in range(HISTORY_LIMIT):
        await writer.ok("send_message", {"channel": channel, "text": text})
    reader = await (await peers()).named(unique("reader"))
    joined = await reader.ok("join_channel", {"channel": channel})
    assert len(joined["messages"]) == HISTORY_LIMIT
    assert all(message["text"] == text for message in joined["messages"])
    # Live delivery of the same reaches it too.
    await writer.ok("send_message", {"channel": channel, "text": text})
    arrived = await reader.wait_for("message", lambda data: data["message"]["channel"] == channel)
    assert arrived["message"]["text"] == text
