"""The HTTP edge on a real server: timeouts (slowloris), connections per
address on plain HTTP, Engine.IO sessions counted, X-Forwarded-* trusted only
from configured proxies, the Host check (DNS rebinding), Upload-Offset's
size. And the address rules themselves, without a server."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import socketio

from flack.testing import running_server
from wire_support import Peer, unique

# --- helpers --------------------------------------------------------------------------


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


@contextlib.asynccontextmanager
async def raw_connection(url: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    host, port = host_port(url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bytes | None:
    """What the server sent before closing, if it closed within ``within`` s
    (None: still open)."""
    received = b""
    try:
        async with asyncio.timeout(within):
            while chunk := await reader.read(65536):
                received += chunk
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return received


def request(
    url: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> int:
    """A request with exactly these headers (Host included): its status."""
    host, port = host_port(url)
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"{host}:{port}", **(headers or {})}.items():
            connection.putheader(name, value)
        if body or method in ("PUT", "POST"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


async def connects(url: str, headers: dict[str, str] | None = None) -> socketio.AsyncClient | None:
    """A connected python-socketio client, or None if it was refused."""
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(url, transports=["websocket"], headers=headers or {}, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return None
    return client


async def connects_soon(url: str, headers: dict[str, str] | None = None) -> socketio.AsyncClient:
    """Connect, retrying (bounded) while the server still counts connections
    that were just closed (it learns of a close a moment later)."""
    for _ in range(100):
        client = await connects(url, headers)
        if client is not None:
            return client
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept counting connections that were closed")


async def disconnect_all(clients: list[Any]) -> None:
    for client in clients:
        if client is not None:
            await client.disconnect()


def edge_server(integration: str, **env: str) -> Iterator[str]:
    with running_server({"FLACK_LOG_LEVEL": "warning", "FLACK_INTEGRATION": integration, **env}) as url:
        yield url


# --- timeouts ----------------------------------------------------------------------------

HEADER_TIMEOUT = 1.0
# The deadline is checked by a timer: a connection is closed within the
# timeout plus a little; these tests allow a generous margin on a busy machine.
SLACK = 3.0


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def slow_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Header and body timeouts of one second."""
    yield from edge_server(request.param, FLACK_HEADER_TIMEOUT="1", FLACK_BODY_TIMEOUT="1")


async def test_half_sent_requests_are_closed_however_slowly_they_trickle(slow_url: str) -> None:
    host, port = host_port(slow_url)

    async def slowloris() -> bytes | None:
        async with raw_connection(slow_url) as (reader, writer):
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())

            async def trickle() -> None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    for i in range(100):
                        writer.write(f"X-Slow-{i}: x\r\n".encode())
                        await writer.drain()
                        await asyncio.sleep(0.2)

            keep_talking = asyncio.create_task(trickle())
            try:
                return await closed_by_server(reader, HEADER_TIMEOUT + SLACK)
            finally:
                keep_talking.cancel()

    answers = await asyncio.gather(*(slowloris() for _ in range(30)))
    assert None not in answers, f"{answers.count(None)} of 30 half-sent requests still open"
    # Told why, where anything was said at all.
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers if a is not None)


async def test_a_connection_that_says_nothing_is_closed(slow_url: str) -> None:
    async with raw_connection(slow_url) as (reader, _):
        assert await closed_by_server(reader, HEADER_TIMEOUT + SLACK) is not None


async def test_a_half_sent_second_request_on_a_kept_alive_connection_is_closed(slow_url: str) -> None:
    host, port = host_port(slow_url)
    async with raw_connection(slow_url) as (reader, writer):
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        if b"transfer-encoding: chunked" in head.lower():
            await asyncio.wait_for(reader.readuntil(b"\r\n0\r\n\r\n"), 5)
        else:
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await asyncio.wait_for(reader.readexactly(length), 5)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())  # and no more
        assert await closed_by_server(reader, HEADER_TIMEOUT + 5 + SLACK) is not None


async def started_upload(url: str, size: int) -> tuple[Peer, str]:
    peer = await Peer(url).connect()
    await peer.named(unique("uploader"))
    channel = unique("edge-")
    await peer.ok("create_channel", {"channel": channel})
    await peer.ok("join_channel", {"channel": channel})
    data = await peer.ok("start_upload", {"channel": channel, "name": "a.bin", "size": size, "type": ""})
    return peer, data["upload"]["url"]


