"""``ChatState``'s part for people and conversations (issue 14).

Who is here (``people.People``), our direct conversations
(``people.Directs``), the channels we are a member of, leaving one, and what
the heading and the lists call a conversation. A mixin of ``ChatState``
(``state.py``), kept apart so that neither module grows too long to read;
it uses only what ``ChatState`` declares below. Plain Python: the tests run
it under CPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flack import protocol
from flack.protocol import (
    BAD_REPLY,
    Ack,
    Conversations,
    DirectOpened,
    OpenDirect,
    PeopleList,
    PersonEvent,
    conversation_key,
    is_direct,
)
from flack_client import wording
from flack_client.connection import Connection
from flack_client.effects import Effects
from flack_client.people import DirectEntry, Directs, People

if TYPE_CHECKING:
    from collections.abc import Iterable

    from flack_client.channel import OpenChannel
    from flack_client.creating import Creations


class PeopleAndConversations:
    """People, direct conversations and channel membership (mixed into ``ChatState``)."""

    _people: People
    _directs: Directs
    _member: set[str]  # keys of the channels we are a member of
    _channel: OpenChannel
    _creations: Creations
    _saved_channel: str | None
    _ready: bool
    group_open: bool = False  # the "Start a group conversation" dialog is open
    group_error: str | None = None  # what is wrong with the people ticked there
    connection: Connection

    if TYPE_CHECKING:

        @property
        def open_channel(self) -> str | None: ...
        @property
        def error(self) -> str | None: ...
        @error.setter
        def error(self, text: str | None) -> None: ...
        def is_open(self, channel: str) -> bool: ...
        def add_channels(self, names: Iterable[str]) -> bool: ...
        def show_failure(self, ack: Ack) -> None: ...
        def _end_message_actions(self, *, thread: bool = False) -> None: ...
        def presence_listed(self, listed: PeopleList) -> None: ...
        def reads_listed(self, listed: Conversations) -> bool: ...
        def unread_left(self, channel: str) -> None: ...

    @property
    def me(self) -> str | None:
        """Our person id (from our token), once we have one."""
        return self._people.me

    def people_listed(self, ack: Ack) -> bool:
        """The answer to ``list_people``; ``True`` if it was read."""
        listed = protocol.read(PeopleList, ack.data) if ack.ok else None
        if listed is None:
            return False
        self._people.set(listed.people)
        self.presence_listed(listed)
        return True

    def person_changed(self, payload: object) -> bool:
        """A ``person`` event: someone took a name or renamed; ``True`` if a
        name shown changed (the People list, direct conversations' names)."""
        event = protocol.read(PersonEvent, payload)
        return event is not None and self._people.add([event.person])

    def people_changed(self, payload: object) -> bool:
        """A ``people`` event: several names new or changed at once (the
        server gathers a burst of them); ``True`` if a name shown changed."""
        event = protocol.read(PeopleList, payload)
        return event is not None and self._people.add(event.people)

    def conversations_listed(self, ack: Ack) -> bool:
        """The answer to ``list_conversations``: the channels we are in and
        our direct conversations. ``True`` if it was read."""
        listed = protocol.read(Conversations, ack.data) if ack.ok else None
        if listed is None:
            return False
        self._member = {channel.key for channel in listed.channels}
        self.add_channels(channel.name for channel in listed.channels)
        self._directs.set(listed.directs)
        self.reads_listed(listed)  # issue 15: where we stand in each
        if self.open_channel is not None and is_direct(self.open_channel):
            self._directs.note(self.open_channel)  # on screen: stays listed
        return True

    def direct_opened(self, payload: object) -> bool:
        """A ``direct_opened`` event (someone opened a conversation with us);
        ``True`` if the list changed."""
        opened = protocol.read(DirectOpened, payload)
        return opened is not None and self._directs.add(opened.direct)

    @property
    def people(self) -> list[tuple[str, str]]:
        """The People list: ``(id, label)``, us first (marked), then by name."""
        return [(person.id, self._people.label(person)) for person in self._people.everyone]

    @property
    def directs(self) -> list[DirectEntry]:
        """The "Direct messages" list, by name."""
        return self._directs.entries

    def direct_request(self, pid: str) -> OpenDirect:
        """A person picked in the People list: the ``open_direct`` to send
        (with ourselves alone it is our own notes: the server decides)."""
        self._creations.picked()  # the person's own pick wins over creations on their way
        return OpenDirect([pid])

    def direct_answered(self, ack: Ack) -> str | None:
        """The answer to ``open_direct``: the conversation's label to open, or
        ``None`` and an alert."""
        opened = protocol.read(DirectOpened, ack.data) if ack.ok else None
        if opened is None:
            self.show_failure(ack if not ack.ok else Ack.failure(BAD_REPLY))
            return None
        self._directs.add(opened.direct)
        self.error = None
        return opened.direct.id

    # a group conversation: the "New group" dialog

    def open_group(self) -> bool:
        """ "New group": the dialog to pick people opens; ``True`` if it did."""
        if self.group_open or self._people.me is None:
            return False
        self.group_open, self.group_error = True, None
        return True

    def close_group(self) -> bool:
        """The dialog's "Cancel" or Escape; ``True`` if it was open."""
        was, self.group_open, self.group_error = self.group_open, False, None
        return was

    def group_request(self, ids: list[str]) -> OpenDirect | None:
        """ "Start group" with ``ids`` ticked: the ``open_direct`` to send (the
        dialog closes), or ``None`` and the dialog says what is wrong."""
        others = sorted({pid for pid in ids if protocol.is_person_id(pid) and not self._people.is_me(pid)})
        if not others:
            self.group_error = wording.GROUP_EMPTY
            return None
        if len(others) > protocol.DIRECT_MAX - 1:
            self.group_error = wording.group_too_big()
            return None
        self.close_group()
        return OpenDirect(others)

    @property
    def group_choices(self) -> list[tuple[str, str]]:
        """Who can be ticked in the dialog: everyone but us, ``(id, name)``."""
        return [
            (person.id, person.name) for person in self._people.everyone if not self._people.is_me(person.id)
        ]

    def is_member(self, channel: str) -> bool:
        """Whether we are a member of ``channel`` (direct ones: always)."""
        return is_direct(channel) or conversation_key(channel) in self._member

    @property
    def open_is_direct(self) -> bool:
        """Whether the conversation on screen is a direct one."""
        return self.open_channel is not None and is_direct(self.open_channel)

    @property
    def open_title(self) -> str | None:
        """The heading's text: a channel's name (drawn after a ``#``) or the
        other people's names."""
        channel = self.open_channel
        if channel is None:
            return None
        return self._directs.name(channel) if is_direct(channel) else channel

    def where(self, label: str) -> str:
        """A conversation in a few words: ``#general``, or the other people's names."""
        return self._directs.name(label) if is_direct(label) else f"#{label}"

    def direct_name(self, label: str) -> str:
        """A direct conversation's name: the other people's, joined with ", "."""
        return self._directs.name(label)

    @property
    def can_leave(self) -> bool:
        """Whether "Leave channel" is offered: a channel we are in is on screen."""
        channel = self.open_channel
        return channel is not None and not is_direct(channel) and self.is_member(channel)

    def leave_answered(self, channel: str, ack: Ack) -> Effects:
        """The answer to ``leave_channel``: we are not a member any more, and
        the channel closes (its events stop coming); or an alert."""
        if not ack.ok:
            self.show_failure(ack)
            return Effects()
        self._member.discard(conversation_key(channel))
        self.unread_left(channel)
        if not self.is_open(channel):
            return Effects()
        self._channel.close()
        self._end_message_actions(thread=True)
        self._saved_channel = None
        return Effects(forget_channel=True)

    # what to show (the conversation on screen) -------------------------------------------------------------

    @property
    def connection_label(self) -> str:
        """The words in the status area."""
        return wording.STATUS_WORDS[self.connection.value]

    @property
    def can_compose(self) -> bool:
        """The composer is usable only with a channel open."""
        return self.open_channel is not None

    @property
    def new_channel_placeholder(self) -> str:
        """The hint inside the empty "New channel" box."""
        return wording.NEW_CHANNEL_PLACEHOLDER if self._ready else wording.LOADING

    @property
    def can_share(self) -> bool:
        """Files can be shared only into an open channel."""
        return self.open_channel is not None

    @property
    def drop_hint(self) -> str:
        """What the drop highlight says while files are dragged over the pane."""
        channel = self.open_channel
        if channel is not None and is_direct(channel):
            return f"Drop to share with {self._directs.name(channel)}"
        return wording.drop_hint(channel)

    @property
    def composer_placeholder(self) -> str:
        """The hint inside the empty composer."""
        channel = self.open_channel
        if channel is not None and is_direct(channel):
            return wording.direct_title(self._directs.name(channel))
        return wording.composer_placeholder(channel, self._ready)

    def empty_log_text(self) -> str:
        """What to say when the open channel has no messages yet."""
        channel = self.open_channel
        if channel is not None and is_direct(channel):
            return f"No messages with {self._directs.name(channel)} yet. Say hello!"
        return wording.empty_log_text(channel)
