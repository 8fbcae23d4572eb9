"""Drawing ``ChatState`` into the page, and turning DOM events into calls.

Everything is built with ``createElement`` and ``textContent``: text from other
people is never parsed as HTML. The page shell (index.html) exists before
Python starts; this module only fills it in. ``render`` is idempotent and
cheap to call after any change: it rebuilds only what differs. The message
log is drawn from its journal of changes (``log.MessageLog``): one new
message is one new node, whatever the length of the log. Every sentence
comes from ``wording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from flack.protocol import File, Message
from flack_client import wording
from flack_client.checks import is_send_key, should_follow
from flack_client.entries import (
    GapMarker,
    LogEntry,
    NoticeEntry,
    entry_key,
    file_badge,
    file_details,
    file_downloadable,
    file_previewed,
    render_key,
)
from flack_client.log import Change, ChangeKind
from flack_client.outbox import Outgoing
from flack_client.state import ChatState
from flack_client.uploads import Upload


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
    def share_files(self, files: list[Any]) -> None: ...
    def cancel_upload(self, key: str) -> None: ...
    def retry_upload(self, key: str) -> None: ...
    def retry_send(self, client_id: str) -> None: ...
    def discard_send(self, client_id: str) -> None: ...


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


def _file_node(file: File) -> Any:
    """A shared file: its name as a download link (plain text once expired),
    size and type, and an inline preview for images the server checked."""
    box = _el("div", "file file--expired" if file.expired else "file")
    card = _el("div", "file__card")
    badge = _el("span", "file__badge", file_badge(file))
    badge.setAttribute("aria-hidden", "true")
    card.append(badge)
    about = _el("div", "file__about")
    if file_downloadable(file):
        link = _el("a", "file__name", file.name)
        link.href = file.url  # checked to be a path on this origin
        link.setAttribute("download", file.name)
        about.append(link)
    else:
        about.append(_el("span", "file__name", file.name))
    details = _el("p", "file__details", file_details(file))
    if file.expired:
        details.append(_el("span", "file__expired", wording.FILE_EXPIRED))
    about.append(details)
    card.append(about)
    box.append(card)
    if file_previewed(file):
        image = _el("img", "file__preview")
        image.alt = file.name
        image.setAttribute("loading", "lazy")
        image.setAttribute("decoding", "async")
        image.src = file.url
        box.append(image)
    return box


def _message_node(message: Message, own: bool) -> Any:
    article = _el("article", "message message--own" if own else "message")
    article.dataset.id = str(message.id)
    meta = _el("header", "message__meta")
    meta.append(_el("span", "message__sender", message.sender))
    if own:
        meta.append(_el("span", "message__you", wording.YOU))
    meta.append(_time_element(message.time))
    article.append(meta)
    if message.text or message.file is None:
        article.append(_el("p", "message__text", message.text))
    if message.file is not None:
        article.append(_file_node(message.file))
    return article


def _outgoing_node(item: Outgoing, sender: str) -> Any:
    """A message of ours the server has not confirmed: pending ("Sending…")
    or failed ("Not sent", the reason, Retry and Discard)."""
    state = "failed" if item.failed else "pending"
    article = _el("article", f"message message--own message--{state}")
    article.dataset.clientId = item.client_id
    meta = _el("header", "message__meta")
    meta.append(_el("span", "message__sender", sender))
    meta.append(_el("span", "message__you", wording.YOU))
    meta.append(_el("span", f"message__state message__state--{state}", item.state_text))
    article.append(meta)
    article.append(_el("p", "message__text", item.text))
    if item.failed:
        problem = _el("div", "message__problem")
        problem.append(_el("p", "message__reason", item.failure_text))
        for action, text, label in (
            ("retry", wording.RETRY, wording.retry_send_label(item.preview)),
            ("discard", wording.DISCARD, wording.discard_label(item.preview)),
        ):
            button = _el("button", "button button--quiet", text)
            button.type = "button"
            button.dataset.action = action
            # The visible word first (voice control), then which message.
            button.setAttribute("aria-label", label)
            problem.append(button)
        article.append(problem)
    return article


def _gap_node(marker: GapMarker) -> Any:
    line = _el("p", "gap", marker.text)
    line.setAttribute("role", "note")
    return line


class _UploadRow:
    """One upload's row: name, progress bar, status line and its buttons.

    Built once and updated in place after every chunk, so a focused Cancel
    button keeps its focus while the bar moves.
    """

    def __init__(self, upload: Upload) -> None:
        self.node = _el("div", "upload")
        self.node.dataset.key = upload.key
        top = _el("div", "upload__top")
        top.append(_el("span", "upload__name", upload.name))
        top.append(_el("span", "upload__channel", f"#{upload.channel}"))
        self.status = _el("span", "upload__status")
        top.append(self.status)
        self.node.append(top)
        self.bar = _el("div", "upload__bar")
        self.bar.setAttribute("role", "progressbar")
        self.bar.setAttribute("aria-label", upload.label)
        self.bar.setAttribute("aria-valuemin", "0")
        self.bar.setAttribute("aria-valuemax", "100")
        self.fill = _el("div", "upload__fill")
        self.bar.append(self.fill)
        self.node.append(self.bar)
        actions = _el("div", "upload__actions")
        self.cancel = self._button(actions, "cancel", wording.CANCEL, upload.name)
        self.retry = self._button(actions, "retry", wording.RETRY, upload.name)
        self.dismiss = self._button(actions, "dismiss", wording.DISMISS, upload.name)
        self.node.append(actions)
        self.shown: tuple[Any, ...] = ()

    @staticmethod
    def _button(parent: Any, action: str, text: str, name: str) -> Any:
        button = _el("button", "button button--quiet", text)
        button.type = "button"
        button.dataset.action = action
        button.setAttribute("aria-label", wording.upload_button_label(text, name))
        parent.append(button)
        return button

    def update(self, upload: Upload) -> None:
        shown = (upload.percent, upload.status_text, upload.active, upload.failed, upload.can_retry)
        if shown == self.shown:
            return
        self.shown = shown
        percent = str(upload.percent)
        self.bar.setAttribute("aria-valuenow", percent)
        self.bar.setAttribute("aria-valuetext", f"{upload.progress_text} ({percent}%)")
        self.fill.style.width = f"{percent}%"
        self.status.textContent = upload.status_text
        self.node.dataset.state = "failed" if upload.failed else "uploading"
        self.cancel.hidden = not upload.active
        self.retry.hidden = not upload.can_retry
        self.dismiss.hidden = not upload.failed


def _file_list(files: Any) -> list[Any]:
    """The ``File`` objects of a JS ``FileList`` (which may be null)."""
    if not files:
        return []
    return [files.item(index) for index in range(files.length)]


def _notice_node(notice: NoticeEntry) -> Any:
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
        self.dialog_help = by_id("name-dialog-help")
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
        self.chat = by_id("chat")
        self.file_input = by_id("file-input")
        self.share_label = by_id("share-file")
        self.uploads = by_id("uploads")
        self.drop_zone = by_id("drop-zone")
        self.drop_hint = by_id("drop-hint")
        self._proxies: list[Any] = []
        # What is on screen now, to rebuild only what changed.
        self._channels_shown: tuple[Any, ...] | None = None
        self._title_shown: str | None = "\0"  # matches no channel: first render draws
        self._log_channel: str | None = None
        self._log_owner: str | None = None
        self._log_version: int | None = None  # the journal's cursor: drawn up to here
        self._log_epoch = -1
        # The log element holds the log's entries, in order, then the
        # pending messages: (key, render key, node) for each.
        self._entry_nodes: list[tuple[str, str, Any]] = []
        self._pending_nodes: list[tuple[str, str, Any]] = []
        self._can_cancel = False
        self._can_share = False
        self._at_bottom = True
        self._upload_rows: dict[str, _UploadRow] = {}

    # events -----------------------------------------------------------------

    def _listen(self, target: Any, event: str, callback: Callable[[Any], None]) -> None:
        # Kept for the page's lifetime: the page never unbinds its controls.
        proxy = create_proxy(callback)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def bind(self, app: Handlers) -> None:
        """Connect the page's controls to ``app``."""
        # The limits are the protocol's: the page says what the module says.
        self.dialog_help.textContent = wording.name_dialog_help()

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
        self._bind_files(app)

    def _bind_files(self, app: Handlers) -> None:
        """ "Share a file", drag and drop, the upload rows' buttons, and
        keeping the log at the bottom while previews load."""

        def on_pick(_event: Any) -> None:
            files = _file_list(self.file_input.files)
            # Emptied, so that picking the same file again is a change too.
            self.file_input.value = ""
            if files:
                app.share_files(files)

        def carries_files(event: Any) -> bool:
            transfer = event.dataTransfer
            return bool(transfer) and any(kind == "Files" for kind in transfer.types)

        def on_drag(event: Any) -> None:
            # Dragging files anywhere over the page: never let the browser
            # open a dropped file in place of the chat.
            if not carries_files(event):
                return
            event.preventDefault()
            over_chat = bool(self.chat.contains(event.target))
            event.dataTransfer.dropEffect = "copy" if over_chat and self._can_share else "none"
            self._show_drop(over_chat)

        def on_drag_leave(event: Any) -> None:
            # Leaving the page (no related target) or the pane.
            to = event.relatedTarget
            if not to or not self.chat.contains(to):
                self._show_drop(False)

        def on_drop(event: Any) -> None:
            if not carries_files(event):
                return
            event.preventDefault()
            self._show_drop(False)
            if self.chat.contains(event.target):
                files = _file_list(event.dataTransfer.files)
                if files:
                    app.share_files(files)

        def on_upload_button(event: Any) -> None:
            button = event.target.closest("button[data-action]")
            row = button.closest("[data-key]") if button else None
            if not row:
                return
            key, action = row.dataset.key, button.dataset.action
            if action in ("cancel", "dismiss"):
                app.cancel_upload(key)
            elif action == "retry":
                app.retry_upload(key)

        def on_scroll(_event: Any) -> None:
            self._at_bottom = should_follow(self.log.scrollTop, self.log.scrollHeight, self.log.clientHeight)

        def on_image_load(event: Any) -> None:
            # A preview that just loaded grew the log: whoever was reading
            # at the bottom stays at the bottom.
            if event.target.tagName == "IMG" and self._at_bottom:
                self.scroll_to_bottom()

        def on_log_button(event: Any) -> None:
            # Retry / Discard on a message that was not sent.
            button = event.target.closest("button[data-action]")
            article = button.closest("[data-client-id]") if button else None
            if not article:
                return
            client_id, action = article.dataset.clientId, button.dataset.action
            if action == "retry":
                app.retry_send(client_id)
            elif action == "discard":
                app.discard_send(client_id)

        self._listen(self.log, "click", on_log_button)
        self._listen(self.file_input, "change", on_pick)
        for event in ("dragenter", "dragover"):
            self._listen(js.window, event, on_drag)
        self._listen(js.window, "dragleave", on_drag_leave)
        self._listen(js.window, "drop", on_drop)
        self._listen(js.window, "dragend", lambda _e: self._show_drop(False))
        self._listen(self.uploads, "click", on_upload_button)
        self._listen(self.log, "scroll", on_scroll)
        # "load" does not bubble; listen while it goes down to the image.
        proxy = create_proxy(on_image_load)
        self._proxies.append(proxy)
        self.log.addEventListener("load", proxy, True)

    def _show_drop(self, over_chat: bool) -> None:
        if self.drop_zone.hidden != (not over_chat):
            self.drop_zone.hidden = not over_chat
            self.chat.classList.toggle("chat--dropping", over_chat)

    # small imperative bits ----------------------------------------------------

    def set_boot_timings(self, timings: dict[str, int]) -> None:
        """Expose how the boot went (``data-boot``, read by the boot benchmark)."""
        self.body.dataset.boot = ",".join(f"{k}={v}" for k, v in timings.items())

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
        self._at_bottom = True

    def _fit_composer(self) -> None:
        # Grow with the text up to the CSS max-height, then scroll inside.
        self.message_input.style.height = "auto"
        self.message_input.style.height = f"{self.message_input.scrollHeight + 2}px"

    # rendering --------------------------------------------------------------

    def render(self, state: ChatState) -> None:
        """Make the page show ``state``."""
        self.my_name.textContent = state.name or wording.NO_NAME
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
        self._render_sharing(state)
        self._render_uploads(state)

    def _render_sharing(self, state: ChatState) -> None:
        self._can_share = state.can_share
        self.file_input.disabled = not state.can_share
        self.share_label.classList.toggle("share--disabled", not state.can_share)
        self.drop_hint.textContent = state.drop_hint
        self.drop_zone.classList.toggle("drop-zone--refused", not state.can_share)

    def _render_uploads(self, state: ChatState) -> None:
        uploads = state.uploads
        keys = {upload.key for upload in uploads}
        for key in [k for k in self._upload_rows if k not in keys]:
            self._upload_rows.pop(key).node.remove()
        for upload in uploads:
            row = self._upload_rows.get(upload.key)
            if row is None:
                row = self._upload_rows[upload.key] = _UploadRow(upload)
                self.uploads.append(row.node)  # uploads only ever join at the end
            row.update(upload)
        self.uploads.hidden = not uploads

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
        self.no_channels.textContent = wording.NO_CHANNELS
        self.no_channels.hidden = bool(items)

    def _render_title(self, state: ChatState) -> None:
        if state.open_channel == self._title_shown:
            return
        self._title_shown = state.open_channel
        self.title.replaceChildren()
        if state.open_channel is None:
            self.title.textContent = wording.NO_CHANNEL_OPEN
        else:
            _hash_label(self.title, state.open_channel)

    def _render_log(self, state: ChatState) -> None:
        log = state.message_log
        pending = state.pending_in(state.open_channel)
        self.log.hidden = state.open_channel is None
        self.log_empty.textContent = state.empty_log_text()
        self.log_empty.hidden = bool(len(log) or pending)
        switched = state.open_channel != self._log_channel
        # A rename changes which messages are marked as ours: draw all again.
        same_log = not switched and state.name == self._log_owner
        changes = log.changes_since(self._log_version) if same_log else None
        pending_keys = [item.render_key for item in pending]
        pending_changed = pending_keys != [shown[1] for shown in self._pending_nodes]
        if changes == [] and not pending_changed and same_log:
            return
        # Decide before the DOM changes: was the reader at the bottom?
        follow = switched or should_follow(self.log.scrollTop, self.log.scrollHeight, self.log.clientHeight)
        if not same_log:
            self.log.replaceChildren()
            self._entry_nodes, self._pending_nodes = [], []
        if changes is None or len(changes) > len(log):
            # The journal does not reach back far enough (or replaying it
            # would cost more than drawing the log): draw every entry,
            # reusing the nodes of entries that are drawn the same.
            self._redraw_entries(log.entries, state, reuse=same_log and log.epoch == self._log_epoch)
        else:
            for change in changes:
                self._apply(change, state)
        if pending_changed or not same_log:
            self._render_pending(pending, state)
        self._log_version, self._log_epoch = log.version, log.epoch
        self._log_channel = state.open_channel
        self._log_owner = state.name
        if follow:
            self.scroll_to_bottom()

    def _before(self, index: int) -> Any:
        """The node that entry ``index`` goes before (``None``: at the end)."""
        if index < len(self._entry_nodes):
            return self._entry_nodes[index][2]
        return self._pending_nodes[0][2] if self._pending_nodes else None

    def _place(self, node: Any, before: Any) -> None:
        if before is None:
            self.log.append(node)
        else:
            self.log.insertBefore(node, before)

    def _apply(self, change: Change, state: ChatState) -> None:
        """One change of the journal: one node made, replaced or removed."""
        index, entry = change.index, change.entry
        if change.kind is ChangeKind.REMOVE:
            self._entry_nodes.pop(index)[2].remove()
            return
        assert entry is not None
        node = self._entry_node(entry, state)
        shown = (entry_key(entry), render_key(entry), node)
        if change.kind is ChangeKind.INSERT:
            self._place(node, self._before(index))
            self._entry_nodes.insert(index, shown)
        else:
            self._entry_nodes[index][2].replaceWith(node)
            self._entry_nodes[index] = shown

    def _redraw_entries(self, entries: list[LogEntry], state: ChatState, *, reuse: bool) -> None:
        """Draw ``entries`` in place of the log's nodes (the pending ones stay)."""
        old = {key: (drawn, node) for key, drawn, node in self._entry_nodes} if reuse else {}
        kept: set[str] = set()
        drawn = []
        for entry in entries:
            key, look = entry_key(entry), render_key(entry)
            found = old.get(key)
            if found is not None and found[0] == look:
                kept.add(key)
                node = found[1]
            else:
                node = self._entry_node(entry, state)
            drawn.append((key, look, node))
        for key, _look, node in self._entry_nodes:
            if key not in kept:
                node.remove()
        children = self.log.children
        for index, (_key, _look, node) in enumerate(drawn):
            # Kept nodes are in order already; new ones go in between.
            # (Past the end, item() is JS null, which is not None here.)
            if index >= children.length:
                self.log.append(node)
            elif not children.item(index).isSameNode(node):
                self.log.insertBefore(node, children.item(index))
        self._entry_nodes = drawn

    def _render_pending(self, pending: list[Outgoing], state: ChatState) -> None:
        """Our messages not confirmed yet, after the log's entries. A node
        drawn the same is kept where it is, so a focused Retry keeps focus."""
        old = {key: (look, node) for key, look, node in self._pending_nodes}
        kept: set[str] = set()
        drawn = []
        for item in pending:
            found = old.get(item.key)
            if found is not None and found[0] == item.render_key:
                kept.add(item.key)
                node = found[1]
            else:
                node = _outgoing_node(item, state.name or wording.YOU_AS_SENDER)
            drawn.append((item.key, item.render_key, node))
        for key, _look, node in self._pending_nodes:
            if key not in kept:
                node.remove()
        children = self.log.children
        for index, (_key, _look, node) in enumerate(drawn, start=len(self._entry_nodes)):
            if index >= children.length:
                self.log.append(node)
            elif not children.item(index).isSameNode(node):
                self.log.insertBefore(node, children.item(index))
        self._pending_nodes = drawn

    @staticmethod
    def _entry_node(entry: LogEntry, state: ChatState) -> Any:
        if isinstance(entry, Message):
            return _message_node(entry, state.is_own(entry))
        if isinstance(entry, GapMarker):
            return _gap_node(entry)
        return _notice_node(entry)
