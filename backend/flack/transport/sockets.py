"""Socket.IO handlers: read the payload -> call the core -> emit -> acknowledge.

:class:`ChatNamespace` has one ``on_<event>`` method per client event of the
protocol (``flack.protocol.CLIENT_EVENTS``), as python-socketio's own
namespaces do. Each receives its payload already read into its typed shape
and returns the acknowledgement's data as a shape. Every client event is
answered with exactly one acknowledgement: refusals are ``ProtocolError``s
turned into coded errors; anything unexpected is logged and answered with
``internal_error``, so one bad payload never kills a connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from flack.core.chat import Chat
from flack.core.models import Notice
from flack.core.sharing import Sharing
from flack.protocol import (
    CLIENT_EVENTS,
    ChannelCreated,
    ChannelList,
    ChannelRequest,
    ClaimName,
    Empty,
    ErrorCode,
    Event,
    JoinChannel,
    Joined,
    Named,
    ProtocolError,
    SendMessage,
    Sent,
    Shape,
    StartUpload,
    UploadStarted,
    error_ack,
    ok_ack,
)
from flack.transport.addresses import client_address
from flack.transport.fanout import Batcher
from flack.transport.files import upload_shape
from flack.transport.rooms import Rooms, room

log = logging.getLogger("flack.sockets")

Ack = dict[str, Any]


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """The default namespace: Flack's socket events.

    While ``shutting_down()``, nobody is told about the others leaving:
    everyone is leaving, and telling each of N connections about N others is
    N² packets when speed matters most.
    """

    def __init__(
        self,
        chat: Chat,
        sharing: Sharing,
        batcher: Batcher,
        shutting_down: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__("/")
        missing = [e for e in CLIENT_EVENTS if not hasattr(self, f"on_{e}")]
        if missing:  # the protocol declares an event nobody handles
            raise TypeError(f"no handler for {missing}")
        self.chat, self.sharing, self.batcher = chat, sharing, batcher
        self._shutting_down = shutting_down
        self._room_sync: Rooms | None = None  # needs self.server, set on registration

    # dispatch -----------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route one event. Client events are read into their shape first;
        anything not in the protocol is ``unknown_event``."""
        sid = args[0] if args else ""
        if event in ("connect", "disconnect") and not self._is_live(sid):
            # The connection is being set up or torn down: a lifecycle call.
            return await super().trigger_event(event, *args)
        request = CLIENT_EVENTS.get(event)  # type: ignore[call-overload]
        if request is None:
            # Includes "connect"/"disconnect" sent *as events* by a live
            # client: they must never reach the lifecycle handlers.
            return error_ack(ErrorCode.UNKNOWN_EVENT, f"There is no event called {str(event)[:40]!r}.")
        payloads = args[1:]
        # One payload per event; socket.io lets a client send any number.
        if len(payloads) > 1:
            return error_ack(ErrorCode.BAD_PAYLOAD, "Send exactly one JSON object.")
        try:
            payload = request.payload.from_wire(payloads[0] if payloads else None)
            reply: Shape = await getattr(self, f"on_{event}")(sid, payload)
            return ok_ack(reply.to_wire())
        except ProtocolError as refusal:
            return refusal.to_ack()
        except Exception:
            log.exception("handler for %s failed", event)
            return error_ack(ErrorCode.INTERNAL, "The server failed; please try again.")

    def _is_live(self, sid: str) -> bool:
        # During a real connect or disconnect python-socketio counts the
        # connection as pending, not connected; an event can only come from
        # a connected client.
        return bool(self.server.manager.is_connected(sid, self.namespace))

    def _announce(self, notice: Notice | None, skip_sid: str | None = None) -> None:
        if notice is not None and not self._shutting_down():
            self.batcher.emit(Event.NOTICE, notice, room(notice.channel), skip_sid=skip_sid)

    def _announce_departures(self) -> None:
        try:
            for notice in self.chat.due_departures():
                self._announce(notice)
        except Exception:  # a timer callback: log, never raise into the loop
            log.exception("announcing departures failed")

    @property
    def _rooms(self) -> Rooms:
        if self._room_sync is None:
            self._room_sync = Rooms(self.server, self.chat, self.batcher)
        return self._room_sync

    # lifecycle ------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            self.chat.connect(sid, client_address(environ))
        except ProtocolError as refusal:
            # The client's connect_error carries {"message", "data": {"code"}}.
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, {"code": str(refusal.code)}
            ) from None

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._rooms.forget(sid)
        # Its uploads stay reserved only while their bytes keep arriving.
        self.sharing.disconnected(sid)
        self._announce(await self.chat.disconnect(sid), skip_sid=sid)
        if self.chat.leave_grace_seconds > 0:
            # Held "left" notices are said once their grace period is over
            # (a moment later, so that this one is due by then).
            loop = asyncio.get_running_loop()
            loop.call_later(self.chat.leave_grace_seconds + 0.05, self._announce_departures)

    # client events (one per protocol.CLIENT_EVENTS entry) --------------------------

    async def on_claim_name(self, sid: str, request: ClaimName) -> Named:
        result = await self.chat.claim_name(sid, request.name, request.token)
        await self._rooms.sync(sid)
        for notice in result.notices:
            self._announce(notice, skip_sid=sid)
        return Named(result.name, result.token)

    async def on_list_channels(self, sid: str, request: Empty) -> ChannelList:
        return ChannelList(await self.chat.list_channels())

    async def on_create_channel(self, sid: str, request: ChannelRequest) -> ChannelCreated:
        created = ChannelCreated(await self.chat.create_channel(sid, request.channel))
        self.batcher.emit(Event.CHANNEL_CREATED, created, None)
        return created

    async def on_join_channel(self, sid: str, request: JoinChannel) -> Joined:
        result = await self.chat.join(sid, request.channel)
        # Live delivery starts here, before the history is read below (see Chat.join).
        await self._rooms.sync(sid)
        self._announce(result.left, skip_sid=sid)
        self._announce(result.joined, skip_sid=sid)
        caught = await self.chat.catch_up(result.channel, request.since)
        return Joined(result.channel, caught.messages, caught.gap)

    async def on_leave_channel(self, sid: str, request: Empty) -> Empty:
        notice = self.chat.leave(sid)
        await self._rooms.sync(sid)
        self._announce(notice, skip_sid=sid)
        return Empty()

    async def on_send_message(self, sid: str, request: SendMessage) -> Sent:
        posted = await self.chat.post(sid, request.channel, request.text, request.client_id)
        if not posted.duplicate:  # a retry was delivered the first time
            self.batcher.message(room(posted.message.channel), posted.message)
        return Sent(posted.message, posted.duplicate)

    async def on_start_upload(self, sid: str, request: StartUpload) -> UploadStarted:
        upload = await self.sharing.start(sid, request.channel, request.name, request.size, request.type)
        return UploadStarted(upload_shape(upload))
