"""Sharing on a LAN and a quiet log, with a real ``flack serve``.

The servers here listen on all interfaces (``--host 0.0.0.0`` or ``::``)
but the tests talk to them over loopback only. Each server's whole output is
read once it has exited (``capfd``: the child writes to this test's stderr).
"""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urlsplit

import aiohttp
import pytest

from flack.testing import running_server
from flack.transport import lan
from wire_support import Peer, unique

INTEGRATIONS = ["asgi", "sanic"]
# Lines a websocket connection used to write at INFO: uvicorn's handshake
# line, the websockets library's open/close (under uvicorn or Sanic).
CONNECTION_LINE = re.compile(r'"WebSocket /socket\.io/|\[accepted\]|connection open|connection closed')


def status_for(url: str, host: str) -> int:
    """The status of ``GET /`` sent to ``url`` (loopback) with this ``Host``."""
    request = urllib.request.Request(url + "/", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


@pytest.mark.parametrize("integration", INTEGRATIONS)
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_on_all_interfaces_the_start_line_lists_every_url(
    integration: str, host: str, capfd: pytest.CaptureFixture[str]
) -> None:
    env = {"FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "info"}
    with running_server(env, args=("--host", host)) as url:  # answers on 127.0.0.1, "::" too
        port = int(urlsplit(url).port or 0)
        expected = lan.start_lines(host, port, integration)
        # Every name printed is one the server answers to (the Host check).
        for name in lan.own_names():
            assert status_for(url, f"{name}:{port}") == 200, name
    log = capfd.readouterr().err
    for line in expected:
        assert line in log, (line, log[-3000:])
    assert f"Flack on all interfaces, port {port} ({integration} integration); open it at:" in log
    assert f"  http://127.0.0.1:{port} (this machine)" in log
    for address in lan.machine_addresses():
        if address.version == 4 or host == "::":
            assert f"  {lan.url(str(address), port)}" in log, (address, log[-3000:])


@pytest.mark.parametrize("integration", INTEGRATIONS)
async def test_a_websocket_connection_writes_no_line_at_the_default_level(
    integration: str, capfd: pytest.CaptureFixture[str]
) -> None:
    env = {"FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "info"}
    with running_server(env) as url:
        for _ in range(3):
            peer = await (await Peer(url).connect()).named(unique("quiet"))
            await peer.ok("list_channels")
            await peer.sio.disconnect()
        # A real warning is still written: a malformed packet's.
        async with aiohttp.ClientSession() as session:
            endpoint = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
            async with session.ws_connect(endpoint) as ws:
                await ws.receive_str(timeout=5)  # Engine.IO open
                await ws.send_str("42[")
                async for _ in ws:  # until the server closes it
                    pass
        # The barrier: the server stops and its output ends.
    log = capfd.readouterr().err
    assert "closed a connection from 127.0.0.1" in log, log[-3000:]
    # Every connection had closed (and been seen closed) before the stop.
    assert "told 0 connections about the shutdown" in log, log[-3000:]
    assert not CONNECTION_LINE.findall(log), log[-3000:]


async def test_the_same_connection_lines_are_there_with_log_level_debug(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The control: the connections above would have written these lines
    # (uvicorn's handshake, the websockets library's open) if not demoted.
    with running_server({"FLACK_INTEGRATION": "asgi", "FLACK_LOG_LEVEL": "debug"}) as url:
        peer = await (await Peer(url).connect()).named(unique("loud"))
        await peer.sio.disconnect()
    log = capfd.readouterr().err
    assert re.search(r'DEBUG: +127\.0\.0\.1:\d+ - "WebSocket /socket\.io/.*" \[accepted\]', log), log[-3000:]
    assert re.search(r"DEBUG: +connection open", log), log[-3000:]
