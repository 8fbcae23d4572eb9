"""Drawing the open channel's message log, from its journal of changes.

The log element holds one node per entry of ``log.MessageLog``, in order,
then one per message of ours the server has not confirmed yet. When one
message arrives, one node is made and put in place: the journal says where,
so neither the log nor the DOM is walked. A full redraw happens only when the
journal cannot say (another channel, ids that started over, a reader far
behind) and keeps every node that would be drawn the same; a pending
message's node is kept while it looks the same, so a focused Retry button
keeps its focus. Nodes are built with ``createElement`` and ``textContent``
only: text from other people is never parsed as HTML.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]

from flack.protocol import File, Message
from flack_client import richtext, wording
from flack_client.checks import should_follow
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

# Options objects for Date formatting, made once. Times are formatted by the
# browser because only it knows the viewer's locale and time zone.
_TIME_ONLY = js.JSON.parse('{"hour": "2-digit", "minute": "2-digit"}')
_DATE_TIME = js.JSON.parse('{"month": "short", "day": "numeric", "hour": "2-digit", "minute": "2-digit"}')
_FULL = js.JSON.parse('{"dateStyle": "full", "timeStyle": "medium"}')


def element(tag: str, cls: str = "", text: str | None = None) -> Any:
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    if text is not None:
        node.textContent = text
    return node


def time_element(iso: str) -> Any:
    """``<time datetime=ISO>`` showing the viewer's local time (and the date,
    unless it is today); the full date and time on hover."""
    node = element("time")
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


# Inline runs (richtext.py) that become one element each.
_RUN_TAGS = {"bold": "strong", "italic": "em", "code": "code"}
# A link opens in a new tab and tells the other site nothing about Flack;
# ``nofollow``: what people post is not the server's endorsement.
LINK_REL = "noopener noreferrer nofollow"


def rich_text(text: str) -> Any:
    """A message's text as DOM nodes: paragraphs, quotes and code blocks of
    formatted runs, read by ``richtext.parse``. Every piece of text goes in
    as a text node; a link's address is always http(s) (richtext checks)."""
    box = element("div", "message__text")
    for block in richtext.parse(text):
        if block.kind == "code":
            pre = element("pre", "message__code")
            pre.append(element("code", "", block.text))
            box.append(pre)
            continue
        node = element("blockquote" if block.kind == "quote" else "p", f"message__{block.kind}")
        _append_runs(node, block.inlines)
        box.append(node)
    return box


def _append_runs(parent: Any, runs: tuple[richtext.Inline, ...]) -> None:
    for run in runs:
        if run.kind == "text":
            parent.append(run.text)  # a string appended is a text node, never markup
        elif run.kind == "link":
            link = element("a", "message__link", run.text)
            link.href = run.target
            link.target = "_blank"
            link.rel = LINK_REL
            parent.append(link)
        elif run.kind == "mention":
            mention = element("span", "mention", run.text)
            mention.dataset.mention = run.target
            parent.append(mention)
        else:
            node = element(_RUN_TAGS[run.kind])
            if run.children:
                _append_runs(node, run.children)
            else:
                node.textContent = run.text
            parent.append(node)


def _file_node(file: File) -> Any:
    """A shared file: its name as a download link (plain text once expired),
    size and type, and an inline preview for images the server checked."""
    box = element("div", "file file--expired" if file.expired else "file")
    card = element("div", "file__card")
    badge = element("span", "file__badge", file_badge(file))
    badge.setAttribute("aria-hidden", "true")
    card.append(badge)
    about = element("div", "file__about")
    if file_downloadable(file):
        link = element("a", "file__name", file.name)
        link.href = file.url  # checked to be a path on this origin
        link.setAttribute("download", file.name)
        about.append(link)
    else:
        about.append(element("span", "file__name", file.name))
    details = element("p", "file__details", file_details(file))
    if file.expired:
        details.append(element("span", "file__expired", wording.FILE_EXPIRED))
    about.append(details)
    card.append(about)
    box.append(card)
    if file_previewed(file):
        # A button around the preview: a click, Enter or Space shows it large
        # (viewer.py). The image keeps its own name, the file's.
        opener = element("button", "file__open")
        opener.type = "button"
        opener.setAttribute("aria-label", wording.view_image_label(file.name))
        opener.setAttribute("aria-haspopup", "dialog")
        opener.dataset.viewName = file.name
        opener.dataset.viewUrl = file.url
        image = element("img", "file__preview")
        image.alt = file.name
        image.setAttribute("loading", "lazy")
        image.setAttribute("decoding", "async")
        image.src = file.url
        opener.append(image)
        box.append(opener)
    return box


