"""Which way fan-out frames travel (transport/manager.py, transport/uvicorn_direct.py).

Every protocol test passes whichever way a frame reaches a connection, so
these check the way itself: under the default configuration (the ASGI
integration served by uvicorn's websockets-sansio implementation) frames to
idle websockets are written directly, the server says which path is active
when it starts, the versions it was tested with are the ones pinned, and a
pub/sub manager placed before Flack's keeps the local fast path.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import socketio
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from socketio.async_pubsub_manager import AsyncPubSubManager
from websockets.protocol import State

from flack.testing import GENEROUS_LIMITS, free_port, memory_unless_chosen
from flack.transport import uvicorn_direct
from flack.transport.manager import FanoutManager
from inprocess import InProcessServer
from wire_support import Peer, raw_member, unique

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def default_server() -> Iterator[InProcessServer]:
    """The app as ``flack serve`` runs it by default, in this process."""
    with InProcessServer() as server:
        yield server


def writes(server: InProcessServer) -> tuple[int, int]:
    """(direct, queued) deliveries so far, read on the server's loop."""
    manager = server.app.ctx.sio.manager
    return server.call(lambda: (manager.direct_writes, manager.queued_writes))


async def test_the_default_configuration_writes_to_idle_websockets_directly(
    default_server: InProcessServer,
) -> None:
    assert default_server.app_attr("sio").manager.path.direct
    alice = await (await Peer(default_server.url).connect()).named(unique("alice"))
    bob = await (await Peer(default_server.url).connect()).named(unique("bob"))
    try:
        channel = unique("direct-")
        await alice.ok("create_channel", {"channel": channel})
        for peer in (alice, bob):
            await peer.ok("join_channel", {"channel": channel})
        direct_before, queued_before = writes(default_server)
        texts = [f"one at a time {n}" for n in range(10)]
        for text in texts:  # each waits for the last: both connections are idle when it goes out
            sent = await alice.ok("send_message", {"channel": channel, "text": text})
            await bob.wait_for("message", lambda m, i=sent["message"]["id"]: m["message"]["id"] == i)
        direct, queued = writes(default_server)
        assert [m["message"]["text"] for m in bob.events("message")] == texts
        # Ten messages to two members: at least 20 deliveries, nearly all of them
        # written directly (a packet of the connection's own, such as a ping
        # or an acknowledgement still being written, sends one by the queue).
        assert direct - direct_before >= 15, (direct - direct_before, queued - queued_before)
        assert queued - queued_before <= 5
    finally:
        for peer in (alice, bob):
            await peer.sio.disconnect()


async def test_a_connection_without_compression_gets_the_shared_frame_directly(
    default_server: InProcessServer,
) -> None:
    """The other kind of direct write: one pre-built frame for every connection
    that did not negotiate per-message deflate (python-socketio's client does)."""
    alice = await (await Peer(default_server.url).connect()).named(unique("alice"))
    channel = unique("shared-")
    await alice.ok("create_channel", {"channel": channel})
    await alice.ok("join_channel", {"channel": channel})
    try:
        async with raw_member(default_server.url, channel) as ws:
            direct_before, _ = writes(default_server)
            sent = await alice.ok("send_message", {"channel": channel, "text": "shared"})
            async with asyncio.timeout(5):
                while True:
                    frame = await ws.receive_str()
                    if frame.startswith('42["message"'):  # not news about people
                        break
            event, data = json.loads(frame[2:])
            assert (event, data["message"]["id"]) == ("message", sent["message"]["id"])
            await alice.wait_for("message", lambda m: m["message"]["id"] == sent["message"]["id"])
            direct, _ = writes(default_server)
            assert direct - direct_before >= 2  # both: the shared frame and alice's compressed one
    finally:
        await alice.sio.disconnect()


async def test_nothing_is_written_directly_while_the_writer_holds_a_packet() -> None:
    """Engine.IO's writer takes packets with ``wait_for(queue.get())``; on
    CPython 3.11 that runs in a task of its own, so for a loop iteration or two
    the writer holds a packet the queue no longer shows. A frame written
    directly then would overtake it: only a writer parked on ``get()`` is idle."""
    written: list[bytes] = []
    protocol = SimpleNamespace(
        close_sent=False,
        disconnected=False,
        handshake_complete=True,
        writable=asyncio.Event(),
        transport=SimpleNamespace(write=written.append, is_closing=lambda: False),
        conn=SimpleNamespace(state=State.OPEN, extensions=[]),
    )
    protocol.writable.set()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    socket = SimpleNamespace(closed=False, closing=False, upgraded=True, queue=queue)
    setattr(socket, uvicorn_direct._PROTOCOL, protocol)
    sio = SimpleNamespace(eio=SimpleNamespace(sockets={"eio": socket}))

    async def writer() -> None:  # python-engineio's websocket writer, in short
        while True:
            packet = await asyncio.wait_for(queue.get(), 60)
            written.append(packet.encode().encode())

    def send(text: str) -> tuple[int, int]:
        return uvicorn_direct.deliver(sio, [("sid", "eio")], None, uvicorn_direct.Outgoing(text, True))

    task = asyncio.create_task(writer())
    try:
        await asyncio.sleep(0.01)
        assert send("2first") == (1, 0)  # parked: written directly
        assert send("2second") == (1, 0)
        queue.put_nowait(uvicorn_direct.Outgoing("2third", False).packet)
        await asyncio.sleep(0)
        if not queue.empty() or len(written) != 2:
            pytest.skip("this Python's wait_for hands a packet over in one step")
        # The writer holds "third" and has not written it: this one must queue.
        assert send("2fourth") == (0, 1)
        async with asyncio.timeout(5):
            while len(written) < 4:
                await asyncio.sleep(0.01)
        names = [b"first", b"second", b"third", b"fourth"]
        assert [next(n for n in names if frame.endswith(n)) for frame in written] == names
    finally:
        task.cancel()


