"""File sharing over a real server: ``start_upload`` on the socket, bytes over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import pytest

from flack.protocol import CHUNK_SIZE, FILE_NAME_MAX
from flack.testing import running_server
from wire_support import Peer, unique

KB = 1024


def png_bytes() -> bytes:
    """A valid 2×2 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(server_url) as session:
        yield session


async def in_channel(peers: Any, *, name: str = "sharer") -> tuple[Peer, str]:
    """A named peer in a fresh channel."""
    channel = unique("files-")
    peer = await (await peers()).named(unique(name))
    await peer.ok("create_channel", {"channel": channel})
    await peer.ok("join_channel", {"channel": channel})
    return peer, channel


async def start(peer: Peer, channel: str, name: str, size: int, kind: str = "") -> dict[str, Any]:
    data = await peer.ok("start_upload", {"channel": channel, "name": name, "size": size, "type": kind})
    return data["upload"]


async def put(
    http: aiohttp.ClientSession, url: str, offset: int, body: bytes | Any
) -> tuple[int, dict[str, Any]]:
    async with http.put(url, data=body, headers={"Upload-Offset": str(offset)}) as response:
        return response.status, await response.json()


async def upload_all(http: aiohttp.ClientSession, upload: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Send every chunk in order; the final reply's data."""
    offset, reply = 0, {}
    while True:
        end = min(offset + upload["chunk_size"], len(data))
        status, reply = await put(http, upload["url"], offset, data[offset:end])
        assert status == 200, reply
        offset = reply["data"]["received"]
        if reply["data"]["complete"]:
            return reply["data"]


async def share(
    peer: Peer, http: aiohttp.ClientSession, channel: str, name: str, data: bytes, kind: str = ""
):
    upload = await start(peer, channel, name, len(data), kind)
    return (await upload_all(http, upload, data))["message"]


# -- start_upload refusals -------------------------------------------------------


async def test_only_a_named_member_of_the_channel_can_start(peers) -> None:
    owner, channel = await in_channel(peers)
    stranger = await peers()
    ack = await stranger.call("start_upload", {"channel": channel, "name": "a.txt", "size": 1, "type": ""})
    assert ack["error"]["code"] == "not_named"
    outsider = await (await peers()).named(unique("outsider"))
    ack = await outsider.call("start_upload", {"channel": channel, "name": "a.txt", "size": 1, "type": ""})
    assert ack["error"]["code"] == "not_in_channel"
    ack = await owner.call("start_upload", {"channel": "nope-" + channel, "name": "a", "size": 1, "type": ""})
    assert ack["error"]["code"] == "no_such_channel"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"name": "a", "size": 1},
        {"channel": "x", "name": 5, "size": 1},
        {"channel": "x", "name": "a", "size": "1"},
        {"channel": "x", "name": "a", "size": True},
        {"channel": "x", "name": "a", "size": 1.5},
        {"channel": "x", "name": "a", "size": 1, "type": 7},
    ],
)
async def test_malformed_start_is_bad_payload(peers, payload) -> None:
    peer, _ = await in_channel(peers)
    ack = await peer.call("start_upload", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_payload"


async def test_too_large_and_negative_sizes_are_refused_before_any_byte(peers) -> None:
    peer, channel = await in_channel(peers)
    ack = await peer.call("start_upload", {"channel": channel, "name": "big.iso", "size": 101 * 1024 * KB})
    assert ack["error"]["code"] == "file_too_large"
    assert "100 MB" in ack["error"]["message"]  # says the limit in words
    ack = await peer.call("start_upload", {"channel": channel, "name": "neg", "size": -1})
    assert ack["error"]["code"] == "file_invalid"


async def test_at_most_four_unfinished_uploads_per_person(peers, http) -> None:
    peer, channel = await in_channel(peers)
    uploads = [await start(peer, channel, f"f{i}", 10) for i in range(4)]
    ack = await peer.call("start_upload", {"channel": channel, "name": "f5", "size": 10})
    assert ack["error"]["code"] == "too_many_uploads"
    async with http.delete(uploads[0]["url"]) as response:
        assert response.status == 200
    await start(peer, channel, "f5", 10)  # room again


# -- uploading -------------------------------------------------------------------------


async def test_chunked_upload_reaches_the_channel_and_downloads_exactly(peers, http) -> None:
    sharer, channel = await in_channel(peers)
    watcher = await (await peers()).named(unique("watcher"))
    await watcher.ok("join_channel", {"channel": channel})
    elsewhere, _ = await in_channel(peers, name="elsewhere")
    data = os.urandom(2 * CHUNK_SIZE + 1234)
    upload = await start(sharer, channel, "report 2026 – final.bin", len(data), "application/x-thing")
    assert upload["chunk_size"] == CHUNK_SIZE and upload["received"] == 0 and upload["size"] == len(data)
    assert upload["url"].startswith("/uploads/") and len(upload["id"]) >= 24  # unguessable

    status, first = await put(http, upload["url"], 0, data[:CHUNK_SIZE])
    assert status == 200 and first["data"] == {
        "received": CHUNK_SIZE,
        "size": len(data),
        "complete": False,
        "message": None,
    }
    async with http.get(upload["url"]) as response:
        assert (await response.json())["data"] == {
            "received": CHUNK_SIZE,
            "size": len(data),
            "complete": False,
            "message": None,
        }
    rest = await upload_all_from(http, upload, data, CHUNK_SIZE)
    message = rest["message"]
    assert message["sender"] == sharer.name and message["text"] == ""
    shared = message["file"]
    assert shared["name"] == "report 2026 – final.bin" and shared["size"] == len(data)
    assert shared["type"] == "application/x-thing" and shared["preview"] is False
    assert shared["expired"] is False

    live = await watcher.wait_for("message", lambda d: d["message"]["id"] == message["id"])
    assert live["message"] == message
    # Barrier: every connection is told of a new channel, after what was sent before it.
    barrier = unique("after-upload-")
    await sharer.ok("create_channel", {"channel": barrier})
    await elsewhere.wait_for("channel_created", lambda d: d["channel"]["name"] == barrier)
    assert all(d["message"]["channel"] != channel for d in elsewhere.events("message"))

    async with http.get(shared["url"]) as response:
        body = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        disposition = response.headers["Content-Disposition"]
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "report 2026 – final.bin"
    history = (await watcher.ok("join_channel", {"channel": channel}))["messages"]
    assert history[-1] == message  # a file message is part of the history


async def upload_all_from(
    http: aiohttp.ClientSession, upload: dict[str, Any], data: bytes, offset: int
) -> dict[str, Any]:
    while True:
        status, reply = await put(http, upload["url"], offset, data[offset : offset + CHUNK_SIZE])
        assert status == 200, reply
        offset = reply["data"]["received"]
        if reply["data"]["complete"]:
            return reply["data"]


async def test_a_lost_final_reply_is_answered_again(peers, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "last.bin", 5)
    status, reply = await put(http, upload["url"], 0, b"12345")
    message = reply["data"]["message"]
    # The reply never reached the browser: it asks where things stand, and resends.
    async with http.get(upload["url"]) as response:
        assert (await response.json())["data"] == {
            "received": 5,
            "size": 5,
            "complete": True,
            "message": message,
        }
    status, again = await put(http, upload["url"], 5, b"")
    assert status == 200 and again["data"]["complete"] is True and again["data"]["message"] == message
    # Barrier: a later message in the channel arrives after a second post would have.
    await peer.ok("send_message", {"channel": channel, "text": "after the resend"})
    await peer.wait_for("message", lambda d: d["message"]["text"] == "after the resend")
    shared = [d for d in peer.events("message") if d["message"]["file"]]
    assert len(shared) == 1  # posted once


async def test_empty_file(peers, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "empty.txt", 0, "text/plain")
    status, reply = await put(http, upload["url"], 0, b"")
    assert status == 200 and reply["data"]["complete"] is True
    async with http.get(reply["data"]["message"]["file"]["url"]) as response:
        assert response.status == 200 and await response.read() == b""


async def test_wrong_offset_is_409_with_where_to_resume(peers, http) -> None:
    peer, channel = await in_channel(peers)
    data = os.urandom(3000)
    upload = await start(peer, channel, "a.bin", len(data))
    await put(http, upload["url"], 0, data[:1000])
    status, reply = await put(http, upload["url"], 500, data[500:1500])
    assert status == 409 and reply["error"]["code"] == "offset_mismatch"
    assert reply["error"]["received"] == 1000
    status, reply = await put(http, upload["url"], 1000, data[1000:])
    assert status == 200 and reply["data"]["complete"] is True
    async with http.get(reply["data"]["message"]["file"]["url"]) as response:
        assert await response.read() == data


async def test_missing_or_bad_offset_header_is_bad_payload(peers, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "a.bin", 10)
    for headers in ({}, {"Upload-Offset": "-1"}, {"Upload-Offset": "ten"}):
        async with http.put(upload["url"], data=b"0123456789", headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "bad_payload"


async def raw_request(
    server_url: str, head: str, body: bytes = b"", *, close: bool = False
) -> tuple[int, bytes]:
    """Send raw bytes; returns the status and body read so far (for half-sent requests)."""
    parts = urlsplit(server_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        if close:
            return 0, b""
        status_line = await asyncio.wait_for(reader.readline(), 5)
        received = b""
        async with asyncio.timeout(5):  # headers and the JSON body, which may come in pieces
            while b"}" not in received:
                piece = await reader.read(65536)
                if not piece:
                    break
                received += piece
        return int(status_line.split()[1]), received
    finally:
        writer.close()


async def test_oversized_chunk_is_413_before_its_body_is_sent(peers, server_url, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "big.bin", 10 * CHUNK_SIZE)
    # Only the headers go out; the answer comes without waiting for the body.
    head = (
        f"PUT {upload['url']} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {CHUNK_SIZE + 1}\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    status, body = await raw_request(server_url, head)
    assert status == 413 and b"chunk_too_large" in body
    # Past the announced size, also refused from the headers.
    small = await start(peer, channel, "small.bin", 100)
    status, reply = await put(http, small["url"], 0, b"x" * 101)
    assert status == 413 and reply["error"]["code"] == "file_too_large"
    async with http.get(small["url"]) as response:
        assert (await response.json())["data"]["received"] == 0  # nothing was kept


async def test_chunked_body_beyond_the_size_is_refused(peers, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "a.bin", 100)

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: transfer-encoding chunked
        for _ in range(4):
            yield b"y" * 40

    status, reply = await put(http, upload["url"], 0, body())
    assert status == 413 and reply["error"]["code"] == "file_too_large"
    async with http.get(upload["url"]) as response:
        assert (await response.json())["data"]["received"] <= 100


async def test_a_dropped_connection_mid_chunk_resumes_where_the_server_stopped(
    peers, server_url, http
) -> None:
    sharer, channel = await in_channel(peers)
    data = os.urandom(300 * KB)
    upload = await start(sharer, channel, "resume.bin", len(data))
    head = (
        f"PUT {upload['url']} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    # Half the body, then the connection is gone.
    await raw_request(server_url, head, data[: 150 * KB], close=True)
    received = None
    for _ in range(50):  # the server notices the drop asynchronously
        async with http.get(upload["url"]) as response:
            received = (await response.json())["data"]["received"]
        status, reply = await put(http, upload["url"], received, data[received:])
        if status == 200:
            break
        assert status == 409  # the old request was still finishing: ask again
        await asyncio.sleep(0.1)
    assert status == 200 and reply["data"]["complete"] is True, reply
    assert 0 <= received <= 150 * KB
    async with http.get(reply["data"]["message"]["file"]["url"]) as response:
        assert await response.read() == data


async def test_cancel_deletes_the_upload(peers, http) -> None:
    peer, channel = await in_channel(peers)
    upload = await start(peer, channel, "gone.bin", 10)
    await put(http, upload["url"], 0, b"12345")
    async with http.delete(upload["url"]) as response:
        assert response.status == 200 and (await response.json())["ok"] is True
    status, reply = await put(http, upload["url"], 5, b"67890")
    assert status == 404 and reply["error"]["code"] == "upload_unknown"
    async with http.get(upload["url"]) as response:
        assert response.status == 404
    async with http.delete(upload["url"]) as response:
        assert response.status == 404
    # Barrier: a later message in the channel arrives after a file message would have.
    await peer.ok("send_message", {"channel": channel, "text": "after the cancel"})
    await peer.wait_for("message", lambda d: d["message"]["text"] == "after the cancel")
    assert not [d for d in peer.events("message") if d["message"]["file"]]


async def test_unknown_upload_and_file_ids_are_404(http) -> None:
    status, reply = await put(http, "/uploads/not-a-real-id", 0, b"x")
    assert status == 404 and reply["error"]["code"] == "upload_unknown"
    async with http.get("/files/not-a-real-id/x.txt") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "file_not_found"
    async with http.get("/files/..%2F..%2Fetc%2Fpasswd/x") as response:
        assert response.status == 404


# -- safety ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\secret.txt", "secret.txt"),
        ("re\u202eport\x00.txt", "report.txt"),
        (".htaccess", "htaccess"),
        ("", "file"),
        ("x" * 300 + ".tar.gz", "x" * (FILE_NAME_MAX - 3) + ".gz"),
    ],
)
async def test_file_names_are_only_cleaned_metadata(peers, http, given, shown) -> None:
    peer, channel = await in_channel(peers)
    message = await share(peer, http, channel, given, b"hello")
    assert message["file"]["name"] == shown
    async with http.get(message["file"]["url"]) as response:
        assert await response.read() == b"hello"
        assert unquote(response.headers["Content-Disposition"].split("UTF-8''")[1]) == shown


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("image.svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>"),
        ("cat.png", "image/png", b"<html><script>alert(1)</script></html>"),  # lies about its type
        ("app.js", "text/javascript", b"alert(1)"),
    ],
)
async def test_nothing_a_browser_could_run_is_served_inline(peers, http, name, kind, data) -> None:
    peer, channel = await in_channel(peers)
    message = await share(peer, http, channel, name, data, kind)
    assert message["file"]["preview"] is False
    async with http.get(message["file"]["url"]) as response:
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == data


async def test_a_real_png_is_previewed_inline(peers, http) -> None:
    peer, channel = await in_channel(peers)
    data = png_bytes()
    message = await share(peer, http, channel, "dot.png", data, "application/octet-stream")
    assert message["file"]["preview"] is True and message["file"]["type"] == "image/png"
    async with http.get(message["file"]["url"]) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert await response.read() == data


async def test_sender_is_the_uploading_identity(peers, http) -> None:
    peer, channel = await in_channel(peers, name="realname")
    upload = await start(peer, channel, "a.txt", 3)
    # Whatever the request says, the server decides who shared it.
    async with http.put(
        upload["url"], data=b"abc", headers={"Upload-Offset": "0", "X-Sender": "mallory"}
    ) as response:
        message = (await response.json())["data"]["message"]
    assert message["sender"] == peer.name


# -- storage bounds ------------------------------------------------------------------


async def test_a_file_leaving_the_history_is_deleted(peers, http) -> None:
    peer, channel = await in_channel(peers)
    message = await share(peer, http, channel, "old.txt", b"old bytes")
    for i in range(100):
        await peer.ok("send_message", {"channel": channel, "text": f"m{i}"})
    async with http.get(message["file"]["url"]) as response:
        assert response.status == 404


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def small_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A server that keeps at most 1 MB of files (0.5 MB each) in a folder we can see."""
    folder = tmp_path_factory.mktemp("files")
    env = {
        "FLACK_INTEGRATION": request.param,
        "FLACK_LOG_LEVEL": "warning",
        "FLACK_FILES_TOTAL_MB": "1",
        "FLACK_MAX_FILE_MB": "0.5",
        "FLACK_FILES_DIR": str(folder),
    }
    with running_server(env) as url:
        yield url, folder
    # Stopping the server deleted every file, and nothing was written elsewhere.
    assert sorted(p.name for p in folder.iterdir()) == []


async def test_storage_bound_evicts_the_oldest_files_first(small_server) -> None:
    url, folder = small_server
    peer = await Peer(url).connect()
    watcher = await Peer(url).connect()
    try:
        await peer.named(unique("filler"))
        await watcher.named(unique("viewer"))
        channel = unique("bound-")
        await peer.ok("create_channel", {"channel": channel})
        await peer.ok("join_channel", {"channel": channel})
        await watcher.ok("join_channel", {"channel": channel})
        async with aiohttp.ClientSession(url) as http:
            ack = await peer.call("start_upload", {"channel": channel, "name": "x", "size": 600 * KB})
            assert ack["error"]["code"] == "file_too_large" and "512 KB" in ack["error"]["message"]
            first = await share(peer, http, channel, "first.bin", os.urandom(400 * KB))
            second = await share(peer, http, channel, "second.bin", os.urandom(400 * KB))
            third = await share(peer, http, channel, "third.bin", os.urandom(400 * KB))
            gone = await watcher.wait_for("file_expired")
            assert gone == {"channel": channel, "id": first["id"]}
            async with http.get(first["file"]["url"]) as response:
                assert response.status == 404
            for kept in (second, third):
                async with http.get(kept["file"]["url"]) as response:
                    assert response.status == 200
            # Barrier: only the oldest expired (a later message comes after any other expiry).
            await peer.ok("send_message", {"channel": channel, "text": "after the third"})
            await watcher.wait_for("message", lambda d: d["message"]["text"] == "after the third")
            assert watcher.events("file_expired") == [gone]
            history = (await watcher.ok("join_channel", {"channel": channel}))["messages"]
            by_id = {m["id"]: m for m in history}
            assert by_id[first["id"]]["file"]["expired"] is True
            assert by_id[second["id"]]["file"]["expired"] is False
            stored = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            assert stored <= 1024 * KB
            assert {p.name for p in folder.iterdir()} <= {"partial", "files"}
    finally:
        await peer.sio.disconnect()
        await watcher.sio.disconnect()
