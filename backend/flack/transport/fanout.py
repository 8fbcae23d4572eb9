"""Room broadcast without a task per recipient.

python-socketio 5.x encodes a room broadcast once, then creates one asyncio
task per recipient, each awaiting ``send_packet`` → ``socket.send`` →
``queue.put``. For a chat, where fan-out is the work, that is most of the
server's CPU per delivered message. Here the packet is encoded once and put
straight into each recipient's Engine.IO queue (``put_nowait`` never blocks:
the queues are unbounded, and ``reap_slow_readers`` bounds them). Each
socket's own writer task then sends it, exactly as before: clients receive
the same frames.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

NAMESPACE = "/"


def broadcast(
    sio: socketio.AsyncServer, event: str, data: Any, room: str | None, skip_sid: str | None = None
) -> int:
    """Queue ``event`` with ``data`` for every connection in ``room`` (``None``:
    every connection); returns how many."""
    encoded = sio.packet_class(sio_packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode()
    if isinstance(encoded, list):  # binary attachments: let python-socketio handle them
        raise TypeError("broadcast() carries JSON only")
    frame = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    sockets = sio.eio.sockets
    queued = 0
    for sid, eio_sid in sio.manager.get_participants(NAMESPACE, room):
        if sid == skip_sid:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed or socket.closing:
            continue
        socket.queue.put_nowait(frame)
        queued += 1
    return queued
