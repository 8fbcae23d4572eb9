"""Client UI state and every decision the browser client makes.

This module is plain Python on purpose: it must import under CPython (the unit
tests run it there) as well as under Pyodide, so it never touches ``js``,
``pyodide`` or the DOM. ``view`` renders what is here; ``main`` feeds it the
server's events and acknowledgements.
"""

from __future__ import annotations

import asyncio
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
NETWORK = "network"


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
        fields = [obj.get(k) for k in ("channel", "sender", "text", "time")]
        # bool is an int subclass; a True id is a broken server, not message 1.
        if not isinstance(mid, int) or isinstance(mid, bool):
            return None
        if not all(isinstance(v, str) for v in fields):
            return None
        shared = None
        if obj.get("file") is not None:
            shared = FileInfo.from_wire(obj["file"])
            if shared is None:
                return None
        channel, sender, text, time = fields
        return cls(id=mid, channel=channel, sender=sender, text=text, time=time, file=shared)


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
        self._expired = set()

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