async def test_a_stalled_request_body_is_closed_and_what_arrived_is_kept(slow_url: str) -> None:
    host, port = host_port(slow_url)
    peer, upload = await started_upload(slow_url, 1000)
    try:
        async with raw_connection(slow_url) as (reader, writer):
            writer.write(
                f"PUT {upload} HTTP/1.1\r\nHost: {host}:{port}\r\nUpload-Offset: 0\r\n"
                f"Content-Length: 1000\r\n\r\n".encode()
                + b"x" * 10
            )
            await writer.drain()
            assert await closed_by_server(reader, 1.0 + SLACK) is not None
        async with aiohttp.ClientSession() as session, session.get(slow_url + upload) as response:
            assert response.status == 200
            assert (await response.json())["data"]["received"] == 10
        # The websocket that announced it was not timed out meanwhile.
        assert (await peer.ok("list_channels"))["channels"]
    finally:
        await peer.sio.disconnect()


async def test_a_slow_but_steady_body_and_quiet_sockets_are_left_alone(slow_url: str) -> None:
    host, port = host_port(slow_url)
    peer, upload = await started_upload(slow_url, 1000)
    endpoint = slow_url + "/socket.io/?EIO=4&transport=polling"
    try:
        async with aiohttp.ClientSession() as session:
            # A long-polling client (by hand: python-socketio's takes a ping
            # interval to leave), its poll waiting longer than both timeouts.
            sid = await polling_only_session(session, slow_url)
            async with session.post(f"{endpoint}&sid={sid}", data="40") as response:
                assert response.status == 200
            async with session.get(f"{endpoint}&sid={sid}") as response:
                assert (await response.text()).startswith("40{")

            async def poll() -> str:
                async with session.get(f"{endpoint}&sid={sid}") as response:
                    assert response.status == 200
                    return await response.text()

            waiting = asyncio.create_task(poll())
            async with raw_connection(slow_url) as (reader, writer):
                writer.write(
                    f"PUT {upload} HTTP/1.1\r\nHost: {host}:{port}\r\nUpload-Offset: 0\r\n"
                    f"Content-Length: 1000\r\n\r\n".encode()
                )
                for _ in range(5):  # 2.5 s in all, never silent for a whole second
                    writer.write(b"y" * 200)
                    await writer.drain()
                    await asyncio.sleep(0.5)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 200"), head
            async with session.post(f"{endpoint}&sid={sid}", data='421["list_channels",{}]') as response:
                assert response.status == 200
            assert '431[{"ok":true' in await asyncio.wait_for(waiting, 5)
            async with session.post(f"{endpoint}&sid={sid}", data="1") as response:
                assert response.status == 200
        # The websocket was quiet for longer than both timeouts too.
        assert (await peer.ok("list_channels"))["channels"]
    finally:
        await peer.sio.disconnect()


# --- connections per address ---------------------------------------------------------------