def _button(cls: str, text: str, action: str, label: str | None = None) -> Any:
    """A ``type=button`` with ``data-action`` (the log's click handler reads
    it); ``label``: its accessible name and tooltip when its text is a sign."""
    button = element("button", cls, text)
    button.type = "button"
    button.dataset.action = action
    if label is not None:
        button.setAttribute("aria-label", label)
        button.title = label
    return button


# The buttons on every message: (action, sign shown, accessible name). The
# signs are decoration (plain symbols that every font has, not emoji); the
# names, also their tooltips, are the public interface.
_ACTIONS = (
    ("thread", "↩", wording.REPLY_IN_THREAD),
    ("react", "☺+", wording.ADD_REACTION),
    ("edit", "✎", wording.EDIT_MESSAGE),
    ("delete", "✕", wording.DELETE_MESSAGE),
)


def _edit_node(message: Message, draft: str | None, error: str | None) -> Any:
    """The edit box in place of a message's text: "Edit message", with Save
    and Cancel (Enter saves, Escape cancels: view.py)."""
    box = element("div", "edit")
    field = element("textarea", "composer__input edit__input")
    field.setAttribute("aria-label", wording.EDIT_MESSAGE)
    field.title = wording.EDIT_HINT
    field.rows = 2
    field.value = message.text if draft is None else draft
    box.append(field)
    if error:
        field.setAttribute("aria-invalid", "true")
        problem = element("p", "edit__error", error)
        problem.setAttribute("role", "alert")
        box.append(problem)
    buttons = element("div", "edit__buttons")
    buttons.append(_button("button button--quiet", wording.CANCEL, "edit-cancel"))
    buttons.append(_button("button", wording.SAVE, "edit-save"))
    box.append(buttons)
    return box


def _message_node(
    message: Message, state: ChatState, *, in_thread: bool = False, draft: str | None = None
) -> Any:
    """One message: who and when, its text (or the edit box), its file, its
    reactions, its thread's reply count (in the channel's log), and the
    buttons that act on it."""
    own = state.is_own(message)
    article = element("article", "message message--own" if own else "message")
    article.dataset.id = str(message.id)
    if state.mentions_me(message):  # issue 15: looks different (style.css)
        article.dataset.mention = "true"
    meta = element("header", "message__meta")
    meta.append(element("span", "message__sender", message.sender))
    if own:
        meta.append(element("span", "message__you", wording.YOU))
    meta.append(time_element(message.time))
    if message.edited:
        meta.append(element("span", "message__edited", wording.EDITED))
    article.append(meta)
    if message.parent is not None and not in_thread:  # a reply whose thread is gone (channel.py)
        article.append(element("p", "message__orphan", wording.ORPHAN_REPLY))
    editing = state.editing == message.id
    if editing:
        article.append(_edit_node(message, draft, state.edit_error))
    elif message.text or message.file is None:
        article.append(rich_text(message.text))
    if message.file is not None:
        article.append(_file_node(message.file))
    chips = state.reaction_chips(message)
    if chips:
        row = element("div", "reactions")
        for chip in chips:
            button = _button("reaction", "", "toggle", chip.label)
            button.title = wording.reaction_tooltip(chip.who, chip.emoji)
            button.dataset.emoji = chip.emoji
            button.setAttribute("aria-pressed", "true" if chip.mine else "false")
            button.append(element("span", "reaction__emoji", chip.emoji))
            button.append(element("span", "reaction__count", str(chip.count)))
            row.append(button)
        article.append(row)
    replies = 0 if in_thread else state.replies_shown(message)
    if replies:
        article.append(_button("message__replies", wording.replies_text(replies), "thread"))
    if not editing:
        actions = element("div", "message__actions")
        for action, sign, label in _ACTIONS:
            if action == "thread" and (in_thread or message.parent is not None):
                continue
            if action == "edit" and not state.can_edit(message):
                continue
            if action == "delete" and not state.is_mine(message):
                continue
            actions.append(_button("message__action", sign, action, label))
        article.append(actions)
    return article


