"""``ChatState``'s part for unread counts, read marks, mentions and desktop
notifications (issue 15, items 3 and 4).

The counts are the server's (``list_conversations``' ``reads``, the answer
to ``mark_read``, the ``read`` event of another of our tabs), kept up to
date in between by counting what arrives (``unread.UnreadBook``); the tab's
title and the conversation links say them. While a conversation is open and
the page is in front, what arrives is read: it is not counted, and
``mark_read`` goes out (``unread.ReadMarker``); while the page is hidden
nothing is marked, and mentions of us and direct messages become desktop
notifications once the browser allows them. "Mentions us" is
``protocol.mentions``, the question the server's counts ask too. A mixin of
``awareness.Awareness`` (so of ``ChatState``), kept apart so that no module
grows too long to read; it uses only what ``ChatState`` declares below.
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from flack import protocol
from flack.protocol import Ack, Conversations, MarkRead, Message, MessageEvent, ReadState, is_direct
from flack_client import wording
from flack_client.unread import (
    Counts,
    NewLine,
    Notification,
    ReadMarker,
    UnreadBook,
    first_unread,
    first_words,
    should_notify,
)

if TYPE_CHECKING:
    from flack_client.log import MessageLog
    from flack_client.outbox import LastIds
    from flack_client.people import People

# What the browser says of desktop notifications (``Notification.permission``),
# and "unsupported" where it has none (an insecure origin, an old browser).
Permission = Literal["default", "granted", "denied", "unsupported"]
PERMISSIONS: tuple[Permission, ...] = ("default", "granted", "denied", "unsupported")


class UnreadAwareness:
    """Unread counts, read marks, mentions, notifications (mixed into ``ChatState``)."""

    _people: People
    _unread: UnreadBook
    _marker: ReadMarker
    _line: NewLine
    _notifications: list[Notification]
    _looked_at: str | None  # the conversation last drawn with the page in front
    _recount: set[str]  # conversations whose counts the server is asked for again
    page_hidden: bool = False  # the tab is in the background
    notify_permission: Permission = "unsupported"

    if TYPE_CHECKING:

        @property
        def open_channel(self) -> str | None: ...
        @property
        def name(self) -> str | None: ...
        @property
        def me(self) -> str | None: ...
        @property
        def live(self) -> bool: ...
        @property
        def message_log(self) -> MessageLog: ...
        @property
        def last_ids(self) -> LastIds: ...
        def is_open(self, channel: str) -> bool: ...

    def _init_unread(self) -> None:
        self._unread = UnreadBook()
        self._marker = ReadMarker()
        self._line = NewLine()
        self._notifications = []
        self._looked_at = None
        self._recount = set()

    # the server's counts -------------------------------------------------------------

    def reads_listed(self, listed: Conversations) -> bool:
        """``list_conversations``' ``reads``: every count, afresh (on every
        session: a reconnect may have missed messages and marks)."""
        return self._unread.set_all(listed.reads)

    def read_heard(self, payload: object) -> bool:
        """A ``read`` event: another of our tabs moved a mark; ``True`` if a
        count shown changed."""
        event = protocol.read(ReadState, payload)
        return event is not None and self._unread.set(event)

    def mark_answered(self, ack: Ack) -> bool:
        """The answer to our ``mark_read``; ``True`` if a count shown
        changed. A refusal says nothing to the person (a conversation left
        meanwhile): the next mark or session sets things right."""
        self._marker.answered()
        state = protocol.read(ReadState, ack.data) if ack.ok else None
        return state is not None and self._unread.set(state)

    def recount_wanted(self, payload: object) -> bool:
        """A ``message_updated`` event: if it deleted a message counted
        unread here (after our mark, not ours), the count is wrong and only
        the server knows by how much (was it a mention?). ``True`` if its
        conversation is to be recounted (``take_recounts``)."""
        updated = protocol.read(MessageEvent, payload)
        if updated is None or not updated.message.deleted or self._is_mine(updated.message):
            return False
        message = updated.message
        counts = self._unread.counts(message.channel)
        if not counts.unread or message.id <= counts.read:
            return False
        self._recount.add(message.channel)
        return True

    def take_recounts(self) -> list[MarkRead]:
        """The recounts to ask for now: ``mark_read`` at the mark we know,
        which moves nothing and answers the counts as they are."""
        taken = [MarkRead(channel, self._unread.read_of(channel)) for channel in sorted(self._recount)]
        self._recount.clear()
        return taken

    def recount_answered(self, ack: Ack) -> bool:
        """A recount's answer; ``True`` if a count shown changed."""
        state = protocol.read(ReadState, ack.data) if ack.ok else None
        return state is not None and self._unread.set(state)

    def unread_left(self, channel: str) -> None:
        """We left ``channel``: the server forgot its mark."""
        self._unread.forget(channel)

    # what arrives --------------------------------------------------------------------

    def _is_mine(self, message: Message) -> bool:
        return self.me is not None and message.sender_id == self.me

    def mentions_me(self, message: Message) -> bool:
        """Whether ``message`` mentions us (``@`` our name, ``@channel``) and
        is not ours: its article is marked (``data-mention``)."""
        name = self.name
        return name is not None and not self._is_mine(message) and protocol.mentions(message.text, name)

    def _counts_as_mention(self, message: Message) -> bool:
        """A mention for the counts: every direct message, and mentions of us."""
        return is_direct(message.channel) or self.mentions_me(message)

    def _count_arrivals(self, messages: list[Message]) -> bool:
        """Messages arrived (``message``, ``messages``): those not being read
        right now count, and may be notified. ``True`` if a count changed."""
        changed = False
        for message in messages:
            if self.is_open(message.channel) and not self.page_hidden:
                continue  # read as it arrives: marked, not counted
            mine, mention = self._is_mine(message), self._counts_as_mention(message)
            if not self._unread.arrived(message.channel, message.id, mine=mine, mention=mention):
                continue
            changed = True
            permitted = self.notify_permission == "granted"
            if should_notify(permitted=permitted, hidden=self.page_hidden, mine=mine, mention=mention):
                self._notifications.append(self._notification(message))
        return changed

    def _notification(self, message: Message) -> Notification:
        sender = self._people.name(message.sender_id) or message.sender or wording.SOMEONE
        if message.text:
            body = first_words(message.text)
        elif message.file is not None:
            body = wording.shared_file_text(message.file.name)
        else:
            body = ""
        return Notification(sender, body, tag=message.channel, channel=message.channel)

    def take_notifications(self) -> list[Notification]:
        """The desktop notifications to show now (each once)."""
        taken, self._notifications = self._notifications, []
        return taken

    # what the page shows -------------------------------------------------------------

    def unread_counts(self, label: str) -> Counts:
        """``label``'s counts, for its link."""
        return self._unread.counts(label)

    def unread_words(self, label: str) -> str:
        """What ``label``'s link says after its name: ``, 3 unread, 1 mention``."""
        counts = self._unread.counts(label)
        return wording.unread_words(counts.unread, counts.mentions)

    @property
    def page_title(self) -> str:
        """The tab's title: ``(N) Flack`` with N unread mentions and direct messages."""
        return wording.page_title(self._unread.mentions)

    def new_line_before(self) -> int | None:
        """The id of the message "New messages" goes before in the open
        conversation (``None``: no line). Asked as the log is drawn: the
        first time the conversation is drawn with the page in front places
        the line, before the first message after our read mark then."""
        channel = self.open_channel
        if channel is None:
            return self._line.look(None, False, lambda: None)
        read = self._unread.read_of(channel)
        return self._line.look(
            channel, not self.page_hidden, lambda: first_unread(self.message_log.entries, read, self.me)
        )

    # marking read --------------------------------------------------------------------

    def visibility_set(self, hidden: bool) -> None:
        """The page went to the background (what was read while it was in
        front is marked now; nothing arriving from now on is) or came back
        (the open conversation is marked at once)."""
        self.page_hidden = hidden
        if hidden:
            self._marker.hurry()
            self._line.hidden()
            self._looked_at = None

    def mark_due(self, now: float) -> MarkRead | None:
        """After a draw: the ``mark_read`` to send now, if any. The open
        conversation, with the page in front and this connection in it, is
        read up to its newest message: at once when it was just opened (or
        the page just came back), else at most once every 3 s."""
        channel = self.open_channel
        if channel is not None and self.live and not self.page_hidden:
            at_once = self._looked_at is None or not self.is_open(self._looked_at)
            self._looked_at = channel
            newest = self.last_ids.get(channel)
            if newest is not None and newest > self._unread.read_of(channel):
                self._marker.want(channel, newest, now, at_once=at_once)
        taken = self._marker.take(now)
        return MarkRead(*taken) if taken is not None else None

    @property
    def mark_deadline(self) -> float | None:
        """When the next ``mark_read`` is due, for the page's timer."""
        return self._marker.deadline

    # notifications -------------------------------------------------------------------

    def permission_set(self, permission: str) -> bool:
        """What the browser says of notifications now; ``True`` if it changed."""
        known: Permission = next((p for p in PERMISSIONS if p == permission), "default")
        changed, self.notify_permission = known != self.notify_permission, known
        return changed

    @property
    def can_enable_notifications(self) -> bool:
        """Whether "Enable notifications" is offered: the browser has not
        been asked yet (it answers only once; after that its settings do)."""
        return self.notify_permission == "default"

    @property
    def notify_status(self) -> tuple[str, str]:
        """What stands where the button was: ``(text, tooltip)``, empty while
        the button is offered or the browser has no notifications."""
        status = self.notify_permission
        return wording.NOTIFY_STATUS.get(status, ""), wording.NOTIFY_STATUS_HINT.get(status, "")
