"""Socket.IO handlers: validate -> call the core -> emit -> acknowledge.

Every client event is answered with exactly one acknowledgement. Refusals are
``ProtocolError``s turned into coded errors; anything unexpected is logged and
answered with ``internal_error`` so one bad payload never kills a connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import socketio

from flack import protocol
from flack.core.chat import Chat
from flack.core.models import Message, Notice
from flack.core.sharing import Sharing
from flack.protocol import ErrorCode, Event, ProtocolError, error_ack, fold, ok_ack
from flack.transport.fanout import Batcher

log = logging.getLogger("flack.sockets")

Ack = dict[str, Any]
Handler = Callable[[str, object], Awaitable[Ack]]


def room(channel_name: str) -> str:
    """The socket.io room of a channel."""
    return room_of_key(fold(channel_name))


def room_of_key(key: str) -> str:
    """The socket.io room of the channel with this (folded) key."""
    return "channel:" + key


class Rooms:
    """Keeps each connection's socket.io rooms equal to the core's idea of
    where it is (``Chat.conversations_of``).

    Rooms are never entered or left as a side effect of a notice: every
    handler that may change where a connection is calls :meth:`sync`, so a
    second tab that moves on stops receiving its old channel even though the
    person is still there (and nobody is told). It remembers what it entered
    per connection, so a sync costs O(that connection's rooms), not a walk
    over every room on the server.
    """

    def __init__(self, sio: socketio.AsyncServer, chat: Chat, batcher: Batcher) -> None:
        self._sio, self._chat, self._batcher = sio, chat, batcher
        self._entered: dict[str, set[str]] = {}

    async def sync(self, sid: str) -> None:
        """Enter and leave rooms until ``sid`` is in exactly its conversations'.

        What a room holds is flushed first, so a connection that leaves gets
        everything sent before it left and a newcomer gets held messages in
        its history, not twice.
        """
        want = {room_of_key(key) for key in self._chat.conversations_of(sid)}
        have = self._entered.get(sid, set())
        for gone in have - want:
            self._batcher.flush(gone)
            await self._sio.leave_room(sid, gone)
        for new in want - have:
            self._batcher.flush(new)
            await self._sio.enter_room(sid, new)
        if want:
            self._entered[sid] = want
        else:
            self._entered.pop(sid, None)

    def forget(self, sid: str) -> None:
        """``sid`` disconnected (socket.io has dropped its rooms itself)."""
        self._entered.pop(sid, None)


def publish_file(batcher: Batcher, message: Message, expired: list[Message]) -> None:
    """Tell the channels about files evicted for room, then the new file message."""
    for gone in expired:
        batcher.emit(Event.FILE_EXPIRED, {"channel": gone.channel, "id": gone.id}, room(gone.channel))
    batcher.message(room(message.channel), message.to_wire())


def origin_policy(extra: tuple[str, ...]) -> Callable[[str | None, dict[str, Any]], bool]:
    """python-socketio's origin check for the handshake (websocket and polling).

    Allowed: no ``Origin`` at all (not a browser), the exact origin that
    served the page (scheme and ``Host``), and the configured extra origins.
    Everything else is refused, ``null`` and look-alikes such as
    ``http://host:8000.evil.example`` included. Unlike python-engineio's own
    same-origin default, ``X-Forwarded-*`` headers are not trusted: any client
    can send them.
    """
    allowed = frozenset(extra)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        host = environ.get("HTTP_HOST", "")
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
        return origin == own or origin in allowed

    return check


# What may wait for one client that does not read. A healthy client drains
# its queue within milliseconds; past either bound it is cut off (and its
# queue freed) rather than let it grow server memory without bound. Bytes
# matter as well as packets: a busy channel's batch is one packet.
MAX_QUEUED_PACKETS = 1000
MAX_QUEUED_BYTES = 4 * 1024 * 1024
# Below this many packets the bytes are not even counted (cheap to check).
_COUNT_BYTES_FROM = 16


def queued_bytes(socket: Any) -> int:
    """Bytes of the encoded packets in an Engine.IO socket's outgoing queue."""
    # asyncio.Queue keeps its items in a deque; reading it changes nothing.
    # A closing socket's queue also holds None, the writer's stop sign.
    data = (getattr(p, "data", None) for p in socket.queue._queue)
    return sum(len(d) for d in data if isinstance(d, str | bytes))


async def reap_slow_readers(
    sio: socketio.AsyncServer,
    max_queued: int = MAX_QUEUED_PACKETS,
    max_bytes: int = MAX_QUEUED_BYTES,
) -> int:
    """Disconnect clients with more than ``max_queued`` packets or
    ``max_bytes`` bytes waiting to be sent to them."""
    reaped = 0
    for socket in list(sio.eio.sockets.values()):
        waiting = socket.queue.qsize()
        if socket.closed or waiting <= _COUNT_BYTES_FROM:
            continue
        if waiting <= max_queued and queued_bytes(socket) <= max_bytes:
            continue
        reaped += 1
        log.warning("disconnecting a client that stopped reading (%d packets queued)", socket.queue.qsize())
        # Drop what it will never read, then close without sending more.
        while not socket.queue.empty():
            socket.queue.get_nowait()
            socket.queue.task_done()
        await socket.close(wait=False, abort=True)
    return reaped


def client_address(environ: dict[str, Any]) -> str:
    """The peer's IP address (python-engineio's ``REMOTE_ADDR`` is a placeholder)."""
    scope = environ.get("asgi.scope")
    if scope is not None and scope.get("client"):
        return str(scope["client"][0])
    request = environ.get("sanic.request")
    if request is not None:
        return str(request.ip)
    return str(environ.get("REMOTE_ADDR", ""))


def register(
    sio: socketio.AsyncServer,
    chat: Chat,
    sharing: Sharing,
    batcher: Batcher,
    shutting_down: Callable[[], bool] = lambda: False,
) -> None:
    """Attach Flack's event handlers to ``sio``. While ``shutting_down()``,
    nobody is told about the others leaving: everyone is leaving, and telling
    each of N connections about N others is N² packets when speed matters most."""

    def event(name: Event) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def guarded(sid: str, *args: Any) -> Ack:
                # One payload per event; socket.io lets a client send any number.
                if len(args) > 1:
                    return error_ack(ErrorCode.BAD_PAYLOAD, "Send exactly one JSON object.")
                try:
                    return await handler(sid, args[0] if args else None)
                except ProtocolError as refusal:
                    return refusal.to_ack()
                except Exception:
                    log.exception("handler for %s failed", name)
                    return error_ack(ErrorCode.INTERNAL, "The server failed; please try again.")

            sio.on(str(name), guarded)
            return guarded

        return decorate

    async def announce(notice: Notice | None, skip_sid: str) -> None:
        if notice is not None and not shutting_down():
            batcher.emit(Event.NOTICE, notice.to_wire(), room(notice.channel), skip_sid=skip_sid)

    rooms = Rooms(sio, chat, batcher)

    @sio.on("connect")
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            chat.connect(sid, client_address(environ))
        except ProtocolError as refusal:
            # The client's connect_error carries {"message", "data": {"code"}}.
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, {"code": str(refusal.code)}
            ) from None

    def announce_departures() -> None:
        try:
            for notice in chat.due_departures():
                if not shutting_down():
                    batcher.emit(Event.NOTICE, notice.to_wire(), room(notice.channel))
        except Exception:  # a timer callback: log, never raise into the loop
            log.exception("announcing departures failed")

    @sio.on("disconnect")
    async def disconnect(sid: str, reason: Any = None) -> None:
        rooms.forget(sid)
        await announce(await chat.disconnect(sid), skip_sid=sid)
        if chat.leave_grace_seconds > 0:
            # Held "left" notices are said once their grace period is over
            # (a moment later, so that this one is due by then).
            asyncio.get_running_loop().call_later(chat.leave_grace_seconds + 0.05, announce_departures)

    @event(Event.CLAIM_NAME)
    async def claim_name(sid: str, payload: object) -> Ack:
        name, token = protocol.parse_claim_name(payload)
        result = await chat.claim_name(sid, name, token)
        await rooms.sync(sid)
        for notice in result.notices:
            await announce(notice, skip_sid=sid)
        return ok_ack({"name": result.name, "token": result.token})

    @event(Event.LIST_CHANNELS)
    async def list_channels(sid: str, payload: object) -> Ack:
        protocol.parse_empty(payload)
        return ok_ack({"channels": [c.to_wire() for c in await chat.list_channels()]})

    @event(Event.CREATE_CHANNEL)
    async def create_channel(sid: str, payload: object) -> Ack:
        channel = await chat.create_channel(sid, protocol.parse_channel(payload))
        batcher.emit(Event.CHANNEL_CREATED, {"channel": channel.to_wire()}, None)
        return ok_ack({"channel": channel.to_wire()})

    @event(Event.JOIN_CHANNEL)
    async def join_channel(sid: str, payload: object) -> Ack:
        name, since = protocol.parse_join_channel(payload)
        result = await chat.join(sid, name)
        # Live delivery starts here, before the history is read below.
        await rooms.sync(sid)
        await announce(result.left, skip_sid=sid)
        await announce(result.joined, skip_sid=sid)
        # Read the history only now that live delivery has started (see Chat.join).
        caught = await chat.catch_up(result.channel, since)
        return ok_ack(
            {
                "channel": result.channel.to_wire(),
                "messages": [m.to_wire() for m in caught.messages],
                "gap": caught.gap,
            }
        )

    @event(Event.LEAVE_CHANNEL)
    async def leave_channel(sid: str, payload: object) -> Ack:
        protocol.parse_empty(payload)
        notice = chat.leave(sid)
        await rooms.sync(sid)
        await announce(notice, skip_sid=sid)
        return ok_ack()

    @event(Event.SEND_MESSAGE)
    async def send_message(sid: str, payload: object) -> Ack:
        channel, text, client_id = protocol.parse_send_message(payload)
        posted = await chat.post(sid, channel, text, client_id)
        wire = posted.message.to_wire()
        if not posted.duplicate:  # a retry was delivered the first time
            batcher.message(room(posted.message.channel), wire)
        return ok_ack({"message": wire, "duplicate": posted.duplicate})

    @event(Event.START_UPLOAD)
    async def start_upload(sid: str, payload: object) -> Ack:
        channel, name, size, kind = protocol.parse_start_upload(payload)
        upload = await sharing.start(sid, channel, name, size, kind)
        return ok_ack({"upload": upload.to_wire()})

    @sio.on("*")
    async def unknown(event_name: Any, sid: str, *args: Any) -> Ack:
        return error_ack(ErrorCode.UNKNOWN_EVENT, f"There is no event called {str(event_name)[:40]!r}.")
