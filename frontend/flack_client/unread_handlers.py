"""Unread counts, read marks and notifications (issue 15), for ``main.App``.

The server's ``read`` event goes to the state. After every draw the state
says whether a ``mark_read`` is due (what is on screen, with the page in
front, is read) and which desktop notifications to show; one timer sends a
mark that waits (at most one every 3 s while a conversation is read live),
and a mark's answer, which carries the counts, asks again. The page going
to the background or coming back, "Enable notifications" and a click on a
notification end here too. A mixin of ``App`` (``main.py``), kept apart so
that neither module grows too long to read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import js  # type: ignore[import-not-found]

from flack.protocol import Event, MarkRead
from flack_client.net import Socket
from flack_client.state import ChatState
from flack_client.unread_view import permission
from flack_client.view import View

# The timer goes off this much after a mark is due, so that it never wakes a
# hair early (two clocks' rounding) and has to be set again.
_TIMER_SLACK = 0.05
# Deletions are recounted this long after the first: a thread deleted with
# its replies (several events) is one question per conversation.
_RECOUNT_AFTER = 0.3


class UnreadHandlers:
    """Unread counts, read marks and notifications (mixed into ``App``)."""

    state: ChatState
    view: View
    socket: Socket
    _mark_timer: asyncio.TimerHandle | None = None
    _recount_timer: asyncio.TimerHandle | None = None

    if TYPE_CHECKING:  # App's own

        def render(self) -> None: ...
        def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None: ...
        def select_channel(self, name: str) -> None: ...

    def bind_unread(self) -> None:
        """Listen to ``read``; take the page's visibility and the browser's
        word on notifications as they are at the start."""
        self.socket.on(Event.READ, self._on_read)
        self.state.visibility_set(bool(js.document.hidden))
        self.state.permission_set(permission())

    def _on_read(self, payload: Any) -> None:
        if self.state.read_heard(payload):
            self.render()

    def unread_updated(self, payload: Any) -> None:
        """A message changed: a deleted one we counted unread is recounted
        by the server, shortly."""
        if self.state.recount_wanted(payload) and self._recount_timer is None:
            self._recount_timer = asyncio.get_event_loop().call_later(_RECOUNT_AFTER, self._recount)

    def _recount(self) -> None:
        self._recount_timer = None
        for request in self.state.take_recounts():
            self._spawn(self._recounted(request))

    async def _recounted(self, request: MarkRead) -> None:
        ack = await self.socket.call(Event.MARK_READ, request)
        if self.state.recount_answered(ack):
            self.render()

    def unread_drawn(self) -> None:
        """After every draw: notifications to show, a mark to send."""
        for note in self.state.take_notifications():
            self.view.talk.unread.notify(note)
        self._mark_if_due()

    def _mark_if_due(self) -> None:
        request = self.state.mark_due(time.monotonic())
        if request is not None:
            self._spawn(self._mark(request))
        self._arm_mark_timer()

    async def _mark(self, request: MarkRead) -> None:
        ack = await self.socket.call(Event.MARK_READ, request)
        if self.state.mark_answered(ack):
            self.render()  # and, after drawing, the next mark if one is due
        else:
            self._mark_if_due()

    def _arm_mark_timer(self) -> None:
        """One timer, set for when the waiting mark is due."""
        if self._mark_timer is not None:
            self._mark_timer.cancel()
            self._mark_timer = None
        deadline = self.state.mark_deadline
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic()) + _TIMER_SLACK
            self._mark_timer = asyncio.get_event_loop().call_later(delay, self._mark_due)

    def _mark_due(self) -> None:
        self._mark_timer = None
        self._mark_if_due()

    def unread_visibility(self, hidden: bool) -> None:
        """The tab went to the background or came back: drawn again (the
        "New messages" line may move, the open conversation is marked).
        The browser's word on notifications is read again too: the person
        may have changed it in the site's settings meanwhile."""
        self.state.visibility_set(hidden)
        self.state.permission_set(permission())
        self.render()

    def enable_notifications(self) -> None:
        """ "Enable notifications": the browser asks the person."""
        self._spawn(self._ask_permission())

    async def _ask_permission(self) -> None:
        answer = await self.view.talk.unread.request_permission()
        if self.state.permission_set(answer):
            self.render()

    def notification_clicked(self, channel: str) -> None:
        """A notification was clicked (this tab is in front again): its
        conversation opens."""
        self.select_channel(channel)
