"""What the person does to conversations and messages (issue 14), for ``main.App``.

Opening a direct conversation from the People list, leaving a channel,
editing and deleting one's own messages, reactions, and the thread panel:
each hands the state what happened, sends what it asks for, and moves the
focus where the person expects it next (back to the button that began an
edit, a deletion or the picker). A mixin of ``App`` (``main.py``), kept
apart so that neither module grows too long to read.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from flack.protocol import ChannelRequest, EditMessage, Event, MessageRef, OpenDirect, React
from flack_client.effects import Effects
from flack_client.net import Socket
from flack_client.state import ChatState
from flack_client.view import View


class TalkHandlers:
    """People, direct conversations, leaving, and acting on messages (mixed into ``App``)."""

    state: ChatState
    view: View
    socket: Socket

    if TYPE_CHECKING:  # App's own

        def render(self) -> None: ...
        def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None: ...
        async def _join(self, channel: str, restoring: bool = False) -> None: ...
        def _follow(self, effects: Effects) -> None: ...

    def open_person(self, pid: str) -> None:
        """A person in the People list: open (or create) our direct
        conversation with them, then open it like a channel."""
        self._spawn(self._open_person(pid))

    def open_group(self) -> None:
        """ "New group": the dialog to pick people."""
        if self.state.open_group():
            self.render()

    def close_group(self) -> None:
        """The group dialog's "Cancel" or Escape: focus back on "New group"."""
        if self.state.close_group():
            self.render()
            self.view.talk.focus_new_group()

    def start_group(self, ids: list[str]) -> None:
        """ "Start group": open (or create) the conversation with those people."""
        request = self.state.group_request(ids)
        self.render()
        if request is not None:
            self._spawn(self._open_direct(request))

    async def _open_person(self, pid: str) -> None:
        await self._open_direct(self.state.direct_request(pid))

    async def _open_direct(self, request: OpenDirect) -> None:
        ack = await self.socket.call(Event.OPEN_DIRECT, request)
        label = self.state.direct_answered(ack)
        self.render()
        if label is not None:
            await self._join(label)

    def leave_channel(self) -> None:
        """ "Leave channel" in the open channel's header."""
        channel = self.state.open_channel
        if channel is not None and self.state.can_leave:
            self._spawn(self._leave(channel))

    async def _leave(self, channel: str) -> None:
        ack = await self.socket.call(Event.LEAVE_CHANNEL, ChannelRequest(channel))
        effects = self.state.leave_answered(channel, ack)
        self._follow(effects)
        if ack.ok:
            self.view.talk.focus_channel(channel)

    def start_edit(self, mid: int) -> None:
        """ "Edit message": the text becomes a box, with the cursor in it."""
        if self.state.start_edit(mid):
            self.render()
            self.view.talk.focus_edit()

    def save_edit(self, raw: str) -> None:
        """ "Save" or Enter in the edit box."""
        mid = self.state.editing
        request = self.state.edit_request(raw)
        self.render()
        if request is None:
            if self.state.editing is None and mid is not None:
                self.view.talk.focus_message_action(mid, "edit")
            return
        self._spawn(self._edit(request))

    async def _edit(self, request: EditMessage) -> None:
        ack = await self.socket.call(Event.EDIT_MESSAGE, request)
        closed = self.state.edit_answered(request, ack)
        self.render()
        if closed:
            self.view.talk.focus_message_action(request.id, "edit")

    def cancel_edit(self) -> None:
        """ "Cancel" or Escape in the edit box: the text is as it was."""
        mid = self.state.editing
        if self.state.cancel_edit():
            self.render()
            if mid is not None:
                self.view.talk.focus_message_action(mid, "edit")

    def ask_delete(self, mid: int) -> None:
        """ "Delete message": the dialog asks first."""
        if self.state.ask_delete(mid):
            self.render()

    def confirm_delete(self) -> None:
        """The dialog's "Delete"."""
        request = self.state.delete_request()
        self.render()
        if request is not None:
            self._spawn(self._delete(request))

    async def _delete(self, request: MessageRef) -> None:
        ack = await self.socket.call(Event.DELETE_MESSAGE, request)
        self.state.delete_answered(ack)
        self.render()
        # The message is gone, its buttons with it: the cursor goes where
        # the next thing is typed.
        self.view.talk.focus_composer(take=True)

    def cancel_delete(self) -> None:
        """The dialog's "Cancel" or Escape: back to the message's button."""
        mid = self.state.deleting
        if self.state.cancel_delete():
            self.render()
            if mid is not None:
                self.view.talk.focus_message_action(mid, "delete")

    def open_picker(self, mid: int) -> None:
        """ "Add reaction": the emoji picker opens (or closes) by the button."""
        self.state.open_picker(mid)
        self.render()
        if self.state.picking is not None:
            self.view.talk.focus_picker()

    def close_picker(self, back: bool = True) -> None:
        """Escape or a click elsewhere closes the picker (``back``: the focus
        returns to its "Add reaction" button)."""
        mid = self.state.picking
        if self.state.close_picker():
            self.render()
            if back and mid is not None:
                self.view.talk.focus_message_action(mid, "react")

    def react(self, mid: int, emoji: str) -> None:
        """An emoji in the picker, or a reaction's button: toggle ours."""
        from_picker = self.state.picking == mid
        request = self.state.react_request(mid, emoji)
        self.render()
        if from_picker:
            self.view.talk.focus_message_action(mid, "react")
        if request is not None:
            self._spawn(self._react(request))

    async def _react(self, request: React) -> None:
        ack = await self.socket.call(Event.REACT, request)
        self.state.react_answered(ack)
        self.render()

    def open_thread(self, mid: int) -> None:
        """ "Reply in thread" or "N replies": the thread panel, with the
        cursor in its "Reply" box."""
        if self.state.open_thread(mid):
            self.render()
            self.view.talk.focus_reply()

    def close_thread(self) -> None:
        """The thread's close button (or Escape in the panel)."""
        parent = self.state.thread_parent
        if self.state.close_thread():
            self.render()
            if parent is not None:
                self.view.talk.focus_message_action(parent, "thread")

    def send_reply(self, raw: str) -> None:
        """Enter in the thread's "Reply" box: the reply goes through the outbox."""
        effects = self.state.compose_reply(raw)
        if effects.clear_composer:
            self.view.talk.clear_reply_if(raw)
        self._follow(effects)
        self.view.talk.scroll_thread_to_bottom()
