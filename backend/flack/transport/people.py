"""News for everyone, coalesced: names (``person``/``people``) and presence.

Everybody's People list must learn of a new name, a rename or someone coming
and going, so each is news for every connection: N people arriving at once (a
classroom opening the page, every client reconnecting after a restart) would
be N² packets if each were told on its own. A :class:`News` sends the first
item after a quiet spell at once; items that come within the next ``window``
seconds are held (the latest per person) and go out together when it closes
(one packet for everyone however many), and a new window opens. So a quiet
server adds no delay, and a storm costs one packet per connection per window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from flack.protocol import Event, PeopleList, Person, PersonEvent, Presence, PresenceEntry
from flack.transport.fanout import Batcher
from flack.transport.rooms import NAMED

# How long news may wait in a storm (a name or a status in a list can wait that long).
NEWS_WINDOW = 0.25

T = TypeVar("T", Person, PresenceEntry)


class News(Generic[T]):
    """Items about people for everyone: at once when quiet, together when busy."""

    def __init__(self, send: Callable[[list[T]], None], window: float = NEWS_WINDOW) -> None:
        self._send: Callable[[list[T]], None] = send
        self._window = window
        self._held: dict[str, T] = {}  # person id -> the latest item about them
        self._timer: asyncio.TimerHandle | None = None

    def tell(self, item: T) -> None:
        """News about ``item.id``; a later item about the same person in
        the window replaces the earlier one."""
        if self._timer is not None:
            self._held[item.id] = item
            return
        self._send([item])
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
        items, self._held = list(self._held.values()), {}
        self._send(items)
        return True


def people_news(batcher: Batcher) -> News[Person]:
    """Names: one as ``person``, several as one ``people`` event, to every
    connection with a name."""

    def send(people: list[Person]) -> None:
        if len(people) == 1:
            batcher.emit(Event.PERSON, PersonEvent(people[0]), NAMED)
        else:
            batcher.emit(Event.PEOPLE, PeopleList(people), NAMED)

    return News(send)


def presence_news(batcher: Batcher) -> News[PresenceEntry]:
    """Presence: every change as a ``presence`` event (one or several), to
    every connection with a name."""

    def send(entries: list[PresenceEntry]) -> None:
        batcher.emit(Event.PRESENCE, Presence(entries), NAMED)

    return News(send)
