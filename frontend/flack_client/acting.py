"""``ChatState``'s part for what is done to one message, and the thread panel (issue 14).

Editing one's own message (the box, Save and Cancel), deleting it (the
dialog asks first), toggling reactions (the picker), and the thread of a
message (its replies, kept apart from the log by ``channel.OpenChannel``).
Each action names the message by id within the conversation on screen; a
message that leaves (deleted) ends whatever was being done to it. A mixin of
``ChatState`` (``state.py``), kept apart so that neither module grows too
long to read. Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, EditMessage, Message, MessageEvent, MessageRef, React
from flack_client.checks import check_message
from flack_client.effects import NOTHING, Effects
from flack_client.people import People
from flack_client.reactions import ReactionChip, chips, reacted
from flack_client.wording import describe_error

if TYPE_CHECKING:
    from flack_client.channel import OpenChannel
    from flack_client.log import MessageLog
    from flack_client.outbox import Outbox, Outgoing
    from flack_client.sending import Sending

# Said under the edit box when everything was erased.
EMPTY_EDIT = "A message cannot be empty. Delete it instead."


class MessageActions:
    """Edit, delete, react, threads (mixed into ``ChatState``)."""

    _people: People
    _channel: OpenChannel
    _outbox: Outbox
    _sending: Sending
    # What the person is doing to one message of the open conversation (by
    # id): editing it, confirming its deletion, picking a reaction; and
    # whose thread the panel shows. Class defaults (immutable), set per state.
    editing: int | None = None
    edit_error: str | None = None
    deleting: int | None = None
    picking: int | None = None
    thread_parent: int | None = None

    if TYPE_CHECKING:

        @property
        def open_channel(self) -> str | None: ...
        @property
        def message_log(self) -> MessageLog: ...
        @property
        def me(self) -> str | None: ...
        def is_own(self, message: Message) -> bool: ...
        def add_message(self, message: Message) -> bool: ...
        def show_failure(self, ack: Ack) -> None: ...

    def message_updated(self, payload: object) -> bool:
        """A ``message_updated`` event: a message was edited, reacted to,
        replied to or deleted; it replaces the one shown, by id. ``True`` if
        anything shown changed."""
        updated = protocol.read(MessageEvent, payload)
        return updated is not None and self.add_message(updated.message)

    def message(self, mid: int) -> Message | None:
        """Message ``mid`` of the open conversation (a top-level one, or a
        reply in a thread), if shown."""
        found = self.message_log.get(mid)
        if found is not None:
            return found
        for thread in self._channel.replies.values():
            if mid in thread:
                return thread[mid]
        return None

    def is_mine(self, message: Message) -> bool:
        """Whether ``message`` is ours, so we may edit and delete it (by the
        sender's person id; name-only messages older than ids by name)."""
        return self.is_own(message)

    def can_edit(self, message: Message) -> bool:
        """Own text messages can be edited (a file's message cannot)."""
        return self.is_mine(message) and message.file is None and not message.deleted

    def reaction_chips(self, message: Message) -> list[ReactionChip]:
        """The reaction buttons under ``message``."""
        return chips(message, self.me, self._people.name)

    def replies_shown(self, message: Message) -> int:
        """How many replies the thread button under ``message`` says."""
        return 0 if message.parent is not None else message.replies

    def start_edit(self, mid: int) -> bool:
        """ "Edit message": its text becomes a box; ``True`` if it did."""
        message = self.message(mid)
        if message is None or not self.can_edit(message):
            return False
        self.editing, self.edit_error = mid, None
        self.picking = None
        return True

    def cancel_edit(self) -> bool:
        """ "Cancel" or Escape while editing; ``True`` if an edit was open."""
        was = self.editing is not None
        self.editing, self.edit_error = None, None
        return was

    def edit_request(self, raw: str) -> EditMessage | None:
        """ "Save" or Enter while editing: the ``edit_message`` to send, or
        ``None`` (nothing changed: the edit just closes; a mistake: said
        under the box)."""
        message = self.message(self.editing) if self.editing is not None else None
        if message is None:
            self.cancel_edit()
            return None
        checked = check_message(raw)
        if checked.error or checked.value is None:
            self.edit_error = checked.error or EMPTY_EDIT
            return None
        if checked.value == message.text:
            self.cancel_edit()
            return None
        return EditMessage(message.channel, message.id, checked.value)

    def edit_answered(self, request: EditMessage, ack: Ack) -> bool:
        """The answer to an edit: the new text shows (and the box closes), or
        the box stays with the reason under it. ``True`` if it closed."""
        changed = protocol.read(MessageEvent, ack.data) if ack.ok else None
        if changed is None:
            failure = ack if not ack.ok else Ack.failure(BAD_REPLY)
            if self.editing == request.id:
                self.edit_error = describe_error(failure.code, failure.message)
            else:
                self.show_failure(failure)
            return False
        self.add_message(changed.message)
        if self.editing == request.id:
            self.cancel_edit()
        return True

    def ask_delete(self, mid: int) -> bool:
        """ "Delete message": the dialog asks; ``True`` if it opened."""
        message = self.message(mid)
        if message is None or not self.is_mine(message):
            return False
        self.deleting, self.picking = mid, None
        return True

    def cancel_delete(self) -> bool:
        """The dialog's "Cancel" (or Escape); ``True`` if it was open."""
        was, self.deleting = self.deleting is not None, None
        return was

    def delete_request(self) -> MessageRef | None:
        """The dialog's "Delete": the ``delete_message`` to send (the dialog closes)."""
        message = self.message(self.deleting) if self.deleting is not None else None
        self.deleting = None
        return None if message is None else MessageRef(message.channel, message.id)

    def delete_answered(self, ack: Ack) -> None:
        """The answer to a deletion: the message leaves (also by its event),
        or an alert says why not."""
        deleted = protocol.read(MessageEvent, ack.data) if ack.ok else None
        if deleted is None:
            self.show_failure(ack if not ack.ok else Ack.failure(BAD_REPLY))
            return
        self.add_message(deleted.message)

    def open_picker(self, mid: int) -> bool:
        """ "Add reaction": the picker opens for message ``mid`` (a second
        press closes it); ``True`` if it is open now."""
        self.picking = None if self.picking == mid or self.message(mid) is None else mid
        return self.picking is not None

    def close_picker(self) -> bool:
        """Escape, or a click elsewhere; ``True`` if it was open."""
        was, self.picking = self.picking is not None, None
        return was

    def react_request(self, mid: int, emoji: str) -> React | None:
        """An emoji picked (or a reaction's button pressed) for ``mid``: the
        ``react`` toggle to send; the picker closes."""
        self.picking = None
        message = self.message(mid)
        return None if message is None else React(message.channel, message.id, emoji)

    def react_answered(self, ack: Ack) -> None:
        """The answer to ``react``: the message with its reactions now, or an alert."""
        changed = protocol.read(MessageEvent, ack.data) if ack.ok else None
        if changed is None:
            self.show_failure(ack if not ack.ok else Ack.failure(BAD_REPLY))
            return
        self.add_message(changed.message)

    def has_reacted(self, mid: int, emoji: str) -> bool:
        """Whether our ``emoji`` is under ``mid`` (the picker marks it)."""
        message = self.message(mid)
        return message is not None and reacted(message, emoji, self.me)

    def compose_reply(self, raw: str) -> Effects:
        """Enter in the thread's "Reply" box: a reply to the thread's first
        message, through the outbox like any message."""
        if self.thread_parent is None:
            return NOTHING
        effects = self._sending.compose(self.open_channel, raw, parent=self.thread_parent)
        # The thread panel follows its own newest reply, not the log.
        return Effects(clear_composer=effects.clear_composer, flush_outbox=effects.flush_outbox)

    # the thread panel ----------------------------------------------------------------

    def open_thread(self, mid: int) -> bool:
        """ "Reply in thread" or "N replies": the panel shows ``mid``'s
        thread; ``True`` if it opened (a reply's own thread is its parent's)."""
        message = self.message(mid)
        if message is None or message.deleted:
            return False
        self.thread_parent = message.parent if message.parent is not None else message.id
        self.picking = None
        return True

    def close_thread(self) -> bool:
        """The thread's close button (or Escape in it); ``True`` if it was open."""
        was, self.thread_parent = self.thread_parent is not None, None
        return was

    @property
    def thread(self) -> Message | None:
        """The thread's first message, while the panel is open (``None`` once
        it is gone: deleted, or no longer kept)."""
        if self.thread_parent is None:
            return None
        return self.message_log.get(self.thread_parent)

    @property
    def thread_replies(self) -> list[Message]:
        """The replies kept in the open thread, oldest first."""
        return [] if self.thread_parent is None else self._channel.replies_of(self.thread_parent)

    @property
    def thread_pending(self) -> list[Outgoing]:
        """Our replies in the open thread that the server has not confirmed yet."""
        if self.thread_parent is None:
            return []
        items = self._outbox.pending_in(self.open_channel)
        return [item for item in items if item.parent == self.thread_parent]

    @property
    def thread_missing(self) -> bool:
        """Whether the thread has fewer replies kept than its first message
        counts (the oldest left the history): the panel says so."""
        parent = self.thread
        return parent is not None and len(self.thread_replies) < parent.replies

    @property
    def thread_version(self) -> tuple[int, int]:
        """Changes whenever the thread panel may need drawing again."""
        return (self._channel.replies_version, self.message_log.version)

    def _drop_vanished(self) -> None:
        """A message that changed may be gone (deleted): whatever was being
        done to it ends, and a thread whose first message left closes."""
        for attribute in ("editing", "deleting", "picking"):
            mid = getattr(self, attribute)
            if mid is not None and self.message(mid) is None:
                setattr(self, attribute, None)
                if attribute == "editing":
                    self.edit_error = None
        if self.thread_parent is not None and self.thread is None:
            self.thread_parent = None

    def _end_message_actions(self, *, thread: bool = False) -> None:
        """Another conversation: nothing stays open on a message of the last one."""
        self.editing = self.deleting = self.picking = None
        self.edit_error = None
        if thread:
            self.thread_parent = None
