"""What the browser remembers between visits, kept in ``localStorage``.

The token is the secret that gets the same person their name back, so it is
stored next to the name; the open channel is stored so a return visit reopens
it. Next to it: the last message id seen per channel and the outbox (messages
sent but not confirmed yet), both as JSON in the shapes ``outbox`` defines, so
that a reload loses no message. Storage can be unavailable (private windows, disabled cookies): then the
client simply forgets, it never fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import js  # type: ignore[import-not-found]

NAME_KEY = "flack.name"
TOKEN_KEY = "flack.token"
CHANNEL_KEY = "flack.channel"
LAST_IDS_KEY = "flack.last_ids"
OUTBOX_KEY = "flack.outbox"

# What this page last wrote under each JSON key, to skip needless writes.
_written: dict[str, str | None] = {}


@dataclass(frozen=True)
class Saved:
    """What a previous visit left behind."""

    name: str | None
    token: str | None
    channel: str | None
    last_ids: Any = None  # parsed JSON, or None
    outbox: Any = None  # parsed JSON, or None


def _get(key: str) -> str | None:
    try:
        value = js.localStorage.getItem(key)
    except Exception:  # storage blocked: behave like a first visit
        return None
    # A missing key is JS null, which Pyodide hands over as ``jsnull``, not
    # None; only a real, non-empty string counts.
    return value if isinstance(value, str) and value else None


def _set(key: str, value: str | None) -> None:
    try:
        if value:
            js.localStorage.setItem(key, value)
        else:
            js.localStorage.removeItem(key)
    except Exception:  # full or blocked: losing a preference is acceptable
        pass


def _get_json(key: str) -> Any:
    text = _get(key)
    _written[key] = text
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:  # garbled: state treats None as "nothing remembered"
        return None


def load() -> Saved:
    """Read everything remembered from earlier visits."""
    return Saved(
        name=_get(NAME_KEY),
        token=_get(TOKEN_KEY),
        channel=_get(CHANNEL_KEY),
        last_ids=_get_json(LAST_IDS_KEY),
        outbox=_get_json(OUTBOX_KEY),
    )


def save_identity(name: str, token: str) -> None:
    """Remember the name and its token after a successful ``claim_name``."""
    _set(NAME_KEY, name)
    _set(TOKEN_KEY, token)


def save_channel(channel: str | None) -> None:
    """Remember the open channel (``None`` forgets it)."""
    _set(CHANNEL_KEY, channel)


def _save_json(key: str, value: Any) -> None:
    # Empty collections are not worth a key.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None
    if _written.get(key, "") != text:
        _written[key] = text
        _set(key, text)


def stored_outbox() -> Any:
    """The outbox as stored right now (parsed JSON, or None): another tab of
    this browser may have changed it since this page last looked."""
    return _get_json(OUTBOX_KEY)


def save_delivery(last_ids: dict[str, int], outbox: list[dict[str, Any]]) -> None:
    """Remember the last ids seen and the outbox (written only when changed)."""
    _save_json(LAST_IDS_KEY, last_ids)
    _save_json(OUTBOX_KEY, outbox)
