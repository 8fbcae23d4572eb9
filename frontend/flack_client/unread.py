"""Unread counts, read marks, the "New messages" line and desktop
notifications (issue 15, items 3 and 4): the rules, apart from the page.

The server keeps, per person and conversation, the id of the last message
read and counts what came after it (``protocol.ReadState``); its answers
(``list_conversations``' ``reads``, ``mark_read``'s, the ``read`` event of
another tab) are the truth, and ``UnreadBook`` takes them as they come. In
between, the page counts what arrives itself, by the server's own rule
(``arrived``), so a link's count moves at once. ``ReadMarker`` decides when
this page sends ``mark_read``: at once when a conversation is opened (or the
page comes back to the front), then at most once every 3 s while messages
arrive, never two at a time. ``NewLine`` decides where "New messages" goes.
The notification rules are at the end. Times are handed in (``now``,
seconds on a monotonic clock) so the tests can drive them. Plain Python:
the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from flack.protocol import Message, conversation_key

# "While it is open and the page visible, arriving messages are marked read":
# At most one ``mark_read`` every 3 s while a busy conversation is read live:
# every event a client sends costs the server its transport's work (500
# pages marking a saturated channel once a second cost 1.26x the CPU per
# delivery in bench/fanout.py --readers, the same as any other cheap event).
# Opening it and the tab going to the back or coming to the front still mark at once.
MARK_EVERY_SECONDS = 3.0
# A notification's body: the message's first words, at most this many characters.
NOTIFICATION_CHARS = 100
ELLIPSIS = "…"


class ReadFacts(Protocol):
    """What ``protocol.ReadState`` carries (one conversation's counts)."""

    @property
    def channel(self) -> str: ...
    @property
    def read(self) -> int: ...
    @property
    def unread(self) -> int: ...
    @property
    def mentions(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Counts:
    """One conversation: the last message read, and what came after it."""

    read: int = 0
    unread: int = 0
    mentions: int = 0


NONE = Counts()


class UnreadBook:
    """Every conversation's counts, by conversation key (``conversation_key``)."""

    def __init__(self) -> None:
        self._counts: dict[str, Counts] = {}
        # The newest id counted here per conversation: each message counts
        # once, whatever brings it again.
        self._counted: dict[str, int] = {}

    def set_all(self, reads: Iterable[ReadFacts]) -> bool:
        """Replace every count (``list_conversations``: on every session, so
        a reconnect forgets what was counted while away). ``True`` if any
        count shown changed."""
        before = self._counts
        self._counts, self._counted = {}, {}
        for state in reads:
            self._counts[conversation_key(state.channel)] = Counts(state.read, state.unread, state.mentions)
        return _shown(before) != _shown(self._counts)

    def set(self, state: ReadFacts) -> bool:
        """One conversation's counts from the server (``mark_read``'s answer,
        a ``read`` event); ``True`` if what is shown changed."""
        key = conversation_key(state.channel)
        old = self._counts.get(key, NONE)
        new = Counts(state.read, state.unread, state.mentions)
        self._counts[key] = new
        if self._counted.get(key, 0) <= new.read:
            self._counted.pop(key, None)
        return (old.unread, old.mentions) != (new.unread, new.mentions)

    def arrived(self, label: str, mid: int, *, mine: bool, mention: bool) -> bool:
        """A message arrived for ``label``, which is not being read right now
        (not open, or the page is hidden): the server's rule — unread if
        newer than the mark and not ours, a mention too if ``mention``
        (said of direct messages and of texts that mention us). ``True``
        if the counts changed."""
        key = conversation_key(label)
        counts = self._counts.get(key, NONE)
        if mine or mid <= max(counts.read, self._counted.get(key, 0)):
            return False
        self._counted[key] = mid
        self._counts[key] = Counts(counts.read, counts.unread + 1, counts.mentions + int(mention))
        return True

    def forget(self, label: str) -> bool:
        """``label`` was left: its mark is gone on the server too. ``True`` if
        it had counts to show."""
        key = conversation_key(label)
        self._counted.pop(key, None)
        old = self._counts.pop(key, NONE)
        return bool(old.unread or old.mentions)

    def counts(self, label: str) -> Counts:
        """``label``'s counts (nothing known: none)."""
        return self._counts.get(conversation_key(label), NONE)

    def read_of(self, label: str) -> int:
        """The id of the last message read in ``label`` (0: none, or not known)."""
        return self.counts(label).read

    @property
    def mentions(self) -> int:
        """Mentions of us and direct messages, unread, in every conversation:
        the number in the tab's title."""
        return sum(counts.mentions for counts in self._counts.values())


def _shown(counts: dict[str, Counts]) -> dict[str, tuple[int, int]]:
    return {key: (c.unread, c.mentions) for key, c in counts.items() if c.unread or c.mentions}


# --- sending mark_read -------------------------------------------------------------------


class ReadMarker:
    """When this page sends ``mark_read``: at most one on its way, at most
    one every 3 s while messages arrive in the conversation being read, at
    once when it is opened or the page comes back to the front. Only ever
    for the conversation on screen: what is wanted for another is
    replaced."""

    def __init__(self) -> None:
        self._wanted: tuple[str, int] | None = None  # (label, id) to mark next
        self._due: float | None = None  # when ``_wanted`` may go
        self._flight: tuple[str, int] | None = None  # on its way, answer not in yet

    def want(self, label: str, mid: int, now: float, *, at_once: bool = False) -> None:
        """Mark ``label`` read up to ``mid``: now (``at_once``), or within
        ``MARK_EVERY_SECONDS`` of the first message that asked for it."""
        key = conversation_key(label)
        flight, wanted = self._flight, self._wanted
        if flight is not None and conversation_key(flight[0]) == key and flight[1] >= mid:
            return  # that far is on its way already
        same = wanted is not None and conversation_key(wanted[0]) == key
        if same and wanted is not None and wanted[1] >= mid:
            if at_once:
                self._due = now
            return
        self._wanted = (label, mid)
        if at_once:
            self._due = now
        elif not same or self._due is None:
            # (Otherwise the first message's time stands: a busy
            # conversation is marked every 3 s, not never.)
            self._due = now + MARK_EVERY_SECONDS

    def take(self, now: float) -> tuple[str, int] | None:
        """The ``(label, id)`` to send now, if one is due and none is on its way."""
        if self._flight is not None or self._wanted is None or self._due is None or self._due > now:
            return None
        self._flight, self._wanted, self._due = self._wanted, None, None
        return self._flight

    def answered(self) -> None:
        """The one on its way was answered (or failed): the next may go."""
        self._flight = None

    def hurry(self) -> None:
        """The page is going to the background: what waits (messages read
        while it was in front) goes now, not a second later."""
        if self._wanted is not None:
            self._due = float("-inf")

    @property
    def deadline(self) -> float | None:
        """When the next one is due, for the page's timer (``None``: none
        waits, or one is on its way: its answer asks again)."""
        return self._due if self._flight is None and self._wanted is not None else None


# --- the "New messages" line --------------------------------------------------------------


def first_unread(entries: Iterable[object], after: int, me: str | None) -> int | None:
    """The id of the first message of ``entries`` (a log's, oldest first)
    that is newer than ``after`` and not ours, not deleted: where "New
    messages" goes. ``None``: there is none."""
    for entry in entries:
        if (
            isinstance(entry, Message)
            and entry.id > after
            and not entry.deleted
            and not (me is not None and entry.sender_id == me)
        ):
            return entry.id
    return None


class NewLine:
    """Where "New messages" is drawn: before the first message that was
    unread when the person began to look at the conversation — when it was
    opened with the page in front, or when the page came back to the front
    with something new in it. Kept until another conversation is opened;
    messages read as they arrive never move it."""

    def __init__(self) -> None:
        self._channel: str | None = None
        self._fresh = True  # the next look at the conversation may place it
        self.before: int | None = None  # the message id it goes before

    def look(self, channel: str | None, visible: bool, find: Callable[[], int | None]) -> int | None:
        """The conversation ``channel`` is drawn (``visible``: the page is in
        front); ``find()`` gives the first unread message now. Returns the id
        the line goes before."""
        if channel != self._channel:
            self._channel, self._fresh, self.before = channel, True, None
        if channel is not None and visible and self._fresh:
            self._fresh = False
            found = find()
            if found is not None:
                self.before = found
        return self.before

    def hidden(self) -> None:
        """The page went to the background: the next look may move the line
        to what arrived meanwhile."""
        self._fresh = True


# --- desktop notifications -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notification:
    """One desktop notification: ``new Notification(title, {body, tag})``;
    clicking it opens ``channel``."""

    title: str
    body: str
    tag: str
    channel: str


def first_words(text: str, limit: int = NOTIFICATION_CHARS) -> str:
    """``text`` on one line, cut after a whole word to at most ``limit``
    characters (with "…" when cut)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip() + ELLIPSIS


def should_notify(*, permitted: bool, hidden: bool, mine: bool, mention: bool) -> bool:
    """A message arrived: a desktop notification is shown only once allowed,
    while the page is hidden, for a mention of us or a direct message
    (``mention``), never for our own."""
    return permitted and hidden and not mine and mention
