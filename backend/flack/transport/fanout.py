"""Room broadcast without a task per recipient, and coalescing under load.

python-socketio 5.x encodes a room broadcast once, then creates one asyncio
task per recipient, each awaiting ``send_packet`` → ``socket.send`` →
``queue.put``. For a chat, where fan-out is the work, that is most of the
server's CPU per delivered message. :func:`broadcast` encodes the packet once
and puts it straight into each recipient's Engine.IO queue (``put_nowait``
never blocks: the queues are unbounded, and ``reap_slow_readers`` bounds
them). Each socket's own writer task then sends it: clients receive the same
frames.

What remains per recipient is one WebSocket frame: a write system call and a
writer wake-up. Under load :class:`Batcher` sends one frame for several
messages (see its docstring); when a channel is quiet it adds no delay.

Under uvicorn (the ASGI integration) :func:`install_direct_writes` removes
the wake-up too: a recipient whose connection has nothing queued and is not
pushing back gets the frame written to its transport there and then, and
connections without compression all get the very same frame bytes, built
once (server frames are unmasked), as Node.js's ``ws`` does. Anything else
(a backlog, flow control, compression, a closing connection, the Sanic
integration, an unknown uvicorn) takes the queue as before, so order and
bounds are kept: a connection's frames are written either by its writer or
here, and here only when its writer has nothing left to write.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from websockets import frames as ws_frames

from flack.protocol import Event, Message, MessageEvent, MessagesEvent, Shape

NAMESPACE = "/"
# Where install_direct_writes() keeps a connection's uvicorn protocol.
_DIRECT = "_flack_websocket"


def install_direct_writes(sio: socketio.AsyncServer) -> bool:
    """Let :func:`broadcast` write to idle uvicorn websockets directly
    (ASGI integration only); whether it could."""
    try:
        from engineio.async_drivers.asgi import WebSocket
    except ImportError:  # pragma: no cover - python-engineio without ASGI
        return False
    if sio.eio._async.get("websocket") is not WebSocket:
        return False

    class RememberingWebSocket(WebSocket):  # type: ignore[misc,valid-type]
        """python-engineio's ASGI websocket, noting the connection's uvicorn
        protocol on its Engine.IO socket."""

        async def __call__(self, environ: dict[str, Any]) -> Any:
            protocol = getattr(environ.get("asgi.send"), "__self__", None)
            socket = getattr(self.handler, "__self__", None)
            if socket is not None and _looks_direct(protocol):
                setattr(socket, _DIRECT, protocol)
            return await super().__call__(environ)

    # A copy: python-engineio shares this dict between all servers.
    sio.eio._async = {**sio.eio._async, "websocket": RememberingWebSocket}
    return True


def _looks_direct(protocol: Any) -> bool:
    # uvicorn's websockets-sansio protocol: what _write_now() relies on.
    return all(
        hasattr(protocol, name)
        for name in ("conn", "transport", "writable", "handshake_complete", "close_sent", "disconnected")
    )


def _write_now(socket: Any, frame: bytes, text: bytes) -> bool:
    """Write to the connection now if nothing is ahead of this frame; else False."""
    protocol = getattr(socket, _DIRECT, None)
    # Not a direct connection; or one still upgrading from long-polling
    # (until it has, packets travel by polling); or its writer has packets
    # to send first.
    if protocol is None or not socket.upgraded or not socket.queue.empty():
        return False
    try:
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.handshake_complete
            or not protocol.writable.is_set()  # flow control: the client is behind
            or protocol.transport.is_closing()
            or protocol.conn.state.name != "OPEN"
        ):
            return False
        conn = protocol.conn
        if conn.extensions:  # per-message deflate keeps per-connection state
            conn.send_text(text)
            protocol.transport.write(b"".join(conn.data_to_send()))
        else:
            protocol.transport.write(frame)
        return True
    except Exception:  # anything unexpected: the queue is always right
        return False


def broadcast(
    sio: socketio.AsyncServer, event: str, data: Any, room: str | None, skip_sid: str | None = None
) -> int:
    """Queue ``event`` with ``data`` for every connection in ``room`` (``None``:
    every connection); returns how many."""
    encoded = sio.packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode()
    if isinstance(encoded, list):  # binary attachments: let python-socketio handle them
        raise TypeError("broadcast() carries JSON only")
    packet = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    text = packet.encode().encode()
    frame = ws_frames.Frame(ws_frames.Opcode.TEXT, text).serialize(mask=False)
    sockets = sio.eio.sockets
    queued = 0
    for sid, eio_sid in sio.manager.get_participants(NAMESPACE, room):
        if sid == skip_sid:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed or socket.closing:
            continue
        if not _write_now(socket, frame, text):
            socket.queue.put_nowait(packet)
        queued += 1
    return queued


class Batcher:
    """Chat messages to a room: at once when the room is quiet, batched when busy.

    The first message after a quiet spell is broadcast at once as a
    ``message`` event and opens a window of ``window`` seconds. Messages
    posted to that room inside the window are held; when it closes they go
    out together as one ``messages`` event (one frame per recipient for the
    lot) and a new window opens. A window that closes with nothing held ends
    the busy spell. So an idle room adds no delay, and a busy one delays a
    message by at most ``window``.

    Order is kept: anything else sent to a room (:meth:`emit`) and any
    change of its members (:meth:`flush` before entering or leaving it)
    first sends what is held, so members see exactly what they would have
    seen without batching, in the same order. ``window`` 0 turns batching
    off.
    """

    def __init__(self, sio: socketio.AsyncServer, window: float) -> None:
        self._sio = sio
        self._window = window
        self._held: dict[str, list[Message]] = {}
        self._windows: dict[str, asyncio.TimerHandle] = {}

    def message(self, room: str, message: Message) -> None:
        """A new chat message for ``room``."""
        if room in self._windows:
            self._held.setdefault(room, []).append(message)
            return
        broadcast(self._sio, Event.MESSAGE, MessageEvent(message).to_wire(), room)
        self._open(room)

    def emit(self, event: Event, payload: Shape, room: str | None, skip_sid: str | None = None) -> int:
        """Broadcast any other event, after what ``room`` (``None``: every
        room) has held."""
        if room is None:
            self.flush_all()
        else:
            self.flush(room)
        return broadcast(self._sio, event, payload.to_wire(), room, skip_sid)

    def flush(self, room: str) -> None:
        """Send what ``room`` holds now (its window stays open)."""
        held = self._held.pop(room, None)
        if not held:
            return
        if len(held) == 1:
            broadcast(self._sio, Event.MESSAGE, MessageEvent(held[0]).to_wire(), room)
        else:
            broadcast(self._sio, Event.MESSAGES, MessagesEvent(held).to_wire(), room)

    def flush_all(self) -> None:
        """Send everything held (shutting down, or a broadcast to everyone)."""
        for room in list(self._held):
            self.flush(room)

    def close(self) -> None:
        """Send everything held and stop the timers."""
        self.flush_all()
        for timer in self._windows.values():
            timer.cancel()
        self._windows.clear()

    def _open(self, room: str) -> None:
        if self._window > 0:
            loop = asyncio.get_running_loop()
            self._windows[room] = loop.call_later(self._window, self._close_window, room)

    def _close_window(self, room: str) -> None:
        del self._windows[room]
        if self._held.get(room):
            self.flush(room)
            self._open(room)  # still busy: hold what comes next too
