"""Client UI state and every decision the browser client makes.

This module is plain Python on purpose: it must import under CPython (the unit
tests run it there) as well as under Pyodide, so it never touches ``js``,
``pyodide`` or the DOM. ``view`` renders what is here; ``main`` feeds it the
server's events and acknowledgements.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol, TypeGuard

from flack import protocol
from flack.protocol import ErrorCode, NoticeKind, ProtocolError, fold

# --- Connection --------------------------------------------------------------


class Connection(Enum):
    """Where the socket stands, as far as the person in front of it cares."""

    LOADING = "loading"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


CONNECTION_LABELS: dict[Connection, str] = {
    Connection.LOADING: "Loading…",
    Connection.CONNECTING: "Connecting…",
    Connection.CONNECTED: "Connected",
    Connection.RECONNECTING: "Reconnecting…",
    Connection.OFFLINE: "Offline",
}


def connection_state(
    *, online: bool, connected: bool, retrying: bool, ever_connected: bool, closing: bool = False
) -> Connection:
    """What the status area should say.

    The browser's own offline flag wins: the socket may not have noticed yet
    that the network is gone. Otherwise socket.io keeps retrying by itself
    unless the drop was final (we closed it, the server sent us away, or it
    gave up); only then is the client really offline. ``closing``: the server
    said it is shutting down (``server_closing``), so the connection is as
    good as gone and we are about to reconnect.
    """
    if not online:
        return Connection.OFFLINE
    if closing:
        return Connection.RECONNECTING
    if connected:
        return Connection.CONNECTED
    if not retrying:
        return Connection.OFFLINE
    return Connection.RECONNECTING if ever_connected else Connection.CONNECTING


# --- Acknowledgements --------------------------------------------------------

# Codes the client makes up for failures that never reached the server; they
# share the namespace of ``ErrorCode`` so one function can put both in words.
TIMEOUT = "timeout"
OFFLINE = "offline"
BAD_REPLY = "bad_reply"
NETWORK = "network"


@dataclass(frozen=True)
class Ack:
    """One acknowledgement: ``data`` on success, ``code``/``message`` on failure."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    message: str = ""
    retry_after: float | None = None  # seconds, from a ``rate_limited`` error

    @classmethod
    def failure(cls, code: str, message: str = "", retry_after: float | None = None) -> Ack:
        """A failed acknowledgement (also used for client-side failures)."""
        return cls(ok=False, code=code, message=message, retry_after=retry_after)

    @classmethod
    def from_wire(cls, reply: object) -> Ack:
        """Parse ``{"ok": true, "data": {...}}`` / ``{"ok": false, "error": {...}}``.

        Anything else becomes a ``bad_reply`` failure rather than an exception,
        so a confused server shows up as an error line, not a dead client.
        """
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            return cls.failure(BAD_REPLY)
        if reply["ok"]:
            data = reply.get("data")
            return cls(ok=True, data=data if isinstance(data, dict) else {})
        error = reply.get("error")
        if not isinstance(error, dict):
            return cls.failure(BAD_REPLY)
        code, message, wait = error.get("code"), error.get("message"), error.get("retry_after")
        return cls.failure(
            code if isinstance(code, str) else BAD_REPLY,
            message if isinstance(message, str) else "",
            float(wait)
            if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait >= 0
            else None,
        )


# Words for every code, used when the server sent no sentence of its own
# (or the failure never reached the server at all).
_ERROR_WORDS: dict[str, str] = {
    ErrorCode.BAD_PAYLOAD: "The server did not understand that request.",
    ErrorCode.UNKNOWN_EVENT: "The server does not know that request.",
    ErrorCode.NAME_INVALID: "That display name is not allowed.",
    ErrorCode.NAME_TAKEN: "Somebody else is using that display name. Please pick another one.",
    ErrorCode.NOT_NAMED: "Please choose a display name first.",
    ErrorCode.CHANNEL_INVALID: "That channel name is not allowed.",
    ErrorCode.CHANNEL_EXISTS: "A channel with that name already exists.",
    ErrorCode.NO_SUCH_CHANNEL: "That channel does not exist.",
    ErrorCode.NOT_IN_CHANNEL: "You are not in that channel. Open it again and retry.",
    ErrorCode.MESSAGE_INVALID: "The message is empty.",
    ErrorCode.MESSAGE_TOO_LONG: (f"Messages can be at most {protocol.MESSAGE_MAX:,} characters long."),
    ErrorCode.FILE_INVALID: "The server did not accept that file's name, size or type.",
    ErrorCode.FILE_TOO_LARGE: "That file is larger than the server accepts.",
    ErrorCode.TOO_MANY_UPLOADS: "Too many uploads at once. Wait for one to finish, or cancel one.",
    ErrorCode.UPLOAD_UNKNOWN: "The server no longer has this upload (it expired or was cancelled).",
    ErrorCode.OFFSET_MISMATCH: "The server and the browser disagree on how much was sent.",
    ErrorCode.CHUNK_TOO_LARGE: "The browser sent a larger piece than the server accepts.",
    ErrorCode.FILE_NOT_FOUND: "That file is not available any more.",
    ErrorCode.RATE_LIMITED: "Slow down a little: too much at once. Try again in a moment.",
    ErrorCode.TOO_MANY_CHANNELS: "This server has as many channels as it allows.",
    ErrorCode.TOO_MANY_CONNECTIONS: "Too many connections from your network. Close a tab and retry.",
    ErrorCode.INTERNAL: "The server ran into a problem. Please try again.",
    TIMEOUT: "The server did not answer in time. Please try again.",
    OFFLINE: "You are not connected to the server right now. Please try again once you are back.",
    BAD_REPLY: "The server sent a reply the client does not understand.",
    NETWORK: "The connection to the server failed.",
}

_GENERIC_ERROR = "Something went wrong. Please try again."


def describe_error(code: str, message: str = "") -> str:
    """Put a failure in words: the server's own sentence if it sent one."""
    if message.strip():
        return message.strip()
    return _ERROR_WORDS.get(code, _GENERIC_ERROR)


def missing_channel_text(channel: str) -> str:
    """The alert shown when the channel we meant to reopen has gone."""
    return f"The channel #{channel} no longer exists. Pick another channel from the list or create a new one."


