"""Who is typing (issue 15): when to tell the server we type, and whom to
show as typing in the open conversation.

Both sides are bounded by the protocol's two numbers: this page sends at
most one ``typing`` per conversation every ``TYPING_EVERY_SECONDS`` while
its person types, and shows someone as typing until
``TYPING_SHOWN_SECONDS`` after their last ``typing`` event (longer than the
sending interval, so a steady typist never flickers off), or until a
message from them arrives. Times are plain numbers handed in by the caller
(``time.monotonic()`` in the page, a fake clock in the tests). Plain Python:
the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass

from flack.protocol import TYPING_EVERY_SECONDS, TYPING_SHOWN_SECONDS, Typing, conversation_key


class TypingSender:
    """When this page's typing goes on the wire: once per conversation per
    ``TYPING_EVERY_SECONDS`` (the server would drop more anyway)."""

    def __init__(self) -> None:
        self._last: tuple[str, float] | None = None  # (conversation key, when sent)

    def typed(self, channel: str | None, draft: str, now: float) -> Typing | None:
        """The person changed the draft of a message for ``channel`` at
        ``now``: the ``typing`` request to send, or ``None`` (no conversation,
        an empty draft — deleting everything is not typing — or one went out
        for this conversation less than ``TYPING_EVERY_SECONDS`` ago)."""
        if channel is None or not draft.strip():
            return None
        key = conversation_key(channel)
        if self._last is not None and self._last[0] == key and now - self._last[1] < TYPING_EVERY_SECONDS:
            return None
        self._last = (key, now)
        return Typing(channel)

    def reset(self) -> None:
        """A new connection: the server has forgotten what we sent on the old one."""
        self._last = None


@dataclass(slots=True)
class _Typist:
    name: str
    until: float  # shown until then (``TYPING_SHOWN_SECONDS`` after their last event)


class TypingShown:
    """Who is shown as typing, for one conversation at a time: events for
    another conversation are not kept, and opening another one forgets
    everyone (``heard`` and ``names`` are told which conversation is open)."""

    def __init__(self) -> None:
        self._key: str | None = None  # the conversation the typists type in
        self._typists: dict[str, _Typist] = {}  # by person id, in the order they began

    def _follow(self, open_channel: str | None) -> None:
        key = conversation_key(open_channel) if open_channel is not None else None
        if key != self._key:
            self._key, self._typists = key, {}

    def heard(self, channel: str, pid: str, name: str, open_channel: str | None, now: float) -> bool:
        """``pid`` (shown as ``name``) types in ``channel``, heard at ``now``;
        ``True`` if the shown text may have changed. Ignored unless
        ``channel`` is the open conversation."""
        self._follow(open_channel)
        if open_channel is None or conversation_key(channel) != self._key:
            return False
        typist = self._typists.get(pid)
        until = now + TYPING_SHOWN_SECONDS
        if typist is None:
            self._typists[pid] = _Typist(name, until)
            return True
        changed = typist.name != name
        typist.name, typist.until = name, until
        return changed

    def stopped(self, channel: str, pid: str) -> bool:
        """A message from ``pid`` arrived in ``channel``: they are done
        typing it. ``True`` if they were shown."""
        if self._key is None or conversation_key(channel) != self._key:
            return False
        return self._typists.pop(pid, None) is not None

    def expire(self, now: float) -> bool:
        """Forget whoever was last heard ``TYPING_SHOWN_SECONDS`` or more
        before ``now``; ``True`` if anyone went."""
        gone = [pid for pid, typist in self._typists.items() if typist.until <= now]
        for pid in gone:
            del self._typists[pid]
        return bool(gone)

    @property
    def deadline(self) -> float | None:
        """When the next typist is due to go (for the page's one timer)."""
        return min((typist.until for typist in self._typists.values()), default=None)

    def names(self, open_channel: str | None) -> list[str]:
        """Who is shown as typing in ``open_channel``, in the order they began."""
        self._follow(open_channel)
        return [typist.name for typist in self._typists.values()]