def replace_keeping_focus(old: Any, new: Any) -> None:
    """Put ``new`` in ``old``'s place; if the focus was on one of ``old``'s
    buttons it moves to the same button of ``new`` (a reaction arriving must
    not throw a keyboard user out of the message). Read before the swap: a
    node leaving the page takes the focus with it."""
    active = js.document.activeElement
    inside = bool(active) and bool(old.contains(active)) and not active.isSameNode(old)
    # getAttribute: a missing data-* is null (None), where ``dataset`` raises.
    action = active.getAttribute("data-action") if inside else None
    emoji = active.getAttribute("data-emoji") if action else None
    old.replaceWith(new)
    if not action:
        return
    for button in new.querySelectorAll("button[data-action]"):
        if button.dataset.action == action and (not emoji or button.getAttribute("data-emoji") == emoji):
            button.focus()
            return


def _outgoing_node(item: Outgoing, sender: str) -> Any:
    """A message of ours the server has not confirmed: pending ("Sending…")
    or failed ("Not sent", the reason, Retry and Discard)."""
    state = "failed" if item.failed else "pending"
    article = element("article", f"message message--own message--{state}")
    article.dataset.clientId = item.client_id
    meta = element("header", "message__meta")
    meta.append(element("span", "message__sender", sender))
    meta.append(element("span", "message__you", wording.YOU))
    meta.append(element("span", f"message__state message__state--{state}", item.state_text))
    article.append(meta)
    article.append(rich_text(item.text))
    if item.failed:
        problem = element("div", "message__problem")
        problem.append(element("p", "message__reason", item.failure_text))
        for action, text, label in (
            ("retry", wording.RETRY, wording.retry_send_label(item.preview)),
            ("discard", wording.DISCARD, wording.discard_label(item.preview)),
        ):
            button = element("button", "button button--quiet", text)
            button.type = "button"
            button.dataset.action = action
            # The visible word first (voice control), then which message.
            button.setAttribute("aria-label", label)
            problem.append(button)
        article.append(problem)
    return article


def _gap_node(marker: GapMarker) -> Any:
    line = element("p", "gap", marker.text)
    line.setAttribute("role", "note")
    return line


def _notice_node(notice: NoticeEntry) -> Any:
    line = element("p", f"notice notice--{notice.kind}")
    line.append(element("span", "notice__text", notice.text))
    line.append(time_element(notice.time))
    return line


Shown = tuple[str, str, Any]  # (entry key, render key, node)


