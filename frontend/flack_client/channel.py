"""The conversation on screen: opening it, catching up after a reconnect,
and what arrives for it.

A conversation is a channel or a direct conversation (its label, ``@`` and
ids); one is on screen at a time, though the server sends the events of
every conversation one is a member of: each is routed by its
``Message.channel``, and what is not for the one on screen is not shown
here. ``OpenChannel`` knows which one is open, which one is being joined (so
a stale answer is ignored), the messages that arrive for it before its
history does, and per conversation the last id and the last revision this
browser saw (``LastIds``, kept across visits), from which a rejoin asks only
for what it missed or what changed. Its top-level messages live in its
``log.MessageLog``; thread replies are kept apart, by parent, for the thread
panel (they are never shown in the log). Plain Python: the tests run it
under CPython.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flack import protocol
from flack.protocol import Message, Notice
from flack.protocol import conversation_key as key
from flack_client.entries import GapMarker, NoticeEntry
from flack_client.log import LOG_MAX, MessageLog
from flack_client.outbox import LastIds


class OpenChannel:
    """The channel on screen and the one being joined.

    ``deliver(message)`` is called for every message that joins the log
    before it is checked for repeats: our own message, confirmed, takes the
    place of its pending copy in the outbox.
    """

    def __init__(self, deliver: Callable[[Message], bool]) -> None:
        self._deliver = deliver
        self.name: str | None = None  # open, as the server spells it
        self.joining: str | None = None  # a join_channel is on its way
        self.live: str | None = None  # the channel this very connection has joined
        self.log = MessageLog()
        self.last_ids = LastIds()
        self.last_revisions = LastIds()  # the highest Message.revision seen, per conversation
        # Thread replies of the open conversation, by parent id then reply id.
        self.replies: dict[int, dict[int, Message]] = {}
        self.replies_version = 0  # bumped on every change of ``replies``
        self._early: list[Message] = []  # arrived for ``joining`` before its history
        self._expired: set[int] = set()  # files gone in ``joining`` meanwhile
        self._notice_seq = 0
        self._gap_seq = 0

    def is_open(self, channel: str) -> bool:
        """Whether ``channel`` is the one on screen."""
        return self.name is not None and key(channel) == key(self.name)

    def is_joining(self, channel: str) -> bool:
        """Whether a join of ``channel`` is on its way."""
        return self.joining is not None and key(channel) == key(self.joining)

    # joining ------------------------------------------------------------------

    def resume_point(self, channel: str) -> int | None:
        """The ``since`` to send when (re)joining ``channel``: the last id we
        saw, if its log is on screen (a rejoin after a reconnect: only what
        we missed is needed). ``0`` when we were there and saw no message.
        ``None`` (the whole history) when opening a channel afresh."""
        if not self.is_open(channel):
            return None
        known = self.last_ids.get(channel)
        return 0 if known is None else known

    def resume_revision(self, channel: str) -> int | None:
        """The ``revision`` to send with ``resume_point``: the last change we
        saw there (messages changed after it come back too), if on screen."""
        if not self.is_open(channel):
            return None
        known = self.last_revisions.get(channel)
        return 0 if known is None else known

    def begin_join(self, channel: str) -> None:
        """A join of ``channel`` is on its way; a join begun earlier is stale."""
        self.joining = channel
        self._early = []
        self._expired = set()

    def finish_join(
        self,
        channel: str,
        history: Iterable[Message],
        since: int | None,
        gap: bool,
        revision: int | None = None,
    ) -> bool:
        """Open ``channel`` with its history. ``False`` if this join is stale.

        Messages that arrived for it before the history did are merged in, so
        nothing is lost and nothing doubles. With ``since`` (a rejoin of the
        channel on screen) the log is kept and ``history`` is what we missed
        and what changed after ``revision`` (each taken by id:
        ``MessageLog.upsert``); ``gap`` (from the server) puts an "Earlier
        messages unavailable" marker before it, and if the channel's ids
        started over (nothing newer than what we had) the log is replaced. Without ``since`` the log is
        ``history``, marked the same way if messages after the last one this
        browser saw in an earlier visit are gone (``protocol.history_gap``,
        the server's own rule).
        """
        if not self.is_joining(channel):
            return False
        history = sorted((m for m in history if key(m.channel) == key(channel)), key=lambda m: m.id)
        resuming = since is not None and self.is_open(channel)
        # Changed messages we had seen come back beside the new ones; only
        # the others tell whether ids started over.
        news = [m for m in history if not (m.id <= (since or 0) and m.revision > (revision or 0))]
        restarted = resuming and gap and (not news or news[0].id <= (since or 0))
        if not resuming:
            first, last = (history[0].id, history[-1].id) if history else (None, None)
            gap = protocol.history_gap(self.last_ids.get(channel), first, last)
        self.joining = None
        self.name = self.live = channel
        if not resuming or restarted:
            self.log.reset()
            self.replies = {}
            self.replies_version += 1
            newest = max((m.id for m in [*history, *self._early]), default=None)
            self.last_ids.set(channel, newest)
            changed = max((m.revision for m in [*history, *self._early]), default=None)
            self.last_revisions.set(channel, changed)
        if gap:
            self._gap_seq += 1
            self.log.append(GapMarker(self._gap_seq))
        # By id, and one id's states oldest first: the newest state wins.
        for message in sorted([*history, *self._early], key=lambda m: (m.id, m.revision)):
            if key(message.channel) == key(channel):
                self._insert(message)
        self._early = []
        return True

    def join_failed(self, channel: str) -> None:
        """Forget a pending join. If it was for the open channel (a re-join
        after reconnecting), that channel is gone: close it."""
        if self.is_joining(channel):
            self.joining = None
        if self.is_open(channel):
            self.close()

    def close(self) -> None:
        """Show no channel (the friendly empty state)."""
        self.name = self.live = None
        self.log.reset()
        self.replies = {}
        self.replies_version += 1
        self._early = []
        self._expired = set()

    # what arrives ---------------------------------------------------------------

    def add_message(self, message: Message) -> bool:
        """Take a message (event, own ack, or a new state of one:
        ``message_updated``); ``True`` if what is shown changed (the log or a
        thread).

        Messages for other conversations are dropped here, and each id is
        shown once, in its latest state: our own message comes back both as
        ack and as event.
        """
        if self.is_joining(message.channel):
            self._early.append(message)
            if len(self._early) > LOG_MAX:
                # A flood during one join: the log would drop the oldest anyway.
                del self._early[0]
            return False
        if not self.is_open(message.channel):
            return False
        return self._insert(message)

    def _insert(self, message: Message) -> bool:
        delivered = self._deliver(message)
        if message.id in self._expired:
            message = message.with_file_expired()
        self.last_ids.note(message.channel, message.id)
        self.last_revisions.note(message.channel, message.revision)
        if message.parent is not None and not self._orphan(message):
            return self._reply(message) or delivered
        return self.log.upsert(message) or delivered

    def _orphan(self, reply: Message) -> bool:
        """Whether ``reply``'s thread can no longer be opened: its first
        message is not in the log (it left the server's history before the
        reply did). Such a reply is shown in the log itself, marked, so that
        nothing the server keeps is hidden; once there, it stays there."""
        assert reply.parent is not None
        if self.log.has(reply.id):
            return True
        return not self.log.has(reply.parent) and reply.id not in self.replies.get(reply.parent, {})

    def _reply(self, message: Message) -> bool:
        """A reply in a thread: kept by parent (the log never shows it); a
        deleted one goes. ``True`` if a thread changed."""
        assert message.parent is not None
        thread = self.replies.setdefault(message.parent, {})
        shown = thread.get(message.id)
        if shown is not None and (message.revision < shown.revision or message == shown):
            return False
        if message.deleted:
            if thread.pop(message.id, None) is None:
                return False
        else:
            thread[message.id] = message
            self._trim_replies()
        self.replies_version += 1
        return True

    def _trim_replies(self) -> None:
        """At most ``LOG_MAX`` replies in all (the oldest go first), as the log is bounded."""
        total = sum(len(thread) for thread in self.replies.values())
        while total > LOG_MAX:
            parent, thread = min(
                ((p, t) for p, t in self.replies.items() if t), key=lambda item: min(item[1])
            )
            del thread[min(thread)]
            if not thread:
                del self.replies[parent]
            total -= 1

    def replies_of(self, parent: int) -> list[Message]:
        """The replies kept in ``parent``'s thread, oldest first."""
        return [self.replies[parent][mid] for mid in sorted(self.replies.get(parent, {}))]

    def expire_file(self, channel: str, mid: int) -> bool:
        """Message ``mid`` of ``channel`` lost its file; ``True`` if the log
        changed. Remembered for the channel being joined too, in case its
        history was read before the file was deleted."""
        if self.is_joining(channel):
            self._expired.add(mid)
            self._early = [m.with_file_expired() if m.id == mid else m for m in self._early]
        if not self.is_open(channel):
            return False
        for thread in self.replies.values():
            reply = thread.get(mid)
            if reply is not None:
                thread[mid] = reply.with_file_expired()
                self.replies_version += 1
                return True
        return self.log.expire_file(mid)

    def add_notice(self, notice: Notice | None) -> NoticeEntry | None:
        """A notice (``None`` if it was malformed); the entry if shown."""
        # Numbered even when not shown: keys only need to be unique.
        self._notice_seq += 1
        if notice is None or not self.is_open(notice.channel):
            return None
        entry = NoticeEntry(self._notice_seq, notice)
        self.log.append(entry)
        return entry
