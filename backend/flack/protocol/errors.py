"""Error codes, the acknowledgement envelope, and a sentence for every code.

Every client event is answered with one acknowledgement, either
``{"ok": true, "data": {...}}`` or
``{"ok": false, "error": {"code": "...", "message": "...", ...}}``. The server
builds them with :func:`ok_ack` and :meth:`ProtocolError.to_ack`; a client reads
them with :meth:`Ack.from_wire`. Standard library only: the browser loads this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from flack.protocol.limits import DIRECT_MAX, MESSAGE_MAX, REACTIONS_MAX


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
    NOT_MEMBER = "not_member"
    NOT_YOURS = "not_yours"
    NO_SUCH_MESSAGE = "no_such_message"
    NO_SUCH_PERSON = "no_such_person"
    TOO_MANY_PEOPLE = "too_many_people"
    TOO_MANY_REACTIONS = "too_many_reactions"
    EMOJI_INVALID = "emoji_invalid"
    CANNOT_LEAVE = "cannot_leave"
    SEARCH_INVALID = "search_invalid"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CHANNELS = "too_many_channels"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    INTERNAL = "internal_error"


# A sentence for people for every code, for when a refusal carries none of
# its own (the server's refusals always do; a client shows these otherwise).
SENTENCES: Final[dict[ErrorCode, str]] = {
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
    ErrorCode.MESSAGE_TOO_LONG: f"Messages can be at most {MESSAGE_MAX:,} characters long.",
    ErrorCode.FILE_INVALID: "The server did not accept that file's name, size or type.",
    ErrorCode.FILE_TOO_LARGE: "That file is larger than the server accepts.",
    ErrorCode.TOO_MANY_UPLOADS: "Too many uploads at once. Wait for one to finish, or cancel one.",
    ErrorCode.UPLOAD_UNKNOWN: "The server no longer has this upload (it expired or was cancelled).",
    ErrorCode.OFFSET_MISMATCH: "The server and the browser disagree on how much was sent.",
    ErrorCode.CHUNK_TOO_LARGE: "The browser sent a larger piece than the server accepts.",
    ErrorCode.FILE_NOT_FOUND: "That file is not available any more.",
    ErrorCode.NOT_MEMBER: "You are not in that conversation.",
    ErrorCode.NOT_YOURS: "You can only change your own messages.",
    ErrorCode.NO_SUCH_MESSAGE: "That message is not there any more.",
    ErrorCode.NO_SUCH_PERSON: "There is nobody by that name here.",
    ErrorCode.TOO_MANY_PEOPLE: f"A direct conversation can have at most {DIRECT_MAX} people.",
    ErrorCode.TOO_MANY_REACTIONS: f"A message can have at most {REACTIONS_MAX} different reactions.",
    # (or REACTIONS_TOTAL_MAX reactions in all; the server's refusal says which)
    ErrorCode.EMOJI_INVALID: "A reaction is one emoji.",
    ErrorCode.CANNOT_LEAVE: "A direct conversation cannot be left.",
    ErrorCode.SEARCH_INVALID: "Search for some words, from:name or in:channel.",
    ErrorCode.RATE_LIMITED: "Slow down a little: too much at once. Try again in a moment.",
    ErrorCode.TOO_MANY_CHANNELS: "This server has as many channels as it allows.",
    ErrorCode.TOO_MANY_CONNECTIONS: "Too many connections from your network. Close a tab and retry.",
    ErrorCode.INTERNAL: "The server ran into a problem. Please try again.",
}


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


# The code a client gives a reply that is no acknowledgement at all.
BAD_REPLY: Final = "bad_reply"


@dataclass(frozen=True)
class Ack:
    """One acknowledgement as a client reads it: ``data`` on success,
    ``code``/``message`` on failure (``retry_after`` for ``rate_limited``).
    ``code`` is a string: clients add codes of their own for failures that
    never reached the server (a timeout, being offline)."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    message: str = ""
    retry_after: float | None = None  # seconds
    # Extra fields of the error object (e.g. an upload's ``received``).
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failure(cls, code: str, message: str = "", retry_after: float | None = None) -> Ack:
        """A failed acknowledgement (also for failures made up by a client)."""
        return cls(ok=False, code=code, message=message, retry_after=retry_after)

    @classmethod
    def from_wire(cls, reply: object) -> Ack:
        """Read ``{"ok": true, "data": {...}}`` / ``{"ok": false, "error": {...}}``.

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
        waits = isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0
        return cls(
            ok=False,
            code=code if isinstance(code, str) else BAD_REPLY,
            message=message if isinstance(message, str) else "",
            retry_after=float(wait) if waits else None,  # type: ignore[arg-type]
            details={k: v for k, v in error.items() if k not in ("code", "message", "retry_after")},
        )
