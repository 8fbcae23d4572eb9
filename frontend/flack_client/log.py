"""The open channel's message log: bounded, deduplicated, with a change journal.

The log holds what the page shows of one channel, oldest first: messages in
id order, with notices and "Earlier messages unavailable" markers where they
happened. Three properties matter:

* **Bounded.** It keeps at most ``LOG_MAX`` entries; the oldest go first.
  Notices and markers count too, so a flood of join/leave notices cannot
  grow memory either.
* **Each message once, in its latest state.** A message can arrive twice (our own as the
  acknowledgement and as the event; a rejoin's history overlapping live
  delivery). Ids of the messages in the log are remembered; for the ones
  dropped from the front only the highest id is kept (``floor``): ids only
  grow within a channel and a rejoin asks only for ids after the newest one
  seen (``since``), so nothing at or below the floor can be new. A change
  to a message (``message_updated``) replaces it by id (``upsert``); a
  deleted one leaves the log.
* **A journal of changes.** Every change is recorded (insert, replace or
  remove at an index), numbered by ``version``, so the view applies only
  what changed since it last drew instead of walking the whole log. The
  journal itself is bounded; a reader that fell behind it, or a ``reset``
  (another channel, ids that started over), gets ``None``: draw everything.

Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from flack.protocol import HISTORY_LIMIT, Message
from flack_client.entries import GapMarker, LogEntry, NoticeEntry

# Entries kept. Several times the server's history (100 messages), so a
# rejoin's catch-up or a busy hour of live messages is all still there to
# scroll back to, and few enough that the page stays light (a long-open
# tab of a busy channel no longer grows without end).
LOG_MAX: Final = 5 * HISTORY_LIMIT

# Changes kept for readers of the journal. More than one full history's
# worth of inserts and removals, so one rejoin never forces a full redraw;
# a reader further behind than this redraws, which is cheap by comparison.
JOURNAL_MAX: Final = 2 * LOG_MAX


class ChangeKind(Enum):
    """What happened at ``Change.index``."""

    INSERT = "insert"  # ``entry`` now stands at ``index``; later ones moved down one
    REPLACE = "replace"  # the entry at ``index`` is now ``entry`` (e.g. its file expired)
    REMOVE = "remove"  # the entry at ``index`` left; later ones moved up one


@dataclass(frozen=True, slots=True)
class Change:
    """One change of the log, in the order they happened."""

    kind: ChangeKind
    index: int
    entry: LogEntry | None = None  # ``None`` for REMOVE


class MessageLog:
    """The entries of one channel, oldest first, with a journal of changes."""

    def __init__(self, limit: int = LOG_MAX, journal_limit: int = JOURNAL_MAX) -> None:
        self._limit = limit
        self._journal_limit = journal_limit
        self._entries: list[LogEntry] = []
        self._ids: set[int] = set()  # ids of the messages in ``_entries``
        self._floor: int | None = None  # highest message id dropped from the front
        self._journal: list[Change] = []
        self._base = 0  # the version before the journal's first change
        self._version = 0
        self._epoch = 0

    # reading ---------------------------------------------------------------------

    @property
    def entries(self) -> list[LogEntry]:
        """Every entry, oldest first (a copy)."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """How many changes were ever made: the journal's cursor."""
        return self._version

    @property
    def epoch(self) -> int:
        """How many times the log was reset: within one epoch an entry's key
        always means the same entry (after a reset, ids may start over)."""
        return self._epoch

    def has(self, mid: int) -> bool:
        """Whether message ``mid`` is, or was, in the log (then it is not new)."""
        return mid in self._ids or (self._floor is not None and mid <= self._floor)

    def changes_since(self, version: int | None) -> list[Change] | None:
        """The changes after ``version``, in order; ``None`` if they are not
        all known any more (the journal was trimmed, or the log was reset
        since): then the reader draws every entry again."""
        if version is None or version < self._base or version > self._version:
            return None
        return self._journal[version - self._base :]

    # changing ------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty the log (another channel, or its ids started over)."""
        self._entries, self._ids, self._floor = [], set(), None
        self._journal = []
        self._version += 1
        self._base = self._version
        self._epoch += 1

    def insert(self, message: Message) -> bool:
        """Put ``message`` in id order; ``False`` if it is (or was) there already."""
        if self.has(message.id):
            return False
        # Ids only grow, so this is nearly always an append; for the rare
        # out-of-order arrival, step back over newer messages only (a notice
        # marks a moment in time and stays where it was put).
        index = len(self._entries)
        while index > 0:
            previous = self._entries[index - 1]
            if not (isinstance(previous, Message) and previous.id > message.id):
                break
            index -= 1
        self._entries.insert(index, message)
        self._ids.add(message.id)
        self._record(Change(ChangeKind.INSERT, index, message))
        self._trim()
        return True

    def append(self, entry: NoticeEntry | GapMarker) -> None:
        """Add a notice or a gap marker at the end (they mark a moment)."""
        self._entries.append(entry)
        self._record(Change(ChangeKind.INSERT, len(self._entries) - 1, entry))
        self._trim()

    def get(self, mid: int) -> Message | None:
        """Message ``mid``, if it is in the log."""
        index = self._index(mid)
        if index is None:
            return None
        found = self._entries[index]
        return found if isinstance(found, Message) else None

    def upsert(self, message: Message) -> bool:
        """Take ``message`` whether it is new or a newer state of one shown
        (``message_updated``: edited, reacted to, replied to, deleted), by
        id; ``True`` if the log changed. A deleted message leaves the log
        (and its id stays seen, so an older copy cannot bring it back); an
        older state than the one shown (a lower ``revision``) changes nothing."""
        index = self._index(message.id)
        if index is None:
            if message.deleted:
                if not self.has(message.id):
                    self._ids.add(message.id)  # seen: never shown, never new again
                return False
            return self.insert(message)
        shown = self._entries[index]
        assert isinstance(shown, Message)
        if message.revision < shown.revision or message == shown:
            return False
        if message.deleted:
            del self._entries[index]
            self._record(Change(ChangeKind.REMOVE, index))
            return True  # its id stays in ``_ids``: seen
        if shown.file is not None and shown.file.expired:
            message = message.with_file_expired()  # an older copy of the file's news never undoes it
        self._entries[index] = message
        self._record(Change(ChangeKind.REPLACE, index, message))
        return True

    def _index(self, mid: int) -> int | None:
        """Where message ``mid`` stands, if it is in the log. From the end:
        what changes is mostly recent."""
        if mid not in self._ids:
            return None
        for index in range(len(self._entries) - 1, -1, -1):
            entry = self._entries[index]
            if isinstance(entry, Message) and entry.id == mid:
                return index
        return None

    def expire_file(self, mid: int) -> bool:
        """Mark the file of message ``mid`` as gone; ``True`` if it changed."""
        # A linear search, but only for this rare event (a file deleted to
        # make room); the newest files are the likeliest to be on screen.
        index = self._index(mid)
        if index is None:
            return False
        entry = self._entries[index]
        assert isinstance(entry, Message)
        expired = entry.with_file_expired()
        if expired is entry:
            return False
        self._entries[index] = expired
        self._record(Change(ChangeKind.REPLACE, index, expired))
        return True

    def _trim(self) -> None:
        """Drop the oldest entries beyond the bound, remembering how far
        the dropped messages went."""
        while len(self._entries) > self._limit:
            dropped = self._entries.pop(0)
            if isinstance(dropped, Message):
                self._ids.discard(dropped.id)
                self._floor = dropped.id if self._floor is None else max(self._floor, dropped.id)
            self._record(Change(ChangeKind.REMOVE, 0))

    def _record(self, change: Change) -> None:
        self._journal.append(change)
        self._version += 1
        if len(self._journal) > self._journal_limit:
            # Forget the older half at once (not one by one: that would
            # copy the list on every change).
            cut = len(self._journal) // 2
            del self._journal[:cut]
            self._base += cut
