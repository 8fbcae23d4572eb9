"""The Flack wire protocol: event names, payload shapes, limits and error codes.

This one file is imported by the server *and* loaded unchanged into the browser,
where the PyScript client imports it too. It therefore uses the standard library
only, and nothing here may touch the network, the clock or the file system.

Every client event carries exactly one JSON object and is answered with one
acknowledgement, either ``{"ok": true, "data": {...}}`` or
``{"ok": false, "error": {"code": "...", "message": "..."}}``.
``docs/protocol.md`` documents the same thing for people writing other clients;
keep the two in step.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Any, Final

PROTOCOL_VERSION: Final = 1

# --- Limits ---------------------------------------------------------------

NAME_MAX: Final = 32
CHANNEL_MAX: Final = 40
MESSAGE_MAX: Final = 4000
HISTORY_LIMIT: Final = 100
TOKEN_MAX: Final = 128
# A client's own id for a message, so a retried send is stored only once.
CLIENT_ID_MAX: Final = 64
# Largest socket.io packet the server reads (bytes). Files go over HTTP, so
# the socket only carries small JSON: a 4,000-character message is at most
# ~24 KB even with every character escaped. Bigger packets close the connection.
SOCKET_PAYLOAD_MAX: Final = 64 * 1024
FILE_NAME_MAX: Final = 120
FILE_TYPE_MAX: Final = 100
# Uploads travel over HTTP in chunks of at most this many bytes (files never
# go through the socket). Big enough that per-request overhead is negligible,
# small enough that a dropped connection loses little and progress moves.
CHUNK_SIZE: Final = 4 * 1024 * 1024
# Image types shown inline as a preview (after the server checks the bytes);
# everything else is only ever downloaded.
PREVIEW_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class Event(StrEnum):
    """Event names on the wire. Client-to-server events are acknowledged."""

    # client -> server
    CLAIM_NAME = "claim_name"
    LIST_CHANNELS = "list_channels"
    CREATE_CHANNEL = "create_channel"
    JOIN_CHANNEL = "join_channel"
    LEAVE_CHANNEL = "leave_channel"
    SEND_MESSAGE = "send_message"
    START_UPLOAD = "start_upload"
    # server -> client
    CHANNEL_CREATED = "channel_created"
    MESSAGE = "message"
    MESSAGES = "messages"  # several messages of one channel at once (see docs/protocol.md)
    NOTICE = "notice"
    FILE_EXPIRED = "file_expired"
    SERVER_CLOSING = "server_closing"


CLIENT_EVENTS: Final = frozenset(
    {
        Event.CLAIM_NAME,
        Event.LIST_CHANNELS,
        Event.CREATE_CHANNEL,
        Event.JOIN_CHANNEL,
        Event.LEAVE_CHANNEL,
        Event.SEND_MESSAGE,
        Event.START_UPLOAD,
    }
)


class ErrorCode(StrEnum):
    """Machine-readable error codes carried in failed acknowledgements."""

    BAD_PAYLOAD = "bad_payload"
    UNKNOWN_EVENT = "unknown_event"
    NAME_INVALID = "name_invalid"
    NAME_TAKEN = "name_taken"
    NOT_NAMED = "not_named"
    CHANNEL_INVALID = "channel_invalid"
    CHANNEL_EXISTS = "channel_exists"
    NO_SUCH_CHANNEL = "no_such_channel"
    NOT_IN_CHANNEL = "not_in_channel"
    MESSAGE_INVALID = "message_invalid"
    MESSAGE_TOO_LONG = "message_too_long"
    FILE_INVALID = "file_invalid"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_UPLOADS = "too_many_uploads"
    # HTTP upload errors (in JSON bodies of /uploads responses)
    UPLOAD_UNKNOWN = "upload_unknown"
    OFFSET_MISMATCH = "offset_mismatch"
    CHUNK_TOO_LARGE = "chunk_too_large"
    FILE_NOT_FOUND = "file_not_found"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CHANNELS = "too_many_channels"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    INTERNAL = "internal_error"


class NoticeKind(StrEnum):
    """Kinds of channel announcements (``notice`` events)."""

    JOIN = "join"
    LEAVE = "leave"
    RENAME = "rename"


class ProtocolError(Exception):
    """A refusal that travels to the client as a coded error acknowledgement."""

    code: ErrorCode = ErrorCode.BAD_PAYLOAD

    def __init__(self, message: str, code: ErrorCode | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        # Extra fields of the error object, e.g. ``retry_after`` (seconds).
        self.details = details

    def to_ack(self) -> dict[str, Any]:
        """The failed acknowledgement for this error."""
        ack = error_ack(self.code, self.message)
        ack["error"].update(self.details)
        return ack


def ok_ack(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A successful acknowledgement."""
    return {"ok": True, "data": data or {}}


