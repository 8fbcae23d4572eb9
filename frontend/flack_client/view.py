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
from datetime import datetime
from typing import Any, Protocol

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

from flack_client import wording
from flack_client.checks import is_send_key
from flack_client.log_view import LogView, ThreadView, element
from flack_client.sharing import paste_shares, pasted_name
from flack_client.state import ChatState
from flack_client.talk_view import TalkActions, TalkView
from flack_client.unread_view import add_counts
from flack_client.uploads import Upload
from flack_client.viewer import ImageViewer


class Handlers(TalkActions, Protocol):
    """What the page asks the application to do (issue 14's part: ``TalkActions``)."""

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


class _UploadRow:
    """One upload's row: name, progress bar, status line and its buttons.

    Built once and updated in place as the bytes go (within a chunk too), so
    a focused Cancel button keeps its focus while the bar moves.
    """

    def __init__(self, upload: Upload, where: str) -> None:
        self.node = element("div", "upload")
        self.node.dataset.key = upload.key
        top = element("div", "upload__top")
        top.append(element("span", "upload__name", upload.name))
        top.append(element("span", "upload__channel", where))
        self.status = element("span", "upload__status")
        top.append(self.status)
        self.node.append(top)
        self.bar = element("div", "upload__bar")
        self.bar.setAttribute("role", "progressbar")
        self.bar.setAttribute("aria-label", upload.label)
        self.bar.setAttribute("aria-valuemin", "0")
        self.bar.setAttribute("aria-valuemax", "100")
        self.fill = element("div", "upload__fill")
        self.bar.append(self.fill)
        self.node.append(self.bar)
        actions = element("div", "upload__actions")
        self.cancel = self._button(actions, "cancel", wording.CANCEL, upload.name)
        self.retry = self._button(actions, "retry", wording.RETRY, upload.name)
        self.dismiss = self._button(actions, "dismiss", wording.DISMISS, upload.name)
        self.node.append(actions)
        self.shown: tuple[Any, ...] = ()

    @staticmethod
    def _button(parent: Any, action: str, text: str, name: str) -> Any:
        button = element("button", "button button--quiet", text)
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


def _local_now() -> datetime:
    """The viewer's wall-clock time (Pyodide's own clock knows no time zone)."""
    now = js.Date.new()
    return datetime(now.getFullYear(), now.getMonth() + 1, now.getDate(), now.getHours(), now.getMinutes())


def _pasted_files(files: list[Any]) -> list[Any]:
    """Pasted files, those without a name of their own renamed
    (``sharing.pasted_name``): a new ``File`` over the same bytes."""
    when = _local_now()
    named = []
    for index, file in enumerate(files):
        kind = file.type if isinstance(file.type, str) else ""
        name = pasted_name(str(file.name), kind, when, index)
        if name != file.name:
            facts = {"type": kind, "lastModified": file.lastModified}
            options = to_js(facts, dict_converter=js.Object.fromEntries)
            file = js.File.new(to_js([file]), name, options)
        named.append(file)
    return named


# ``scrollIntoView`` options: scroll only as far as needed, within the list.
_NEAREST = js.JSON.parse('{"block": "nearest", "inline": "nearest"}')


