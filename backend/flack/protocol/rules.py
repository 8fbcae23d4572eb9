"""Limits and text rules of the protocol, each written once.

The server applies them to what clients send; the browser client applies the
very same functions before it sends (instant feedback) and to what it shows.
Standard library only, no I/O, no clock: this file runs in the browser too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final, TypeGuard

from flack.protocol.errors import ErrorCode, ProtocolError
from flack.protocol.limits import CHANNEL_MAX, FILE_NAME_MAX, MESSAGE_MAX, NAME_MAX

# --- Numbers ---------------------------------------------------------------


def is_count(value: object) -> TypeGuard[int]:
    """A whole number, 0 or more: an id, a size, a byte offset. JSON's
    ``true`` is a broken peer, not 1 (``bool`` is an ``int`` in Python)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_integer(value: object) -> TypeGuard[int]:
    """A whole number of any sign (``bool`` excluded, as above)."""
    return isinstance(value, int) and not isinstance(value, bool)


# --- Names and channels -------------------------------------------------------

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


def name_hint() -> str:
    """What the name dialog says about the rules (the page shows this, not a literal)."""
    return f"Up to {NAME_MAX} characters."


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


def channel_order(name: str) -> tuple[str, str]:
    """The sort key of channel lists: case-insensitive, ties broken by
    spelling, so the order never depends on the order of arrival."""
    return fold(name), name


def sort_channels(names: Iterable[str]) -> list[str]:
    """Channel names in list order (:func:`channel_order`)."""
    return sorted(names, key=channel_order)


# --- Messages ----------------------------------------------------------------

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


def history_gap(since: int | None, first: int | None, last: int | None) -> bool:
    """Whether messages after id ``since`` are missing from a history whose
    kept ids run from ``first`` to ``last`` (both ``None``: nothing is kept).

    Missing means: the oldest kept message is further on than the one after
    ``since`` (the rest left the history), or ``since`` is beyond the newest
    id there is (the channel's ids started over, after a restart without a
    state file). Without ``since`` nothing can be missing. The server says
    this in ``join_channel``'s ``gap``; the browser asks the same after a
    reload, with the last id it remembered.
    """
    if since is None:
        return False
    if since > (last or 0):
        return True
    return first is not None and first > since + 1


# --- Files --------------------------------------------------------------------


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
    if not is_count(size):
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


def is_local_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a path on the page's own origin (``/files/…``).

    Every URL in the protocol (a file's, an upload's) is one. A confused or
    hostile peer must not turn a file into a link elsewhere: ``//host`` is
    another origin to a browser, and so is ``/\\host`` or ``/<tab>/host``
    (browsers read backslashes as slashes and drop tabs and newlines from
    URLs), so backslashes and control characters are refused.
    """
    return (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in value)
    )