class LogView:
    """The log element (role log, "Messages") and the note shown when it is empty."""

    def __init__(self, log: Any, empty: Any) -> None:
        self.log = log
        self.empty = empty
        # Whether the reader was at the bottom when they last scrolled.
        self.at_bottom = True
        self._channel: str | None = None
        self._owner: str | None = None
        self._version: int | None = None  # the journal's cursor: drawn up to here
        self._epoch = -1
        self._entries: list[Shown] = []
        self._pending: list[Shown] = []
        self._acting: tuple[Any, ...] = ()  # what was being done to messages when drawn
        self.drafts: dict[int, str] = {}  # what the edit box holds, by message id (view.py)
        self.marker: Any = None  # "New messages" (unread_view.py): not one of the entries

    def scroll_to_bottom(self) -> None:
        """Show the newest message."""
        self.log.scrollTop = self.log.scrollHeight
        self.at_bottom = True

    def reading_newest(self) -> bool:
        """Whether the reader is at (or near) the bottom right now."""
        return should_follow(self.log.scrollTop, self.log.scrollHeight, self.log.clientHeight)

    def render(self, state: ChatState) -> None:
        """Make the log show ``state``'s open channel."""
        log = state.message_log
        pending = state.pending_in(state.open_channel)
        self.log.hidden = state.open_channel is None
        self.empty.textContent = state.empty_log_text()
        self.empty.hidden = bool(len(log) or pending)
        switched = state.open_channel != self._channel
        # A rename changes which messages are marked as ours: draw all again.
        same_log = not switched and state.name == self._owner
        changes = log.changes_since(self._version) if same_log else None
        pending_keys = [item.render_key for item in pending]
        pending_changed = pending_keys != [shown[1] for shown in self._pending]
        acting = (state.editing, state.edit_error)
        was_editing = self._acting[0] if self._acting else None
        acting_changed, self._acting = acting != self._acting, acting
        if state.editing is None:
            self.drafts.clear()
        if changes == [] and not pending_changed and not acting_changed:
            return
        # Decide before the DOM changes: was the reader at the bottom?
        follow = switched or self.reading_newest()
        if not same_log:
            self.log.replaceChildren()
            self._entries, self._pending = [], []
        if changes is None or len(changes) > len(log):
            # The journal does not reach back far enough (or replaying it
            # would cost more than drawing the log): draw every entry,
            # reusing the nodes of entries that are drawn the same.
            self._redraw_entries(log.entries, state, reuse=same_log and log.epoch == self._epoch)
        else:
            for change in changes:
                self._apply(change, state)
        if pending_changed or not same_log:
            self._render_pending(pending, state)
        if acting_changed and same_log:
            # An edit box opened, closed or says something new: those
            # messages are drawn again where they are.
            self._redraw_messages({was_editing, state.editing}, state)
        self._version, self._epoch = log.version, log.epoch
        self._channel = state.open_channel
        self._owner = state.name
        if follow:
            self.scroll_to_bottom()

    def _before(self, index: int) -> Any:
        """The node that entry ``index`` goes before (``None``: at the end)."""
        if index < len(self._entries):
            return self._entries[index][2]
        return self._pending[0][2] if self._pending else None

    def _place(self, node: Any, before: Any) -> None:
        if before is None:
            self.log.append(node)
        else:
            self.log.insertBefore(node, before)

    def _apply(self, change: Change, state: ChatState) -> None:
        """One change of the journal: one node made, replaced or removed."""
        index, entry = change.index, change.entry
        if change.kind is ChangeKind.REMOVE:
            self._entries.pop(index)[2].remove()
            return
        assert entry is not None
        node = self._entry_node(entry, state)
        shown = (entry_key(entry), render_key(entry), node)
        if change.kind is ChangeKind.INSERT:
            self._place(node, self._before(index))
            self._entries.insert(index, shown)
        else:
            replace_keeping_focus(self._entries[index][2], node)
            self._entries[index] = shown

    def _redraw_messages(self, ids: set[int | None], state: ChatState) -> None:
        """Draw the messages ``ids`` again, in place."""
        for index, (key, look, node) in enumerate(self._entries):
            for mid in ids:
                if mid is not None and key == f"m{mid}":
                    message = state.message(mid)
                    if message is None:
                        continue
                    fresh = self._entry_node(message, state)
                    replace_keeping_focus(node, fresh)
                    self._entries[index] = (key, look, fresh)

    def _redraw_entries(self, entries: list[LogEntry], state: ChatState, *, reuse: bool) -> None:
        """Draw ``entries`` in place of the log's nodes (the pending ones stay)."""
        old = {key: (drawn, node) for key, drawn, node in self._entries} if reuse else {}
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
        for key, _look, node in self._entries:
            if key not in kept:
                node.remove()
        children = self._children()
        for index, (_key, _look, node) in enumerate(drawn):
            # Kept nodes are in order already; new ones go in between.
            # (Past the end, item() is JS null, which is not None here.)
            if index >= children.length:
                self.log.append(node)
            elif not children.item(index).isSameNode(node):
                self.log.insertBefore(node, children.item(index))
        self._entries = drawn

    def _render_pending(self, pending: list[Outgoing], state: ChatState) -> None:
        """Our messages not confirmed yet, after the log's entries. A node
        drawn the same is kept where it is, so a focused Retry keeps focus."""
        old = {key: (look, node) for key, look, node in self._pending}
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
        for key, _look, node in self._pending:
            if key not in kept:
                node.remove()
        children = self._children()
        for index, (_key, _look, node) in enumerate(drawn, start=len(self._entries)):
            if index >= children.length:
                self.log.append(node)
            elif not children.item(index).isSameNode(node):
                self.log.insertBefore(node, children.item(index))
        self._pending = drawn

    def _children(self) -> Any:
        """The log's nodes, to place entries by position: the marker steps
        out first (its view puts it back)."""
        if self.marker is not None and self.marker.isConnected:
            self.marker.remove()
        return self.log.children

    def _entry_node(self, entry: LogEntry, state: ChatState) -> Any:
        if isinstance(entry, Message):
            return _message_node(entry, state, draft=self.drafts.get(entry.id))
        if isinstance(entry, GapMarker):
            return _gap_node(entry)
        return _notice_node(entry)


