"""Never losing a message: the last ids seen, and the outbox.

Every message has a per-channel, strictly increasing id. The client remembers
the last one it saw in each channel (``LastIds``), so that after a reconnect
it asks only for what it missed (``join_channel`` with ``since``). What the
person sends goes through the ``Outbox``: shown at once as pending, sent with
a ``client_id`` (the server stores a retry only once), and retried until
acknowledged (``decide_send``). Both are kept in ``localStorage`` in the
``to_wire`` shapes here, so a reload loses nothing.

Tabs of one browser share that storage, so the stored outbox is shared too:
each page writes back what other tabs keep there untouched and changes only
its own messages (``Outbox.to_store``), so no tab overwrites another's unsent
messages; and a page adopts what another tab left waiting (``Outbox.adopt``),
so the messages of a tab that was closed while offline still go out.

Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, ErrorCode, Message, SendMessage, conversation_key
from flack_client import wording
from flack_client.wording import NETWORK, OFFLINE, TIMEOUT, describe_error

LAST_IDS_MAX: Final = 50  # channels remembered (the least recently seen are forgotten)
OUTBOX_MAX: Final = 200  # messages waiting to be sent, at most
MAX_SEND_ATTEMPTS: Final = 5  # tries that reached the server without an answer, before "Not sent"
SEND_RETRY_DELAYS: Final[tuple[float, ...]] = (0.5, 1.0, 2.0, 4.0)
RETRY_AFTER_DEFAULT: Final = 1.0  # seconds to wait when rate-limited without a figure
RETRY_AFTER_MAX: Final = 60.0  # never wait longer than this, whatever the server says
RETRY_AFTER_MIN: Final = 0.1  # nor shorter: no busy loop against a confused server

# Failures that say nothing about the message itself: the same send, with the
# same client_id, may well work in a moment (counted against MAX_SEND_ATTEMPTS).
TRANSIENT_SEND_CODES: Final = frozenset(
    {TIMEOUT, BAD_REPLY, NETWORK, ErrorCode.INTERNAL, ErrorCode.NOT_IN_CHANNEL, ErrorCode.NOT_NAMED}
)


def new_client_id() -> str:
    """A fresh id for one message we send (the server dedupes retries by it)."""
    return str(uuid.uuid4())


class LastIds:
    """The last message id seen per channel (compared case-insensitively),
    bounded to ``LAST_IDS_MAX`` channels: the least recently updated go first.

    Stored as a JSON object ``{"channel as shown": id, …}``, oldest first.
    """

    def __init__(self, limit: int = LAST_IDS_MAX) -> None:
        self._limit = limit
        self._ids: dict[str, tuple[str, int]] = {}  # conversation_key -> (channel as shown, id)

    def get(self, channel: str) -> int | None:
        """The last id seen in ``channel``, if any."""
        found = self._ids.get(conversation_key(channel))
        return found[1] if found else None

    def set(self, channel: str, mid: int | None) -> None:
        """Remember exactly ``mid`` (``None`` forgets the channel). Used when
        a channel's ids started over, so the number may go down."""
        key = conversation_key(channel)
        self._ids.pop(key, None)
        if mid is not None:
            self._ids[key] = (channel, mid)
            while len(self._ids) > self._limit:
                del self._ids[next(iter(self._ids))]

    def note(self, channel: str, mid: int) -> None:
        """A message ``mid`` was seen in ``channel``: keep the larger id."""
        known = self.get(channel)
        self.set(channel, mid if known is None else max(known, mid))

    def to_wire(self) -> dict[str, int]:
        """The storage shape: ``{"channel": id}``, least recently updated first."""
        return dict(self._ids.values())

    @classmethod
    def from_wire(cls, obj: object, limit: int = LAST_IDS_MAX) -> LastIds:
        """Read the storage shape back; anything malformed is skipped."""
        ids = cls(limit)
        if isinstance(obj, dict):
            for channel, mid in obj.items():
                if isinstance(channel, str) and channel and protocol.is_count(mid):
                    ids.set(channel, mid)
        return ids


class SendStatus(Enum):
    """Where one message of the outbox stands."""

    QUEUED = "queued"  # waiting for its turn (or for the connection)
    SENDING = "sending"  # on its way; no answer yet
    FAILED = "failed"  # given up: shown as "Not sent" with Retry and Discard


