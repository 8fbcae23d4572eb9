"""What the browser remembers between visits, kept in ``localStorage``.

The token is the secret that gets the same person their name back, so it is
stored next to the name; the open channel is stored so a return visit reopens
it. Storage can be unavailable (private windows, disabled cookies): then the
client simply forgets, it never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import js  # type: ignore[import-not-found]

NAME_KEY = "flack.name"
TOKEN_KEY = "flack.token"
CHANNEL_KEY = "flack.channel"


@dataclass(frozen=True)
class Saved:
    """What a previous visit left behind."""

    name: str | None
    token: str | None
    channel: str | None


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


def load() -> Saved:
    """Read everything remembered from earlier visits."""
    return Saved(name=_get(NAME_KEY), token=_get(TOKEN_KEY), channel=_get(CHANNEL_KEY))


def save_identity(name: str, token: str) -> None:
    """Remember the name and its token after a successful ``claim_name``."""
    _set(NAME_KEY, name)
    _set(TOKEN_KEY, token)


def save_channel(channel: str | None) -> None:
    """Remember the open channel (``None`` forgets it)."""
    _set(CHANNEL_KEY, channel)
