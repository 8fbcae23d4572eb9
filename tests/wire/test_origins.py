"""Cross-site WebSocket hijacking: only the page's own origin (or a configured one) may connect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import aiohttp
import pytest
import socketio

from flack.testing import running_server

TRANSPORTS = ["websocket", "polling"]


def foreign_origins(url: str) -> list[str]:
    port = urlsplit(url).port
    return [
        "http://evil.example",
        "null",  # sandboxed iframes, file: pages
        f"http://127.0.0.1:{port}.evil.example",  # look-alike host
        f"http://127.0.0.1:{port}@evil.example",
        f"https://127.0.0.1:{port}",  # another scheme is another origin
        f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}",  # another port
        f"http://localhost:{port}",  # same machine, another origin
        f"http://127.0.0.1:{port}/",
        "http://chat.example.org",  # only allowed when configured
    ]


async def connects(url: str, transport: str, origin: str | None) -> bool:
    """Whether a socket.io connection with this ``Origin`` gets through."""
    headers = {"Origin": origin} if origin is not None else {}
    if transport == "polling":
        return await polls(url, headers)
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(url, transports=[transport], headers=headers, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


async def polls(url: str, headers: dict[str, str]) -> bool:
    """The polling handshake by hand: engine.io open, then socket.io connect.

    (python-socketio's polling client takes up to the ping interval to
    disconnect; these raw requests show the same refusals without the wait.)
    """
    endpoint = url + "/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:
        async with http.get(endpoint, headers=headers) as response:
            if response.status != 200:
                return False
            opened = await response.text()
        sid = json.loads(opened[1:])["sid"]
        async with http.post(f"{endpoint}&sid={sid}", data="40", headers=headers) as response:
            if response.status != 200:
                return False
        async with http.get(f"{endpoint}&sid={sid}", headers=headers) as response:
            return response.status == 200 and (await response.text()).startswith("40{")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_foreign_origins_are_refused(server_url: str, transport: str) -> None:
    for origin in foreign_origins(server_url):
        assert not await connects(server_url, transport, origin), origin


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_own_origin_and_non_browsers_are_allowed(server_url: str, transport: str) -> None:
    assert await connects(server_url, transport, server_url)
    assert await connects(server_url, transport, None)


async def test_forwarded_headers_do_not_widen_the_policy(server_url: str) -> None:
    # python-engineio's own same-origin default would trust X-Forwarded-Host.
    headers = {"Origin": "http://evil.example", "X-Forwarded-Host": "evil.example"}
    assert not await polls(server_url, headers)
    assert not await polls(server_url, {**headers, "X-Forwarded-Proto": "http"})


async def test_forwarded_proto_counts_only_from_a_trusted_proxy(server_url: str) -> None:
    # Behind a proxy that ends TLS, the page's origin is https://<host>; only a
    # trusted proxy may say so.
    own_over_https = server_url.replace("http://", "https://")
    headers = {"Origin": own_over_https, "X-Forwarded-Proto": "https"}
    assert not await polls(server_url, headers)
    for transport in TRANSPORTS:
        assert not await connects(server_url, transport, own_over_https)


@pytest.fixture(scope="module", params=["asgi", "sanic"])
def proxied_url(request: pytest.FixtureRequest) -> Iterator[str]:
    env = {
        "FLACK_TRUSTED_PROXIES": "127.0.0.1",
        "FLACK_LOG_LEVEL": "warning",
        "FLACK_INTEGRATION": request.param,
    }
    with running_server(env) as url:
        yield url


async def test_a_trusted_proxy_may_say_the_page_came_over_https(proxied_url: str) -> None:
    own_over_https = proxied_url.replace("http://", "https://")
    assert await polls(proxied_url, {"Origin": own_over_https, "X-Forwarded-Proto": "https"})
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        proxied_url,
        transports=["websocket"],
        headers={"Origin": own_over_https, "X-Forwarded-Proto": "https"},
        wait_timeout=5,
    )
    await client.disconnect()
    # And nothing else: not another host, and not https without the proxy saying so.
    assert not await polls(proxied_url, {"Origin": own_over_https})
    assert not await polls(proxied_url, {"Origin": "https://evil.example", "X-Forwarded-Proto": "https"})


async def test_polling_handshake_from_a_foreign_origin_gets_no_session(server_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(
            server_url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://evil.example"}
        ) as response:
            assert response.status == 400
            assert "sid" not in await response.text()
            assert response.headers.get("Access-Control-Allow-Origin") != "http://evil.example"


@pytest.fixture(scope="module")
def configured_url() -> Iterator[str]:
    env = {
        "FLACK_ALLOWED_ORIGINS": "http://chat.example.org, https://team.example/",
        "FLACK_LOG_LEVEL": "warning",
    }
    with running_server(env) as url:
        yield url


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_configured_origins_are_allowed(configured_url: str, transport: str) -> None:
    assert await connects(configured_url, transport, "http://chat.example.org")
    assert await connects(configured_url, transport, "https://team.example")
    assert await connects(configured_url, transport, configured_url)
    assert not await connects(configured_url, transport, "http://chat.example.org.evil.example")
    assert not await connects(configured_url, transport, "http://evil.example")
