"""Small decisions about what the person types and where they read.

Input is checked with the protocol's own rules before anything is sent, so
a mistake shows at once and in the same words the server would use; keys
and scrolling are decided here too, so the view only asks. Plain Python:
the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from flack import protocol
from flack.protocol import ProtocolError

# --- Input checks (instant feedback before anything is sent) -----------------


@dataclass(frozen=True)
class Checked:
    """Outcome of checking typed input: a clean ``value`` or an ``error`` sentence.

    Both are ``None`` when there is nothing to do (e.g. an empty composer).
    """

    value: str | None = None
    error: str | None = None


def _check(cleaner: Callable[[object], str], raw: str) -> Checked:
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


# --- Keys --------------------------------------------------------------------


def is_send_key(key: str, shift: bool, composing: bool) -> bool:
    """Enter sends; Shift+Enter makes a newline; Enter that confirms an IME
    composition (Japanese, Chinese …) must not send half-typed text."""
    return key == "Enter" and not shift and not composing


# --- Scrolling ---------------------------------------------------------------

# How close to the bottom still counts as "reading the newest": a fraction
# of a line, so a reader a few pixels off is not left behind.
FOLLOW_SLACK_PX: Final = 48


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
