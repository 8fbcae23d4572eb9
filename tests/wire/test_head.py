"""HEAD on every route that reads (uptime checks use it): GET's status and
headers, no body. Raw HTTP/1.1 over a socket, so a body sent by mistake is
seen (an HTTP client would not read one after HEAD)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from wire_support import Peer, unique

# Headers that may differ between two answers to the same request.
VARYING = {"date"}


def exchange(
    url: str, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[str, dict, bytes]:
    """One request on a fresh connection the server closes after answering:
    the status line, the headers (lower-case names) and every byte after them."""
    parts = urlsplit(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.hostname}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):  # until the server closes (Connection: close)
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    answer: dict[str, list[str]] = {}
    for field in fields:
        name, _, value = field.partition(":")
        answer.setdefault(name.strip().lower(), []).append(value.strip())
    return status, answer, body


def assert_head_is_get_without_body(url: str, path: str, headers: dict[str, str] | None = None) -> str:
    """HEAD answers with GET's status line and headers, and nothing after
    them; returns the status line."""
    get_status, get_headers, get_body = exchange(url, "GET", path, headers)
    head_status, head_headers, head_body = exchange(url, "HEAD", path, headers)
    assert head_status == get_status, path
    assert head_body == b"", (path, head_body[:80])
    same = {name: values for name, values in get_headers.items() if name not in VARYING}
    assert {name: values for name, values in head_headers.items() if name not in VARYING} == same, path
    if "content-length" in get_headers:  # HEAD's length is the one GET sends
        assert int(get_headers["content-length"][0]) == len(get_body) > 0, path
    return head_status


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/healthz",
        "/static/style.css",
        "/static/flack_client/main.py",
        "/vendor/socket.io/socket.io.min.js",
        "/vendor/pyscript/core.js",
        "/py/flack/protocol/limits.py",
    ],
)
@pytest.mark.parametrize("encoding", ["", "br, gzip"])
def test_head_answers_like_get_without_a_body(server_url: str, path: str, encoding: str) -> None:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    assert " 200 " in assert_head_is_get_without_body(server_url, path, headers)


def test_head_of_the_page_says_what_get_says(server_url: str) -> None:
    status, headers, body = exchange(server_url, "HEAD", "/")
    assert " 200 " in status and body == b""
    assert headers["content-type"][0].startswith("text/html")
    assert "frame-ancestors 'none'" in headers["content-security-policy"][0]


def test_head_of_what_is_not_there_is_a_404_without_a_body(server_url: str) -> None:
    for path in ("/static/nope.css", "/vendor/nope/core.js", "/files/nope/x.txt"):
        assert " 404 " in assert_head_is_get_without_body(server_url, path)


def test_head_of_a_revalidated_asset_is_a_304(server_url: str) -> None:
    _, headers, _ = exchange(server_url, "GET", "/static/style.css")
    since = {"If-Modified-Since": headers["last-modified"][0]}
    assert " 304 " in assert_head_is_get_without_body(server_url, "/static/style.css", since)


async def test_head_of_a_shared_file_and_of_an_upload(peers: Any, server_url: str) -> None:
    peer: Peer = await (await peers()).named(unique("header"))
    channel = unique("head-")
    await peer.ok("create_channel", {"channel": channel})
    await peer.ok("join_channel", {"channel": channel})
    data = bytes(range(256)) * 40  # 10 KB
    half = await peer.ok("start_upload", {"channel": channel, "name": "h.bin", "size": len(data), "type": ""})
    upload = half["upload"]["url"]
    async with aiohttp.ClientSession(server_url) as http:
        async with http.put(upload, data=data[:100], headers={"Upload-Offset": "0"}) as response:
            assert response.status == 200
        # An unfinished upload's state (what a resuming client asks)
        assert " 200 " in await asyncio.to_thread(
            assert_head_is_get_without_body, server_url, upload_path(upload)
        )
        async with http.put(upload, data=data[100:], headers={"Upload-Offset": "100"}) as response:
            reply = await response.json()
    file_url = reply["data"]["message"]["file"]["url"]
    path = upload_path(file_url)
    assert " 200 " in await asyncio.to_thread(assert_head_is_get_without_body, server_url, path)
    _, headers, _ = await asyncio.to_thread(exchange, server_url, "HEAD", path)
    assert headers["content-length"] == [str(len(data))]
    assert "attachment" in headers["content-disposition"][0]


def upload_path(url: str) -> str:
    """The path (and query) of a URL the server gave, absolute or not."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