def claim_refused_by_server(code: str) -> bool:
    """Whether a failed ``claim_name`` means "pick another name".

    Only a real refusal should pop up the name dialog; a timeout or a dropped
    connection just means we try again on the next (re)connect.
    """
    return code not in (TIMEOUT, OFFLINE, BAD_REPLY, ErrorCode.INTERNAL)


# --- Input checks (instant feedback before anything is sent) -----------------


@dataclass(frozen=True)
class Checked:
    """Outcome of checking typed input: a clean ``value`` or an ``error`` sentence.

    Both are ``None`` when there is nothing to do (e.g. an empty composer).
    """

    value: str | None = None
    error: str | None = None


def _check(cleaner: Any, raw: str) -> Checked:
    try:
        return Checked(value=cleaner(raw))
    except ProtocolError as exc:
        return Checked(error=exc.message)


def check_name(raw: str) -> Checked:
    """Check a display name with the shared protocol rules."""
    return _check(protocol.clean_name, raw)


def check_channel(raw: str) -> Checked:
    """Check a new channel's name with the shared protocol rules."""
    return _check(protocol.clean_channel, raw)


def check_message(raw: str) -> Checked:
    """Check composer text. An empty (or blank) composer is silently ignored:
    pressing Enter on nothing is not worth an error message."""
    if not raw.strip():
        return Checked()
    return _check(protocol.clean_message, raw)


def is_send_key(key: str, shift: bool, composing: bool) -> bool:
    """Enter sends; Shift+Enter makes a newline; Enter that confirms an IME
    composition (Japanese, Chinese …) must not send half-typed text."""
    return key == "Enter" and not shift and not composing


# --- Scrolling ---------------------------------------------------------------

FOLLOW_SLACK_PX = 48


def should_follow(
    scroll_top: float,
    scroll_height: float,
    client_height: float,
    slack: float = FOLLOW_SLACK_PX,
) -> bool:
    """Whether the log should jump to a newly arrived message.

    Only when the reader is at (or within ``slack`` pixels of) the bottom: if
    they scrolled up to read history, yanking them down would be rude.
    """
    return scroll_height - (scroll_top + client_height) <= slack


# --- Log entries ---------------------------------------------------------------


def _is_count(value: object) -> TypeGuard[int]:
    """A whole, non-negative number (``True`` is a broken server, not 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _strings(obj: dict[Any, Any], *keys: str) -> list[str] | None:
    """The values of ``keys`` in a wire object, if every one is a string."""
    values = [obj.get(key) for key in keys]
    strings = [v for v in values if isinstance(v, str)]
    return strings if len(strings) == len(values) else None


def is_local_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a path on this page's own origin (``/files/…``).

    Links and uploads only ever go to the server that served the page; a
    confused or hostile reply must not turn a file into a link elsewhere:
    ``//host`` is another origin to a browser, and so is ``/\\host`` or
    ``/<tab>/host`` (browsers read backslashes as slashes and drop tabs and
    newlines from URLs), so backslashes and control characters are refused.
    """
    return (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in value)
    )


def size_and_type(size: int, kind: str) -> str:
    """``1.5 MB · image/png`` (just the size when the type is unknown)."""
    text = protocol.format_size(size)
    return f"{text} · {kind}" if kind else text


@dataclass(frozen=True)
class FileInfo:
    """A shared file as the server describes it (the ``file`` of a message)."""

    id: str
    name: str
    size: int
    type: str
    url: str
    preview: bool
    expired: bool

    @property
    def details(self) -> str:
        """Size and type for people: ``1.5 MB · image/png``."""
        return size_and_type(self.size, self.type)

    @property
    def description(self) -> str:
        """Everything in one line: ``photo.png · 1.5 MB · image/png``."""
        return f"{self.name} · {self.details}"

    @property
    def badge(self) -> str:
        """The short tag on the file's icon: its extension (``PNG``), else ``FILE``."""
        stem, dot, ext = self.name.rpartition(".")
        if dot and stem and 1 <= len(ext) <= 4 and ext.isalnum():
            return ext.upper()
        return "FILE"

    @property
    def downloadable(self) -> bool:
        """Whether to offer a link (expired files answer 404)."""
        return not self.expired

    @property
    def show_preview(self) -> bool:
        """Whether to show the image inline: only what the server checked."""
        return self.preview and not self.expired

    @classmethod
    def from_wire(cls, obj: object) -> FileInfo | None:
        """Build from a wire ``file`` object; ``None`` if it is malformed."""
        if not isinstance(obj, dict):
            return None
        fid, name, size, kind, url = (obj.get(k) for k in ("id", "name", "size", "type", "url"))
        preview, expired = obj.get("preview"), obj.get("expired")
        if not (isinstance(fid, str) and fid and isinstance(name, str) and name and isinstance(kind, str)):
            return None
        if not _is_count(size) or not is_local_url(url):
            return None
        if not isinstance(preview, bool) or not isinstance(expired, bool):
            return None
        return cls(id=fid, name=name, size=size, type=kind, url=url, preview=preview, expired=expired)


@dataclass(frozen=True)
class Message:
    """A chat message as the server sent it; a shared file has ``file`` set
    (and empty ``text``)."""

    id: int
    channel: str
    sender: str
    text: str
    time: str
    file: FileInfo | None = None
    client_id: str | None = None  # the sender's own id for it, if it gave one

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"m{self.id}"

    @property
    def render_key(self) -> str:
        """Changes whenever the message must be drawn again (its file expired)."""
        return self.key + ("x" if self.file is not None and self.file.expired else "")

    def with_file_expired(self) -> Message:
        """The same message with its file gone."""
        if self.file is None or self.file.expired:
            return self
        return replace(self, file=replace(self.file, expired=True))

    @classmethod
    def from_wire(cls, obj: object) -> Message | None:
        """Build from a wire ``message`` object; ``None`` if it is malformed.

        A missing or ``null`` ``file`` is a text message; a ``file`` that is
        there but malformed makes the whole message malformed (showing an
        empty bubble instead would be worse).
        """
        if not isinstance(obj, dict):
            return None
        mid = obj.get("id")
        fields = _strings(obj, "channel", "sender", "text", "time")
        # bool is an int subclass; a True id is a broken server, not message 1.
        if not isinstance(mid, int) or isinstance(mid, bool):
            return None
        if fields is None:
            return None
        shared = None
        if obj.get("file") is not None:
            shared = FileInfo.from_wire(obj["file"])
            if shared is None:
                return None
        channel, sender, text, time = fields
        client_id = obj.get("client_id")
        return cls(
            id=mid,
            channel=channel,
            sender=sender,
            text=text,
            time=time,
            file=shared,
            client_id=client_id if isinstance(client_id, str) and client_id else None,
        )