class ThreadView:
    """The thread panel (complementary "Thread"): its first message, a
    marker if earlier replies are gone, the replies and our replies on their
    way, in the log "Thread messages". Threads are short (their replies are
    part of one conversation's 100 kept messages), so it is drawn from the
    state each time something in it changed, reusing every node that would
    be drawn the same (a focused button keeps its focus)."""

    def __init__(self, panel: Any, log: Any) -> None:
        self.panel = panel
        self.log = log
        self._shown: list[Shown] = []
        self._drawn: tuple[Any, ...] | None = None
        self.drafts: dict[int, str] = {}  # the edit box's text, by message id (view.py)

    def render(self, state: ChatState) -> None:
        """Make the panel show ``state``'s open thread, or hide it."""
        parent = state.thread
        self.panel.hidden = parent is None
        if parent is None:
            self._drawn = None
            self.log.replaceChildren()
            self._shown = []
            return
        pending = state.thread_pending
        drawn = (
            parent.id,
            state.thread_version,
            state.editing,
            state.edit_error,
            state.name,
            tuple(item.render_key for item in pending),
        )
        if drawn == self._drawn:
            return
        first = self._drawn is None or self._drawn[0] != parent.id
        self._drawn = drawn
        follow = first or should_follow(self.log.scrollTop, self.log.scrollHeight, self.log.clientHeight)
        if state.editing is None:
            self.drafts.clear()
        items: list[tuple[str, str, Any]] = []
        for message in [parent, *state.thread_replies]:
            look = f"{render_key(message)}|{state.editing == message.id}|{state.edit_error}|{state.name}"
            items.append((entry_key(message), look, message))
        if state.thread_missing:
            items.insert(1, ("gone", "gone", None))
        old = {key: (look, node) for key, look, node in self._shown}
        shown: list[Shown] = []
        for key, look, message in items:
            found = old.pop(key, None)
            if found is not None and found[0] == look:
                node = found[1]
            elif message is None:
                if found is not None:
                    found[1].remove()
                node = element("p", "gap", wording.REPLIES_GONE)
                node.setAttribute("role", "note")
            else:
                node = _message_node(message, state, in_thread=True, draft=self.drafts.get(message.id))
                if found is not None:
                    # Drawn anew: it takes the old node's place (and its focus).
                    replace_keeping_focus(found[1], node)
            shown.append((key, look, node))
        for item in pending:
            found = old.pop(item.key, None)
            if found is not None and found[0] == item.render_key:
                node = found[1]
            else:
                node = _outgoing_node(item, state.name or wording.YOU_AS_SENDER)
                if found is not None:
                    found[1].remove()
            shown.append((item.key, item.render_key, node))
        for _look, node in old.values():
            node.remove()
        children = self.log.children
        for index, (_key, _look, node) in enumerate(shown):
            if index >= children.length:
                self.log.append(node)
            elif not children.item(index).isSameNode(node):
                self.log.insertBefore(node, children.item(index))
        self._shown = shown
        if follow:
            self.scroll_to_bottom()

    def scroll_to_bottom(self) -> None:
        """Show the newest reply."""
        self.log.scrollTop = self.log.scrollHeight
