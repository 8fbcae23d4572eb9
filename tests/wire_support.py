"""Helpers for protocol tests: unique names and a recording python-socketio peer."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import socketio

_unique = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test uses, so tests can share one server."""
    return f"{prefix}{next(_unique)}"


class Peer:
    """A python-socketio client that records every event it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()

        @self.sio.on("*")
        async def record(event: str, data: Any = None) -> None:
            self.received.append((event, data))
            self._arrived.set()

    async def connect(self, **kwargs: Any) -> Peer:
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=5, **kwargs)
        return self

    async def call(self, event: str, payload: Any = None) -> dict[str, Any]:
        """Emit with an acknowledgement and return it (tuples send several args)."""
        return await self.sio.call(event, payload, timeout=5)

    async def ok(self, event: str, payload: Any = None) -> dict[str, Any]:
        """Call and insist on success; returns the ack's data."""
        ack = await self.call(event, payload)
        assert ack["ok"] is True, ack
        return ack["data"]

    async def named(self, name: str) -> Peer:
        data = await self.ok("claim_name", {"name": name})
        self.token = data["token"]
        self.name = data["name"]
        return self

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    async def wait_for(self, name: str, match: Callable[[Any], bool] = lambda _: True) -> Any:
        """The first received ``name`` event matching ``match`` (5 s at most)."""
        async with asyncio.timeout(5):
            while True:
                for data in self.events(name):
                    if match(data):
                        return data
                self._arrived.clear()
                await self._arrived.wait()