@dataclass(frozen=True)
class Notice:
    """A join/leave/rename announcement; ``seq`` numbers them on this client."""

    seq: int
    channel: str
    kind: str
    name: str
    old_name: str | None
    time: str

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"n{self.seq}"

    @property
    def render_key(self) -> str:
        """Notices never change once shown."""
        return self.key

    @property
    def text(self) -> str:
        """The notice as one short sentence."""
        if self.kind == NoticeKind.JOIN:
            return f"{self.name} joined #{self.channel}"
        if self.kind == NoticeKind.LEAVE:
            return f"{self.name} left #{self.channel}"
        if self.kind == NoticeKind.RENAME and self.old_name:
            return f"{self.old_name} is now known as {self.name}"
        return f"{self.name} changed something in #{self.channel}"

    @classmethod
    def from_wire(cls, obj: object, seq: int) -> Notice | None:
        """Build from a wire ``notice`` object; ``None`` if it is malformed."""
        if not isinstance(obj, dict):
            return None
        fields = _strings(obj, "channel", "kind", "name", "time")
        if fields is None:
            return None
        channel, kind, name, time = fields
        old_name = obj.get("old_name")
        return cls(
            seq=seq,
            channel=channel,
            kind=kind,
            name=name,
            old_name=old_name if isinstance(old_name, str) else None,
            time=time,
        )


@dataclass(frozen=True)
class GapMarker:
    """Where messages are missing from the log: some that came after the
    last one we saw are no longer kept by the server."""

    seq: int

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"g{self.seq}"

    @property
    def render_key(self) -> str:
        """A marker never changes once shown."""
        return self.key

    @property
    def text(self) -> str:
        """What the marker says."""
        return GAP_TEXT


GAP_TEXT = "Earlier messages unavailable"


# --- Delivery: last ids seen, and the outbox ---------------------------------------
# Every message has a per-channel, strictly increasing id. The client remembers
# the last one it saw in each channel, so that after a reconnect it asks only
# for what it missed (``join_channel`` with ``since``). What the person sends
# goes through an outbox: shown at once as pending, sent with a ``client_id``
# (the server stores a retry only once), and retried until acknowledged.

LAST_IDS_MAX = 50  # channels remembered (the least recently seen are forgotten)
OUTBOX_MAX = 200  # messages waiting to be sent, at most
MAX_SEND_ATTEMPTS = 5  # tries that reached the server without an answer, before "Not sent"
SEND_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
RETRY_AFTER_DEFAULT = 1.0  # seconds to wait when rate-limited without a figure
RETRY_AFTER_MAX = 60.0  # never wait longer than this, whatever the server says
RETRY_AFTER_MIN = 0.1  # nor shorter: no busy loop against a confused server

# Failures that say nothing about the message itself: the same send, with the
# same client_id, may well work in a moment (counted against MAX_SEND_ATTEMPTS).
TRANSIENT_SEND_CODES = frozenset(
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
        self._ids: dict[str, tuple[str, int]] = {}  # fold -> (channel as shown, id)

    def get(self, channel: str) -> int | None:
        """The last id seen in ``channel``, if any."""
        found = self._ids.get(fold(channel))
        return found[1] if found else None

    def set(self, channel: str, mid: int | None) -> None:
        """Remember exactly ``mid`` (``None`` forgets the channel). Used when
        a channel's ids started over, so the number may go down."""
        key = fold(channel)
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
                if isinstance(channel, str) and channel and _is_count(mid):
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
        return "Not sent" if self.failed else "Sending…"

    @property
    def failure_text(self) -> str:
        """The reason it was not sent, in words."""
        return self.error or _GENERIC_ERROR

    @property
    def alert_text(self) -> str:
        """The alert when it failed."""
        return f"Your message “{self.preview}” was not sent: {self.failure_text}"

    @property
    def preview(self) -> str:
        """The first few words, to tell several failed messages apart in the
        buttons' accessible names."""
        return first_words(self.text)

    def to_wire(self) -> dict[str, Any]:
        """The storage shape (``failed`` is the reason, or null)."""
        return {
            "client_id": self.client_id,
            "channel": self.channel,
            "text": self.text,
            "failed": self.error if self.failed else None,
        }

    @classmethod
    def from_wire(cls, obj: object) -> Outgoing | None:
        """Read the storage shape back; ``None`` if it is malformed. What was
        on its way when the page closed is queued again (same client_id: the
        server stores it once, whatever happened to the first try)."""
        if not isinstance(obj, dict):
            return None
        client_id, channel, text, failed = (obj.get(k) for k in ("client_id", "channel", "text", "failed"))
        if not all(isinstance(v, str) and v for v in (client_id, channel, text)):
            return None
        assert isinstance(client_id, str) and isinstance(channel, str) and isinstance(text, str)
        if len(client_id) > protocol.CLIENT_ID_MAX:
            return None
        if isinstance(failed, str) and failed:
            return cls(client_id, channel, text, status=SendStatus.FAILED, error=failed)
        return cls(client_id, channel, text)


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


def first_words(text: str, words: int = 5, limit: int = 40) -> str:
    """``text`` shortened to its first few words (one line, ``…`` if cut)."""
    parts = text.split()
    short = " ".join(parts[:words])
    if len(short) > limit:
        short = short[:limit].rstrip()
    return short + ("…" if short != " ".join(parts) else "")


@dataclass(frozen=True)
class SendDecision:
    """What the send loop does after an answer to ``send_message``.

    ``wait``: seconds to pause before the next send (``0`` for none);
    ``stop``: stop sending until the next (re)join.
    """

    wait: float = 0.0
    stop: bool = False


def decide_send(item: Outgoing, ack: Ack, *, dropped: bool = False) -> SendDecision:
    """Update ``item`` for the answer ``ack`` and say what to do next.

    * rate-limited: queued again, sent after ``retry_after`` seconds, never
      marked failed;
    * not connected, or the connection dropped while waiting: queued again,
      sent after the next rejoin (not counted: the server may never have seen it);
    * no useful answer (timeout, server error …): retried with the same
      ``client_id`` after a short pause, at most ``MAX_SEND_ATTEMPTS`` times;
    * refused for a reason about the message itself: failed, with the reason.

    Success is handled by ``ChatState.send_answered``, not here.
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


def outbox_full_text() -> str:
    """The alert when too many messages are already waiting."""
    return f"{OUTBOX_MAX} messages are already waiting to be sent. Wait until they are, then try again."


def too_many_connections_text(payload: object) -> str | None:
    """The alert for a ``connect_error`` that refused us for having too many
    connections open (its ``data.code``); ``None`` for any other failure."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or data.get("code") != ErrorCode.TOO_MANY_CONNECTIONS:
        return None
    message = payload.get("message")
    return describe_error(ErrorCode.TOO_MANY_CONNECTIONS, message if isinstance(message, str) else "")


def messages_from_wire(payload: object) -> list[Message]:
    """The messages of a ``message`` event (one) or a ``messages`` event (a
    busy channel's batch, oldest first); anything malformed is left out."""
    if not isinstance(payload, dict):
        return []
    if "messages" in payload:
        items = payload["messages"]
        if not isinstance(items, list):
            return []
    else:
        items = [payload.get("message")]
    return [m for m in (Message.from_wire(item) for item in items) if m is not None]


def catch_up_gap(remembered: int | None, history: list[Message]) -> bool:
    """Whether a fresh history (no ``since`` sent: the page was reloaded)
    leaves out messages after the last one this browser saw: the oldest kept
    one is further on than the next we expected, or the channel's ids
    started over."""
    if remembered is None or not history:
        return False
    ids = [m.id for m in history]
    return min(ids) > remembered + 1 or max(ids) < remembered


Entry = Message | Notice | GapMarker | Outgoing


def sort_channels(names: Iterable[str]) -> list[str]:
    """Channel names sorted case-insensitively (ties broken by spelling, so the
    order never depends on the order of arrival)."""
    return sorted(names, key=lambda n: (fold(n), n))


def channel_from_wire(obj: object) -> str | None:
    """The name out of a wire ``channel`` object, or ``None``."""
    if isinstance(obj, dict) and isinstance(obj.get("name"), str) and obj["name"]:
        return obj["name"]
    return None


# --- Uploads -------------------------------------------------------------------
# A file is announced over the socket (``start_upload``), then its bytes go
# over HTTP in chunks. ``Upload`` decides what happens after every HTTP reply;
# ``uploads`` (the browser glue) only does what it is told.

# Seconds to wait before each retry after a network error or a 5xx; after the
# last one the upload has failed. Progress resets the count.
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 4.0)


