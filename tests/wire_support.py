"""Helpers for protocol tests: unique names and a recording python-socketio peer."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import socketio

from flack.protocol import person_id

_unique = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test uses, so tests can share one server."""
    return f"{prefix}{next(_unique)}"


def unbatched(event: str, data: Any) -> list[tuple[str, Any]]:
    """A ``messages`` (``notices``, ``people``) batch as the ``message``
    (``notice``, ``person``) events it stands for."""
    if event == "messages":
        return [("message", {"message": message}) for message in data["messages"]]
    if event == "notices":
        return [("notice", notice) for notice in data["notices"]]
    if event == "people":
        return [("person", {"person": person}) for person in data["people"]]
    return [(event, data)]


class Peer:
    """A python-socketio client that records every event it receives.

    ``frames`` is what arrived; ``received`` the same with each ``messages``
    batch unpacked into ``message`` events (what most tests care about).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.frames: list[tuple[str, Any]] = []
        self.received: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()

        @self.sio.on("*")
        async def record(event: str, data: Any = None) -> None:
            self.frames.append((event, data))
            self.received.extend(unbatched(event, data))
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
        self.id = person_id(self.token)  # the person's public id
        return self

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds, checked as events arrive (5 s at most)."""
        async with asyncio.timeout(5):
            while not condition():
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_for(self, name: str, match: Callable[[Any], bool] = lambda _: True) -> Any:
        """The first received ``name`` event matching ``match`` (5 s at most)."""
        async with asyncio.timeout(5):
            while True:
                for data in self.events(name):
                    if match(data):
                        return data
                self._arrived.clear()
                await self._arrived.wait()


class ResumingClient:
    """A client that follows the delivery protocol the way the browser does.

    It reclaims its name with its token after every (re)connect, rejoins its
    channel with ``since`` (the last id it saw), drops repeats by id, and
    retries each send with the same ``client_id`` until acknowledged.
    """

    def __init__(self, url: str, name: str, channel: str) -> None:
        self.url, self.name, self.channel = url, name, channel
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0.5
        )
        self.token: str | None = None
        self.seen: dict[int, dict[str, Any]] = {}
        self.gaps = 0
        self.told = 0
        self.resumed_at: list[float] = []
        self.ready = asyncio.Event()
        self._resuming: asyncio.Task[None] | None = None
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("message", self._on_message)
        self.sio.on("messages", self._on_messages)
        self.sio.on("server_closing", self._on_closing)

    @property
    def last_id(self) -> int:
        return max(self.seen, default=0)

    async def start(self) -> ResumingClient:
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=5)
        async with asyncio.timeout(10):
            await self.ready.wait()
        return self

    async def _on_connect(self) -> None:
        # Calls wait for acks that this same handler's loop receives: resume in a task.
        self._resuming = asyncio.create_task(self._resume())

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.ready.clear()

    async def _on_closing(self, data: Any) -> None:
        self.told += 1

    async def _on_message(self, data: dict[str, Any]) -> None:
        message = data["message"]
        if message["channel"] == self.channel:
            self.seen.setdefault(message["id"], message)

    async def _on_messages(self, data: dict[str, Any]) -> None:
        for message in data["messages"]:
            await self._on_message({"message": message})

    async def _resume(self) -> None:
        try:
            claim = await self.sio.call("claim_name", {"name": self.name, "token": self.token}, timeout=5)
            assert claim["ok"], claim
            self.token = claim["data"]["token"]
            payload: dict[str, Any] = {"channel": self.channel}
            if self.seen:
                payload["since"] = self.last_id
            joined = await self.sio.call("join_channel", payload, timeout=5)
            assert joined["ok"], joined
            self.gaps += joined["data"]["gap"]
            for message in joined["data"]["messages"]:
                self.seen.setdefault(message["id"], message)
            self.resumed_at.append(asyncio.get_running_loop().time())
            self.ready.set()
        except Exception:  # the connection dropped again; the next connect resumes
            pass

    async def send(self, text: str, client_id: str, attempts: int = 100) -> dict[str, Any]:
        """Send until acknowledged (bounded); returns the stored message."""
        for _ in range(attempts):
            try:
                async with asyncio.timeout(10):
                    await self.ready.wait()
                ack = await self.sio.call(
                    "send_message", {"channel": self.channel, "text": text, "client_id": client_id}, timeout=3
                )
                if ack["ok"]:
                    message: dict[str, Any] = ack["data"]["message"]
                    self.seen.setdefault(message["id"], message)
                    return message
            except (socketio.exceptions.SocketIOError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} could not send {client_id}")

    async def close(self) -> None:
        await self.sio.disconnect()


@contextlib.asynccontextmanager
async def raw_member(url: str, channel: str) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A bare websocket client that did not negotiate compression (unlike
    python-socketio's), speaking Engine.IO v4 / Socket.IO v5 by hand: named
    and in ``channel`` once this yields. Read frames with ``receive_str``;
    ``"2"`` is a ping (answer ``"3"``), ``"42[...]"`` an event."""
    endpoint = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session, session.ws_connect(endpoint, compress=0) as ws:
        assert (await ws.receive_str(timeout=5)).startswith("0")  # Engine.IO open
        await ws.send_str("40")  # Socket.IO connect
        assert (await ws.receive_str(timeout=5)).startswith("40")
        await ws.send_str("420" + json.dumps(["claim_name", {"name": unique("plain")}]))
        await ws.send_str("421" + json.dumps(["join_channel", {"channel": channel}]))
        acks = 0
        while acks < 2:  # both acknowledged ("43<id>[...]")
            acks += (await ws.receive_str(timeout=5)).startswith("43")
        yield ws
