"""Socket.IO rooms: one per conversation, entered and left only as the core says.

A connection is in a room exactly while the core says it is in that
conversation (``Chat.conversations_of``): privacy is a property of delivery,
so it must not depend on whether some notice happened to be said.
"""

from __future__ import annotations

import socketio

from flack.core.chat import Chat
from flack.protocol import conversation_key
from flack.transport.fanout import Batcher


def room(channel_name: str) -> str:
    """The socket.io room of a conversation (a channel's name, a direct label)."""
    return room_of_key(conversation_key(channel_name))


def room_of_key(key: str) -> str:
    """The socket.io room of the conversation with this key."""
    return "channel:" + key


# Every connection with a name: who hears of names and presence (a page has
# no People list before it has a name; no conversation key looks like this).
NAMED = "named"


def person_room(person: str) -> str:
    """The room of every connection of one person (their tabs and browsers
    hear of their own read marks there)."""
    return "person:" + person


class Rooms:
    """Keeps each connection's socket.io rooms equal to the core's idea of
    where it is.

    Every handler that may change where a connection is calls :meth:`sync`,
    so a second tab that moves on stops receiving its old channel even though
    the person is still there (and nobody is told). What was entered is
    remembered per connection, so a sync costs O(that connection's rooms),
    not a walk over every room on the server.
    """

    def __init__(self, sio: socketio.AsyncServer, chat: Chat, batcher: Batcher) -> None:
        self._sio, self._chat, self._batcher = sio, chat, batcher
        self._entered: dict[str, set[str]] = {}

    async def sync(self, sid: str) -> None:
        """Enter and leave rooms until ``sid`` is in exactly its conversations'.

        The messages a room holds are flushed first, so a connection that
        leaves gets every message sent before it left and a newcomer gets
        held messages in its history, not twice (held notices keep their
        window: see ``Batcher.flush_messages``).
        """
        want = {room_of_key(key) for key in await self._chat.conversations_of(sid)}
        person = self._chat.person_of(sid)
        if person:
            want.update((NAMED, person_room(person)))
        have = self._entered.get(sid, set())
        for gone in have - want:
            self._batcher.flush_messages(gone)
            await self._sio.leave_room(sid, gone)
        for new in want - have:
            self._batcher.flush_messages(new)
            await self._sio.enter_room(sid, new)
        if want:
            self._entered[sid] = want
        else:
            self._entered.pop(sid, None)

    async def sync_person(self, person: str) -> None:
        """:meth:`sync` every connection of ``person`` (their tabs follow them)."""
        for sid in self._chat.sids_of(person):
            await self.sync(sid)

    def forget(self, sid: str) -> None:
        """``sid`` disconnected (socket.io has dropped its rooms itself)."""
        self._entered.pop(sid, None)