def _hash_label(parent: Any, name: str) -> None:
    """ "# name" where the # is decoration only, so the accessible name is the
    channel's name alone."""
    hash_mark = element("span", "hash", "#")
    hash_mark.setAttribute("aria-hidden", "true")
    parent.append(hash_mark)
    parent.append(element("span", "label", name))


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
        self.create_button = by_id("create-channel")
        self.new_channel = by_id("new-channel")
        self.channel_list = by_id("channel-list")
        self.no_channels = by_id("no-channels")
        self.title = by_id("channel-title")
        self.log = by_id("messages")
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
        self.log_view = LogView(self.log, by_id("log-empty"))
        self.thread_view = ThreadView(by_id("thread"), by_id("thread-log"))
        self.talk = TalkView(
            log=self.log,
            log_view=self.log_view,
            thread_view=self.thread_view,
            channel_list=self.channel_list,
            listen=self._listen,
            focus_composer=self.focus_composer,
        )
        self._can_cancel = False
        self._can_share = False
        self._upload_rows: dict[str, _UploadRow] = {}
        self._alert_shown: list[tuple[str, str]] = []
        self._alert_lines: dict[str, Any] = {}  # key -> its <p> in the alert
        self._viewer: ImageViewer | None = None  # made the first time an image is viewed

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
        # Tabbing along the channels: the focused one comes wholly into view
        # (browsers leave a partly visible one as it is, its ring cut off at
        # the edge of the phone's strip).
        self._listen(self.channel_list, "focusin", lambda event: event.target.scrollIntoView(_NEAREST))
        self._listen(self.composer, "submit", on_compose)
        self._listen(self.message_input, "keydown", on_key)
        self._listen(self.message_input, "input", lambda _e: self._fit_composer())
        self._listen(self.error_dismiss, "click", lambda _e: app.dismiss_error())
        self._bind_files(app)
        self.talk.bind(app)

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
            self.log_view.at_bottom = self.log_view.reading_newest()

        def on_image_load(event: Any) -> None:
            # A preview that just loaded grew the log: whoever was reading
            # at the bottom stays at the bottom.
            if event.target.tagName == "IMG" and self.log_view.at_bottom:
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

        def on_preview(event: Any) -> None:
            # A click, Enter or Space on an image preview: show it large.
            opener = event.target.closest("button[data-view-url]")
            if opener:
                if self._viewer is None:
                    self._viewer = ImageViewer()
                self._viewer.show(opener, opener.dataset.viewName, opener.dataset.viewUrl)

        def on_paste(event: Any) -> None:
            # An image pasted into the message box is shared, like a picked
            # file; text (even text that comes with a picture) pastes as text.
            data = event.clipboardData
            files = _file_list(data.files) if data else []
            if files and paste_shares([str(kind) for kind in data.types], len(files)):
                event.preventDefault()
                app.share_files(_pasted_files(files))

        self._listen(self.log, "click", on_log_button)
        self._listen(self.log, "click", on_preview)
        self._listen(self.message_input, "paste", on_paste)
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

    def focus_composer(self, take: bool = False) -> None:
        """Put the cursor where the next message is typed, but only if focus
        is on nothing in particular or on the channel list: this runs when an
        answer arrives, and must never yank focus out of a box the person is
        typing into meanwhile. ``take``: wherever focus is (the name dialog
        just closed and the browser put focus back where it was before).
        The message box takes focus even while inert (no channel open): it
        is announced with its hint, "Open a channel to write"."""
        active = js.document.activeElement
        idle = not active or active == self.body or bool(self.channel_list.contains(active))
        if take or idle:
            self.message_input.focus()

    def scroll_to_bottom(self) -> None:
        """Show the newest message."""
        self.log_view.scroll_to_bottom()

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
        self._render_controls(state)
        self._render_error(state)
        self._render_dialog(state)
        self._render_channels(state)
        self._render_title(state)
        self.log_view.render(state)
        self.talk.render(state)
        self._set_inert(self.message_input, not state.can_compose)
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

    def render_uploads(self, state: ChatState) -> None:
        """Redraw only the upload rows (progress within a chunk)."""
        self._render_uploads(state)

    def _render_uploads(self, state: ChatState) -> None:
        uploads = state.uploads
        keys = {upload.key for upload in uploads}
        for key in [k for k in self._upload_rows if k not in keys]:
            self._upload_rows.pop(key).node.remove()
        for upload in uploads:
            row = self._upload_rows.get(upload.key)
            if row is None:
                where = state.where(upload.channel)
                row = self._upload_rows[upload.key] = _UploadRow(upload, where)
                self.uploads.append(row.node)  # uploads only ever join at the end
            row.update(upload)
        self.uploads.hidden = not uploads

    @staticmethod
    def _set_inert(field: Any, inert: bool) -> None:
        """A text box that cannot be used right now: read-only and
        ``aria-disabled`` rather than ``disabled``, so it stays focusable and
        is announced with its placeholder, which says why."""
        field.readOnly = inert
        if inert:
            field.setAttribute("aria-disabled", "true")
        else:
            field.removeAttribute("aria-disabled")

    def _render_controls(self, state: ChatState) -> None:
        """Inert until the client is ready (the page's HTML starts them so)."""
        self._set_inert(self.new_channel, not state.ready)
        self.new_channel.placeholder = state.new_channel_placeholder
        self.create_button.disabled = not state.ready
        self.change_name_button.disabled = not state.ready

    def _render_error(self, state: ChatState) -> None:
        # ``hidden`` (not just invisible) keeps an empty alert out of the
        # accessibility tree.
        # The alert holds only sentences, a <p> each (its text is what gets
        # announced; ``aria-atomic="false"``: a new line is read, not all of
        # them again); the Dismiss button sits next to it in the same box.
        lines = state.alert_lines
        if lines == self._alert_shown:
            return
        self._alert_shown = lines
        keys = {key for key, _ in lines}
        for key in [k for k in self._alert_lines if k not in keys]:
            self._alert_lines.pop(key).remove()
        box = self.error_text
        for index, (key, text) in enumerate(lines):
            node = self._alert_lines.get(key)
            if node is None:
                node = self._alert_lines[key] = element("p", "error__line", text)
            elif node.textContent != text:
                node.textContent = text
            here = box.children.item(index)
            if here is None or here != node:
                box.insertBefore(node, here)
        box.hidden = not lines
        self.error.hidden = not lines
        # Many lines scroll (style.css): then the box must be focusable, so
        # that they can be scrolled from the keyboard too.
        if lines and box.scrollHeight > box.clientHeight:
            box.setAttribute("tabindex", "0")
        else:
            box.removeAttribute("tabindex")

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
        members = tuple(state.is_member(name) for name in state.channels)
        counts = tuple(state.unread_counts(name) for name in state.channels)  # issue 15
        shown = (tuple(state.channels), state.open_channel, members, counts)
        if shown == self._channels_shown:
            return
        # The open channel stays in view: on a phone the list is a strip that
        # scrolls sideways. Scrolled to when it opens, and kept in view when
        # the list changes, unless the person had scrolled it away to browse.
        before = self.channel_list.querySelector('[aria-current="true"]')
        opened = self._channels_shown is None or self._channels_shown[1] != state.open_channel
        follow = opened or (bool(before) and self._in_list_view(before))
        self._channels_shown = shown
        items = []
        for name, member in zip(state.channels, members, strict=True):
            button = element("button", "channel" if member else "channel channel--other")
            button.type = "button"
            button.dataset.channel = name
            _hash_label(button, name)
            if not member:
                # Said after the name (which stays first, for voice control
                # and for finding it): opening it joins it.
                button.append(element("span", "visually-hidden", f", {wording.NOT_JOINED}"))
            add_counts(button, state.unread_counts(name), state.unread_words(name))
            if state.is_open(name):
                button.setAttribute("aria-current", "true")
            item = element("li")
            item.append(button)
            items.append(item)
        self.channel_list.replaceChildren(*items)
        current = self.channel_list.querySelector('[aria-current="true"]')
        if current and follow:
            current.scrollIntoView(_NEAREST)
        self.no_channels.textContent = wording.NO_CHANNELS
        self.no_channels.hidden = bool(items)

    def _in_list_view(self, button: Any) -> bool:
        """Whether ``button`` is wholly inside the channel list's visible box."""
        inside, outside = button.getBoundingClientRect(), self.channel_list.getBoundingClientRect()
        return bool(
            inside.left >= outside.left - 1
            and inside.right <= outside.right + 1
            and inside.top >= outside.top - 1
            and inside.bottom <= outside.bottom + 1
        )

    def _render_title(self, state: ChatState) -> None:
        title = f"{state.open_channel}\0{state.open_title}"
        if title == self._title_shown:
            return
        self._title_shown = title
        self.title.replaceChildren()
        if state.open_channel is None:
            self.title.textContent = wording.NO_CHANNEL_OPEN
        elif state.open_is_direct:
            self.title.textContent = state.open_title or ""
        else:
            _hash_label(self.title, state.open_channel)
