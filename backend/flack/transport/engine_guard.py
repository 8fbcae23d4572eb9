"""The socket server at its edge: packets it cannot read close their
connection, Engine.IO sessions count per address, and the JSON it writes is
compact UTF-8 (so a join acknowledgement is bounded in bytes).

This module and :mod:`flack.transport.uvicorn_direct` are the only ones that
reach below python-socketio's and python-engineio's public interfaces.
Tested with python-socketio 5.18.1 and python-engineio 4.15.1 (pinned in
``pyproject.toml``).

Why
---

python-socketio logs a packet it cannot decode with a full traceback (twice:
python-engineio's logger has its own handler and also propagates) and keeps
the connection open, so a client could write megabytes of log per second.
docs/protocol.md promises that such a packet closes that connection only:
here it does, with one log line per connection and no traceback.

A client that opened Engine.IO sessions but never sent Socket.IO's ``40``
(connect) was never counted against ``FLACK_CONNECTIONS_PER_ADDRESS`` (the
core counts Socket.IO connections). Sessions are counted here too.

What this module relies on, and what happens if it changes
------------------------------------------------------------

python-socketio (``socketio.AsyncServer``), overridden in :class:`SocketServer`
  ``serializer=`` (public) takes the packet class, :class:`CheckedPacket`;
  python-socketio calls its ``encode()``/``decode()`` (and its ``json``
  attribute's ``dumps``/``loads``) for every packet. Flack's fan-out encodes
  through ``AsyncServer.packet_class`` too (transport/manager.py).
  ``_handle_eio_connect(eio_sid, environ)``
      called for every new Engine.IO session; returning something other than
      None/True makes python-engineio refuse the handshake (HTTP 401 with that
      value as the JSON body). Renamed: sessions are not counted (the
      Socket.IO connection count in the core still applies) — the wire tests
      of the cap fail.
  ``_handle_eio_disconnect(eio_sid, reason)``
      called once when a session ends (every transport): the count is
      released there. Renamed: counts would never drop (the tests fail).
  ``_handle_eio_message(eio_sid, data)``
      decodes and dispatches one Engine.IO message; an exception out of it is
      a packet python-socketio could not handle. Renamed: malformed packets
      are logged by python-engineio again and do not close (the frame tests
      fail).
  ``socketio.packet.Packet.decode`` fills ``packet_type``, ``data``,
  ``namespace``; :class:`CheckedPacket` checks them afterwards.

python-engineio
  ``AsyncServer.sockets`` (sid -> socket), ``AsyncSocket.close(wait, abort,
  reason)``, ``.closed``, ``.closing``, ``.queue`` (``None`` on the queue makes
  the socket's writer stop and close its websocket), ``.sid``,
  ``.handle_post_request(environ)`` (wrapped per socket: a long-polling body
  that is not a valid Engine.IO payload raises a non-Engine.IO error there,
  which python-engineio would log and answer 200; re-raised as an
  ``EngineIOError`` it answers 400 and closes the session).
  ``AsyncServer._async["websocket"]``: the websocket class (both drivers);
  :func:`install_frame_check` subclasses it so that ``wait()`` returns None
  (python-engineio's "the client closed") for a frame that is not an
  Engine.IO packet, instead of handing it on to a decoder that raises.
  ``WebSocket.handler.__self__`` is the socket the websocket serves (as in
  uvicorn_direct). Must run after :func:`uvicorn_direct.install` (which
  checks the class by identity).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import json as eio_json
from socketio import packet as sio_packet

from flack.protocol import ErrorCode
from flack.transport.addresses import client_address

log = logging.getLogger("flack.edge")


# --- JSON: compact UTF-8 ---------------------------------------------------------------

# json.dumps with any non-default argument builds a new encoder per call; this
# one is built once. Not ASCII-escaped: an emoji is 4 bytes on the wire
# instead of the 12 of "\ud83d\ude00", which is what bounds a join
# acknowledgement (see JOIN_ACK_MAX_BYTES in docs/protocol.md).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# A lone surrogate (JSON allows "\ud800" and Python keeps it) cannot be
# written as UTF-8: those few are escaped, as ensure_ascii would have.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


class CompactJSON:
    """The ``json`` module python-socketio packets use: compact UTF-8 out,
    python-engineio's guarded ``loads`` in (it refuses 100-digit integers)."""

    @staticmethod
    def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
        text = _ENCODER.encode(obj)
        if not text.isascii():
            text = _SURROGATE.sub(_escape, text)
        return text

    @staticmethod
    def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        return eio_json.loads(text, *args, **kwargs)


# --- packets -----------------------------------------------------------------------------


class MalformedPacket(ValueError):
    """A packet that is not valid Socket.IO (the sentence says how)."""