HTTP_CAP = 6
SOCKET_CAP = 3


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def capped_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Six plain HTTP connections per address, three socket connections."""
    yield from edge_server(
        request.param,
        FLACK_HTTP_CONNECTIONS_PER_ADDRESS=str(HTTP_CAP),
        FLACK_CONNECTIONS_PER_ADDRESS=str(SOCKET_CAP),
    )


async def healthz_status(url: str) -> int | None:
    """The status of GET /healthz on a new connection (None: closed unanswered)."""
    host, port = host_port(url)
    async with raw_connection(url) as (reader, writer):
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        answer = await closed_by_server(reader, 5)
    if not answer:
        return None
    return int(answer.split(b" ", 2)[1])


async def healthz_soon(url: str) -> int | None:
    for _ in range(100):  # the server learns of closed connections a moment later
        status = await healthz_status(url)
        if status == 200:
            return status
        await asyncio.sleep(0.05)
    return status


async def test_plain_http_connections_per_address_are_capped(capped_url: str) -> None:
    assert await healthz_soon(capped_url) == 200
    async with contextlib.AsyncExitStack() as idle:
        for _ in range(HTTP_CAP):
            await idle.enter_async_context(raw_connection(capped_url))
        # No wait: the server accepts connections in the order they arrived
        # (one listening socket, FIFO), so these six are counted before the next.
        assert await healthz_status(capped_url) in (429, None)
    assert await healthz_soon(capped_url) == 200  # the idle ones closed: room again


async def test_upgraded_websockets_leave_the_http_count(capped_url: str) -> None:
    clients = [await connects_soon(capped_url) for _ in range(SOCKET_CAP)]
    try:
        async with contextlib.AsyncExitStack() as idle:
            for _ in range(HTTP_CAP - 1):
                await idle.enter_async_context(raw_connection(capped_url))
            # Counted before the next in accept order (see above), so this
            # sixth one passes only because the upgraded sockets left the count.
            assert await healthz_status(capped_url) == 200  # the sixth: the sockets do not count
    finally:
        await disconnect_all(clients)


async def engine_only_session(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    """An Engine.IO session that never sends Socket.IO's connect (``40``)
    (retried, bounded, while the server still counts closed ones)."""
    endpoint = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    for _ in range(100):
        with contextlib.suppress(aiohttp.WSServerHandshakeError):
            ws = await session.ws_connect(endpoint)
            assert (await ws.receive_str(timeout=5)).startswith("0{")
            return ws
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept counting sessions that were closed")


async def polling_only_session(session: aiohttp.ClientSession, url: str) -> str:
    for _ in range(100):
        async with session.get(url + "/socket.io/?EIO=4&transport=polling") as response:
            if response.status == 200:
                return str(json.loads((await response.text())[1:])["sid"])
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept counting sessions that were closed")


async def test_engine_io_sessions_without_a_socket_io_connect_count(capped_url: str) -> None:
    endpoint = capped_url + "/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as session:
        # Room for SOCKET_CAP connections and the one told it is too many:
        # sessions that never connect fill it just the same.
        held = [await engine_only_session(session, capped_url) for _ in range(SOCKET_CAP - 1)]
        polled = [await polling_only_session(session, capped_url) for _ in range(2)]
        refused = await connects(capped_url)
        await disconnect_all([refused])
        assert refused is None, "Engine.IO-only sessions were not counted"
        # One more Engine.IO session is refused at the handshake, with the code.
        async with session.get(endpoint) as response:
            assert response.status == 401
            assert (await response.json())["data"] == {"code": "too_many_connections"}
        for ws in held:
            await ws.close()
        for sid in polled:
            async with session.post(f"{endpoint}&sid={sid}", data="1") as response:  # Engine.IO close
                assert response.status == 200
    client = await connects_soon(capped_url)
    await client.disconnect()


async def test_forwarded_for_is_not_believed_by_default(capped_url: str) -> None:
    clients = [await connects_soon(capped_url) for _ in range(SOCKET_CAP)]
    try:
        assert await connects(capped_url, {"X-Forwarded-For": "10.9.8.7"}) is None
        assert await connects(capped_url, {"Forwarded": "for=10.9.8.6", "X-Real-IP": "10.9.8.5"}) is None
    finally:
        await disconnect_all(clients)


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def proxied_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Behind a trusted proxy on 127.0.0.1, two socket connections per
    address, and one more Host name."""
    yield from edge_server(
        request.param,
        FLACK_TRUSTED_PROXIES="127.0.0.1, 10.255.0.0/16",
        FLACK_CONNECTIONS_PER_ADDRESS="2",
        FLACK_ALLOWED_HOSTS="chat.example.org, *.team.example",
    )


async def test_forwarded_for_from_a_trusted_proxy_is_the_address(proxied_url: str) -> None:
    first, second = "10.1.0.1", "10.2.0.1"
    clients: list[Any] = []
    try:
        for address in (first, first, second, second):
            clients.append(await connects_soon(proxied_url, {"X-Forwarded-For": address}))
        assert await connects(proxied_url, {"X-Forwarded-For": first}) is None
        # Read from the right, past trusted proxies: the client is the first untrusted entry.
        assert await connects(proxied_url, {"X-Forwarded-For": f"198.51.100.7, {first}, 10.255.3.4"}) is None
        clients.append(await connects_soon(proxied_url, {"X-Forwarded-For": f"{first}, 198.51.100.8"}))
        clients.append(await connects_soon(proxied_url))  # the proxy's own address has its own count
    finally:
        await disconnect_all(clients)


# --- the Host check ----------------------------------------------------------------------