@dataclass
class Outgoing:
    """A message the person sent that the server has not confirmed yet.

    It is shown at the end of its channel's log until the real message (the
    one carrying its ``client_id``) arrives and takes its place.
    """

    client_id: str
    channel: str
    text: str
    status: SendStatus = SendStatus.QUEUED
    attempts: int = 0  # tries that got no useful answer, in a row
    error: str | None = None  # why it failed, in words
    parent: int | None = None  # a reply in this message's thread (shown there, not in the log)

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"p{self.client_id}"

    @property
    def render_key(self) -> str:
        """Changes whenever the entry must be drawn again."""
        pending = "failed" if self.failed else "pending"
        return f"{self.key}:{pending}:{self.error or ''}"

    @property
    def failed(self) -> bool:
        """Whether it was given up on (until the person retries)."""
        return self.status is SendStatus.FAILED

    @property
    def state_text(self) -> str:
        """The visible label: "Sending…" or "Not sent"."""
        return wording.NOT_SENT if self.failed else wording.SENDING

    @property
    def failure_text(self) -> str:
        """The reason it was not sent, in words."""
        return self.error or wording.GENERIC_ERROR

    @property
    def alert_text(self) -> str:
        """The alert when it failed."""
        return wording.not_sent_alert(self.preview, self.failure_text)

    @property
    def preview(self) -> str:
        """The first few words, to tell several failed messages apart in the
        buttons' accessible names."""
        return wording.first_words(self.text)

    def request(self) -> SendMessage:
        """The ``send_message`` request for it (the same ``client_id`` every try)."""
        return SendMessage(self.channel, self.text, self.client_id, self.parent)

    def to_wire(self) -> dict[str, Any]:
        """The storage shape (``failed`` is the reason, or null; ``parent``
        only for a reply, so the shape of a plain message is as it was)."""
        wire: dict[str, Any] = {
            "client_id": self.client_id,
            "channel": self.channel,
            "text": self.text,
            "failed": self.error if self.failed else None,
        }
        if self.parent is not None:
            wire["parent"] = self.parent
        return wire

    @classmethod
    def from_wire(cls, obj: object) -> Outgoing | None:
        """Read the storage shape back; ``None`` if it is malformed. What was
        on its way when the page closed is queued again (same client_id: the
        server stores it once, whatever happened to the first try)."""
        if not isinstance(obj, dict):
            return None
        client_id, channel, text, failed = (obj.get(k) for k in ("client_id", "channel", "text", "failed"))
        if not (isinstance(client_id, str) and isinstance(channel, str) and isinstance(text, str)):
            return None
        if not (client_id and channel and text) or len(client_id) > protocol.CLIENT_ID_MAX:
            return None
        parent = obj.get("parent")
        parent = parent if protocol.is_count(parent) else None
        if isinstance(failed, str) and failed:
            return cls(client_id, channel, text, status=SendStatus.FAILED, error=failed, parent=parent)
        return cls(client_id, channel, text, parent=parent)


def outbox_from_wire(obj: object) -> list[Outgoing]:
    """The stored outbox (a JSON list), malformed or repeated items skipped."""
    items: list[Outgoing] = []
    seen: set[str] = set()
    for raw in obj if isinstance(obj, list) else []:
        item = Outgoing.from_wire(raw)
        if item is not None and item.client_id not in seen:
            seen.add(item.client_id)
            items.append(item)
    return items[:OUTBOX_MAX]


@dataclass(frozen=True)
class SendDecision:
    """What the send loop does after an answer to ``send_message``.

    ``wait``: seconds to pause before the next send (``0`` for none);
    ``stop``: stop sending until the next (re)join; ``scroll``: the message
    joined the log on screen, so show the newest.
    """

    wait: float = 0.0
    stop: bool = False
    scroll: bool = False


def decide_send(item: Outgoing, ack: Ack, *, dropped: bool = False) -> SendDecision:
    """Update ``item`` for the answer ``ack`` and say what to do next.

    * rate-limited: queued again, sent after ``retry_after`` seconds, never
      marked failed;
    * not connected, or the connection dropped while waiting: queued again,
      sent after the next rejoin (not counted: the server may never have seen it);
    * no useful answer (timeout, server error …): retried with the same
      ``client_id`` after a short pause, at most ``MAX_SEND_ATTEMPTS`` times;
    * refused for a reason about the message itself: failed, with the reason.

    Success is handled by ``sending.Sending.answered``, not here.
    """
    if ack.code == ErrorCode.RATE_LIMITED:
        item.status = SendStatus.QUEUED
        wait = RETRY_AFTER_DEFAULT if ack.retry_after is None else ack.retry_after
        return SendDecision(wait=min(max(wait, RETRY_AFTER_MIN), RETRY_AFTER_MAX))
    if dropped or ack.code == OFFLINE:
        item.status = SendStatus.QUEUED
        return SendDecision(stop=True)
    if ack.code in TRANSIENT_SEND_CODES:
        item.attempts += 1
        if item.attempts < MAX_SEND_ATTEMPTS:
            item.status = SendStatus.QUEUED
            delay = SEND_RETRY_DELAYS[min(item.attempts, len(SEND_RETRY_DELAYS)) - 1]
            return SendDecision(wait=delay)
    item.status, item.error = SendStatus.FAILED, describe_error(ack.code, ack.message)
    return SendDecision()