class UploadStatus(Enum):
    """Where one upload stands."""

    UPLOADING = "uploading"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DONE = "done"


class Step(Enum):
    """What the upload loop does next."""

    SEND = "send"  # PUT the chunk ``Upload.next_chunk()``
    CHECK = "check"  # ask the server (GET) how much arrived, then go on from there
    WAIT = "wait"  # sleep ``Upload.retry_delay`` seconds, then CHECK
    DONE = "done"  # the server has the file; ``Upload.message`` is its message
    STOP = "stop"  # failed or cancelled: send nothing more


@dataclass(frozen=True)
class UploadInfo:
    """The server's answer to ``start_upload`` (the wire ``upload`` object)."""

    id: str
    url: str
    size: int
    chunk_size: int
    received: int

    @classmethod
    def from_wire(cls, obj: object, size: int | None = None) -> UploadInfo | None:
        """Build from a wire ``upload`` object; ``None`` if it is malformed,
        or if it is not for ``size`` bytes (the file we announced): sending
        a different number of bytes than the server expects can only fail,
        or worse, share half a file."""
        if not isinstance(obj, dict):
            return None
        if size is not None and obj.get("size") != size:
            return None
        uid, url, size, chunk, received = (
            obj.get(k) for k in ("id", "url", "size", "chunk_size", "received")
        )
        if not (isinstance(uid, str) and uid and is_local_url(url)):
            return None
        if not (_is_count(size) and _is_count(chunk) and _is_count(received)):
            return None
        if chunk == 0 or received > size:
            return None
        return cls(id=uid, url=url, size=size, chunk_size=chunk, received=received)


def _reply_count(body: object, *path: str) -> int | None:
    """The whole number at ``body[path[0]][path[1]]…``, or ``None``."""
    value: object = body
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value if _is_count(value) else None