def error_ack(code: ErrorCode, message: str) -> dict[str, Any]:
    """A failed acknowledgement with a code and a sentence for people."""
    return {"ok": False, "error": {"code": str(code), "message": message}}


# --- Text rules shared by both sides ---------------------------------------

# Categories never allowed in names and channel names: controls, format
# characters (bidi overrides, zero-width joiners), separators other than the
# plain space, surrogates, private use and unassigned code points.
_FORBIDDEN_IN_NAMES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SPACES: Final = re.compile(r"\s+")
_CHANNEL_CHARS: Final = re.compile(r"[^\W_][\w .-]*")


def _clean_label(value: object, what: str, limit: int, code: ErrorCode) -> str:
    """Trim, NFC-normalise and collapse inner whitespace; refuse odd characters."""
    if not isinstance(value, str):
        raise ProtocolError(f"The {what} must be text.", code)
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise ProtocolError(f"The {what} cannot be empty.", code)
    if len(text) > limit:
        raise ProtocolError(f"The {what} can be at most {limit} characters long.", code)
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_IN_NAMES:
            raise ProtocolError(f"The {what} contains a character that is not allowed.", code)
    return text


def clean_name(value: object) -> str:
    """Return a display name as it will be shown, or raise ``ProtocolError``.

    Names are 1-32 characters after trimming; inner runs of whitespace become one
    space; control and invisible formatting characters are refused.
    """
    return _clean_label(value, "display name", NAME_MAX, ErrorCode.NAME_INVALID)


def clean_channel(value: object) -> str:
    """Return a channel name as it will be shown, or raise ``ProtocolError``.

    Channel names are 1-40 characters of letters, digits, spaces, ``-``, ``_`` and
    ``.``, starting with a letter or digit.
    """
    text = _clean_label(value, "channel name", CHANNEL_MAX, ErrorCode.CHANNEL_INVALID)
    if not _CHANNEL_CHARS.fullmatch(text):
        raise ProtocolError(
            "Channel names use letters, digits, spaces, '-', '_' and '.', and start with a letter or digit.",
            ErrorCode.CHANNEL_INVALID,
        )
    return text


def fold(label: str) -> str:
    """The comparison key for names and channels: case-insensitive."""
    return label.casefold()


# C0/C1 controls other than tab and newline are dropped from message text:
# they are invisible, break terminals and logs, and nobody types them.
_MESSAGE_DROP: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_message(value: object) -> str:
    """Return message text as it will be stored, or raise ``ProtocolError``."""
    if not isinstance(value, str):
        raise ProtocolError("The message must be text.", ErrorCode.MESSAGE_INVALID)
    text = _MESSAGE_DROP.sub("", value.replace("\r\n", "\n")).strip()
    if not text:
        raise ProtocolError("The message is empty.", ErrorCode.MESSAGE_INVALID)
    if len(text) > MESSAGE_MAX:
        raise ProtocolError(
            f"Messages can be at most {MESSAGE_MAX:,} characters long (this one has {len(text):,}).",
            ErrorCode.MESSAGE_TOO_LONG,
        )
    return text


