"""Upload progress between a chunk's start and its reply, and how often to draw it.

A file goes in 4 MiB chunks, and the server confirms each one only once all
of it has arrived: on a slow link that is a long time of "0 bytes". The
browser reports how much of a request's body it has sent (``XMLHttpRequest``'s
``upload.onprogress``); ``bytes_sent`` adds that to where the chunk started,
and ``Throttle`` keeps those reports, which can come many times a second, from
redrawing the page more than ten times a second. Plain Python: the tests run
it under CPython, with their own clock.
"""

from __future__ import annotations

import math
from typing import Final

# Progress redraws per second, at most: smooth to the eye, and cheap.
REDRAWS_PER_SECOND: Final = 10


def bytes_sent(start: int, end: int, loaded: int) -> int:
    """How far a file has gone while its chunk ``[start, end)`` is on its way
    and the browser says ``loaded`` bytes of that request's body are sent.

    Never outside the chunk, whatever the browser reports (a body it counts
    differently, a negative or late report): the chunk's reply, not a
    progress event, is what moves the file past its end.
    """
    return start + min(max(loaded, 0), max(end - start, 0))


class Throttle:
    """At most one redraw per ``interval`` seconds, and the last change is
    never left undrawn.

    ``changed(now)`` is called on every progress report; it answers ``0.0``
    (draw now), a delay (draw once that many seconds have passed: this change
    came too soon after the last redraw) or ``None`` (a redraw is already
    due, and it will show this change too). ``drawn(now)`` is called when a
    delayed redraw happens.
    """

    def __init__(self, interval: float = 1 / REDRAWS_PER_SECOND) -> None:
        self.interval = interval
        self._last = -math.inf  # when the latest redraw happened
        self._due = False  # a delayed redraw is waiting

    def changed(self, now: float) -> float | None:
        """Something to show changed at ``now`` (seconds, any monotonic clock)."""
        if self._due:
            return None
        wait = self._last + self.interval - now
        if wait <= 0:
            self._last = now
            return 0.0
        self._due = True
        return wait

    def drawn(self, now: float) -> None:
        """The delayed redraw happened at ``now``."""
        self._last = now
        self._due = False
