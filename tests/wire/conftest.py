"""Protocol tests: a real ``flack serve`` on a free loopback port, real clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from flack.testing import running_server
from wire_support import Peer


@pytest.fixture(scope="session", params=["asgi", "sanic"])
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """One server per python-socketio integration; every protocol test runs on both."""
    with running_server({"FLACK_INTEGRATION": request.param, "FLACK_LOG_LEVEL": "warning"}) as url:
        yield url


@pytest.fixture
async def peers(server_url: str) -> AsyncIterator[Callable[[], Any]]:
    """A factory of connected peers, all disconnected after the test."""
    made: list[Peer] = []

    async def make(**kwargs: Any) -> Peer:
        peer = await Peer(server_url).connect(**kwargs)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        await peer.sio.disconnect()