def clean_file_name(value: object) -> str:
    """A shared file's name as shown: no folders, no control or invisible
    formatting characters, at most ``FILE_NAME_MAX`` characters (keeping the
    extension). It is only ever metadata: files are stored under server ids."""
    if not isinstance(value, str):
        raise ProtocolError("The file name must be text.", ErrorCode.FILE_INVALID)
    base = re.split(r"[/\\]", value)[-1]
    # Tabs and newlines become spaces; other controls and invisible
    # formatting (bidi overrides that disguise "exe" as "gnp") go.
    spaced = _SPACES.sub(" ", unicodedata.normalize("NFC", base))
    text = "".join(c for c in spaced if unicodedata.category(c) not in _FORBIDDEN_IN_NAMES)
    text = _SPACES.sub(" ", text).strip().lstrip(".")
    if not text:
        return "file"
    if len(text) > FILE_NAME_MAX:
        _stem, dot, ext = text.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        text = text[: FILE_NAME_MAX - len(ext)].rstrip() + ext
    return text


def check_file_size(size: object, max_bytes: int) -> int:
    """A declared file size, refused before any byte is sent if too large."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ProtocolError("The file size must be a whole number of bytes.", ErrorCode.FILE_INVALID)
    if size > max_bytes:
        raise ProtocolError(
            f"Files can be at most {format_size(max_bytes)}; this one is {format_size(size)}.",
            ErrorCode.FILE_TOO_LARGE,
        )
    return size


def format_size(size: int) -> str:
    """Bytes for people: ``512 bytes``, ``1.5 KB``, ``100 MB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


# --- Payload parsing ---------------------------------------------------------
# These check the *shape* of a payload (an object, fields of the right types)
# and raise BAD_PAYLOAD otherwise. The text rules above are applied by the
# server's domain core, and by the client before it sends.


def _object(payload: object) -> dict[str, Any]:
    # Unknown fields are ignored, not refused: newer clients may send more, and
    # a field such as "sender" must simply have no effect.
    if not isinstance(payload, dict):
        raise ProtocolError("The payload must be a JSON object.")
    return payload


def _text_field(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise ProtocolError(f"The field {field!r} must be text.")
    return value


def parse_claim_name(payload: object) -> tuple[str, str | None]:
    """``claim_name``: ``{"name": str, "token"?: str | null}`` -> (name, token)."""
    data = _object(payload)
    token = data.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > TOKEN_MAX):
        raise ProtocolError(f"The token must be text of at most {TOKEN_MAX} characters.")
    return _text_field(data, "name"), token or None


def parse_empty(payload: object) -> None:
    """Events without arguments take ``{}`` (or nothing at all)."""
    if payload is not None:
        _object(payload)


def parse_channel(payload: object) -> str:
    """``create_channel`` / ``join_channel``: ``{"channel": str}`` -> channel name."""
    return _text_field(_object(payload), "channel")


def parse_join_channel(payload: object) -> tuple[str, int | None]:
    """``join_channel``: ``{"channel": str, "since"?: int | null}`` -> (channel, since).

    ``since`` is the last message id the client has seen in that channel.
    """
    data = _object(payload)
    since = data.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise ProtocolError("The field 'since' must be a message id (a whole number, 0 or more).")
    return _text_field(data, "channel"), since


def parse_send_message(payload: object) -> tuple[str, str, str | None]:
    """``send_message``: ``{"channel": str, "text": str, "client_id"?: str | null}``
    -> (channel, text, client_id).

    There is deliberately no sender field: the server knows who is talking.
    """
    data = _object(payload)
    client_id = data.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= CLIENT_ID_MAX):
        raise ProtocolError(f"The field 'client_id' must be text of 1 to {CLIENT_ID_MAX} characters.")
    return _text_field(data, "channel"), _text_field(data, "text"), client_id


def parse_start_upload(payload: object) -> tuple[str, str, int, str]:
    """``start_upload``: ``{"channel", "name", "size", "type"}`` -> the four values.

    ``type`` is the browser's guess and only a hint: the server decides what
    a download is served as.
    """
    data = _object(payload)
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ProtocolError("The field 'size' must be a whole number.")
    kind = data.get("type", "")
    if not isinstance(kind, str):
        raise ProtocolError("The field 'type' must be text.")
    return _text_field(data, "channel"), _text_field(data, "name"), size, kind[:FILE_TYPE_MAX]
