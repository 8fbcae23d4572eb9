"""Client UI state and every decision the browser client makes.

This module is plain Python on purpose: it must import under CPython (the unit
tests run it there) as well as under Pyodide, so it never touches ``js``,
``pyodide`` or the DOM. ``view`` renders what is here; ``main`` feeds it the
server's events and acknowledgements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

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


def connection_state(*, online: bool, connected: bool, retrying: bool, ever_connected: bool) -> Connection:
    """What the status area should say.

    The browser's own offline flag wins: the socket may not have noticed yet
    that the network is gone. Otherwise socket.io keeps retrying by itself
    unless the drop was final (we closed it, the server sent us away, or it
    gave up); only then is the client really offline.
    """
    if not online:
        return Connection.OFFLINE
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


@dataclass(frozen=True)
class Ack:
    """One acknowledgement: ``data`` on success, ``code``/``message`` on failure."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    message: str = ""

    @classmethod
    def failure(cls, code: str, message: str = "") -> Ack:
        """A failed acknowledgement (also used for client-side failures)."""
        return cls(ok=False, code=code, message=message)

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
        code, message = error.get("code"), error.get("message")
        return cls.failure(
            code if isinstance(code, str) else BAD_REPLY,
            message if isinstance(message, str) else "",
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
    ErrorCode.INTERNAL: "The server ran into a problem. Please try again.",
    TIMEOUT: "The server did not answer in time. Please try again.",
    OFFLINE: "You are not connected to the server right now. Please try again once you are back.",
    BAD_REPLY: "The server sent a reply the client does not understand.",
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


@dataclass(frozen=True)
class Message:
    """A chat message as the server sent it."""

    id: int
    channel: str
    sender: str
    text: str
    time: str

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"m{self.id}"

    @classmethod
    def from_wire(cls, obj: object) -> Message | None:
        """Build from a wire ``message`` object; ``None`` if it is malformed."""
        if not isinstance(obj, dict):
            return None
        mid = obj.get("id")
        fields = [obj.get(k) for k in ("channel", "sender", "text", "time")]
        # bool is an int subclass; a True id is a broken server, not message 1.
        if not isinstance(mid, int) or isinstance(mid, bool):
            return None
        if not all(isinstance(v, str) for v in fields):
            return None
        channel, sender, text, time = fields
        return cls(id=mid, channel=channel, sender=sender, text=text, time=time)


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
        channel, kind, name, time = (obj.get(k) for k in ("channel", "kind", "name", "time"))
        old_name = obj.get("old_name")
        if not all(isinstance(v, str) for v in (channel, kind, name, time)):
            return None
        return cls(
            seq=seq,
            channel=channel,
            kind=kind,
            name=name,
            old_name=old_name if isinstance(old_name, str) else None,
            time=time,
        )


Entry = Message | Notice


def sort_channels(names: Iterable[str]) -> list[str]:
    """Channel names sorted case-insensitively (ties broken by spelling, so the
    order never depends on the order of arrival)."""
    return sorted(names, key=lambda n: (fold(n), n))


def channel_from_wire(obj: object) -> str | None:
    """The name out of a wire ``channel`` object, or ``None``."""
    if isinstance(obj, dict) and isinstance(obj.get("name"), str) and obj["name"]:
        return obj["name"]
    return None


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
    _notice_seq: int = 0

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

    def finish_join(self, channel: str, history: Iterable[Message]) -> bool:
        """Open ``channel`` with its history. ``False`` if this join is stale.

        Messages that arrived for it before the history did are merged in, so
        nothing is lost and nothing doubles.
        """
        if self.joining is None or fold(self.joining) != fold(channel):
            return False
        self.joining = None
        self.open_channel = channel
        self._channels.setdefault(fold(channel), channel)
        self._log, self._seen = [], set()
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
        self._log, self._seen, self._early = [], set(), []

    # the log ------------------------------------------------------------------

    @property
    def log(self) -> list[Entry]:
        """What the open channel's log shows, oldest first."""
        return list(self._log)

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
        if key in self._seen:
            return False
        self._seen.add(key)
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

    def add_notice(self, payload: object) -> Notice | None:
        """Take a ``notice`` event for the open channel; the notice if shown."""
        self._notice_seq += 1
        notice = Notice.from_wire(payload, self._notice_seq)
        if notice is None or not self.is_open(notice.channel):
            return None
        self._log.append(notice)
        return notice

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
