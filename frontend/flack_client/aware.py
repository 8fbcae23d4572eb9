"""``ChatState``'s part for awareness (issue 15): presence and typing.

Everyone's presence for the People list (``presence.PresenceBook``), this
page's own ``set_presence`` and ``typing`` requests, who is shown as typing
in the open conversation (``typing_status``), and ``notices`` (several
notices at once). A mixin of ``ChatState`` (``state.py``), kept apart so
that neither module grows too long to read; it uses only what ``ChatState``
declares below. Times are handed in (``now``, seconds on a monotonic clock)
so the tests can drive them. Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flack import protocol
from flack.protocol import (
    Message,
    Notices,
    PeopleList,
    Presence,
    PresenceStatus,
    SetPresence,
    Typing,
    fold,
)
from flack_client import wording
from flack_client.presence import PresenceBook, should_wake
from flack_client.typing_status import TypingSender, TypingShown
from flack_client.unread_state import UnreadAwareness

if TYPE_CHECKING:
    from flack_client.channel import OpenChannel
    from flack_client.people import People


class Awareness(UnreadAwareness):
    """Presence and typing (mixed into ``ChatState``); unread counts,
    mentions and notifications come from ``UnreadAwareness``."""

    _people: People
    _channel: OpenChannel
    _presence: PresenceBook
    _typing: TypingShown
    _typing_out: TypingSender

    if TYPE_CHECKING:

        @property
        def open_channel(self) -> str | None: ...
        @property
        def name(self) -> str | None: ...
        @property
        def live(self) -> bool: ...

    def _init_awareness(self) -> None:
        self._presence = PresenceBook()
        self._typing = TypingShown()
        self._typing_out = TypingSender()
        self._init_unread()

    # presence ---------------------------------------------------------------------

    def presence_listed(self, listed: PeopleList) -> None:
        """``list_people``'s answer carries everyone's presence (an older
        server's does not: then nobody is shown as around)."""
        self._presence.set(listed.presence or [])

    def presence_changed(self, payload: object) -> bool:
        """A ``presence`` event: some people's presence changed; ``True`` if
        anything shown changed."""
        event = protocol.read(Presence, payload)
        return event is not None and self._presence.update(event.people)

    def presence_of(self, pid: str) -> PresenceStatus:
        """``pid``'s presence, as the People list shows it."""
        return self._presence.status(pid)

    def presence_label(self, pid: str, label: str) -> str:
        """A People entry's accessible name: its label, then the presence
        (``Zoë (you), online``)."""
        return wording.presence_label(label, self.presence_of(pid))

    def presence_request(self, hidden: bool) -> SetPresence | None:
        """What to tell the server about this page being ``hidden`` (or
        shown): only once named, since presence is a person's. ``None``:
        nothing to send (the next session says it)."""
        return SetPresence(hidden) if self.name is not None else None

    def wake_request(self, last_sent: float | None, now: float) -> SetPresence | None:
        """The person did something at ``now``: ``set_presence {"hidden":
        false}`` if this page has sent nothing since ``last_sent`` for a while
        (``presence.should_wake``), so the server's idle rule ends."""
        return self.presence_request(False) if should_wake(last_sent, now) else None

    # typing -----------------------------------------------------------------------

    def typing_request(self, draft: str, now: float) -> Typing | None:
        """The person changed the draft in the composer or the thread's
        "Reply" box (both belong to the open conversation): the ``typing`` to
        send, if one is due and this connection is in that conversation."""
        if not self.live:
            return None
        return self._typing_out.typed(self.open_channel, draft, now)

    def typing_connection_new(self) -> None:
        """A new connection: the next keystroke may tell the server at once."""
        self._typing_out.reset()

    def typing_heard(self, payload: object, now: float) -> bool:
        """A ``typing`` event; ``True`` if who is shown typing may have
        changed. Named as the People list names them now (a rename while
        typing shows the new name), else as the event says."""
        event = protocol.read(Typing, payload)
        if event is None or not event.person or self._people.is_me(event.person):
            return False
        name = self._people.name(event.person) or event.name or wording.SOMEONE
        return self._typing.heard(event.channel, event.person, name, self.open_channel, now)

    def typing_expired(self, now: float) -> bool:
        """The page's typing timer went off: ``True`` if anyone stopped being shown."""
        return self._typing.expire(now)

    @property
    def typing_deadline(self) -> float | None:
        """When the next typist is due to go, for the page's timer (``None``: nobody shown)."""
        return self._typing.deadline

    @property
    def typing_text(self) -> str:
        """The typing line of the open conversation: empty, or ``Bob is typing…``."""
        return wording.typing_text(self._typing.names(self.open_channel))

    def _typing_done(self, message: Message) -> None:
        """A message arrived: its sender is done typing it."""
        if message.sender_id:
            self._typing.stopped(message.channel, message.sender_id)

    # notices ----------------------------------------------------------------------

    def add_notices(self, payload: object) -> bool:
        """A ``notices`` event: several notices of one channel at once, each
        taken like a ``notice`` event; ``True`` if any was shown. Those about
        ourselves are left out: a batch goes to the connections whose action
        it is too (one packet for all), where a single notice never does, and
        a page does not announce its own join to itself."""
        event = protocol.read(Notices, payload)
        if event is None:
            return False
        me = fold(self.name) if self.name is not None else None
        shown = [self._channel.add_notice(notice) for notice in event.notices if fold(notice.name) != me]
        return any(entry is not None for entry in shown)
