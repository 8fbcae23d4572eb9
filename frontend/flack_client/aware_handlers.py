"""Presence and typing (issue 15), for ``main.App``.

The server's ``presence``, ``typing`` and ``notices`` events go to the
state; this page's own ``set_presence`` (its visibility, on every session
once named and on every change, and "back" after a quiet while) and
``typing`` go to the server, their answers unread: a refusal (say, typing
in a conversation just left) changes nothing anyone would want told. One
timer takes typists off the typing line when their time is up. A mixin of
``App`` (``main.py``), kept apart so that neither module grows too long to
read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from flack.protocol import Event, Shape
from flack_client.net import Socket
from flack_client.state import ChatState
from flack_client.view import View

# The timer goes off this much after a typist's time is up, so that it never
# wakes a hair early (two clocks' rounding) and has to be set again.
_TIMER_SLACK = 0.05


class AwareHandlers:
    """Presence and typing (mixed into ``App``)."""

    state: ChatState
    view: View
    socket: Socket
    _typing_timer: asyncio.TimerHandle | None = None

    if TYPE_CHECKING:  # App's own

        def render(self) -> None: ...
        def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None: ...

    def bind_awareness(self) -> None:
        """Listen to the server's awareness events."""
        on = self.socket.on
        on(Event.PRESENCE, self._on_presence)
        on(Event.TYPING, self._on_typing)
        on(Event.NOTICES, self._on_notices)

    # the server's events -------------------------------------------------------------

    def _on_presence(self, payload: Any) -> None:
        if self.state.presence_changed(payload):
            self.render()

    def _on_typing(self, payload: Any) -> None:
        if self.state.typing_heard(payload, time.monotonic()):
            self.render()
        self._arm_typing_timer()

    def _on_notices(self, payload: Any) -> None:
        if self.state.add_notices(payload):
            self.render()

    def _arm_typing_timer(self) -> None:
        """One timer, set for the next typist's time to be up."""
        if self._typing_timer is not None:
            self._typing_timer.cancel()
            self._typing_timer = None
        deadline = self.state.typing_deadline
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic()) + _TIMER_SLACK
            self._typing_timer = asyncio.get_event_loop().call_later(delay, self._typing_due)

    def _typing_due(self) -> None:
        self._typing_timer = None
        if self.state.typing_expired(time.monotonic()):
            self.render()
        self._arm_typing_timer()

    # what this page tells the server ---------------------------------------------------

    async def _tell(self, event: Event, request: Shape) -> None:
        # The answer is not read: see the module's docstring.
        await self.socket.call(event, request)

    def _announce_presence(self) -> None:
        """A session once named: whether this page is hidden (it may have
        been loaded in a background tab). Not waited for: the events after
        it go out after it anyway, and its answer says nothing they need."""
        request = self.state.presence_request(self.view.talk.aware.page_hidden)
        if request is not None:
            self._spawn(self._tell(Event.SET_PRESENCE, request))

    def typed(self, draft: str) -> None:
        """The draft in the composer or the "Reply" box changed."""
        request = self.state.typing_request(draft, time.monotonic())
        if request is not None:
            self._spawn(self._tell(Event.TYPING, request))

    def visibility_changed(self, hidden: bool) -> None:
        """The tab was hidden or shown again."""
        request = self.state.presence_request(hidden)
        if request is not None and self.socket.connected:
            self._spawn(self._tell(Event.SET_PRESENCE, request))

    def person_active(self) -> None:
        """A key, a click or scrolling: after a quiet while, say we are back."""
        if not self.socket.connected:
            return
        request = self.state.wake_request(self.socket.last_sent, time.monotonic())
        if request is not None:
            self._spawn(self._tell(Event.SET_PRESENCE, request))
