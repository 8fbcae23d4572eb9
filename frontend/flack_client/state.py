"""``ChatState``: everything the page shows, and every decision about it.

``main`` feeds it the socket's facts, the server's events and
acknowledgements (read here through the protocol's shapes), and what the
person does, only ever through its methods; ``view`` draws it. The state
composes the client's parts and keeps what ties them together (the one
alert, the channel list): the connection (``connection.Link``), who we are
(``identity``), the channel on screen and its log (``channel``, ``log``),
the outbox and sending (``outbox``, ``sending``), files being shared
(``sharing``); and, mixed in from modules of their own (issue 14), people,
direct conversations and membership (``talk``) and what is done to one
message: edit, delete, reactions, threads (``acting``); presence and
typing, unread and mentions (``aware``, issue 15). Sentences come from ``wording``. What a method cannot do
itself (touch storage, the DOM, the socket) it returns as ``Effects`` for the
glue to carry out.

Plain Python on purpose: it imports under CPython (the unit tests run it
there) as well as under Pyodide, so it never touches ``js``, ``pyodide`` or
the DOM.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flack import protocol
from flack.protocol import (
    BAD_REPLY,
    Ack,
    ChannelCreated,
    ChannelList,
    ClaimName,
    ErrorCode,
    Event,
    FileExpired,
    JoinChannel,
    Joined,
    Message,
    Named,
    Notice,
    ServerClosing,
    conversation_key,
    is_direct,
)
from flack_client import wording
from flack_client.acting import MessageActions
from flack_client.alert import Alert
from flack_client.aware import Awareness
from flack_client.channel import OpenChannel
from flack_client.channel_list import KnownChannels
from flack_client.connection import Connection, Link, SocketFacts
from flack_client.creating import CreateAnswer, Creation, Creations
from flack_client.effects import NOTHING, Effects
from flack_client.entries import LogEntry, NoticeEntry, read_messages
from flack_client.identity import Identity, claim_refused_by_server
from flack_client.log import MessageLog
from flack_client.outbox import LastIds, Outbox, Outgoing, SendDecision
from flack_client.people import Directs, People
from flack_client.sending import Sending
from flack_client.sharing import Sharing
from flack_client.talk import PeopleAndConversations
from flack_client.uploads import Upload, UploadStatus
from flack_client.wording import OFFLINE, TIMEOUT, describe_error


class ChatState(PeopleAndConversations, MessageActions, Awareness):
    """Everything the page shows, in one place. What it holds is for reading;
    only its methods change it."""

    def __init__(self, *, connection: Connection = Connection.LOADING, error: str | None = None) -> None:
        self.connection = connection
        self.link = Link()
        self._alert = Alert(error)
        self._identity = Identity()
        self._outbox = Outbox()
        self._channel = OpenChannel(self._deliver)
        self._sharing = Sharing(self._alert, self.add_message)
        self._sending = Sending(self._alert, self._outbox, self.add_message, self.is_open)
        self._channels = KnownChannels()
        self._creations = Creations(self._alert, self._channels.get)
        self._ready = False  # the first session is over (``mark_ready``)
        self._saved_channel: str | None = None  # the channel the last visit left open
        self._people = People()
        self._directs = Directs(self._people)
        self._member: set[str] = set()  # keys of the channels we are a member of
        self._init_awareness()

    @property
    def error(self) -> str | None:
        """The page's alert (``alert.Alert``)."""
        return self._alert.text

    @error.setter
    def error(self, text: str | None) -> None:
        self._alert.show(text)

    @property
    def alert_lines(self) -> list[tuple[str, str]]:
        """Everything the alert says, as ``(key, sentence)`` (``Alert.lines``):
        each refused channel on a line of its own, then the main sentence."""
        return self._alert.lines

    # being ready ----------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Whether the client has booted: its first session is over (or the
        name dialog waits for a name). Until then every control is inert
        ("New channel", "Change name"; the composer needs a channel anyway)."""
        return self._ready

    def mark_ready(self) -> bool:
        """The client is ready; ``True`` the first time."""
        first, self._ready = not self._ready, True
        return first

    def load_saved(
        self,
        last_ids: object,
        outbox: object,
        *,
        name: str | None = None,
        token: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Take what an earlier visit stored (the ``to_wire`` shapes)."""
        self._channel.last_ids = LastIds.from_wire(last_ids)
        self._outbox.load(outbox)
        self._identity.saved_name, self._identity.saved_token = name, token
        self._saved_channel = channel

    # the connection ------------------------------------------------------------

    def start_connecting(self) -> None:
        """The page is drawn and the socket is about to connect."""
        self.connection = Connection.CONNECTING

    def connection_changed(self, facts: SocketFacts) -> None:
        """Say what ``facts`` mean in the status area."""
        self.connection = self.link.state(facts)

    def socket_connected(self, facts: SocketFacts) -> None:
        """A connection is up (a session starts); an alert about the server
        refusing us earlier is over."""
        stale = self.link.connected()
        if stale is not None and self.error == stale:
            self.error = None
        self.connection_changed(facts)

    def socket_dropped(self, facts: SocketFacts) -> None:
        """The connection is gone: nothing can be sent until we rejoin."""
        self.connection_lost()
        self.connection_changed(facts)

    def connect_failed(self, payload: object, facts: SocketFacts) -> bool:
        """Connecting failed (``connect_error``). ``True`` if the server
        refused us (too many connections): socket.io will not try again by
        itself, so the glue connects again after ``REFUSED_RETRY_SECONDS``."""
        refused = self.link.refuse(payload)
        if refused is not None:
            self.error = refused
        self.socket_dropped(facts)
        return refused is not None

    def server_closing(self, payload: object, facts: SocketFacts) -> None:
        """The server is shutting down (``server_closing``): "Reconnecting…"
        from now on. Its sentence is not shown (the status says it all), so
        even a malformed event counts: the event itself is the news."""
        protocol.read(ServerClosing, payload)
        self.link.closing = True
        self.connection_changed(facts)

    def reconnect_gave_up(self, facts: SocketFacts) -> None:
        """socket.io stopped retrying (only with a finite number of attempts;
        kept so "Offline" is right should that option ever be set)."""
        self.link.gave_up = True
        self.connection_changed(facts)

    def network_changed(self, online: bool, facts: SocketFacts) -> Effects:
        """The browser went online or offline. Back online: start over if
        nobody else will, and send what waited (the socket may have survived
        the outage)."""
        return Effects(reconnect=self.link.must_reconnect(online, facts), flush_outbox=online)

    def connection_lost(self) -> None:
        """The connection dropped: nothing can be sent until we rejoin."""
        self._channel.live = None
        self._outbox.requeue_sending()

    # identity -----------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """Our display name, once the server granted it."""
        return self._identity.name

    @property
    def token(self) -> str | None:
        """The secret that gets us our name back."""
        return self._identity.token

    @property
    def dialog_open(self) -> bool:
        """Whether the name dialog is asking."""
        return self._identity.dialog_open

    @property
    def name_error(self) -> str | None:
        """What is wrong with the name in the dialog."""
        return self._identity.name_error

    @property
    def name_draft(self) -> str:
        """What the dialog's box holds when it opens."""
        return self._identity.name_draft

    @property
    def can_cancel_dialog(self) -> bool:
        """Without a name the dialog cannot be dismissed: nothing works unnamed."""
        return self._identity.can_cancel

    def session_claim(self) -> ClaimName | None:
        """The quiet claim of every new connection (``Identity.session_claim``)."""
        return self._identity.session_claim()

    def claim_for(self, name: str) -> ClaimName:
        """The ``claim_name`` request for ``name``, with our token."""
        return self._identity.claim_for(name)

    def claim_answered(self, name: str, ack: Ack, *, quiet: bool) -> Effects:
        """The answer to claiming ``name`` (``quiet``: on connect, not from the
        dialog). Granted: stored, and a first name lets the session go on
        (``reopen_channel``). Failed: see ``Identity.refused``."""
        named = protocol.read(Named, ack.data) if ack.ok else None
        if not ack.ok:
            alert = self._identity.refused(name, ack.code, ack.message, quiet=quiet)
            if alert is not None:
                self.error = alert
            elif claim_refused_by_server(ack.code):
                self.error = None  # one alert at a time: the dialog's says what is wrong
            return Effects()
        if named is None:
            self.error = describe_error(BAD_REPLY)
            return Effects()
        first = self._identity.granted(named, quiet=quiet)
        self._people.set_me(self._identity.token)
        if quiet:
            return Effects(named=True, save_identity=True)
        # Saved from the dialog, which closes: the message box is where
        # the next thing is typed (not <body>, where the browser leaves it).
        return Effects(
            named=True, save_identity=True, reopen_channel=first, focus_composer=True, take_focus=True
        )

    def set_identity(self, name: str, token: str) -> bool:
        """Remember who we are; ``True`` if the shown name changed."""
        changed = self._identity.set(name, token)
        self._people.set_me(token)
        return changed

    def is_own(self, message: Message) -> bool:
        """Whether we sent ``message`` (names compare case-insensitively)."""
        return self._identity.is_own(message)

    def ask_for_name(self) -> bool:
        """First visit: the dialog opens right away; ``True`` if it opened."""
        return self._identity.ask()

    def change_name(self) -> None:
        """ "Change name": the dialog, with the current name."""
        self._identity.change()

    def name_typed(self, raw: str) -> str | None:
        """ "Save name": the clean name to claim, or ``None`` (the dialog says why)."""
        return self._identity.typed(raw)

    def cancel_name(self) -> bool:
        """Close the dialog without renaming (only once named); ``True`` if it closed."""
        return self._identity.cancel()

    def name_dialog_closed(self) -> bool:
        """The browser closed the dialog (Escape); ``True`` if a render is due."""
        return self._identity.closed_by_browser()

    # channels -----------------------------------------------------------------

    def channels_listed(self, ack: Ack) -> None:
        """The answer to ``list_channels``: the list, or an alert."""
        listed = protocol.read(ChannelList, ack.data) if ack.ok else None
        if listed is None:
            self.show_failure(ack if not ack.ok else Ack.failure(BAD_REPLY))
            return
        self.set_channels(channel.name for channel in listed.channels)

    def channel_created(self, payload: object) -> bool:
        """A ``channel_created`` event; ``True`` if the channel was new here."""
        created = protocol.read(ChannelCreated, payload)
        return created is not None and self.add_channels([created.channel.name])

    @property
    def creating(self) -> int:
        """How many "Create channel" requests wait for their answer."""
        return self._creations.waiting

    def channel_typed(self, raw: str) -> Creation | None:
        """ "Create channel": the creation to send, or ``None`` and the alert
        says why (``Creations.typed``)."""
        return self._creations.typed(raw)

    def channel_create_answered(self, creation: Creation, ack: Ack) -> CreateAnswer:
        """The answer to ``creation`` (``Creations.answered``): a created
        channel joins the list, and may open."""
        answer = self._creations.answered(creation, ack)
        if answer.created is not None:
            self.add_channels([answer.created])
        return answer

    def set_channels(self, names: Iterable[str]) -> None:
        """Replace the channel list (from ``list_channels``)."""
        self._channels.set(names)

    def add_channels(self, names: Iterable[str]) -> bool:
        """Add channels (``channel_created``); ``True`` if any was new."""
        return self._channels.add(names)

    @property
    def channels(self) -> list[str]:
        """Known channels, in the protocol's list order."""
        return self._channels.names

    # joining ------------------------------------------------------------------

    @property
    def open_channel(self) -> str | None:
        """The channel on screen, as the server spells it."""
        return self._channel.name

    @property
    def joining(self) -> str | None:
        """The channel a ``join_channel`` is on its way for."""
        return self._channel.joining

    @property
    def last_ids(self) -> LastIds:
        """The last message id seen per channel (kept across visits)."""
        return self._channel.last_ids

    @property
    def message_log(self) -> MessageLog:
        """The open channel's log, with its journal of changes (for the view)."""
        return self._channel.log

    def is_open(self, channel: str) -> bool:
        """Whether ``channel`` is the one on screen."""
        return self._channel.is_open(channel)

    def select_channel(self, name: str) -> bool:
        """A click on a channel in the list: ``True`` if it must be joined;
        ``False`` if it is open already (the glue puts the cursor in the composer)."""
        # The person's own pick wins over creations still on their way.
        self._creations.picked()
        if self.is_open(name) and self.joining is None:
            return False
        self.error = None
        return True

    def channel_to_reopen(self) -> str | None:
        """After naming: the channel that was open, being opened, or that the
        last visit left open."""
        return self.joining or self.open_channel or self._saved_channel

    def begin_join(self, channel: str) -> JoinChannel:
        """A ``join_channel`` is on its way; remember which, so stale answers
        (the person clicked elsewhere meanwhile) are ignored. Returns the
        request: ``since`` is the last id seen if the channel is on screen
        (a rejoin after a reconnect asks only for what it missed)."""
        since = self._channel.resume_point(channel)
        revision = self._channel.resume_revision(channel)
        self._channel.begin_join(channel)
        return JoinChannel(channel, since, revision)

    def resume_point(self, channel: str) -> int | None:
        """The ``since`` a join of ``channel`` sends (``OpenChannel.resume_point``)."""
        return self._channel.resume_point(channel)

    def join_answered(self, request: JoinChannel, ack: Ack, *, restoring: bool = False) -> Effects:
        """The answer to ``request``. Joined: the channel opens (and is the
        one to reopen next visit); what waits to be sent there can go. Failed:
        the join is forgotten and, if the channel is gone, its waiting
        messages are "Not sent"; reopening a channel that no longer exists
        says so and forgets it. A reopening join that timed out says nothing:
        the next connect tries again."""
        joined = protocol.read(Joined, ack.data) if ack.ok else None
        if joined is None:
            failure = ack if not ack.ok else Ack.failure(BAD_REPLY)
            channel = request.channel
            self.join_failed(channel)
            gone = failure.code == ErrorCode.NO_SUCH_CHANNEL
            if gone:
                self.channel_gone(channel)
                self._channels.forget(channel)  # creating it again is allowed
            if gone and restoring:
                self.error = wording.missing_channel_text(channel)
                self._saved_channel = None
                return Effects(forget_channel=True)
            if failure.code not in (TIMEOUT, OFFLINE) or not restoring:
                self.error = describe_error(failure.code, failure.message)
            return Effects()
        name = joined.channel.name
        switched = not self.is_open(name)
        if not self.finish_join(
            name, joined.messages, since=request.since, gap=joined.gap, revision=request.revision
        ):
            return NOTHING  # a stale answer: another channel was picked meanwhile
        if switched:
            self._end_message_actions(thread=True)
        self._saved_channel = name
        return Effects(save_channel=name, focus_composer=True, flush_outbox=True)

    def finish_join(
        self,
        channel: str,
        history: Iterable[Message],
        *,
        since: int | None = None,
        gap: bool = False,
        revision: int | None = None,
    ) -> bool:
        """Open ``channel`` with ``history`` (``OpenChannel.finish_join``);
        ``False`` if this join is stale. Joining a channel makes us a member."""
        if not self._channel.finish_join(channel, history, since, gap, revision):
            return False
        if is_direct(channel):
            self._directs.note(channel)
        else:
            self.add_channels([channel])  # joined before the list said it exists
            self._member.add(conversation_key(channel))
        return True

    def join_failed(self, channel: str) -> None:
        """Forget a pending join; if it was a rejoin of the open channel, close it."""
        self._channel.join_failed(channel)

    # the log ------------------------------------------------------------------

    @property
    def log(self) -> list[LogEntry | Outgoing]:
        """What the open channel's log shows, oldest first, then what we
        sent there that the server has not confirmed yet."""
        return [*self.message_log.entries, *self.pending_in(self.open_channel)]

    def pending_in(self, channel: str | None) -> list[Outgoing]:
        """The outbox's messages for ``channel`` (not thread replies: the
        thread panel shows those), in the order they go."""
        return [item for item in self._outbox.pending_in(channel) if item.parent is None]

    def messages_arrived(self, event: Event, payload: object) -> bool:
        """A ``message`` or ``messages`` event (of any conversation we are
        in); ``True`` if anything shown changed."""
        messages = read_messages(event, payload)
        added = [self.add_message(message) for message in messages]
        return self._count_arrivals(messages) or any(added)

    def add_message(self, message: Message) -> bool:
        """Take a message (event or own ack, new or changed); ``True`` if
        anything shown changed. Routed by its conversation: a message in a
        direct conversation this page did not know of lists it."""
        listed = is_direct(message.channel) and self._directs.note(message.channel)
        self._typing_done(message)
        changed = self._channel.add_message(message)
        if changed:
            self._drop_vanished()
        return changed or listed

    def _deliver(self, message: Message) -> bool:
        """Ours, sent through the outbox: the real message replaces the pending one."""
        return self.is_own(message) and self._outbox.deliver(message)

    def expire_file(self, payload: object) -> bool:
        """Take a ``file_expired`` event: that message's file is gone. ``True``
        if the log changed."""
        expired = protocol.read(FileExpired, payload)
        return expired is not None and self._channel.expire_file(expired.channel, expired.id)

    def add_notice(self, payload: object) -> NoticeEntry | None:
        """Take a ``notice`` event for the open channel; the notice if shown."""
        return self._channel.add_notice(protocol.read(Notice, payload))

    # sending (the outbox) ------------------------------------------------------------

    @property
    def outbox(self) -> list[Outgoing]:
        """Every message not confirmed yet (all channels), oldest first."""
        return self._outbox.items

    def outbox_wire(self) -> list[dict[str, Any]]:
        """The outbox in its storage shape, oldest first."""
        return self._outbox.to_wire()

    def outbox_to_store(self, stored: object) -> list[dict[str, Any]]:
        """The outbox to write, keeping what other tabs stored (``Outbox.to_store``)."""
        return self._outbox.to_store(stored)

    def adopt_outbox(self, stored: object, channel: str) -> int:
        """Take on what another tab left waiting for ``channel`` (``Outbox.adopt``)."""
        return self._outbox.adopt(stored, channel)

    def compose(self, raw: str) -> Effects:
        """Enter or "Send" in the composer (``Sending.compose``)."""
        return self._sending.compose(self.open_channel, raw)

    def queue_message(self, text: str, client_id: str | None = None) -> Outgoing | None:
        """``text`` (already checked) waits in the outbox for the open channel;
        ``None`` (and an alert) if no channel is open or the outbox is full."""
        channel = self.open_channel
        return None if channel is None else self._sending.queue(channel, text, client_id)

    @property
    def live(self) -> bool:
        """Whether this connection has joined the channel on screen (only
        then can its messages be sent)."""
        live = self._channel.live
        return live is not None and self.is_open(live) and self.joining is None and self.name is not None

    def next_to_send(self) -> Outgoing | None:
        """The next message to send, oldest first, if we can send now: only
        messages for the channel this connection is in can go."""
        if not self.live or self.open_channel is None:
            return None
        return self._outbox.next_queued(self.open_channel)

    def send_answered(self, client_id: str, ack: Ack, *, dropped: bool = False) -> SendDecision:
        """The answer to sending ``client_id`` (``Sending.answered``)."""
        return self._sending.answered(client_id, ack, dropped=dropped)

    def retry_send(self, client_id: str) -> bool:
        """ "Retry" on a message that was not sent (``Sending.retry``)."""
        return self._sending.retry(client_id)

    def discard_send(self, client_id: str) -> bool:
        """ "Discard" on a message that was not sent (``Sending.discard``)."""
        return self._sending.discard(client_id)

    def channel_gone(self, channel: str) -> None:
        """The server has no ``channel``: what waits for it is "Not sent"."""
        self._sending.channel_gone(channel)

    # sharing files ----------------------------------------------------------------

    @property
    def uploads(self) -> list[Upload]:
        """Uploads in progress or failed, oldest first (whatever their channel)."""
        return self._sharing.rows

    def share_target(self) -> str | None:
        """Files picked or dropped: the channel they go to, or ``None`` (and
        an alert) when no channel is open."""
        return self._sharing.target(self.open_channel)

    def upload_started(self, channel: str, name: str, size: int, kind: str, ack: Ack) -> Upload | None:
        """The answer to announcing a file: its row, or ``None`` and an alert."""
        return self._sharing.started(channel, name, size, kind, ack)

    def add_upload(self, channel: str, name: str, kind: str, info: protocol.Upload) -> Upload:
        """Start showing an upload the server accepted."""
        return self._sharing.add(channel, name, kind, info)

    def cancel_upload(self, key: str) -> Upload | None:
        """ "Cancel" or "Dismiss": the upload the glue must stop, if any (``Sharing.cancel``)."""
        return self._sharing.cancel(key)

    def retry_upload(self, key: str) -> Upload | None:
        """ "Retry": the upload to drive on, if retrying can help (``Sharing.retry``)."""
        return self._sharing.retry(key)

    def finish_upload(self, upload: Upload) -> Effects:
        """The upload loop ended (``Sharing.finished``); a file that landed in
        the channel on screen is scrolled to."""
        if not self._sharing.finished(upload):
            return NOTHING
        return Effects(scroll_to_bottom=upload.status is UploadStatus.DONE and self.is_open(upload.channel))

    # alerts ---------------------------------------------------------------------------

    def show_failure(self, ack: Ack) -> None:
        """An alert for a failed request."""
        self.error = describe_error(ack.code, ack.message)

    def dismiss_error(self) -> None:
        """ "Dismiss" on the alert: every line of it goes."""
        self._alert.dismiss()

    def client_bug(self) -> None:
        """The client itself failed (a bug, logged for developers): say
        something to people instead of failing silently."""
        self.error = describe_error(wording.CLIENT_BUG)