class Outbox:
    """Every message of this page not confirmed yet (all channels), oldest first."""

    def __init__(self, items: Iterable[Outgoing] = ()) -> None:
        self._items = list(items)
        # Every client_id this page has had in its outbox: the shared stored
        # outbox's other entries belong to another tab of this browser.
        self._known = {item.client_id for item in self._items}

    def load(self, stored: object) -> None:
        """Take what an earlier visit stored (those messages are this page's now)."""
        self._items = outbox_from_wire(stored)
        self._known = {item.client_id for item in self._items}

    @property
    def items(self) -> list[Outgoing]:
        """Every message, oldest first (a copy)."""
        return list(self._items)

    @property
    def full(self) -> bool:
        """Whether no more messages may wait."""
        return len(self._items) >= OUTBOX_MAX

    def get(self, client_id: str) -> Outgoing | None:
        """The message with ``client_id``, if it is still here."""
        return next((item for item in self._items if item.client_id == client_id), None)

    def pending_in(self, channel: str | None) -> list[Outgoing]:
        """The messages for ``channel``, in the order they go."""
        if channel is None:
            return []
        key = conversation_key(channel)
        return [item for item in self._items if conversation_key(item.channel) == key]

    def add(self, item: Outgoing) -> None:
        """Queue ``item`` at the end (the caller checked ``full``)."""
        self._items.append(item)
        self._known.add(item.client_id)

    def remove(self, client_id: str) -> Outgoing | None:
        """Forget the message with ``client_id``; it, if it was here."""
        item = self.get(client_id)
        if item is not None:
            self._items.remove(item)
        return item

    def requeue(self, item: Outgoing) -> None:
        """Queue a failed ``item`` again, at the end (after whatever waits)."""
        self._items.remove(item)
        item.status, item.attempts, item.error = SendStatus.QUEUED, 0, None
        self._items.append(item)

    def next_queued(self, channel: str) -> Outgoing | None:
        """The oldest queued message for ``channel``, now marked as on its way."""
        key = conversation_key(channel)
        for item in self._items:
            if item.status is SendStatus.QUEUED and conversation_key(item.channel) == key:
                item.status = SendStatus.SENDING
                return item
        return None

    def deliver(self, message: Message) -> bool:
        """Drop the entry our own ``message`` confirms; ``True`` if there was one."""
        if message.client_id is None:
            return False
        item = self.get(message.client_id)
        if item is None or conversation_key(item.channel) != conversation_key(message.channel):
            return False
        self._items.remove(item)
        return True

    def fail_channel(self, channel: str, reason: str) -> None:
        """Mark everything waiting for ``channel`` "Not sent" with ``reason``."""
        for item in self.pending_in(channel):
            if not item.failed:
                item.status, item.error = SendStatus.FAILED, reason

    def requeue_sending(self) -> None:
        """The connection dropped: what was on its way waits again."""
        for item in self._items:
            if item.status is SendStatus.SENDING:
                item.status = SendStatus.QUEUED

    # storage, shared by the tabs of one browser ---------------------------------------

    def to_wire(self) -> list[dict[str, Any]]:
        """This page's messages in their storage shape, oldest first."""
        return [item.to_wire() for item in self._items]

    def to_store(self, stored: object) -> list[dict[str, Any]]:
        """The outbox to write, given the one stored now (``stored``, parsed
        JSON): the messages of other tabs this page never had, then ours."""
        others = [item.to_wire() for item in outbox_from_wire(stored) if item.client_id not in self._known]
        return others + self.to_wire()

    def adopt(self, stored: object, channel: str) -> int:
        """Take on the messages for ``channel`` (just joined) that another tab
        left waiting in the stored outbox (``stored``, parsed JSON), to send
        them from here now: the server stores a ``client_id`` once, whichever
        tab gets there first. Only the joined channel's, so that none is held
        here unsent for long (the server remembers client_ids for a while,
        not forever). Messages marked "Not sent" stay with the tab that shows
        them. How many were taken on."""
        adopted = 0
        for item in outbox_from_wire(stored):
            if (
                item.client_id in self._known
                or item.failed
                or conversation_key(item.channel) != conversation_key(channel)
                or self.full
            ):
                continue
            self.add(item)
            adopted += 1
        return adopted
