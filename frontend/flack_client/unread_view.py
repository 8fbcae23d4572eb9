"""Drawing issue 15's unread counts, "New messages", the tab's title and
"Enable notifications", and showing desktop notifications.

A conversation link says its counts in its accessible name (``, 3 unread,
1 mention``, visually hidden) and shows them as small badges (hidden from
screen readers: the name says it). "New messages" is one ``role=separator``
element that moves within the log (``log_view.LogView.marker``: the log
takes it out before it places its own nodes by position). Notifications are
the browser's ``Notification``; clicking one brings this tab to the front
and opens its conversation. Part of ``talk_view.TalkView``; the same rules
hold: ``textContent`` only, every sentence from ``wording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from flack_client import wording
from flack_client.log_view import LogView, element
from flack_client.net import to_js
from flack_client.state import ChatState
from flack_client.unread import Counts, Notification

Listen = Callable[[Any, str, Callable[[Any], None]], None]
# Notifications whose click handler is kept: one per conversation (its tag:
# a newer one replaces the older, in the browser and here).
_NOTES_KEPT = 50


class UnreadActions(Protocol):
    """What issue 15's unread parts of the page ask the application to do."""

    def enable_notifications(self) -> None: ...
    def notification_clicked(self, channel: str) -> None: ...
    def unread_visibility(self, hidden: bool) -> None: ...


def add_counts(node: Any, counts: Counts, words: str, *, direct: bool = False) -> None:
    """A conversation link's counts: ``words`` in its name, badges to see.
    A channel shows its unread count and, apart, ``@N`` for mentions of us;
    a direct conversation (every message a mention) one number."""
    if not words:
        return
    node.classList.add("channel--unread")
    node.append(element("span", "visually-hidden", words))
    badges = []
    if counts.unread and not direct:
        badges.append(element("span", "badge", str(counts.unread)))
    if counts.mentions:
        text = str(counts.mentions) if direct else f"@{counts.mentions}"
        badges.append(element("span", "badge badge--mention", text))
    for badge in badges:
        badge.setAttribute("aria-hidden", "true")
        node.append(badge)


def _notifications() -> Any:
    """The browser's ``Notification``, or ``None`` (an insecure origin has none)."""
    return getattr(js.window, "Notification", None)


def permission() -> str:
    """What the browser says of notifications: default, granted, denied or unsupported."""
    api = _notifications()
    return str(api.permission) if api is not None else "unsupported"


class UnreadView:
    """The tab's title, the notifications button, "New messages", notifications."""

    def __init__(self, log_view: LogView, listen: Listen) -> None:
        by_id = js.document.getElementById
        self._listen = listen
        self.log = log_view.log
        self.button = by_id("enable-notifications")
        self.status = by_id("notify-status")
        self.line = element("div", "new-line")
        self.line.setAttribute("role", "separator")
        self.line.setAttribute("aria-label", wording.NEW_MESSAGES)
        self.line.append(element("span", "new-line__text", wording.NEW_MESSAGES))
        log_view.marker = self.line
        self._title = ""
        self._notify_shown: tuple[Any, ...] = ()
        self._clicks: dict[str, Any] = {}  # tag -> the click handler's proxy
        self._app: UnreadActions | None = None

    def bind(self, app: UnreadActions) -> None:
        """ "Enable notifications" asks the browser (only when pressed); the
        tab going to the background or coming back."""
        self._app = app
        self._listen(self.button, "click", lambda _e: app.enable_notifications())
        self._listen(
            js.document, "visibilitychange", lambda _e: app.unread_visibility(bool(js.document.hidden))
        )

    def render(self, state: ChatState) -> None:
        """The title, the button or what stands for it, and "New messages"."""
        title = state.page_title
        if title != self._title:
            self._title = js.document.title = title
        notify = (state.can_enable_notifications, state.notify_status, state.ready)
        if notify != self._notify_shown:
            self._notify_shown = notify
            self.button.hidden = not state.can_enable_notifications
            self.button.disabled = not state.ready
            text, hint = state.notify_status
            self.status.textContent = text
            self.status.title = hint
            self.status.hidden = not text
        self._place_line(state.new_line_before())

    def _place_line(self, before: int | None) -> None:
        """ "New messages" just before message ``before``'s article (only a
        move is a change: each insertion is news to the log's live region)."""
        target = self.log.querySelector(f':scope > article[data-id="{before}"]') if before else None
        if not target:
            if self.line.isConnected:
                self.line.remove()
            return
        after = self.line.nextElementSibling
        if not self.line.isConnected or not after or not after.isSameNode(target):
            self.log.insertBefore(self.line, target)

    async def request_permission(self) -> str:
        """Ask the browser for notifications; what it answered."""
        api = _notifications()
        if api is None:
            return "unsupported"
        return str(await api.requestPermission())

    def notify(self, note: Notification) -> None:
        """Show ``note`` on the desktop; a click opens its conversation here."""
        api = _notifications()
        if api is None:
            return
        options = to_js({"body": note.body, "tag": note.tag, "renotify": True})
        try:
            shown = api.new(note.title, options)
        except Exception:  # the browser refused (a permission withdrawn meanwhile)
            return

        def on_click(_event: Any = None) -> None:
            js.window.focus()
            shown.close()
            if self._app is not None:
                self._app.notification_clicked(note.channel)

        old = self._clicks.pop(note.tag, None)
        if old is not None:
            old.destroy()
        if len(self._clicks) >= _NOTES_KEPT:
            self._clicks.pop(next(iter(self._clicks))).destroy()
        proxy = self._clicks[note.tag] = create_proxy(on_click)
        shown.onclick = proxy
