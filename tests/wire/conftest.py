"""Protocol tests: a real ``flack serve`` on a free loopback port, real clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from flack.testing import running_server
from wire_support import Peer


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with running_server() as url:
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
