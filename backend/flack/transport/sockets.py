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
    Conversations,
    DirectOpened,
    EditMessage,
    Empty,
    ErrorCode,
    Event,
    JoinChannel,
    Joined,
    MarkRead,
    MessageEvent,
    MessageRef,
    Named,
    OpenDirect,
    PeopleList,
    ProtocolError,
    React,
    ReadState,
    Search,
    SearchResults,
    SendMessage,
    Sent,
    SetPresence,
    Shape,
    StartUpload,
    Typing,
    UploadStarted,
    error_ack,
    ok_ack,
)
from flack.transport.addresses import client_address
from flack.transport.fanout import Batcher
from flack.transport.files import upload_shape
from flack.transport.people import people_news, presence_news
from flack.transport.rooms import Rooms, person_room, room

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
        self._people_news = people_news(batcher)
        self._presence_news = presence_news(batcher)

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
            # Any event is activity: someone away by idleness is back.
            self.chat.active(sid)
            self._tell_presence(self.chat.session(sid).person)
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
            self.batcher.notice(room(notice.channel), notice, skip_sid=skip_sid)

    def _tell_presence(self, *people: str) -> None:
        """Tell everyone whose presence changed (coalesced: ``people.News``)."""
        if self._shutting_down():
            return
        for entry in self.chat.presence_changes(people):
            self._presence_news.tell(entry)

    def sweep_presence(self) -> None:
        """Whoever became away by idleness since the last sweep (a timer's call)."""
        try:
            if not self._shutting_down():
                for entry in self.chat.presence_sweep():
                    self._presence_news.tell(entry)
        except Exception:  # a timer callback: log, never raise into the loop
            log.exception("presence sweep failed")

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
        # Closing a connection leaves nothing: no notice (membership stays);
        # the person may be offline now.
        person = self.chat.person_of(sid)
        await self.chat.disconnect(sid)
        self._tell_presence(person)

    # client events (one per protocol.CLIENT_EVENTS entry) --------------------------

    async def on_claim_name(self, sid: str, request: ClaimName) -> Named:
        before = self.chat.session(sid).person  # a tab may become someone else
        result = await self.chat.claim_name(sid, request.name, request.token)
        await self._rooms.sync(sid)
        self._tell_presence(before, result.person.id)
        for notice in result.notices:
            self._announce(notice, skip_sid=sid)
        if result.changed and not self._shutting_down():
            self._people_news.tell(result.person)
        return Named(result.name, result.token)

    async def on_list_channels(self, sid: str, request: Empty) -> ChannelList:
        return ChannelList(await self.chat.list_channels())

    async def on_list_people(self, sid: str, request: Empty) -> PeopleList:
        return PeopleList(await self.chat.people(), await self.chat.presence())

    async def on_set_presence(self, sid: str, request: SetPresence) -> Empty:
        self.chat.set_hidden(sid, request.hidden)
        self._tell_presence(self.chat.session(sid).person)
        return Empty()

    async def on_search(self, sid: str, request: Search) -> SearchResults:
        found, more = await self.chat.search(sid, request.query)
        return SearchResults(found, more)

    async def on_typing(self, sid: str, request: Typing) -> Empty:
        typing = await self.chat.typing(sid, request.channel)
        if typing is not None:  # at most one per person and conversation every few seconds
            self.batcher.emit(Event.TYPING, typing, room(typing.channel), skip_sid=sid)
        return Empty()

    async def on_list_conversations(self, sid: str, request: Empty) -> Conversations:
        channels, directs = await self.chat.conversations(sid)
        return Conversations(channels, directs, await self.chat.read_states(sid))

    async def on_mark_read(self, sid: str, request: MarkRead) -> ReadState:
        state, moved = await self.chat.mark_read(sid, request.channel, request.id)
        if moved:
            # The person's other tabs and browsers agree. Messages the
            # conversation's window still holds may arrive after this: a
            # client counts only ids above ``read`` (flushing here would
            # undo batching whenever readers keep up with a busy channel).
            self.batcher.emit(Event.READ, state, person_room(self.chat.person_of(sid)), skip_sid=sid)
        return state

    async def on_create_channel(self, sid: str, request: ChannelRequest) -> ChannelCreated:
        created = ChannelCreated(await self.chat.create_channel(sid, request.channel))
        self.batcher.emit(Event.CHANNEL_CREATED, created, None)
        return created

    async def on_join_channel(self, sid: str, request: JoinChannel) -> Joined:
        result = await self.chat.join(sid, request.channel)
        # Live delivery starts here, for every tab of the person, before the
        # history is read below (see Chat.join).
        await self._rooms.sync_person(self.chat.session(sid).person)
        self._announce(result.joined, skip_sid=sid)
        caught = await self.chat.catch_up(result.channel, request.since, request.revision)
        return Joined(result.channel, caught.messages, caught.gap)

    async def on_leave_channel(self, sid: str, request: ChannelRequest) -> Empty:
        notice = await self.chat.leave(sid, request.channel)
        # Said to the channel before this person's tabs leave its room: they
        # see their own leaving too.
        self._announce(notice, skip_sid=sid)
        await self._rooms.sync_person(self.chat.session(sid).person)
        return Empty()

    async def on_open_direct(self, sid: str, request: OpenDirect) -> DirectOpened:
        direct, created = await self.chat.open_direct(sid, request.people)
        opened = DirectOpened(direct)
        if created:
            for member in direct.members:
                await self._rooms.sync_person(member.id)
            self.batcher.emit(Event.DIRECT_OPENED, opened, room(direct.id), skip_sid=sid)
        return opened

    async def on_send_message(self, sid: str, request: SendMessage) -> Sent:
        posted = await self.chat.post(sid, request.channel, request.text, request.client_id, request.parent)
        if not posted.duplicate:  # a retry was delivered the first time
            where = room(posted.message.channel)
            self.batcher.message(where, posted.message)
            if posted.parent is not None:
                self.batcher.emit(Event.MESSAGE_UPDATED, MessageEvent(posted.parent), where)
        return Sent(posted.message, posted.duplicate)

    async def on_edit_message(self, sid: str, request: EditMessage) -> MessageEvent:
        changed = MessageEvent(await self.chat.edit(sid, request.channel, request.id, request.text))
        self.batcher.emit(Event.MESSAGE_UPDATED, changed, room(changed.message.channel))
        return changed

    async def on_delete_message(self, sid: str, request: MessageRef) -> MessageEvent:
        changed = await self.chat.delete(sid, request.channel, request.id)
        for message in changed:
            self.batcher.emit(Event.MESSAGE_UPDATED, MessageEvent(message), room(message.channel))
        return MessageEvent(changed[0])

    async def on_react(self, sid: str, request: React) -> MessageEvent:
        changed = MessageEvent(await self.chat.react(sid, request.channel, request.id, request.emoji))
        self.batcher.emit(Event.MESSAGE_UPDATED, changed, room(changed.message.channel))
        return changed

    async def on_start_upload(self, sid: str, request: StartUpload) -> UploadStarted:
        upload = await self.sharing.start(sid, request.channel, request.name, request.size, request.type)
        return UploadStarted(upload_shape(upload))
