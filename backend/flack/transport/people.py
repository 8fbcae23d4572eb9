"""Telling everyone about names, coalesced (the :class:`PeopleNews`).

Everybody's People list must learn of a new name or a rename, so each one is
news for every connection: N people arriving at once (a classroom opening the
page, every client reconnecting after a restart) would be N² packets if each
were told on its own. Here the first name after a quiet spell goes out at
once as ``person``; names that come within the next ``window`` seconds are
held and go out together as one ``people`` event when it closes (one packet
for everyone however many names), and a new window opens. So a quiet server
adds no delay, and a storm costs one packet per connection per window.
"""

from __future__ import annotations

import asyncio

from flack.protocol import Event, PeopleList, Person, PersonEvent
from flack.transport.fanout import Batcher

# How long names may wait in a storm (a name in a list can wait that long).
PEOPLE_WINDOW = 0.25


class PeopleNews:
    """Names for everyone: at once when quiet, together when busy."""

    def __init__(self, batcher: Batcher, window: float = PEOPLE_WINDOW) -> None:
        self._batcher = batcher
        self._window = window
        self._held: dict[str, Person] = {}  # person id -> their latest name
        self._timer: asyncio.TimerHandle | None = None

    def tell(self, person: Person) -> None:
        """``person`` took a name, or changed it."""
        if self._timer is not None:
            self._held[person.id] = person  # a second rename in the window replaces the first
            return
        self._batcher.emit(Event.PERSON, PersonEvent(person), None)
        self._open()

    def close(self) -> None:
        """Send what is held and stop the timer (shutting down)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._send_held()

    def _open(self) -> None:
        if self._window > 0:
            self._timer = asyncio.get_running_loop().call_later(self._window, self._close_window)

    def _close_window(self) -> None:
        self._timer = None
        if self._send_held():
            self._open()  # still busy: hold what comes next too

    def _send_held(self) -> bool:
        if not self._held:
            return False
        people, self._held = list(self._held.values()), {}
        if len(people) == 1:
            self._batcher.emit(Event.PERSON, PersonEvent(people[0]), None)
        else:
            self._batcher.emit(Event.PEOPLE, PeopleList(people), None)
        return True