# the start-up log ----------------------------------------------------------------------


def start_up_line(integration: str) -> str:
    """The ``fan-out:`` line ``flack serve`` logs at start."""
    port = free_port()
    env = {
        **os.environ,
        **GENEROUS_LIMITS,
        **memory_unless_chosen({}),  # never the user's data folder
        "FLACK_INTEGRATION": integration,
        "FLACK_LOG_LEVEL": "info",
    }
    command = [sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port)]
    lines: list[str] = []
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
        reader.start()
        try:
            deadline = time.monotonic() + 30
            while not any("fan-out:" in line for line in lines):
                assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=15)
            reader.join(timeout=5)
    found = [line.rstrip("\n") for line in lines if "fan-out:" in line]
    assert len(found) == 1, "".join(lines)
    return found[0]


def test_the_server_says_at_start_which_fan_out_path_is_active() -> None:
    asgi = start_up_line("asgi")
    assert asgi.startswith("INFO flack: fan-out: direct writes to idle websockets (uvicorn ")
    assert "websockets-sansio" in asgi
    sanic = start_up_line("sanic")
    assert sanic == "INFO flack: fan-out: queue only (the sanic integration has no direct writes)"


# versions -------------------------------------------------------------------------------


def test_the_pins_are_the_tested_ranges() -> None:
    """pyproject.toml pins exactly what uvicorn_direct.TESTED accepts."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {Requirement(d).name: Requirement(d).specifier for d in project["dependencies"]}

    def dotted(release: tuple[int, ...]) -> str:
        return ".".join(map(str, release))

    for name, (low, high) in uvicorn_direct.TESTED.items():
        assert pins.get(name) == SpecifierSet(f">={dotted(low)},<{dotted(high)}"), name


def test_direct_writes_stay_off_outside_the_tested_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    sio = socketio.AsyncServer(client_manager=FanoutManager(), async_mode="asgi")
    monkeypatch.setitem(uvicorn_direct.TESTED, "uvicorn", ((0, 1), (0, 2)))
    status = sio.manager.use_direct_writes()
    assert not status.direct and "uvicorn" in status.reason
    assert sio.manager.describe().startswith("queue only (uvicorn ")


@pytest.mark.parametrize(
    ("version", "release"),
    [("0.54.0", (0, 54, 0)), ("4.15.1", (4, 15, 1)), ("17.4", (17, 4)), ("18.0rc1", (18, 0)), ("dev", ())],
)
def test_release_of(version: str, release: tuple[int, ...]) -> None:
    assert uvicorn_direct.release_of(version) == release


# the manager interface -------------------------------------------------------------------


class LoopbackPubSub(AsyncPubSubManager, FanoutManager):  # type: ignore[misc]
    """A pub/sub manager placed before Flack's, as a Redis one would be."""

    def __init__(self) -> None:
        super().__init__(channel="flack-test")
        self.published: list[dict[str, Any]] = []

    async def _publish(self, data: Any) -> None:
        self.published.append(data)


async def connected(manager: FanoutManager, room: str) -> asyncio.Queue[Any]:
    """A fake Engine.IO socket in ``room``; its outgoing queue."""
    eio_sid = unique("eio")
    queue: asyncio.Queue[Any] = asyncio.Queue()
    manager.server.eio.sockets[eio_sid] = SimpleNamespace(
        closed=False,
        closing=False,
        queue=queue,
        send=queue.put,  # send: python-socketio's own path
    )
    sid = await manager.connect(eio_sid, "/")
    await manager.enter_room(sid, "/", room)
    return queue


async def test_a_pubsub_manager_placed_first_keeps_the_local_fast_path() -> None:
    manager = LoopbackPubSub()
    socketio.AsyncServer(client_manager=manager, async_mode="asgi")
    queue = await connected(manager, "channel:x")

    # This host's emit: published for the others, delivered here by FanoutManager.
    await manager.server.emit("notice", {"n": 1}, to="channel:x")
    assert [m["method"] for m in manager.published] == ["emit"]
    # Another host's emit, arriving through the pub/sub channel.
    await manager._handle_emit(
        {"method": "emit", "event": "notice", "data": [{"n": 2}], "namespace": "/", "room": "channel:x"}
    )
    assert manager.queued_writes == 2  # both by FanoutManager's delivery, not a task each
    got = [queue.get_nowait().data for _ in range(queue.qsize())]
    assert got == ['2["notice",{"n":1}]', '2["notice",{"n":2}]']


async def test_sio_emit_goes_through_the_fan_out_and_callbacks_through_python_socketio() -> None:
    manager = FanoutManager()
    socketio.AsyncServer(client_manager=manager, async_mode="asgi")
    queue = await connected(manager, "channel:y")
    await manager.server.emit("notice", ("two", "args"), to="channel:y")
    assert manager.queued_writes == 1
    assert queue.get_nowait().data == '2["notice","two","args"]'
    # A callback needs an id per recipient: python-socketio's own emit, not counted.
    await manager.server.emit("notice", {"n": 3}, to="channel:y", callback=lambda *a: None)
    assert manager.queued_writes == 1
    assert queue.get_nowait().data == '21["notice",{"n":3}]'
