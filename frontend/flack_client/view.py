"""Drawing ``ChatState`` into the page, and turning DOM events into calls.

Everything is built with ``createElement`` and ``textContent``: text from other
people is never parsed as HTML. The page shell (index.html) exists before
Python starts; this module only fills it in. ``render`` is idempotent and
cheap to call after any change: it rebuilds only what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from flack_client.state import ChatState, Entry, Message, Notice, is_send_key, should_follow


class Handlers(Protocol):
    """What the page asks the application to do."""

    def save_name(self, raw: str) -> None: ...
    def change_name(self) -> None: ...
    def cancel_name(self) -> None: ...
    def name_dialog_closed(self) -> None: ...
    def create_channel(self, raw: str) -> None: ...
    def select_channel(self, name: str) -> None: ...
    def send(self, raw: str) -> None: ...
    def dismiss_error(self) -> None: ...


# Options objects for Date formatting, made once. Times are formatted by the
# browser because only it knows the viewer's locale and time zone.
_TIME_ONLY = js.JSON.parse('{"hour": "2-digit", "minute": "2-digit"}')
_DATE_TIME = js.JSON.parse('{"month": "short", "day": "numeric", "hour": "2-digit", "minute": "2-digit"}')
_FULL = js.JSON.parse('{"dateStyle": "full", "timeStyle": "medium"}')


def _el(tag: str, cls: str = "", text: str | None = None) -> Any:
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    if text is not None:
        node.textContent = text
    return node


def _time_element(iso: str) -> Any:
    """``<time datetime=ISO>`` showing the viewer's local time (and the date,
    unless it is today); the full date and time on hover."""
    node = _el("time")
    node.setAttribute("datetime", iso)
    date = js.Date.new(iso)
    if js.Number.isNaN(date.getTime()):
        node.textContent = iso
        return node
    today = js.Date.new().toDateString() == date.toDateString()
    # None crosses over as undefined, i.e. "the browser's locale".
    node.textContent = (
        date.toLocaleTimeString(None, _TIME_ONLY) if today else (date.toLocaleString(None, _DATE_TIME))
    )
    node.title = date.toLocaleString(None, _FULL)
    return node


def _message_node(message: Message, own: bool) -> Any:
    article = _el("article", "message message--own" if own else "message")
    article.dataset.id = str(message.id)
    meta = _el("header", "message__meta")
    meta.append(_el("span", "message__sender", message.sender))
    if own:
        meta.append(_el("span", "message__you", "(you)"))
    meta.append(_time_element(message.time))
    article.append(meta)
    article.append(_el("p", "message__text", message.text))
    return article


def _notice_node(notice: Notice) -> Any:
    line = _el("p", f"notice notice--{notice.kind}")
    line.append(_el("span", "notice__text", notice.text))
    line.append(_time_element(notice.time))
    return line


def _hash_label(parent: Any, name: str) -> None:
    """ "# name" where the # is decoration only, so the accessible name is the
    channel's name alone."""
    hash_mark = _el("span", "hash", "#")
    hash_mark.setAttribute("aria-hidden", "true")
    parent.append(hash_mark)
    parent.append(_el("span", "label", name))