class CheckedPacket(sio_packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, with the JSON above and a check on decoding:
    what a client sends must have the shape the Socket.IO protocol gives its
    type (as socket.io's own parser checks), else :class:`MalformedPacket`.

    - CONNECT: no data, or an object (the auth payload);
    - DISCONNECT: no data;
    - EVENT / BINARY_EVENT: a non-empty array whose first item (the event
      name) is a string;
    - ACK / BINARY_ACK: an array;
    - CONNECT_ERROR and unknown types: never sent by a client.
    """

    json = CompactJSON

    def decode(self, encoded_packet: Any) -> Any:
        count = super().decode(encoded_packet)
        kind, data = self.packet_type, self.data
        if kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            if not (isinstance(data, list) and data and isinstance(data[0], str)):
                raise MalformedPacket("an event that does not start with its name")
        elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
            if not isinstance(data, list):
                raise MalformedPacket("an acknowledgement that is not a list")
        elif kind == sio_packet.CONNECT:
            if not (data is None or isinstance(data, dict)):
                raise MalformedPacket("a connect whose auth is not an object")
        elif kind == sio_packet.DISCONNECT:
            if data is not None:
                raise MalformedPacket("a disconnect with data")
        else:
            raise MalformedPacket(f"a packet of type {kind!r}, which clients do not send")
        return count


_ENGINE_TYPES = frozenset("0123456")  # open close ping pong message upgrade noop


def engine_frame_problem(frame: Any) -> str | None:
    """Why a websocket frame is not an Engine.IO packet, or None if it is one.
    Binary frames are binary messages (Socket.IO decides about them)."""
    if isinstance(frame, bytes | bytearray):
        return None
    if not isinstance(frame, str) or not frame:
        return "an empty frame"
    if frame[0] == "b":  # a base64-encoded binary message
        try:
            base64.b64decode(frame[1:], validate=True)
        except (binascii.Error, ValueError):
            return "a binary message that is not base64"
        return None
    if frame[0] not in _ENGINE_TYPES:
        return "not an Engine.IO packet"
    return None


class _BadPayload(eio_exceptions.EngineIOError):  # type: ignore[misc]
    """Raised out of a long-polling POST whose body python-engineio could
    not read: python-engineio then closes the session and answers 400."""


# --- the server ----------------------------------------------------------------------------


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server that closes a connection whose packet it
    cannot read (one log line, no traceback) and counts Engine.IO sessions
    per client address.

    ``sessions_per_address`` is one more than the core's Socket.IO connection
    limit: the client just past the limit still gets through the Engine.IO
    handshake and hears why from the core (``connect_error`` with
    ``too_many_connections``); one more session than that, whatever it sent
    or did not send, is refused at the handshake (HTTP 401 with the same
    ``{"message", "data": {"code"}}`` body).
    """

    def __init__(self, *, sessions_per_address: int, **kwargs: Any) -> None:
        super().__init__(serializer=CheckedPacket, **kwargs)
        self.sessions_per_address = sessions_per_address
        self._session_address: dict[str, str] = {}
        self._sessions: dict[str, int] = {}

    def sessions_from(self, address: str) -> int:
        """Open Engine.IO sessions from ``address``."""
        return self._sessions.get(address, 0)

    # python-socketio's Engine.IO handlers ------------------------------------------

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        address = client_address(environ)
        held = self._sessions.get(address, 0)
        if held >= self.sessions_per_address:
            return {
                "message": f"Too many connections from {address or 'this address'}.",
                "data": {"code": str(ErrorCode.TOO_MANY_CONNECTIONS)},
            }
        self._sessions[address] = held + 1
        self._session_address[eio_sid] = address
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None:
            socket.handle_post_request = self._checked_post(socket, socket.handle_post_request)
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        address = self._session_address.pop(eio_sid, None)
        if address is not None:
            left = self._sessions.get(address, 1) - 1
            if left > 0:
                self._sessions[address] = left
            else:
                self._sessions.pop(address, None)
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception as error:  # python-socketio could not read or route it
            await self.close_malformed(eio_sid, _reason(error))

    # closing ----------------------------------------------------------------------

    async def close_malformed(self, eio_sid: str, reason: str) -> None:
        """Close one Engine.IO session over a packet it sent, saying so once."""
        socket = self.eio.sockets.get(eio_sid)
        if socket is None or socket.closed or socket.closing:
            return  # already being closed: said once
        self.note_malformed(eio_sid, reason)
        await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        socket.queue.put_nowait(None)  # its writer stops, closing the websocket

    def note_malformed(self, eio_sid: str, reason: str) -> None:
        address = self._session_address.get(eio_sid, "")
        log.warning("closed a connection from %s: %s", address or "an unknown address", reason)

    def _checked_post(self, socket: Any, post: Callable[[dict[str, Any]], Any]) -> Any:
        async def checked(environ: dict[str, Any]) -> Any:
            try:
                return await post(environ)
            except eio_exceptions.EngineIOError:
                raise
            except Exception as error:
                if not (socket.closed or socket.closing):
                    self.note_malformed(socket.sid, _reason(error))
                    # Closed here, without waiting: python-engineio's own
                    # disconnect would wait for a poll that never comes.
                    await socket.close(wait=False, abort=True, reason=self.reason.SERVER_DISCONNECT)
                raise _BadPayload() from None

        return checked


def _reason(error: BaseException) -> str:
    words = str(error)
    if len(words) > 120:
        words = words[:117] + "..."
    return f"a packet it could not read ({type(error).__name__}: {words})"


def install_frame_check(server: SocketServer) -> None:
    """Make the websocket transport end a connection whose frame is not an
    Engine.IO packet (python-engineio would raise on it: a traceback, and
    for some frames the connection stayed open). Call after
    :func:`flack.transport.uvicorn_direct.install`."""
    drivers = getattr(server.eio, "_async", None)
    base = drivers.get("websocket") if isinstance(drivers, dict) else None
    if not isinstance(drivers, dict) or base is None:
        raise RuntimeError(
            "python-engineio has no websocket class to check frames on (transport/engine_guard.py)"
        )

    class CheckedWebSocket(base):  # type: ignore[misc,valid-type]
        """The driver's websocket; a frame that is not Engine.IO ends it."""

        async def wait(self) -> Any:
            frame = await super().wait()
            if frame is None:
                return None
            problem = engine_frame_problem(frame)
            if problem is None:
                return frame
            socket = getattr(self.handler, "__self__", None)
            sid = getattr(socket, "sid", "")
            if socket is not None and not (socket.closed or socket.closing):
                server.note_malformed(sid, problem)
            return None  # python-engineio: the client closed; the session ends

    server.eio._async = {**drivers, "websocket": CheckedWebSocket}
