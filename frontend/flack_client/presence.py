"""Who is around (issue 15): each person's presence, and when this page
tells the server its person is back.

The server decides presence (``online``: a connection shown and used in the
last ``AWAY_AFTER_SECONDS``; ``away``: connections, all hidden or idle;
``offline``: none) and says so in ``list_people``'s answer and ``presence``
events. The page only reports two facts about itself: whether it is hidden
(``set_presence``), and, since any event it sends counts as activity, that
its person is back after a quiet while (``should_wake``). Plain Python: the
tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from flack.protocol import AWAY_AFTER_SECONDS, PresenceEntry, PresenceStatus

# Input after this long without sending anything tells the server we are
# back. Half the server's idle time: a page that sent nothing for 5 minutes
# may be 5 minutes from looking away, so the first keystroke or click after
# that resets the server's clock (earlier input needs no word: the server
# has heard from us recently enough). One event per 5 minutes at most.
WAKE_AFTER_SECONDS: Final = AWAY_AFTER_SECONDS / 2


def read_status(text: str) -> PresenceStatus:
    """A status from the wire; one this client does not know (a newer
    server's) is shown as offline, as the protocol asks."""
    try:
        return PresenceStatus(text)
    except ValueError:
        return PresenceStatus.OFFLINE


def should_wake(last_sent: float | None, now: float) -> bool:
    """Input happened at ``now``: whether to send ``set_presence {"hidden":
    false}``, because this page has sent nothing for ``WAKE_AFTER_SECONDS``
    (``last_sent``: when it last sent anything; ``None``: never, i.e. not
    connected yet, and the session's own ``set_presence`` will say it)."""
    return last_sent is not None and now - last_sent >= WAKE_AFTER_SECONDS


class PresenceBook:
    """Everyone's presence, by person id, as the server last said it."""

    def __init__(self) -> None:
        self._status: dict[str, PresenceStatus] = {}

    def set(self, entries: Iterable[PresenceEntry]) -> bool:
        """Replace everyone's (``list_people``: a reconnect may have missed
        changes); ``True`` if anything shown changed."""
        before, self._status = self._status, {}
        self.update(entries)
        return before != self._status

    def update(self, entries: Iterable[PresenceEntry]) -> bool:
        """Some people's presence changed (a ``presence`` event); ``True``
        if anything shown changed."""
        changed = False
        for entry in entries:
            status = read_status(entry.status)
            if self._status.get(entry.id) is not status:
                self._status[entry.id] = status
                changed = True
        return changed

    def status(self, pid: str) -> PresenceStatus:
        """``pid``'s presence; someone the server said nothing about is offline."""
        return self._status.get(pid, PresenceStatus.OFFLINE)
