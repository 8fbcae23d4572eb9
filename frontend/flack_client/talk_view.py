"""Drawing issue 14's parts of the page, and turning their DOM events into calls.

The "Direct messages" and "People" lists, the emoji picker, the "Delete
this message?" dialog, and the clicks and keys on a message's buttons (in
the log and in the thread panel), with where the focus goes after each. Part
of ``view.View``, which makes one and draws it with the rest; the same rules
hold: ``createElement`` and ``textContent`` only, every sentence from
``wording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]

from flack_client import wording
from flack_client.aware_view import AwareActions, AwareView
from flack_client.checks import is_send_key
from flack_client.log_view import LogView, ThreadView, element
from flack_client.reactions import CHOICES
from flack_client.state import ChatState
from flack_client.unread_view import UnreadActions, UnreadView, add_counts

# ``scrollIntoView`` options: scroll only as far as needed, within the list.
_NEAREST = js.JSON.parse('{"block": "nearest", "inline": "nearest"}')

Listen = Callable[[Any, str, Callable[[Any], None]], None]


class TalkActions(AwareActions, UnreadActions, Protocol):
    """What issue 14's (and 15's) parts of the page ask the application to do."""

    def select_channel(self, name: str) -> None: ...
    def open_person(self, pid: str) -> None: ...
    def leave_channel(self) -> None: ...
    def start_edit(self, mid: int) -> None: ...
    def save_edit(self, raw: str) -> None: ...
    def cancel_edit(self) -> None: ...
    def ask_delete(self, mid: int) -> None: ...
    def confirm_delete(self) -> None: ...
    def cancel_delete(self) -> None: ...
    def open_picker(self, mid: int) -> None: ...
    def close_picker(self, back: bool = True) -> None: ...
    def react(self, mid: int, emoji: str) -> None: ...
    def open_thread(self, mid: int) -> None: ...
    def close_thread(self) -> None: ...
    def send_reply(self, raw: str) -> None: ...
    def open_group(self) -> None: ...
    def close_group(self) -> None: ...
    def start_group(self, ids: list[str]) -> None: ...


class TalkView:
    """People, direct conversations, and what is done to one message."""

    def __init__(
        self,
        *,
        log: Any,
        log_view: LogView,
        thread_view: ThreadView,
        channel_list: Any,
        listen: Listen,
        focus_composer: Callable[..., None],
    ) -> None:
        by_id = js.document.getElementById
        self.log = log
        self.log_view = log_view
        self.thread_view = thread_view
        self.channel_list = channel_list
        self._listen = listen
        self.focus_composer = focus_composer
        self.app_box = js.document.querySelector(".app")
        self.direct_list = by_id("direct-list")
        self.no_directs = by_id("no-directs")
        self.people_list = by_id("people-list")
        self.no_people = by_id("no-people")
        self.leave_button = by_id("leave-channel")
        self.thread = by_id("thread")
        self.thread_close = by_id("thread-close")
        self.thread_log = by_id("thread-log")
        self.reply_form = by_id("reply-form")
        self.reply_input = by_id("reply-input")
        self.delete_dialog = by_id("delete-dialog")
        self.delete_form = by_id("delete-form")
        self.delete_cancel = by_id("delete-cancel")
        self.picker = by_id("picker")
        self.new_group = by_id("new-group")
        self.group_dialog = by_id("group-dialog")
        self.group_form = by_id("group-form")
        self.group_people = by_id("group-people")
        self.group_error = by_id("group-error")
        self.group_cancel = by_id("group-cancel")
        self._group_shown: tuple[Any, ...] | None = None
        self._picker_anchor: Any = None  # the "Add reaction" button the picker belongs to
        self._directs_shown: tuple[Any, ...] | None = None
        self._people_shown: tuple[Any, ...] | None = None
        self.aware = AwareView(listen)  # issue 15: the typing line, presence's page events
        self.unread = UnreadView(log_view, listen)  # issue 15: counts, title, notifications

    def bind(self, app: TalkActions) -> None:
        """Issue 14: people, direct conversations, leaving, and what is done
        to a message (thread, reactions, edit, delete), in both logs."""

        def on_direct_click(event: Any) -> None:
            link = event.target.closest("a[data-channel]")
            if link:
                event.preventDefault()  # the page stays; the conversation opens in it
                app.select_channel(link.dataset.channel)

        def on_person_click(event: Any) -> None:
            button = event.target.closest("button[data-person]")
            if button:
                app.open_person(button.dataset.person)

        def message_id(node: Any) -> int | None:
            article = node.closest("article[data-id]") if node else None
            return int(article.dataset.id) if article else None

        def on_message_button(event: Any) -> None:
            button = event.target.closest("button[data-action]")
            mid = message_id(button)
            if mid is None:
                return
            action = button.dataset.action
            if action == "thread":
                app.open_thread(mid)
            elif action == "react":
                self._picker_anchor = button
                app.open_picker(mid)
            elif action == "toggle":
                app.react(mid, button.dataset.emoji)
            elif action == "edit":
                app.start_edit(mid)
            elif action == "delete":
                app.ask_delete(mid)
            elif action == "edit-save":
                field = button.closest("article").querySelector("textarea")
                app.save_edit(field.value if field else "")
            elif action == "edit-cancel":
                app.cancel_edit()

        def on_edit_key(event: Any) -> None:
            if not event.target.classList.contains("edit__input"):
                return
            if event.key == "Escape":
                event.preventDefault()
                event.stopPropagation()  # not the thread's Escape too
                app.cancel_edit()
            elif is_send_key(event.key, bool(event.shiftKey), bool(event.isComposing)):
                event.preventDefault()
                app.save_edit(event.target.value)

        def on_edit_input(event: Any) -> None:
            # What is typed survives the message being drawn again meanwhile
            # (a reaction arriving while the box is open).
            mid = message_id(event.target)
            if mid is not None and event.target.classList.contains("edit__input"):
                self.log_view.drafts[mid] = event.target.value
                self.thread_view.drafts[mid] = event.target.value

        def on_picker_click(event: Any) -> None:
            button = event.target.closest("button[data-emoji]")
            mid = self.picker.dataset.id
            if button and mid:
                app.react(int(mid), button.dataset.emoji)

        def on_picker_key(event: Any) -> None:
            if event.key == "Escape":
                event.preventDefault()
                app.close_picker()
                return
            # Arrow keys move along the emoji, as in every picker.
            step = {"ArrowRight": 1, "ArrowDown": 5, "ArrowLeft": -1, "ArrowUp": -5}.get(event.key)
            buttons = list(self.picker.querySelectorAll("button"))
            active = js.document.activeElement
            if step is None or not buttons:
                return
            index = next((i for i, b in enumerate(buttons) if b.isSameNode(active)), 0)
            event.preventDefault()
            buttons[max(0, min(len(buttons) - 1, index + step))].focus()

        def on_document_click(event: Any) -> None:
            # A click anywhere but the picker and its button closes it.
            if self.picker.hidden:
                return
            target = event.target
            if self.picker.contains(target) or target.closest('button[data-action="react"]'):
                return
            app.close_picker(False)

        def on_picker_focusout(event: Any) -> None:
            # Tabbing out of the picker closes it (and leaves focus where it went).
            to = event.relatedTarget
            if to and not self.picker.contains(to) and not to.closest('button[data-action="react"]'):
                app.close_picker(False)

        def on_reply(event: Any) -> None:
            event.preventDefault()
            app.send_reply(self.reply_input.value)

        def on_reply_key(event: Any) -> None:
            if is_send_key(event.key, bool(event.shiftKey), bool(event.isComposing)):
                event.preventDefault()
                app.send_reply(self.reply_input.value)

        def on_thread_key(event: Any) -> None:
            if event.key == "Escape" and self.picker.hidden and not event.defaultPrevented:
                event.preventDefault()
                app.close_thread()

        def on_delete_cancel(event: Any) -> None:
            event.preventDefault()  # Escape: the app closes it, and puts focus back
            app.cancel_delete()

        def on_delete(event: Any) -> None:
            event.preventDefault()
            app.confirm_delete()

        self._listen(self.direct_list, "click", on_direct_click)
        self._listen(self.people_list, "click", on_person_click)
        for strip in (self.direct_list, self.people_list):
            self._listen(strip, "focusin", lambda event: event.target.scrollIntoView(_NEAREST))
        self._listen(self.leave_button, "click", lambda _e: app.leave_channel())
        for log in (self.log, self.thread_log):
            self._listen(log, "click", on_message_button)
            self._listen(log, "keydown", on_edit_key)
            self._listen(log, "input", on_edit_input)
        self._listen(self.picker, "click", on_picker_click)
        self._listen(self.picker, "keydown", on_picker_key)
        self._listen(self.picker, "focusout", on_picker_focusout)
        self._listen(js.document, "click", on_document_click)
        self._listen(self.reply_form, "submit", on_reply)
        self._listen(self.reply_input, "keydown", on_reply_key)
        self._listen(self.thread, "keydown", on_thread_key)
        self._listen(self.thread_close, "click", lambda _e: app.close_thread())
        self._listen(self.delete_dialog, "cancel", on_delete_cancel)
        self._listen(self.delete_form, "submit", on_delete)
        self._listen(self.delete_cancel, "click", lambda _e: app.cancel_delete())
        self._bind_group(app)
        self.aware.bind(app)
        self.unread.bind(app)
        # The picker's emoji are made once: each a button named by its character.
        for emoji in CHOICES:
            button = element("button", "picker__emoji", emoji)
            button.type = "button"
            button.dataset.emoji = emoji
            self.picker.append(button)

    def render(self, state: ChatState) -> None:
        """Draw the lists, the picker and the dialog."""
        self._render_directs(state)
        self._render_people(state)
        self._render_picker(state)
        self._render_delete(state)
        self._render_group(state)
        self.leave_button.hidden = not state.can_leave
        self.thread_view.render(state)
        self.app_box.classList.toggle("app--thread", state.thread is not None)
        self.reply_input.readOnly = not state.ready
        self.aware.render(state)
        self.unread.render(state)

    def _render_directs(self, state: ChatState) -> None:
        """The "Direct messages" list: one link per conversation (the issue's
        contract), named by the other people; like the channels, the open
        one is current. Its ``href`` is only a fragment: followed without the
        client (before it runs), it goes nowhere."""
        entries = state.directs
        counts = tuple(state.unread_counts(entry.label) for entry in entries)
        shown = (tuple(entries), state.open_channel, counts)
        if shown == self._directs_shown:
            return
        self._directs_shown = shown
        items = []
        for entry in entries:
            link = element("a", "channel", entry.name)
            link.href = f"#{entry.label}"
            link.dataset.channel = entry.label
            add_counts(link, state.unread_counts(entry.label), state.unread_words(entry.label), direct=True)
            if state.is_open(entry.label):
                link.setAttribute("aria-current", "true")
            item = element("li")
            item.append(link)
            items.append(item)
        self.direct_list.replaceChildren(*items)
        self.no_directs.textContent = wording.NO_DIRECTS
        self.no_directs.hidden = bool(items) or not state.ready

    def _render_people(self, state: ChatState) -> None:
        """The People list: everyone with a name, each a button that opens
        the direct conversation with them (ourselves first, marked), with
        their presence (issue 15): a dot whose shape says it, and the word
        in the button's name ("Bob, away") and the dot's tooltip."""
        people = [(pid, label, state.presence_of(pid)) for pid, label in state.people]
        shown = (tuple(people), state.ready)
        if shown == self._people_shown:
            return
        self._people_shown = shown
        items = []
        for pid, label, status in people:
            button = element("button", "channel person")
            button.type = "button"
            button.dataset.person = pid
            button.dataset.presence = str(status)
            # The name says the presence after the person's name, so finding
            # someone by name keeps working; the visible text is the name.
            button.setAttribute("aria-label", wording.presence_label(label, status))
            dot = element("span", f"presence presence--{status}")
            dot.setAttribute("aria-hidden", "true")
            dot.title = wording.PRESENCE_WORDS.get(status, status).capitalize()
            button.append(dot, element("span", "person__name", label))
            item = element("li")
            item.append(button)
            items.append(item)
        self.people_list.replaceChildren(*items)
        self.no_people.textContent = wording.NO_PEOPLE
        self.no_people.hidden = len(items) > 1 or not state.ready

    def _render_picker(self, state: ChatState) -> None:
        """The emoji picker, by the "Add reaction" button it belongs to."""
        mid = state.picking
        if mid is None:
            self.picker.hidden = True
            self.picker.dataset.id = ""
            return
        for button in self.picker.querySelectorAll("button"):
            pressed = state.has_reacted(mid, button.dataset.emoji)
            button.classList.toggle("picker__emoji--mine", pressed)
        if not self.picker.hidden and self.picker.dataset.id == str(mid):
            return
        self.picker.dataset.id = str(mid)
        self.picker.hidden = False
        anchor = self._picker_anchor
        if not anchor or not anchor.isConnected:
            anchor = js.document.querySelector(f'article[data-id="{mid}"] button[data-action="react"]')
        if not anchor:
            return
        # Below the button (above it near the bottom of the window), kept
        # inside the window: a phone is only 375 px wide.
        box, size = anchor.getBoundingClientRect(), self.picker.getBoundingClientRect()
        width, height = js.window.innerWidth, js.window.innerHeight
        left = max(8, min(box.right - size.width, width - size.width - 8))
        top = box.bottom + 4 if box.bottom + 4 + size.height <= height - 8 else box.top - size.height - 4
        self.picker.style.left = f"{left}px"
        self.picker.style.top = f"{max(8, top)}px"

    def _bind_group(self, app: TalkActions) -> None:
        """ "New group" and its dialog."""

        def on_cancel(event: Any) -> None:
            event.preventDefault()  # Escape: the app closes it and puts focus back
            app.close_group()

        def on_submit(event: Any) -> None:
            event.preventDefault()
            boxes = self.group_people.querySelectorAll("input:checked")
            app.start_group([box.value for box in boxes])

        self.group_help = js.document.getElementById("group-help")
        self.group_help.textContent = wording.group_help()
        self._listen(self.new_group, "click", lambda _e: app.open_group())
        self._listen(self.group_dialog, "cancel", on_cancel)
        self._listen(self.group_cancel, "click", lambda _e: app.close_group())
        self._listen(self.group_form, "submit", on_submit)

    def _render_group(self, state: ChatState) -> None:
        """The "Start a group conversation" dialog: a checkbox per person."""
        self.new_group.disabled = not state.ready
        self.group_error.textContent = state.group_error or ""
        self.group_error.hidden = not state.group_error
        if not state.group_open:
            self._group_shown = None
            if self.group_dialog.open:
                self.group_dialog.close()
            return
        choices = tuple(state.group_choices)
        if choices != self._group_shown:
            ticked = {box.value for box in self.group_people.querySelectorAll("input:checked")}
            rows = []
            for pid, name in choices:
                label = element("label", "group__person")
                box = element("input")
                box.type = "checkbox"
                box.value = pid
                box.checked = pid in ticked
                label.append(box)
                label.append(element("span", "", name))
                rows.append(label)
            self.group_people.replaceChildren(*rows)
            self._group_shown = choices
        if not self.group_dialog.open:
            self.group_dialog.showModal()
            first = self.group_people.querySelector("input")
            (first or self.group_cancel).focus()

    def focus_new_group(self) -> None:
        """Back on "New group" after its dialog closed."""
        self.new_group.focus()

    def _render_delete(self, state: ChatState) -> None:
        """The "Delete this message?" dialog, while a deletion is asked."""
        if state.deleting is not None and not self.delete_dialog.open:
            self.delete_dialog.showModal()
            # The safe choice has the focus: Enter by reflex deletes nothing.
            self.delete_cancel.focus()
        elif state.deleting is None and self.delete_dialog.open:
            self.delete_dialog.close()

    # focus, after what the person did ------------------------------------------------

    def focus_channel(self, channel: str) -> None:
        """Put focus on ``channel``'s entry in the list (after leaving it)."""
        for button in self.channel_list.querySelectorAll("button[data-channel]"):
            if button.dataset.channel == channel:
                button.focus()
                return

    def _message_button(self, mid: int, action: str) -> Any:
        """Message ``mid``'s button for ``action``, in the thread panel if the
        focus is there, else in the log."""
        selector = f'article[data-id="{mid}"] button[data-action="{action}"]'
        active = js.document.activeElement
        logs = (
            (self.thread_log, self.log)
            if active and self.thread.contains(active)
            else (self.log, self.thread_log)
        )
        for log in logs:
            found = log.querySelector(selector)
            if found:
                return found
        return None

    def focus_message_action(self, mid: int, action: str) -> None:
        """Back to the button that began it (an edit, a deletion, the picker)."""
        button = self._message_button(mid, action)
        if button:
            button.focus()
        else:
            self.focus_composer(take=True)

    def focus_edit(self) -> None:
        """The cursor in the edit box that just opened, at the end of the text."""
        for log in (self.thread_log, self.log):
            field = log.querySelector("textarea.edit__input")
            if field:
                field.focus()
                end = len(field.value)
                field.setSelectionRange(end, end)
                return

    def focus_picker(self) -> None:
        """The first emoji of the picker that just opened."""
        first = self.picker.querySelector("button")
        if first:
            first.focus()

    def focus_reply(self) -> None:
        """The cursor in the thread's "Reply" box."""
        self.reply_input.focus()

    def clear_reply_if(self, sent: str) -> None:
        """Empty the "Reply" box after a send, unless something else was typed meanwhile."""
        if self.reply_input.value == sent:
            self.reply_input.value = ""

    def scroll_thread_to_bottom(self) -> None:
        """Show the thread's newest reply."""
        self.thread_view.scroll_to_bottom()
