"""Drawing issue 15's typing line, and turning the page's events into
presence and typing calls.

The typing line is one ``role=status`` element in the conversation view,
always in the page (empty when nobody types): a live region must exist
before its text changes for screen readers to announce the change. The
page's facts for presence: ``visibilitychange`` (whether the tab is
hidden), and the person's keys, clicks and scrolling anywhere on the page
(whether they are back after a quiet while). Part of ``talk_view.TalkView``;
the same rules hold: ``textContent`` only, every sentence from ``wording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]

from flack_client.state import ChatState

Listen = Callable[[Any, str, Callable[[Any], None]], None]

# What counts as the person being at the page. Not pointer movement: it
# fires many times a second and a resting hand is no sign of anyone.
ACTIVITY_EVENTS = ("keydown", "pointerdown", "wheel")


class AwareActions(Protocol):
    """What issue 15's parts of the page ask the application to do."""

    def typed(self, draft: str) -> None: ...
    def visibility_changed(self, hidden: bool) -> None: ...
    def person_active(self) -> None: ...


class AwareView:
    """The typing line, and the page events presence and typing need."""

    def __init__(self, listen: Listen) -> None:
        by_id = js.document.getElementById
        self._listen = listen
        self.typing = by_id("typing")
        self.message_input = by_id("message-input")
        self.reply_input = by_id("reply-input")
        self._typing_shown = ""

    @property
    def page_hidden(self) -> bool:
        """Whether this tab is hidden (another tab in front, minimised)."""
        return bool(js.document.hidden)

    def bind(self, app: AwareActions) -> None:
        """Drafts changing in the composer and the thread's "Reply" box (both
        the open conversation's), visibility, and the person's activity."""

        def on_input(event: Any) -> None:
            app.typed(str(event.target.value))

        for box in (self.message_input, self.reply_input):
            self._listen(box, "input", on_input)
        self._listen(js.document, "visibilitychange", lambda _e: app.visibility_changed(self.page_hidden))
        for event in ACTIVITY_EVENTS:
            self._listen(js.document, event, lambda _e: app.person_active())

    def render(self, state: ChatState) -> None:
        """Who is typing in the open conversation (only a change is written:
        each write is announced)."""
        text = state.typing_text
        if text != self._typing_shown:
            self._typing_shown = text
            self.typing.textContent = text
