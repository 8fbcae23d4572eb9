"""Flack's fan-out behind python-socketio's client manager interface.

python-socketio 5.x broadcasts to a room by encoding the packet once and then
creating one asyncio task per recipient, each awaiting ``send_packet`` →
``socket.send`` → ``queue.put``. For a chat, where fan-out is the work, that
is most of the server's CPU per delivered message. :class:`FanoutManager`
keeps python-socketio's bookkeeping (rooms, connects, callbacks) and replaces
only the delivery: the packet is encoded once and handed to every recipient
at once, without a task, either written straight to an idle uvicorn
websocket or put on the socket's queue (:mod:`flack.transport.uvicorn_direct`,
the only module that touches the internals this needs).

Because it is a manager, the server's own ``sio.emit`` takes the same path,
and another manager can take its place: see :class:`FanoutManager`.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from socketio import packet as sio_packet

from flack.transport import uvicorn_direct

log = logging.getLogger("flack.fanout")

NAMESPACE = "/"

# What may wait for one client that does not read. A healthy client drains
# its queue within milliseconds; past either bound it is cut off (and its
# queue freed) rather than let it grow server memory without bound. Bytes
# matter as well as packets: a busy channel's batch is one packet.
MAX_QUEUED_PACKETS = 1000
MAX_QUEUED_BYTES = 4 * 1024 * 1024
# Below this many packets the bytes are not even counted (cheap to check).
_COUNT_BYTES_FROM = 16


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's ``AsyncManager`` with Flack's local fan-out.

    - :meth:`emit` (what ``sio.emit`` calls) delivers through :meth:`deliver`
      when it can (no callback, JSON-only data) and defers to
      ``AsyncManager.emit`` otherwise.
    - :meth:`broadcast` is the synchronous entry the :class:`~flack.transport.
      fanout.Batcher` uses: the frame is written or queued for every
      recipient before it returns, so a caller that flushes a room and then
      awaits ``enter_room``/``leave_room`` knows exactly who got what.
    - :meth:`use_direct_writes` turns on direct writes (ASGI under uvicorn);
      ``direct_writes`` and ``queued_writes`` count deliveries by path.

    **Replacing it with a multi-server manager.** Put a pub/sub manager
    *before* this class: ``class RedisFanout(socketio.AsyncRedisManager,
    FanoutManager)``. Its MRO is then RedisFanout → AsyncRedisManager →
    AsyncPubSubManager → FanoutManager → AsyncManager, so when
    ``AsyncPubSubManager`` delivers an event on this host (its own emits,
    and those other hosts publish) it calls ``super().emit()``, which is
    :meth:`emit` here: local delivery keeps the fast path. The one seam to
    fill is :meth:`forward`: the Batcher calls :meth:`broadcast`, which
    delivers locally and then calls ``forward(...)``, a no-op here. A
    pub/sub subclass makes it publish ``{"method": "emit", ...}`` (the
    message ``AsyncPubSubManager.emit`` builds) for the other hosts,
    without awaiting — e.g. append to an outbox that one task drains with
    ``await self._publish(message)``, which keeps this host's order — so
    that the local part stays synchronous. Room changes are local already
    (``AsyncPubSubManager.enter_room`` acts here for a connection of this
    host).
    """

    def __init__(self) -> None:
        super().__init__()
        self.direct_writes = 0
        self.queued_writes = 0
        self._direct = False
        self.path = uvicorn_direct.Status(False, "not installed")

    def use_direct_writes(self) -> uvicorn_direct.Status:
        """Write to idle websockets directly where the server allows it
        (python-engineio's ASGI driver under uvicorn); what is now active."""
        self.path = uvicorn_direct.install(self.server)
        self._direct = self.path.direct
        return self.path

    def describe(self) -> str:
        """The active fan-out path in words, for the start-up log."""
        if self._direct:
            return f"direct writes to idle websockets ({self.path.reason}), the queue otherwise"
        return f"queue only ({self.path.reason})"

    # python-socketio's interface ---------------------------------------------------

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """``AsyncManager.emit``, delivered by :meth:`deliver` unless it needs a
        callback id per recipient or carries binary data."""
        room = to or room
        if callback is not None or namespace not in self.rooms:
            return await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        if isinstance(data, tuple):  # python-socketio: a tuple is several arguments
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        try:
            self._deliver(namespace, room, skip_sid, [event, *args])
        except _Binary:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kwargs)

    # Flack's entry ---------------------------------------------------------------------

    def broadcast(
        self, event: str, data: Any, room: str | None, skip_sid: str | None = None, namespace: str = NAMESPACE
    ) -> int:
        """Deliver ``event`` with ``data`` to everyone in ``room`` (``None``: every
        connection) but ``skip_sid``, now, then :meth:`forward` it; how many
        connections of this server it went to. JSON data only."""
        count = self.deliver(event, data, room, skip_sid, namespace)
        self.forward(event, data, room, skip_sid, namespace)
        return count

    def deliver(
        self, event: str, data: Any, room: str | None, skip_sid: str | None = None, namespace: str = NAMESPACE
    ) -> int:
        """Local delivery only, synchronous: written or queued for every
        recipient on this server before it returns; how many."""
        try:
            return self._deliver(namespace, room, skip_sid, [event, data])
        except _Binary:
            raise TypeError("FanoutManager.deliver() carries JSON only") from None

    def forward(self, event: str, data: Any, room: str | None, skip_sid: str | None, namespace: str) -> None:
        """Hand a :meth:`broadcast` to other servers: nothing to do with one
        server. The seam a pub/sub manager fills (class docstring); it must not
        deliver locally again, and must not await."""

    def _deliver(self, namespace: str, room: Any, skip_sid: Any, data: list[Any]) -> int:
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=data).encode()
        if isinstance(encoded, list):  # binary attachments: python-socketio's own path
            raise _Binary
        participants = self.get_participants(namespace, room)
        if isinstance(skip_sid, list):  # python-socketio allows several
            skipped = set(skip_sid)
            participants = ((sid, eio_sid) for sid, eio_sid in participants if sid not in skipped)
            skip_sid = None
        written, queued = uvicorn_direct.deliver(
            self.server, participants, skip_sid, uvicorn_direct.Outgoing(encoded, self._direct)
        )
        self.direct_writes += written
        self.queued_writes += queued
        return written + queued

    # the queues' bounds and draining -------------------------------------------------

    async def reap_slow_readers(
        self, max_queued: int = MAX_QUEUED_PACKETS, max_bytes: int = MAX_QUEUED_BYTES
    ) -> int:
        """Disconnect clients with more than ``max_queued`` packets or
        ``max_bytes`` bytes waiting to be sent to them; how many."""
        reaped = 0
        for socket in uvicorn_direct.engine_sockets(self.server):
            waiting = uvicorn_direct.queued_packets(socket)
            if waiting <= _COUNT_BYTES_FROM:
                continue
            if waiting <= max_queued and uvicorn_direct.queued_bytes(socket) <= max_bytes:
                continue
            reaped += 1
            log.warning("disconnecting a client that stopped reading (%d packets queued)", waiting)
            await uvicorn_direct.abort(socket)
        return reaped

    def all_sent(self) -> bool:
        """Whether every connection's writer has taken all that was queued for it."""
        return uvicorn_direct.all_sent(self.server)


class _Binary(Exception):
    """The packet has binary attachments (python-socketio sends those itself)."""