PATHS = [
    ("GET", "/"),
    ("GET", "/static/style.css"),
    ("GET", "/vendor/socket.io/socket.io.min.js"),
    ("GET", "/py/flack/__init__.py"),
    ("GET", "/healthz"),
    ("GET", "/socket.io/?EIO=4&transport=polling"),
    ("GET", "/uploads/nope"),
    ("PUT", "/uploads/nope"),
    ("GET", "/files/nope/x.txt"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_a_foreign_host_is_refused_everywhere(server_url: str, method: str, path: str) -> None:
    _, port = host_port(server_url)
    for host in (
        "evil.example",
        f"evil.example:{port}",
        f"127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
    ):
        assert request(server_url, method, path, {"Host": host, "Upload-Offset": "0"}) == 403, host


async def test_a_rebinding_page_cannot_open_the_socket(server_url: str) -> None:
    # An attacker's page on evil.example whose name now resolves to this
    # server: Host and Origin agree, so only the Host check stops it.
    _, port = host_port(server_url)
    headers = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                server_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
                headers=headers,
            )
        assert refused.value.status == 403
        async with session.get(
            server_url + "/socket.io/?EIO=4&transport=polling", headers=headers
        ) as response:
            assert response.status == 403


def test_local_names_and_ip_addresses_pass(server_url: str) -> None:
    _, port = host_port(server_url)
    for host in (
        f"localhost:{port}",
        f"127.0.0.1:{port}",
        f"[::1]:{port}",
        "LocalHost.",
        "app.localhost",
        "192.0.2.7",
    ):
        assert request(server_url, "GET", "/healthz", {"Host": host}) == 200, host


def test_configured_hosts_pass(proxied_url: str) -> None:
    assert request(proxied_url, "GET", "/healthz", {"Host": "chat.example.org"}) == 200
    assert request(proxied_url, "GET", "/healthz", {"Host": "a.team.example:443"}) == 200
    assert request(proxied_url, "GET", "/healthz", {"Host": "chat.example.org.evil.example"}) == 403
    assert request(proxied_url, "GET", "/healthz", {"Host": "team.example.evil"}) == 403


# --- Upload-Offset --------------------------------------------------------------------------


async def test_a_huge_upload_offset_is_a_bad_request(server_url: str) -> None:
    peer, upload = await started_upload(server_url, 10)
    try:
        async with aiohttp.ClientSession() as session:
            for offset in ("9" * 5000, "1" + "0" * 30):
                async with session.put(
                    server_url + upload, data=b"x", headers={"Upload-Offset": offset}
                ) as response:
                    assert response.status == 400
                    assert (await response.json())["error"]["code"] == "bad_payload"
    finally:
        await peer.sio.disconnect()


# --- the rules, without a server ------------------------------------------------------------


def test_forwarded_for_is_read_from_the_right_past_trusted_proxies() -> None:
    from flack.transport.addresses import TrustedProxies

    none = TrustedProxies.parse("")
    assert none.client("127.0.0.1", "10.0.0.1") == "127.0.0.1"
    proxies = TrustedProxies.parse("127.0.0.1, 10.255.0.0/16, ::1")
    assert proxies.client("192.0.2.1", "10.0.0.1") == "192.0.2.1"  # not from a proxy: ignored
    assert proxies.client("127.0.0.1", "10.0.0.1") == "10.0.0.1"
    assert proxies.client("127.0.0.1", "6.6.6.6, 10.0.0.1") == "10.0.0.1"  # the left is the client's word
    assert proxies.client("127.0.0.1", "10.0.0.1, 10.255.9.9") == "10.0.0.1"
    assert proxies.client("::1", "[2001:db8::1]:443") == "2001:db8::1"
    assert proxies.client("127.0.0.1", "unknown, 10.0.0.1") == "10.0.0.1"
    assert proxies.client("127.0.0.1", "10.0.0.1, garbage") == "127.0.0.1"
    assert proxies.client("127.0.0.1", "") == "127.0.0.1"
    assert proxies.scheme("127.0.0.1", "http", "https") == "https"
    assert proxies.scheme("192.0.2.1", "http", "https") == "http"
    with pytest.raises(ValueError, match="FLACK_TRUSTED_PROXIES: 'nope'"):
        TrustedProxies.parse("127.0.0.1, nope")


def test_allowed_hosts_for_where_the_server_listens() -> None:
    from flack.transport.addresses import AllowedHosts

    machine = lambda: {"box", "box.lan", "box.local"}  # noqa: E731
    local = AllowedHosts.for_server("127.0.0.1", "", machine)
    assert local.allows("localhost:8000") and local.allows("[::1]:8000") and local.allows("10.0.0.5")
    assert local.allows("x.localhost") and local.allows(None)
    assert not local.allows("box") and not local.allows("evil.example") and not local.allows("")
    everywhere = AllowedHosts.for_server("0.0.0.0", "chat.example.org, *.team.example", machine)
    assert everywhere.allows("box:8000") and everywhere.allows("BOX.LAN.") and everywhere.allows("box.local")
    assert everywhere.allows("chat.example.org") and everywhere.allows("a.b.team.example")
    assert not everywhere.allows("team.example") and not everywhere.allows("evil.example")
    assert AllowedHosts.for_server("192.168.1.5", "", machine).allows("box")
    assert AllowedHosts.for_server("127.0.0.1", "*", machine).allows("anything.example")