@dataclass
class Upload:
    """One file on its way to the server, as its progress row shows it.

    ``received`` is what the server confirmed; the next chunk starts there.
    ``error`` is the reason of the last trouble (shown once it has failed).
    """

    seq: int
    channel: str
    name: str
    size: int
    type: str
    id: str
    url: str
    chunk_size: int
    received: int = 0
    status: UploadStatus = UploadStatus.UPLOADING
    error: str | None = None
    gone: bool = False  # the server forgot it: a retry has to start over
    refused: bool = False  # the server said no for good (413, 400 …): retrying cannot help
    failures: int = 0  # network errors / 5xx in a row
    message: dict[str, Any] | None = None  # the file message, once complete

    @classmethod
    def begin(cls, seq: int, channel: str, name: str, kind: str, info: UploadInfo) -> Upload:
        """A new upload that the server accepted with ``info``."""
        return cls(
            seq=seq,
            channel=channel,
            name=protocol.clean_file_name(name),
            size=info.size,
            type=kind,
            id=info.id,
            url=info.url,
            chunk_size=info.chunk_size,
            received=info.received,
        )

    # what to show ---------------------------------------------------------------

    @property
    def key(self) -> str:
        """Stable identity of the progress row."""
        return f"u{self.seq}"

    @property
    def percent(self) -> int:
        """Progress as a whole percentage, 0–100; 100 only once all is there."""
        if self.size == 0:
            return 100 if self.status is UploadStatus.DONE else 0
        return min(100, self.received * 100 // self.size)

    @property
    def label(self) -> str:
        """The progress bar's accessible name."""
        return f"Uploading {self.name}"

    @property
    def progress_text(self) -> str:
        """``2 MB of 50 MB``."""
        return f"{protocol.format_size(self.received)} of {protocol.format_size(self.size)}"

    @property
    def description(self) -> str:
        """``photo.png · 1.5 MB · image/png``."""
        return f"{self.name} · {size_and_type(self.size, self.type)}"

    @property
    def failure_text(self) -> str:
        """The alert once it failed: ``Upload of photo.png failed: …``."""
        return f"Upload of {self.name} failed: {self.error or _GENERIC_ERROR}"

    @property
    def status_text(self) -> str:
        """The line next to the progress bar: how far, or what went wrong."""
        if self.status is UploadStatus.FAILED:
            return f"Failed: {self.error or _GENERIC_ERROR}"
        if self.status is UploadStatus.UPLOADING and self.error:
            # Between retries after a network error or a 5xx.
            return f"{self.progress_text} · connection trouble, trying again…"
        return self.progress_text

    @property
    def active(self) -> bool:
        """Whether bytes are (or will be) on their way."""
        return self.status is UploadStatus.UPLOADING

    @property
    def failed(self) -> bool:
        """Whether it stopped on an error (the row offers Retry/Dismiss)."""
        return self.status is UploadStatus.FAILED

    @property
    def can_retry(self) -> bool:
        """Whether "Retry" can help: the server still has the upload and
        did not refuse it for good."""
        return self.status is UploadStatus.FAILED and not self.gone and not self.refused

    # the loop's decisions -------------------------------------------------------

    def next_chunk(self) -> tuple[int, int]:
        """The byte range ``[start, end)`` to send next."""
        return self.received, min(self.received + self.chunk_size, self.size)

    @property
    def retry_delay(self) -> float:
        """Seconds to wait before the retry that is due now."""
        return RETRY_DELAYS[min(max(self.failures, 1), len(RETRY_DELAYS)) - 1]

    def on_put_reply(self, status: int | None, body: object) -> Step:
        """Decide after a ``PUT`` chunk: ``status`` is the HTTP status, or
        ``None`` if the request never got an answer (network error);
        ``body`` is the parsed JSON body (anything, if it was not JSON)."""
        if not self.active:
            return Step.STOP
        if status is None or status >= 500:
            return self._trouble(status, body)
        ack = Ack.from_wire(body)
        if status == 200 and ack.ok:
            received, complete = _reply_count(ack.data, "received"), ack.data.get("complete")
            if received is None or received > self.size or not isinstance(complete, bool):
                return self._fail(describe_error(BAD_REPLY))
            if complete:
                self.received, self.status = self.size, UploadStatus.DONE
                message = ack.data.get("message")
                self.message = message if isinstance(message, dict) else None
                return Step.DONE
            return self._resume_at(received)
        if status == 409 and ack.code == ErrorCode.OFFSET_MISMATCH:
            received = _reply_count(body, "error", "received")
            if received is None or received > self.size:
                return self._fail(describe_error(BAD_REPLY))
            return self._resume_at(received)
        return self._refused(status, ack)

    def on_check_reply(self, status: int | None, body: object) -> Step:
        """Decide after ``GET`` asked how much arrived (before resuming)."""
        if not self.active:
            return Step.STOP
        if status is None or status >= 500:
            return self._trouble(status, body)
        ack = Ack.from_wire(body)
        if status == 200 and ack.ok:
            received = _reply_count(ack.data, "received")
            if received is None or received > self.size:
                return self._fail(describe_error(BAD_REPLY))
            self.received = received
            return Step.SEND
        return self._refused(status, ack)

    def _resume_at(self, received: int) -> Step:
        if received > self.received:
            self.failures, self.error = 0, None
        elif received == self.received:
            # The server took nothing and says so: retrying blindly could
            # go on forever, so this counts as trouble.
            return self._trouble(409, None)
        self.received = received
        return Step.SEND

    def _trouble(self, status: int | None, body: object) -> Step:
        """A failure that may pass (network, 5xx): wait and retry, a few times."""
        if status is None:
            reason = describe_error(NETWORK)
        elif status == 409:
            reason = describe_error(ErrorCode.OFFSET_MISMATCH)
        else:
            # A proxy's 502 page is no ack: that is still the server failing.
            ack = Ack.from_wire(body)
            failed = not ack.ok and ack.code != BAD_REPLY
            reason = describe_error(ack.code if failed else ErrorCode.INTERNAL, ack.message)
        self.failures += 1
        self.error = reason
        if self.failures > len(RETRY_DELAYS):
            return self._fail(reason)
        return Step.WAIT

    def _refused(self, status: int, ack: Ack) -> Step:
        """A final answer: 404 means the upload is gone, the rest are refusals."""
        if status == 404:
            self.gone = True
            code = ack.code if not ack.ok and ack.code != BAD_REPLY else ErrorCode.UPLOAD_UNKNOWN
            return self._fail(describe_error(code, ack.message))
        if ack.ok or ack.code == BAD_REPLY:
            return self._fail(describe_error(BAD_REPLY))
        # 408 and 429 pass with time; any other 4xx would only be refused again.
        self.refused = 400 <= status < 500 and status not in (408, 429)
        return self._fail(describe_error(ack.code, ack.message))

    def _fail(self, reason: str) -> Step:
        self.status, self.error = UploadStatus.FAILED, reason
        return Step.STOP

    # what the person does -------------------------------------------------------

    def cancel(self) -> bool:
        """Stop for good; ``True`` if there was anything to stop (the glue
        then aborts the request in flight and deletes what arrived)."""
        if self.status in (UploadStatus.UPLOADING, UploadStatus.FAILED):
            self.status = UploadStatus.CANCELLED
            return True
        return False

    def retry(self) -> Step | None:
        """ "Retry" on a failed upload: ask the server where it stands and go
        on from there. ``None`` if that cannot help: the server forgot it
        (share it again) or refused it for good."""
        if not self.can_retry:
            return None
        self.status, self.failures, self.error = UploadStatus.UPLOADING, 0, None
        return Step.CHECK


HttpReply = tuple[int | None, object]  # (status or None on a network error, parsed JSON body)


class UploadRequests(Protocol):
    """The HTTP side of one upload, as the browser glue provides it."""

    async def put(self, start: int, end: int) -> HttpReply:
        """``PUT`` bytes ``[start, end)`` with ``Upload-Offset: start``."""
        ...

    async def check(self) -> HttpReply:
        """``GET`` how much the server has."""
        ...


async def drive_upload(
    upload: Upload,
    step: Step,
    requests: UploadRequests,
    changed: Callable[[], None],
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> Step:
    """Do what ``upload`` decides, request after request, until it is done
    (``Step.DONE``) or stops (``Step.STOP``: failed or cancelled).

    ``changed()`` is called whenever the progress row should be redrawn.
    Cancelling is ``upload.cancel()`` plus aborting the request in flight;
    this loop then notices and returns ``Step.STOP``.
    """
    while True:
        if step is Step.SEND:
            start, end = upload.next_chunk()
            step = upload.on_put_reply(*await requests.put(start, end))
        elif step is Step.CHECK:
            step = upload.on_check_reply(*await requests.check())
        elif step is Step.WAIT:
            changed()  # "trying again…"
            await sleep(upload.retry_delay)
            step = Step.CHECK if upload.active else Step.STOP
            continue
        else:
            return step
        changed()


def share_refused_text(name: str, code: str, message: str = "") -> str:
    """The alert when ``start_upload`` is refused, e.g. a file over the limit
    (the server's sentence says the limit)."""
    return f"Could not share {protocol.clean_file_name(name)}: {describe_error(code, message)}"


# --- The state ---------------------------------------------------------------


@dataclass
class ChatState:
    """Everything the page shows, in one place.

    Mutating methods return whether something visible changed, so the caller
    can skip needless re-rendering.
    """

    name: str | None = None
    token: str | None = None
    connection: Connection = Connection.LOADING
    error: str | None = None
    dialog_open: bool = False
    name_error: str | None = None
    name_draft: str = ""
    open_channel: str | None = None
    joining: str | None = None
    _channels: dict[str, str] = field(default_factory=dict)  # fold -> as shown
    _log: list[Entry] = field(default_factory=list)
    _seen: set[tuple[str, int]] = field(default_factory=set)
    _early: list[Message] = field(default_factory=list)
    _expired: set[tuple[str, int]] = field(default_factory=set)
    _notice_seq: int = 0
    _uploads: list[Upload] = field(default_factory=list)
    _upload_seq: int = 0
    last_ids: LastIds = field(default_factory=LastIds)
    _outbox: list[Outgoing] = field(default_factory=list)
    # Every client_id this page has had in its outbox: the shared stored
    # outbox's other entries belong to another tab of this browser.
    _known: set[str] = field(default_factory=set)
    _live: str | None = None  # the channel this very connection has joined
    _gap_seq: int = 0

    def load_saved(self, last_ids: object, outbox: object) -> None:
        """Take what an earlier visit stored (the ``to_wire`` shapes)."""
        self.last_ids = LastIds.from_wire(last_ids)
        self._outbox = outbox_from_wire(outbox)
        self._known = {item.client_id for item in self._outbox}

    def outbox_wire(self) -> list[dict[str, Any]]:
        """The outbox in its storage shape, oldest first."""
        return [item.to_wire() for item in self._outbox]

    # Tabs of one browser share localStorage, so the stored outbox is shared
    # too: each page writes back what other tabs keep there untouched and
    # changes only its own messages, so no tab overwrites another's unsent
    # messages; and a page adopts what another tab left waiting, so the
    # messages of a tab that was closed while offline still go out.

    def outbox_to_store(self, stored: object) -> list[dict[str, Any]]:
        """The outbox to write, given the one stored now (``stored``, parsed
        JSON): the messages of other tabs this page never had, then ours."""
        others = [item.to_wire() for item in outbox_from_wire(stored) if item.client_id not in self._known]
        return others + self.outbox_wire()

    def adopt_outbox(self, stored: object, channel: str) -> int:
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
                or fold(item.channel) != fold(channel)
                or len(self._outbox) >= OUTBOX_MAX
            ):
                continue
            self._known.add(item.client_id)
            self._outbox.append(item)
            adopted += 1
        return adopted

    # identity -----------------------------------------------------------------

    def set_identity(self, name: str, token: str) -> bool:
        """Remember who we are; ``True`` if the shown name changed."""
        changed = name != self.name
        self.name, self.token = name, token
        return changed

    def is_own(self, message: Message) -> bool:
        """Whether we sent ``message`` (names compare case-insensitively)."""
        return self.name is not None and fold(message.sender) == fold(self.name)

    def open_name_dialog(self, draft: str = "", error: str | None = None) -> None:
        """Ask for a name, prefilled with ``draft``, optionally explaining why
        the last one failed."""
        self.dialog_open = True
        self.name_draft = draft
        self.name_error = error
        if error:
            # One alert at a time: the dialog's own one says what is wrong.
            self.error = None

    def close_name_dialog(self) -> None:
        """Forget the dialog and its error."""
        self.dialog_open = False
        self.name_error = None

    @property
    def can_cancel_dialog(self) -> bool:
        """Without a name the dialog cannot be dismissed: nothing works unnamed."""
        return self.name is not None

    # channels -----------------------------------------------------------------

    def set_channels(self, names: Iterable[str]) -> None:
        """Replace the channel list (from ``list_channels``)."""
        self._channels = {}
        self.add_channels(names)

    def add_channels(self, names: Iterable[str]) -> bool:
        """Add channels (``channel_created``); ``True`` if any was new."""
        changed = False
        for name in names:
            if fold(name) not in self._channels:
                self._channels[fold(name)] = name
                changed = True
        return changed

    @property
    def channels(self) -> list[str]:
        """Known channels, sorted case-insensitively."""
        return sort_channels(self._channels.values())

    def is_open(self, channel: str) -> bool:
        """Whether ``channel`` is the one on screen."""
        return self.open_channel is not None and fold(channel) == fold(self.open_channel)

    # joining ------------------------------------------------------------------

    def begin_join(self, channel: str) -> None:
        """A ``join_channel`` is on its way; remember which, so stale answers
        (the user clicked elsewhere meanwhile) can be ignored."""
        self.joining = channel
        self._early = []
        self._expired = set()

    def resume_point(self, channel: str) -> int | None:
        """The ``since`` to send when (re)joining ``channel``: the last id we
        saw, if its log is on screen (a rejoin after a reconnect: only what
        we missed is needed). ``0`` when we were there and saw no message.
        ``None`` (the whole history) when opening a channel afresh."""
        if not self.is_open(channel):
            return None
        known = self.last_ids.get(channel)
        return 0 if known is None else known

    def finish_join(
        self, channel: str, history: Iterable[Message], *, since: int | None = None, gap: bool = False
    ) -> bool:
        """Open ``channel`` with its history. ``False`` if this join is stale.

        Messages that arrived for it before the history did are merged in, so
        nothing is lost and nothing doubles. With ``since`` (a rejoin of the
        channel on screen) the log is kept and ``history`` is what we missed;
        ``gap`` (from the server) puts an "Earlier messages unavailable"
        marker before it, and if the channel's ids started over (nothing newer
        than what we had) the log is replaced. Without ``since`` the log is
        ``history``, marked the same way if messages after the last one this
        browser saw in an earlier visit are gone.
        """
        if self.joining is None or fold(self.joining) != fold(channel):
            return False
        history = sorted((m for m in history if fold(m.channel) == fold(channel)), key=lambda m: m.id)
        resuming = since is not None and self.is_open(channel)
        restarted = resuming and gap and (not history or history[0].id <= (since or 0))
        if not resuming:
            gap = catch_up_gap(self.last_ids.get(channel), history)
        self.joining = None
        self.open_channel = channel
        self._live = channel
        self._channels.setdefault(fold(channel), channel)
        if not resuming or restarted:
            self._log, self._seen = [], set()
            newest = max((m.id for m in [*history, *self._early]), default=None)
            self.last_ids.set(channel, newest)
        if gap:
            self._gap_seq += 1
            self._log.append(GapMarker(self._gap_seq))
        for message in sorted([*history, *self._early], key=lambda m: m.id):
            if fold(message.channel) == fold(channel):
                self._insert(message)
        self._early = []
        return True

    def join_failed(self, channel: str) -> None:
        """Forget a pending join. If it was for the open channel (a re-join
        after reconnecting), that channel is gone: close it."""
        if self.joining is not None and fold(self.joining) == fold(channel):
            self.joining = None
        if self.is_open(channel):
            self.close_channel()

    def close_channel(self) -> None:
        """Show no channel (the friendly empty state)."""
        self.open_channel = None
        self._live = None
        self._log, self._seen, self._early = [], set(), []
        self._expired = set()

    # the log ------------------------------------------------------------------

    @property
    def log(self) -> list[Entry]:
        """What the open channel's log shows, oldest first, then what we
        sent there that the server has not confirmed yet."""
        return [*self._log, *self.pending_in(self.open_channel)]

    def pending_in(self, channel: str | None) -> list[Outgoing]:
        """The outbox's messages for ``channel``, in the order they go."""
        if channel is None:
            return []
        return [item for item in self._outbox if fold(item.channel) == fold(channel)]

    def add_message(self, message: Message) -> bool:
        """Take a message (event or own ack); ``True`` if it joined the log.

        Messages for other channels are dropped, and each (channel, id) is
        shown once: our own message comes back both as ack and as event.
        """
        if self.joining is not None and fold(message.channel) == fold(self.joining):
            self._early.append(message)
            return False
        if not self.is_open(message.channel):
            return False
        return self._insert(message)

    def _insert(self, message: Message) -> bool:
        key = (fold(message.channel), message.id)
        # Ours, sent through the outbox: the real message replaces the pending one.
        delivered = self._deliver(message)
        if key in self._seen:
            return delivered
        self._seen.add(key)
        self.last_ids.note(message.channel, message.id)
        if key in self._expired:
            message = message.with_file_expired()
        # Ids only grow, so this is nearly always an append; for the rare
        # out-of-order arrival, step back over newer messages only (a notice
        # marks a moment in time and stays where it was put).
        index = len(self._log)
        while index > 0:
            previous = self._log[index - 1]
            if not (isinstance(previous, Message) and previous.id > message.id):
                break
            index -= 1
        self._log.insert(index, message)
        return True

    def expire_file(self, payload: object) -> bool:
        """Take a ``file_expired`` event ``{"channel", "id"}``: that message's
        file is gone. ``True`` if the log changed.

        Remembered for the channel being opened too, in case its history was
        read before the file was deleted.
        """
        if not isinstance(payload, dict):
            return False
        channel, mid = payload.get("channel"), payload.get("id")
        if not isinstance(channel, str) or not isinstance(mid, int) or isinstance(mid, bool):
            return False
        self._expired.add((fold(channel), mid))
        self._early = [
            m.with_file_expired() if m.id == mid and fold(m.channel) == fold(channel) else m
            for m in self._early
        ]
        if not self.is_open(channel):
            return False
        for index, entry in enumerate(self._log):
            if isinstance(entry, Message) and entry.id == mid:
                expired = entry.with_file_expired()
                self._log[index] = expired
                return expired is not entry
        return False

    def add_notice(self, payload: object) -> Notice | None:
        """Take a ``notice`` event for the open channel; the notice if shown."""
        self._notice_seq += 1
        notice = Notice.from_wire(payload, self._notice_seq)
        if notice is None or not self.is_open(notice.channel):
            return None
        self._log.append(notice)
        return notice

    # sending (the outbox) ------------------------------------------------------------

    @property
    def outbox(self) -> list[Outgoing]:
        """Every message not confirmed yet (all channels), oldest first."""
        return list(self._outbox)

    def outgoing(self, client_id: str) -> Outgoing | None:
        """The outbox's message with ``client_id``, if it is still there."""
        return next((item for item in self._outbox if item.client_id == client_id), None)

    def queue_message(self, text: str, client_id: str | None = None) -> Outgoing | None:
        """The person sent ``text`` (already checked) in the open channel: it
        joins the outbox and shows as pending. ``None`` (and an alert) if no
        channel is open or too many messages are waiting already."""
        if self.open_channel is None:
            return None
        if len(self._outbox) >= OUTBOX_MAX:
            self.error = outbox_full_text()
            return None
        item = Outgoing(client_id or new_client_id(), self.open_channel, text)
        self._outbox.append(item)
        self._known.add(item.client_id)
        return item

    @property
    def live(self) -> bool:
        """Whether this connection has joined the channel on screen (only
        then can its messages be sent)."""
        return (
            self._live is not None
            and self.is_open(self._live)
            and self.joining is None
            and self.name is not None
        )

    def next_to_send(self) -> Outgoing | None:
        """The next message to send, oldest first, if we can send now: only
        messages for the channel this connection is in can go."""
        if not self.live:
            return None
        for item in self._outbox:
            if item.status is SendStatus.QUEUED and self.is_open(item.channel):
                item.status = SendStatus.SENDING
                return item
        return None

    def send_answered(self, client_id: str, ack: Ack, *, dropped: bool = False) -> SendDecision:
        """The answer to sending the outbox's ``client_id`` (``dropped``: the
        connection it went over is gone). Success: the message takes the
        pending one's place (it may have arrived as an event already). See
        ``decide_send`` for the rest."""
        item = self.outgoing(client_id)
        if ack.ok:
            message = Message.from_wire(ack.data.get("message"))
            if message is not None:
                self.add_message(message)
            # Gone from the outbox even if the message is not shown here
            # (another channel was opened meanwhile).
            self._outbox = [i for i in self._outbox if i.client_id != client_id]
            # A successful send clears the alert (a rate limit, a refusal …).
            self.error = None
            return SendDecision()
        if item is None:  # discarded meanwhile
            return SendDecision()
        decision = decide_send(item, ack, dropped=dropped)
        if ack.code == ErrorCode.RATE_LIMITED:
            # Say why it waits; it is sent by itself once the server allows.
            self.error = describe_error(ack.code, ack.message)
        elif item.failed:
            # Announced (the log only shows it); Retry or Discard clears it.
            self.error = item.alert_text
        return decision

    def retry_send(self, client_id: str) -> bool:
        """ "Retry" on a message that was not sent: queued again, at the end
        (it goes after whatever is waiting already)."""
        item = self.outgoing(client_id)
        if item is None or not item.failed:
            return False
        self._clear_alert_of(item)
        self._outbox.remove(item)
        item.status, item.attempts, item.error = SendStatus.QUEUED, 0, None
        self._outbox.append(item)
        return True

    def _clear_alert_of(self, item: Outgoing) -> None:
        if item.failed and self.error == item.alert_text:
            self.error = None

    def discard_send(self, client_id: str) -> bool:
        """ "Discard" on a message that was not sent: forget it."""
        item = self.outgoing(client_id)
        if item is None or not item.failed:
            return False
        self._clear_alert_of(item)
        self._outbox.remove(item)
        return True

    def channel_gone(self, channel: str) -> None:
        """The server has no ``channel`` (any more): what waits to be sent
        there never can be. Marked "Not sent", should it be shown again."""
        for item in self.pending_in(channel):
            if not item.failed:
                item.status, item.error = SendStatus.FAILED, describe_error(ErrorCode.NO_SUCH_CHANNEL)

    def connection_lost(self) -> None:
        """The connection dropped: nothing can be sent until we rejoin."""
        self._live = None
        for item in self._outbox:
            if item.status is SendStatus.SENDING:
                item.status = SendStatus.QUEUED

    def _deliver(self, message: Message) -> bool:
        """Drop the outbox entry ``message`` confirms; ``True`` if there was one."""
        if message.client_id is None or not self.is_own(message):
            return False
        item = self.outgoing(message.client_id)
        if item is None or fold(item.channel) != fold(message.channel):
            return False
        self._outbox.remove(item)
        return True

    # uploads --------------------------------------------------------------------

    def add_upload(self, channel: str, name: str, kind: str, info: UploadInfo) -> Upload:
        """Start showing an upload the server accepted."""
        self._upload_seq += 1
        upload = Upload.begin(self._upload_seq, channel, name, kind, info)
        self._uploads.append(upload)
        return upload

    def upload(self, key: str) -> Upload | None:
        """The upload with ``key``, if it is still shown."""
        return next((u for u in self._uploads if u.key == key), None)

    def remove_upload(self, key: str) -> bool:
        """Stop showing an upload (done, cancelled or dismissed)."""
        before = len(self._uploads)
        self._uploads = [u for u in self._uploads if u.key != key]
        return len(self._uploads) != before

    @property
    def uploads(self) -> list[Upload]:
        """Uploads in progress or failed, oldest first (whatever their channel)."""
        return list(self._uploads)

    def _clear_error_of(self, upload: Upload) -> None:
        if upload.failed and self.error == upload.failure_text:
            self.error = None

    def cancel_upload(self, key: str) -> Upload | None:
        """ "Cancel" (while uploading) or "Dismiss" (once failed): the row
        goes, and so does the alert about it. Returns the upload if the glue
        has something to stop: abort the request in flight and ``DELETE``
        what arrived."""
        upload = self.upload(key)
        if upload is None:
            return None
        self._clear_error_of(upload)
        self.remove_upload(key)
        return upload if upload.cancel() else None

    def retry_upload(self, key: str) -> Upload | None:
        """ "Retry" on a failed upload: the upload to drive on from
        ``Step.CHECK``, or ``None`` if retrying cannot help."""
        upload = self.upload(key)
        if upload is None or not upload.can_retry:
            return None
        self._clear_error_of(upload)
        upload.retry()
        return upload

    def finish_upload(self, upload: Upload) -> bool:
        """The upload loop ended. Done: the row goes and the file message
        joins the log (it also arrives as a ``message`` event; it is shown
        once). Failed: the alert says why and the row stays, offering
        Retry/Dismiss. ``True`` if something visible changed."""
        if upload.status is UploadStatus.DONE:
            self.remove_upload(upload.key)
            message = Message.from_wire(upload.message)
            if message is not None:
                self.add_message(message)
            return True
        if upload.failed:
            self.error = upload.failure_text
            return True
        return False

    # what to show -------------------------------------------------------------

    @property
    def connection_label(self) -> str:
        """The words in the status area."""
        return CONNECTION_LABELS[self.connection]

    @property
    def can_compose(self) -> bool:
        """The composer is usable only with a channel open."""
        return self.open_channel is not None

    @property
    def can_share(self) -> bool:
        """Files can be shared only into an open channel."""
        return self.open_channel is not None

    @property
    def drop_hint(self) -> str:
        """What the drop highlight says while files are dragged over the pane."""
        if self.open_channel is None:
            return "Open a channel to share files"
        return f"Drop to share in #{self.open_channel}"

    @property
    def composer_placeholder(self) -> str:
        """The hint inside the empty composer."""
        if self.open_channel is None:
            return "Open a channel to write"
        return f"Message #{self.open_channel}"

    def empty_log_text(self) -> str:
        """What to say when the open channel has no messages yet."""
        if self.open_channel is None:
            return "Pick a channel from the list, or create one, to start chatting."
        return f"No messages in #{self.open_channel} yet. Say hello!"