class View:
    """The page. Holds the DOM references and the DOM event proxies."""

    def __init__(self) -> None:
        by_id = js.document.getElementById
        self.body = js.document.body
        self.my_name = by_id("my-name")
        self.change_name_button = by_id("change-name")
        self.status = by_id("connection")
        self.error = by_id("error")
        self.error_text = by_id("error-text")
        self.error_dismiss = by_id("error-dismiss")
        self.dialog = by_id("name-dialog")
        self.name_form = by_id("name-form")
        self.name_input = by_id("name-input")
        self.name_error = by_id("name-error")
        self.name_cancel = by_id("name-cancel")
        self.create_form = by_id("create-channel-form")
        self.new_channel = by_id("new-channel")
        self.channel_list = by_id("channel-list")
        self.no_channels = by_id("no-channels")
        self.title = by_id("channel-title")
        self.log = by_id("messages")
        self.log_empty = by_id("log-empty")
        self.composer = by_id("composer")
        self.message_input = by_id("message-input")
        self.send_button = by_id("send")
        self._proxies: list[Any] = []
        # What is on screen now, to rebuild only what changed.
        self._channels_shown: tuple[Any, ...] | None = None
        self._title_shown: str | None = "\0"  # matches no channel: first render draws
        self._log_channel: str | None = None
        self._log_owner: str | None = None
        self._log_keys: list[str] = []
        self._can_cancel = False

    # events -----------------------------------------------------------------

    def _listen(self, target: Any, event: str, callback: Callable[[Any], None]) -> None:
        # Kept for the page's lifetime: the page never unbinds its controls.
        proxy = create_proxy(callback)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def bind(self, app: Handlers) -> None:
        """Connect the page's controls to ``app``."""

        def on_name_submit(event: Any) -> None:
            event.preventDefault()
            app.save_name(self.name_input.value)

        def on_dialog_cancel(event: Any) -> None:
            # Escape closes a modal dialog; without a name there is nothing
            # behind it that works, so it stays.
            event.preventDefault()
            if self._can_cancel:
                app.cancel_name()

        def on_create(event: Any) -> None:
            event.preventDefault()
            app.create_channel(self.new_channel.value)

        def on_channel_click(event: Any) -> None:
            button = event.target.closest("button[data-channel]")
            if button:
                app.select_channel(button.dataset.channel)

        def on_compose(event: Any) -> None:
            event.preventDefault()
            app.send(self.message_input.value)

        def on_key(event: Any) -> None:
            if is_send_key(event.key, bool(event.shiftKey), bool(event.isComposing)):
                event.preventDefault()
                app.send(self.message_input.value)

        self._listen(self.name_form, "submit", on_name_submit)
        self._listen(self.dialog, "cancel", on_dialog_cancel)
        # Browsers may close a modal anyway (a second Escape cannot always be
        # prevented); the app then decides whether it has to come back.
        self._listen(self.dialog, "close", lambda _e: app.name_dialog_closed())
        self._listen(self.name_cancel, "click", lambda _e: app.cancel_name())
        self._listen(self.change_name_button, "click", lambda _e: app.change_name())
        self._listen(self.create_form, "submit", on_create)
        self._listen(self.channel_list, "click", on_channel_click)
        self._listen(self.composer, "submit", on_compose)
        self._listen(self.message_input, "keydown", on_key)
        self._listen(self.message_input, "input", lambda _e: self._fit_composer())
        self._listen(self.error_dismiss, "click", lambda _e: app.dismiss_error())

    # small imperative bits ----------------------------------------------------

    def set_ready(self) -> None:
        """Tell the world (and the tests) that the client is up."""
        self.body.dataset.ready = "true"

    def clear_new_channel_if(self, sent: str) -> None:
        """Empty the "New channel" box after a success, unless it already
        holds the next name someone typed while we waited."""
        if self.new_channel.value == sent:
            self.new_channel.value = ""

    def clear_composer_if(self, sent: str) -> None:
        """Empty the composer after a send, unless the person already typed
        something else meanwhile (that must not be thrown away)."""
        if self.message_input.value == sent:
            self.message_input.value = ""
            self._fit_composer()

    def focus_composer(self) -> None:
        """Put the cursor where the next message is typed, but only if focus
        is on nothing in particular or on the channel list: this runs when an
        answer arrives, and must never yank focus out of a box the person is
        typing into meanwhile."""
        active = js.document.activeElement
        idle = not active or active == self.body or bool(self.channel_list.contains(active))
        if idle and not self.message_input.disabled:
            self.message_input.focus()

    def scroll_to_bottom(self) -> None:
        """Show the newest message."""
        self.log.scrollTop = self.log.scrollHeight

    def _fit_composer(self) -> None:
        # Grow with the text up to the CSS max-height, then scroll inside.
        self.message_input.style.height = "auto"
        self.message_input.style.height = f"{self.message_input.scrollHeight + 2}px"

    # rendering --------------------------------------------------------------

    def render(self, state: ChatState) -> None:
        """Make the page show ``state``."""
        self.my_name.textContent = state.name or "not chosen yet"
        self.status.textContent = state.connection_label
        self.status.dataset.state = state.connection.value
        self._render_error(state)
        self._render_dialog(state)
        self._render_channels(state)
        self._render_title(state)
        self._render_log(state)
        self.message_input.disabled = not state.can_compose
        self.message_input.placeholder = state.composer_placeholder
        self.send_button.disabled = not state.can_compose

    def _render_error(self, state: ChatState) -> None:
        # ``hidden`` (not just invisible) keeps an empty alert out of the
        # accessibility tree.
        # The alert holds only the sentence (its text is what gets announced);
        # the Dismiss button sits next to it in the same box.
        self.error_text.textContent = state.error or ""
        self.error_text.hidden = not state.error
        self.error.hidden = not state.error

    def _render_dialog(self, state: ChatState) -> None:
        self._can_cancel = state.can_cancel_dialog
        self.name_cancel.hidden = not state.can_cancel_dialog
        self.name_error.textContent = state.name_error or ""
        self.name_error.hidden = not state.name_error
        if state.dialog_open and not self.dialog.open:
            self.name_input.value = state.name_draft
            self.dialog.showModal()
            self.name_input.select()
        elif not state.dialog_open and self.dialog.open:
            self.dialog.close()
        if state.name_error and self.dialog.open:
            self.name_input.setAttribute("aria-invalid", "true")
        else:
            self.name_input.removeAttribute("aria-invalid")

    def _render_channels(self, state: ChatState) -> None:
        shown = (tuple(state.channels), state.open_channel)
        if shown == self._channels_shown:
            return
        self._channels_shown = shown
        items = []
        for name in state.channels:
            button = _el("button", "channel")
            button.type = "button"
            button.dataset.channel = name
            _hash_label(button, name)
            if state.is_open(name):
                button.setAttribute("aria-current", "true")
            item = _el("li")
            item.append(button)
            items.append(item)
        self.channel_list.replaceChildren(*items)
        self.no_channels.textContent = "No channels yet. Create the first one above."
        self.no_channels.hidden = bool(items)

    def _render_title(self, state: ChatState) -> None:
        if state.open_channel == self._title_shown:
            return
        self._title_shown = state.open_channel
        self.title.replaceChildren()
        if state.open_channel is None:
            self.title.textContent = "No channel open"
        else:
            _hash_label(self.title, state.open_channel)

    def _render_log(self, state: ChatState) -> None:
        entries = state.log
        keys = [entry.key for entry in entries]
        self.log.hidden = state.open_channel is None
        self.log_empty.textContent = state.empty_log_text()
        self.log_empty.hidden = bool(entries)
        switched = state.open_channel != self._log_channel
        same_prefix = (
            not switched and state.name == self._log_owner and keys[: len(self._log_keys)] == self._log_keys
        )
        if same_prefix and len(keys) == len(self._log_keys):
            return
        # Decide before the DOM changes: was the reader at the bottom?
        follow = switched or should_follow(self.log.scrollTop, self.log.scrollHeight, self.log.clientHeight)
        if same_prefix:
            for entry in entries[len(self._log_keys) :]:
                self.log.append(self._entry_node(entry, state))
        else:
            # Another channel, a fresh history, a rename (the "own" marks
            # change) or an out-of-order message: redraw the lot.
            self.log.replaceChildren(*[self._entry_node(e, state) for e in entries])
        self._log_keys = keys
        self._log_channel = state.open_channel
        self._log_owner = state.name
        if follow:
            self.scroll_to_bottom()

    @staticmethod
    def _entry_node(entry: Entry, state: ChatState) -> Any:
        if isinstance(entry, Message):
            return _message_node(entry, state.is_own(entry))
        return _notice_node(entry)
