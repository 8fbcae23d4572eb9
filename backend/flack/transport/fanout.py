"""Coalescing a busy channel's messages (the :class:`Batcher`).

Delivery itself is the client manager's (:mod:`flack.transport.manager`):
one encoded packet for all members, without a task per recipient, written
straight to idle websockets under uvicorn. What remains per recipient is one
WebSocket frame; under load the Batcher sends one frame for several messages
(see its docstring); when a channel is quiet it adds no delay.
"""

from __future__ import annotations

import asyncio

from flack.protocol import Event, Message, MessageEvent, MessagesEvent, Notice, Notices, Shape
from flack.transport.manager import FanoutManager


class Batcher:
    """Chat messages to a room: at once when the room is quiet, batched when busy.

    The first message after a quiet spell is broadcast at once as a
    ``message`` event and opens a window of ``window`` seconds. Messages
    posted to that room inside the window are held; when it closes they go
    out together as one ``messages`` event (one frame per recipient for the
    lot) and a new window opens. A window that closes with nothing held ends
    the busy spell. So an idle room adds no delay, and a busy one delays a
    message by at most ``window``.

    Order is kept: anything else sent to a room (:meth:`emit`) and any
    change of its members (:meth:`flush` before entering or leaving it)
    first sends what is held, so members see exactly what they would have
    seen without batching, in the same order. ``window`` 0 turns batching
    off.

    Everything goes out through the manager's synchronous
    :meth:`~flack.transport.manager.FanoutManager.broadcast`: a flush has
    reached every member (written or queued) before it returns, with no
    await in between, which is what lets :class:`~flack.transport.rooms.Rooms`
    flush a room and then change its members without a message slipping
    across the change.
    """

    def __init__(self, manager: FanoutManager, window: float, notice_window: float = 0.25) -> None:
        self._manager = manager
        self._window = window
        self._held: dict[str, list[Message]] = {}
        self._windows: dict[str, asyncio.TimerHandle] = {}
        # Notices (joins, leaves, renames) have windows of their own, longer:
        # a burst of N joins is news for every member, N² packets unless held.
        self._notice_window = notice_window
        # Held notices, each with the connection whose action it is.
        self._held_notices: dict[str, list[tuple[Notice, str | None]]] = {}
        self._notice_windows: dict[str, asyncio.TimerHandle] = {}

    def notice(self, room: str, notice: Notice, skip_sid: str | None = None) -> None:
        """A notice for ``room``: at once when the room's notices are quiet
        (not to ``skip_sid``, whose action it is), else held and sent with
        the others of the window as one ``notices`` event, to everyone in
        the room (the actors' own connections included: one packet for all;
        a notice held alone still skips its actor).
        Held notices go out before any later message of the room."""
        if room in self._notice_windows:
            self._held_notices.setdefault(room, []).append((notice, skip_sid))
            return
        self.flush(room)
        self._manager.broadcast(Event.NOTICE, notice.to_wire(), room, skip_sid)
        if self._notice_window > 0:
            loop = asyncio.get_running_loop()
            self._notice_windows[room] = loop.call_later(self._notice_window, self._close_notice_window, room)

    def _flush_notices(self, room: str) -> None:
        held = self._held_notices.pop(room, None)
        if not held:
            return
        if len(held) == 1:  # alone, it still skips whose action it is
            notice, skip_sid = held[0]
            self._manager.broadcast(Event.NOTICE, notice.to_wire(), room, skip_sid)
        else:
            self._manager.broadcast(Event.NOTICES, Notices([n for n, _ in held]).to_wire(), room)

    def _close_notice_window(self, room: str) -> None:
        del self._notice_windows[room]
        if self._held_notices.get(room):
            self._flush_notices(room)
            loop = asyncio.get_running_loop()
            self._notice_windows[room] = loop.call_later(self._notice_window, self._close_notice_window, room)

    def message(self, room: str, message: Message) -> None:
        """A new chat message for ``room``."""
        self._flush_notices(room)  # what was said before it comes first
        if room in self._windows:
            self._held.setdefault(room, []).append(message)
            return
        self._manager.broadcast(Event.MESSAGE, MessageEvent(message).to_wire(), room)
        self._open(room)

    def emit(self, event: Event, payload: Shape, room: str | None, skip_sid: str | None = None) -> int:
        """Broadcast any other event, after what ``room`` (``None``: every
        room) has held."""
        if room is None:
            self.flush_all()
        else:
            self.flush(room)
        return self._manager.broadcast(event, payload.to_wire(), room, skip_sid)

    def flush(self, room: str) -> None:
        """Send what ``room`` holds now, notices first (its windows stay open)."""
        self._flush_notices(room)
        self.flush_messages(room)

    def flush_messages(self, room: str) -> None:
        """Send the messages ``room`` holds now (before its members change:
        a message reaches exactly who was a member when it was posted).
        Held notices wait for their window: a burst of joins is the case
        they are held for, and they reach whoever is there when it closes."""
        held = self._held.pop(room, None)
        if not held:
            return
        if len(held) == 1:
            self._manager.broadcast(Event.MESSAGE, MessageEvent(held[0]).to_wire(), room)
        else:
            self._manager.broadcast(Event.MESSAGES, MessagesEvent(held).to_wire(), room)

    def flush_all(self) -> None:
        """Send everything held (shutting down, or a broadcast to everyone)."""
        for room in list(self._held) + list(self._held_notices):
            self.flush(room)

    def close(self) -> None:
        """Send everything held and stop the timers."""
        self.flush_all()
        for timer in [*self._windows.values(), *self._notice_windows.values()]:
            timer.cancel()
        self._windows.clear()
        self._notice_windows.clear()

    def _open(self, room: str) -> None:
        if self._window > 0:
            loop = asyncio.get_running_loop()
            self._windows[room] = loop.call_later(self._window, self._close_window, room)

    def _close_window(self, room: str) -> None:
        del self._windows[room]
        if self._held.get(room):
            self.flush(room)
            self._open(room)  # still busy: hold what comes next too
