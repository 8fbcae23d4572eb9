"""The one module that reaches below public interfaces: python-engineio's
sockets and their queues, uvicorn's websocket protocol, websockets' frames.

Flack's fan-out (:mod:`flack.transport.manager`) hands every delivery to
:func:`deliver`. A connection gets the frame in one of two ways:

- **the queue**: the Engine.IO packet is put on the socket's outgoing queue
  and the socket's own writer task sends it (what python-engineio does for
  any send, minus the task per recipient python-socketio makes);
- **a direct write** (ASGI integration under uvicorn's websockets-sansio
  implementation only): when the connection's writer is parked on an empty
  queue and its transport takes data, the frame is written to uvicorn's
  transport there and then. Connections without per-message deflate all get
  the same unmasked frame, built once; compressed ones get it through their
  own ``conn.send_text`` (the compressor keeps per-connection state).

A connection's frames are written by its writer or here, and here only while
its writer holds nothing, so per-connection order is the order of
:func:`deliver` calls and of python-engineio's own sends. Whenever anything is
not as expected, the answer is the queue: slower, never wrong.

Tested with python-engineio 4.15.1, python-socketio 5.18.1, uvicorn 0.54.0
(websockets-sansio, chosen explicitly in :func:`flack.app.uvicorn_config`) and
websockets 17.4, under CPython 3.11 with uvloop. ``pyproject.toml`` pins
those series; outside :data:`TESTED` :func:`install` leaves direct writes off.

What this module relies on, and what happens if it changes
------------------------------------------------------------

python-engineio (``engineio``)
  ``AsyncServer._async["websocket"]``
      the websocket class engine.io builds for each websocket connection.
      :func:`install` replaces it, on a copy of the dict (python-engineio
      shares it between servers), by a subclass that notes the uvicorn
      protocol. Missing, or not ``engineio.async_drivers.asgi.WebSocket``
      (e.g. the Sanic driver): direct writes stay off, all takes the queue.
  ``WebSocket.handler.__self__``
      engine.io builds its websocket with the socket's bound
      ``_websocket_handler``: how a connection's socket is found. Otherwise:
      that connection is never marked direct (the queue).
  ``environ["asgi.send"]``
      the ASGI ``send`` callable engine.io passes to its websocket; uvicorn's
      is the protocol's bound ``send``, so ``__self__`` is the protocol. A
      middleware in between, or another protocol: not marked (the queue).
  ``AsyncServer.sockets``
      engine.io sid -> socket; the queue path needs it too. Checked by
      :func:`install` (a dict), else it raises at start: no silent loss.
  ``AsyncSocket.queue``
      the socket's outgoing ``asyncio.Queue`` (``server.create_queue()``),
      drained by the socket's writer task; :func:`deliver` puts packets on
      it with ``put_nowait`` (it is unbounded; the slow-reader bound keeps
      it small). Checked by :func:`install` on a throwaway socket.
  ``AsyncSocket.closed``, ``.closing``
      a socket being closed is skipped (as python-engineio's own send does).
  ``AsyncSocket.upgraded``
      false while a long-polling connection upgrades to websocket: until it
      is true its packets go by polling, so it is never written directly.
  the websocket writer's behaviour
      the writer waits on ``queue.get()`` when it has nothing, and sends every
      packet it took before waiting again. A frame written while it waits on
      an empty queue therefore cannot overtake one of its packets. (An empty
      queue alone is not enough: it takes them with ``asyncio.wait_for``,
      which on CPython 3.11 runs ``get()`` in a task of its own, so for a loop
      iteration or two it holds a packet the queue no longer shows.) If a
      release changed this, frames could reorder: hence the version check.
  ``AsyncSocket.close(wait=False, abort=True)``
      closes a slow reader without sending more (:func:`abort`).

asyncio (``asyncio.Queue``; tested on CPython 3.11)
  ``Queue._getters``
      the futures of pending ``get()`` calls: the writer is parked exactly
      when one of them is not done (``put_nowait`` removes the one it wakes).
      Missing: never parked, the queue.
  ``Queue._queue``
      the deque of queued packets, read (never changed) to count their
      bytes for the slow-reader bound. Missing: 0 bytes, so only the packet
      bound applies.

uvicorn (``WebSocketsSansIOProtocol``, attributes of the protocol instance)
  ``transport``
      ``write()`` and ``is_closing()``.
  ``conn``
      its websockets ``ServerProtocol`` (below).
  ``writable``
      an ``asyncio.Event`` cleared while the transport pushes back
      (``pause_writing``): then the queue, whose writer waits for it.
  ``handshake_complete``, ``close_sent``, ``disconnected``
      only an accepted, open connection is written directly.
  Any of them missing when a connection opens: that connection is not marked
  direct (the queue), and it is logged once.

websockets (sans-I/O, public API reached through uvicorn's private ``conn``)
  ``ServerProtocol.state is State.OPEN``, ``.extensions`` (non-empty: per-
  message deflate was negotiated), ``.send_text()``, ``.data_to_send()``;
  ``websockets.frames.Frame(Opcode.TEXT, data).serialize(mask=False)``.
  Any exception while writing: the queue.

python-socketio
  ``AsyncServer.packet_class`` (used by :mod:`flack.transport.manager` to
  encode, as python-socketio's own manager does) is public but undocumented.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from engineio import packet as eio_packet
from websockets import frames as ws_frames
from websockets.protocol import State

log = logging.getLogger("flack.fanout")

# uvicorn's websocket implementation the direct path is written against
# (uvicorn.Config(ws=...)); "auto" would pick it today, but not by contract.
UVICORN_WS = "websockets-sansio"

# Distribution -> (lowest tested release, first release not accepted): the
# series pyproject.toml pins. Outside them install() keeps direct writes off.
TESTED: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "python-engineio": ((4, 15, 1), (4, 16)),
    "python-socketio": ((5, 18, 1), (5, 19)),
    "uvicorn": ((0, 54, 0), (0, 55)),
    "websockets": ((17, 4), (18,)),
}

# Where install() keeps a connection's uvicorn protocol on its Engine.IO socket.
_PROTOCOL = "_flack_uvicorn_protocol"
_OPEN = State.OPEN
_PROTOCOL_NEEDS = ("conn", "transport", "writable", "handshake_complete", "close_sent", "disconnected")


@dataclass(frozen=True)
class Status:
    """Whether direct writes are on, and in words why (for the start-up log)."""

    direct: bool
    reason: str


class Outgoing:
    """One encoded Socket.IO packet, in the forms the two paths take: the
    Engine.IO packet for the queue and, when direct writes are on, its text
    and one unmasked websocket frame (server frames are not masked, so one
    frame serves every connection that did not negotiate compression)."""

    __slots__ = ("frame", "packet", "text")

    def __init__(self, encoded: str, direct: bool) -> None:
        self.packet = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        self.text = self.frame = b""
        if direct:
            self.text = self.packet.encode().encode()
            self.frame = ws_frames.Frame(ws_frames.Opcode.TEXT, self.text).serialize(mask=False)


# installing ---------------------------------------------------------------------


def install(sio: Any) -> Status:
    """Check what the queue path needs (raises if it is missing), then let
    :func:`deliver` write to idle uvicorn websockets if this is python-engineio's
    ASGI driver and every version is in :data:`TESTED`."""
    check_engine(sio)
    try:
        from engineio.async_drivers.asgi import WebSocket
    except ImportError:  # pragma: no cover - python-engineio without its ASGI driver
        return Status(False, "python-engineio has no ASGI driver")
    drivers = getattr(sio.eio, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") is not WebSocket:
        return Status(False, f"the {sio.async_mode} integration has no direct writes")
    untested = _untested_versions()
    if untested:
        return Status(False, f"{', '.join(untested)} not in the tested range (transport/uvicorn_direct.py)")
    told = False

    class NotingWebSocket(WebSocket):  # type: ignore[misc,valid-type]
        """python-engineio's ASGI websocket, noting the connection's uvicorn
        protocol on its Engine.IO socket."""

        async def __call__(self, environ: dict[str, Any]) -> Any:
            nonlocal told
            protocol = getattr(environ.get("asgi.send"), "__self__", None)
            socket = getattr(self.handler, "__self__", None)
            if socket is not None and all(hasattr(protocol, name) for name in _PROTOCOL_NEEDS):
                setattr(socket, _PROTOCOL, protocol)
            elif not told:
                told = True
                log.warning(
                    "fan-out: a websocket served by %s takes the queue (direct writes need "
                    "uvicorn's %s implementation)",
                    type(protocol).__name__,
                    UVICORN_WS,
                )
            return await super().__call__(environ)

    sio.eio._async = {**drivers, "websocket": NotingWebSocket}
    return Status(
        True,
        f"uvicorn {_version('uvicorn')} {UVICORN_WS}, python-engineio {_version('python-engineio')}, "
        f"websockets {_version('websockets')}",
    )


def check_engine(sio: Any) -> None:
    """Raise unless python-engineio's server and sockets look as the queue path
    expects (they are version-pinned; this turns a surprise into an error at
    start instead of lost messages)."""
    from engineio.async_socket import AsyncSocket

    problems = []
    if not isinstance(getattr(sio.eio, "sockets", None), dict):
        problems.append("AsyncServer.sockets is not a dict")
    try:
        probe = AsyncSocket(sio.eio, "flack-probe")
    except Exception as error:
        problems.append(f"AsyncSocket(server, sid) failed: {error!r}")
    else:
        if not isinstance(getattr(probe, "queue", None), asyncio.Queue):
            problems.append("AsyncSocket.queue is not an asyncio.Queue")
        for name in ("closed", "closing", "upgraded"):
            if not isinstance(getattr(probe, name, None), bool):
                problems.append(f"AsyncSocket.{name} is not a bool")
    if problems:
        raise RuntimeError(
            "python-engineio is not what Flack's fan-out was written against: "
            + "; ".join(problems)
            + " (see transport/uvicorn_direct.py)"
        )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "missing"


def _untested_versions() -> list[str]:
    found = []
    for distribution, (low, high) in TESTED.items():
        version = _version(distribution)
        release = release_of(version)
        if not (low <= release < high):
            found.append(f"{distribution} {version}")
    return found


def release_of(version: str) -> tuple[int, ...]:
    """``"0.54.0"`` -> ``(0, 54, 0)``; a pre-release counts as its release;
    anything unreadable as ``()`` (below every range)."""
    release = []
    for part in version.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        release.append(int(digits))
        if len(digits) < len(part):
            break
    return tuple(release)


# delivering ---------------------------------------------------------------------


def deliver(
    sio: Any, participants: Iterable[tuple[str, str]], skip_sid: str | None, outgoing: Outgoing
) -> tuple[int, int]:
    """Send ``outgoing`` to each (sid, Engine.IO sid) in ``participants`` but
    ``skip_sid`` (sockets gone or closing are skipped too), directly where it
    was built for that and a connection's writer is idle; returns (written
    directly, queued).

    One loop with the direct write inline: this runs once per recipient of
    every broadcast, and a function call per recipient was measurable.
    """
    sockets = sio.eio.sockets
    packet, frame, text = outgoing.packet, outgoing.frame, outgoing.text
    written = queued = 0
    for sid, eio_sid in participants:
        if sid == skip_sid:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed or socket.closing:
            continue
        # A direct connection (not one still upgrading from long-polling:
        # until it has, its packets travel by polling)...
        protocol = getattr(socket, _PROTOCOL, None) if frame else None
        if protocol is not None and socket.upgraded:
            try:
                queue = socket.queue
                getters = queue._getters
                if not (
                    # ...whose writer is parked on an empty queue: a packet
                    # still queued, or one it has taken and not yet written,
                    # goes first (a pending get() is the writer's: it is the
                    # queue's only consumer)...
                    queue._queue
                    or not getters
                    or getters[-1].done()
                    # ...and whose websocket is open and takes data now.
                    or protocol.close_sent
                    or protocol.disconnected
                    or not protocol.handshake_complete
                    or not protocol.writable.is_set()  # flow control: the client is behind
                    or protocol.transport.is_closing()
                    or protocol.conn.state is not _OPEN
                ):
                    conn = protocol.conn
                    if conn.extensions:  # per-message deflate keeps per-connection state
                        conn.send_text(text)
                        protocol.transport.write(b"".join(conn.data_to_send()))
                    else:
                        protocol.transport.write(frame)
                    written += 1
                    continue
            except Exception:  # anything unexpected: the queue is always right
                pass
        socket.queue.put_nowait(packet)
        queued += 1
    return written, queued


# the queues -----------------------------------------------------------------------


def queued_packets(socket: Any) -> int:
    """Packets waiting in an Engine.IO socket's outgoing queue."""
    return int(socket.queue.qsize())


def queued_bytes(socket: Any) -> int:
    """Bytes of the encoded packets in an Engine.IO socket's outgoing queue."""
    # Reading the deque changes nothing. A closing socket's queue also holds
    # None, the writer's stop sign.
    data = (getattr(p, "data", None) for p in getattr(socket.queue, "_queue", ()))
    return sum(len(d) for d in data if isinstance(d, str | bytes))


def engine_sockets(sio: Any) -> list[Any]:
    """The open Engine.IO sockets (a copy: safe to await while walking it)."""
    return [socket for socket in list(sio.eio.sockets.values()) if not socket.closed]


async def abort(socket: Any) -> None:
    """Drop what a socket will never read, then close it without sending more."""
    while not socket.queue.empty():
        socket.queue.get_nowait()
        socket.queue.task_done()
    await socket.close(wait=False, abort=True)


def all_sent(sio: Any) -> bool:
    """Whether every socket's writer has taken everything queued for it."""
    return all(socket.queue.empty() for socket in list(sio.eio.sockets.values()))
