"""The backend in this process: plain dicts, gone on restart unless journaled
(``durable.py``) or saved to a state file (``persist.py``)."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import replace
from typing import Any

from flack.backends.base import RESERVED_MAX, SENT_REMEMBERED, StateBackend
from flack.backends.snapshot import READABLE_VERSIONS, SNAPSHOT_VERSION, Restored, read_snapshot
from flack.core.models import Change, Channel, File, Identity, Message, apply_change
from flack.protocol import confusable, direct_members, fold, is_direct, skeleton

__all__ = ["READABLE_VERSIONS", "SENT_REMEMBERED", "SNAPSHOT_VERSION", "MemoryBackend"]


class _ChannelState:
    __slots__ = ("channel", "last_id", "last_revision", "members", "messages", "read")

    def __init__(self, channel: Channel, limit: int) -> None:
        self.channel = channel
        # deque(maxlen) drops the oldest message in O(1) when a new one arrives.
        self.messages: deque[Message] = deque(maxlen=limit)
        self.last_id = 0
        self.last_revision = 0
        # A direct conversation's members are fixed by its label.
        self.members: set[str] = set(direct_members(channel.name) or ())
        # person id -> the id of the last message they read here.
        self.read: dict[str, int] = {}

    def find(self, message_id: int) -> int | None:
        """The index of kept message ``message_id``: ids are consecutive, so
        straight there (a scan only for a history read from an odd file)."""
        if not self.messages:
            return None
        index = message_id - self.messages[0].id
        if 0 <= index < len(self.messages) and self.messages[index].id == message_id:
            return index
        return next((n for n, m in enumerate(self.messages) if m.id == message_id), None)


def _same(a: str, b: str) -> bool:
    """Two spellings of one name: the same key and the same look."""
    return fold(a) == fold(b) and skeleton(a) == skeleton(b)


class MemoryBackend(StateBackend):
    """Everything in dictionaries. No method awaits, so each one is atomic
    with respect to the event loop."""

    def __init__(self, history_limit: int) -> None:
        super().__init__(history_limit)
        self._channels: dict[str, _ChannelState] = {}  # fold -> channel
        self._channel_looks: dict[str, str] = {}  # skeleton -> fold
        self._identities: dict[str, Identity] = {}  # token -> identity
        # Every name an identity holds (its own and its reserved old ones),
        # by fold and by skeleton -> token. An entry of a reservation that
        # ran out stays until it is swept or overwritten; lookups check.
        self._by_fold: dict[str, str] = {}
        self._by_look: dict[str, str] = {}
        # token -> (client_id -> message), oldest first, each bounded.
        self._sent: dict[str, OrderedDict[str, Message]] = {}
        # person id -> token, and person id -> keys of their conversations.
        self._people: dict[str, str] = {}
        self._member_of: dict[str, set[str]] = {}

    def _can_add(self, channel: Channel) -> bool:
        if channel.key in self._channels:
            return False
        return is_direct(channel.name) or skeleton(channel.name) not in self._channel_looks

    async def add_channel(self, channel: Channel) -> bool:
        if not self._can_add(channel):
            return False
        state = self._channels[channel.key] = _ChannelState(channel, self.history_limit)
        if is_direct(channel.name):
            for person in state.members:
                self._member_of.setdefault(person, set()).add(channel.key)
        else:
            self._channel_looks[skeleton(channel.name)] = channel.key
        return True

    async def get_channel(self, key: str) -> Channel | None:
        state = self._channels.get(key)
        return state.channel if state else None

    async def list_channels(self) -> list[Channel]:
        return [state.channel for state in self._channels.values() if not is_direct(state.channel.name)]

    async def conversations(self) -> list[Channel]:
        return [state.channel for state in self._channels.values()]

    async def remove_channel(self, key: str) -> bool:
        state = self._channels.get(key)
        if state is None or state.messages:
            return False
        del self._channels[key]
        if not is_direct(state.channel.name):
            self._channel_looks.pop(skeleton(state.channel.name), None)
        for person in state.members:
            self._leave(person, key)
        return True

    def _leave(self, person: str, key: str) -> None:
        keys = self._member_of.get(person)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._member_of[person]

    async def add_member(self, key: str, person: str) -> bool:
        state = self._channels[key]
        if person in state.members or is_direct(state.channel.name):
            return False
        state.members.add(person)
        self._member_of.setdefault(person, set()).add(key)
        return True

    async def remove_member(self, key: str, person: str) -> bool:
        state = self._channels.get(key)
        if state is None or person not in state.members or is_direct(state.channel.name):
            return False
        state.members.discard(person)
        state.read.pop(person, None)
        self._leave(person, key)
        return True

    async def is_member(self, key: str, person: str) -> bool:
        state = self._channels.get(key)
        return state is not None and person in state.members

    async def members(self, key: str) -> list[str]:
        state = self._channels.get(key)
        return sorted(state.members) if state else []

    async def memberships(self, person: str) -> list[Channel]:
        return [self._channels[key].channel for key in self._member_of.get(person, ())]

    async def set_read(self, key: str, person: str, message_id: int) -> bool:
        state = self._channels[key]
        mark = min(message_id, state.last_id)  # never past its newest message
        if person not in state.members or mark <= state.read.get(person, 0):
            return False
        state.read[person] = mark
        return True

    async def read_mark(self, key: str, person: str) -> int:
        state = self._channels.get(key)
        return state.read.get(person, 0) if state else 0

    async def append_message(
        self,
        key: str,
        sender: str,
        text: str,
        time: str,
        file: File | None = None,
        sent_by: str | None = None,
        client_id: str | None = None,
        sender_id: str = "",
        parent: int | None = None,
    ) -> tuple[Message, Message | None]:
        state = self._channels[key]
        state.last_id += 1
        message = Message(
            state.last_id, state.channel.name, sender, text, time, file, client_id, sender_id, parent
        )
        if sent_by is not None and client_id is not None:
            sent = self._sent.setdefault(sent_by, OrderedDict())
            sent[client_id] = message
            sent.move_to_end(client_id)
            if len(sent) > SENT_REMEMBERED:
                sent.popitem(last=False)
        full = len(state.messages) == state.messages.maxlen
        dropped = state.messages[0] if full else None
        state.messages.append(message)
        return message, dropped

    async def recall_sent(self, sent_by: str, client_id: str) -> Message | None:
        sent = self._sent.get(sent_by)
        message = sent.get(client_id) if sent is not None else None
        if message is None:
            return None
        # As it is now (edited, reacted to), while it is kept.
        return await self.get_message(Channel(message.channel).key, message.id) or message

    async def expire_file(self, key: str, message_id: int) -> Message | None:
        state = self._channels.get(key)
        if state is None:
            return None
        for index, message in enumerate(state.messages):
            if message.id == message_id and message.file is not None:
                updated = message.with_file_expired()
                state.messages[index] = updated
                return updated
        return None

    async def history(self, key: str) -> list[Message]:
        state = self._channels.get(key)
        return list(state.messages) if state else []

    async def get_message(self, key: str, message_id: int) -> Message | None:
        state = self._channels.get(key)
        index = state.find(message_id) if state else None
        return state.messages[index] if state is not None and index is not None else None

    async def change_message(self, key: str, message_id: int, change: Change) -> Message | None:
        state = self._channels.get(key)
        index = state.find(message_id) if state else None
        if state is None or index is None:
            return None
        changed = apply_change(state.messages[index], change, state.last_revision + 1)
        state.last_revision += 1
        state.messages[index] = changed
        return changed

    async def get_identity(self, token: str) -> Identity | None:
        identity = self._identities.get(token)
        # Hand out copies: callers must not change stored state behind our back.
        return replace(identity) if identity else None

    async def person(self, person: str) -> Identity | None:
        token = self._people.get(person)
        return await self.get_identity(token) if token is not None else None

    async def list_identities(self) -> list[Identity]:
        return [replace(identity) for identity in self._identities.values()]

    async def holders_of(self, name: str, now: float) -> list[Identity]:
        return [replace(self._identities[token]) for token in self._holders(name, now)]

    def _holders(self, name: str, now: float) -> list[str]:
        """Tokens holding, at ``now``, a name ``name`` cannot coexist with."""
        found: list[str] = []
        for token in (self._by_fold.get(fold(name)), self._by_look.get(skeleton(name))):
            identity = self._identities.get(token) if token is not None else None
            if identity is None or token in found:
                continue
            if any(confusable(held, name) for held in identity.names(now)):
                found.append(identity.token)
        return found

    async def bind_name(
        self, token: str, name: str, now: float, reserve_until: float | None = None
    ) -> Identity | None:
        if any(holder != token for holder in self._holders(name, now)):
            return None
        old = self._identities.get(token)
        reserved: list[tuple[str, float]] = []
        connections = 0
        if old is not None:
            connections = old.connections
            reserved = [(n, until) for n, until in old.reserved if until > now and not _same(n, name)]
            if reserve_until is not None and reserve_until > now and not _same(old.name, name):
                reserved = [(n, until) for n, until in reserved if not _same(n, old.name)]
                reserved.append((old.name, reserve_until))
            self._unindex(old)
        identity = Identity(token, name, connections, now, tuple(reserved[-RESERVED_MAX:]))
        self._identities[token] = identity
        self._people[identity.id] = token
        self._index(identity)
        return replace(identity)

    def _index(self, identity: Identity) -> None:
        for name in (identity.name, *(n for n, _ in identity.reserved)):
            self._by_fold[fold(name)] = identity.token
            self._by_look[skeleton(name)] = identity.token

    def _unindex(self, identity: Identity) -> None:
        for name in (identity.name, *(n for n, _ in identity.reserved)):
            for index, key in ((self._by_fold, fold(name)), (self._by_look, skeleton(name))):
                if index.get(key) == identity.token:
                    del index[key]

    async def add_connections(self, token: str, delta: int, now: float) -> None:
        identity = self._identities.get(token)
        if identity is not None:
            identity.connections = max(0, identity.connections + delta)
            identity.last_seen = now

    async def release(self, token: str) -> None:
        identity = self._identities.pop(token, None)
        if identity is not None:
            self._unindex(identity)
            self._people.pop(identity.id, None)
        self._sent.pop(token, None)

    async def expire_reservations(self, now: float) -> int:
        freed = 0
        for identity in self._identities.values():
            kept = tuple((n, until) for n, until in identity.reserved if until > now)
            if len(kept) != len(identity.reserved):
                freed += len(identity.reserved) - len(kept)
                self._unindex(identity)
                identity.reserved = kept
                self._index(identity)
        return freed

    async def idle_identities(self, seen_before: float) -> list[Identity]:
        return [
            replace(identity)
            for identity in self._identities.values()
            if identity.connections == 0 and identity.last_seen < seen_before
        ]

    # -- snapshots (the data folder's and the optional state file) --------------

    def snapshot(self, now: float, generation: int = 0) -> dict[str, Any]:
        """Everything, as JSON-ready data (fresh objects: it may be written
        out in another thread while this backend goes on changing).
        Identities connected now count as seen now, so their names stay
        reserved across a restart; old names whose reservation is over at
        ``now`` are left out. Sends are remembered only for messages
        still kept (a retry of another could not be answered with it anyway).
        ``generation``: the first journal not contained in it (a data folder's)."""
        kept = {(key, m.id) for key, state in self._channels.items() for m in state.messages}
        return {
            "version": SNAPSHOT_VERSION,
            "generation": generation,
            "channels": [
                {
                    "name": state.channel.name,
                    "last_id": state.last_id,
                    "last_revision": state.last_revision,
                    # A direct conversation's members are in its name.
                    "members": [] if is_direct(state.channel.name) else sorted(state.members),
                    "messages": [m.to_wire() for m in state.messages],
                    "read": dict(state.read),
                }
                for state in self._channels.values()
            ],
            "identities": [
                {
                    "token": i.token,
                    "name": i.name,
                    "last_seen": now if i.connections else i.last_seen,
                    "connections": i.connections,
                    # Only what is still reserved: a name whose reservation ran
                    # out may have been taken by someone else since, and a
                    # snapshot with both would be refused when read.
                    "reserved": [[name, until] for name, until in i.reserved if until > now],
                }
                for i in self._identities.values()
            ],
            "sent": [
                [token, cid, m.channel, m.id]
                for token, sent in self._sent.items()
                if token in self._identities  # what restore keeps: a person's sends
                for cid, m in sent.items()
                if (Channel(m.channel).key, m.id) in kept
            ],
        }

    def settle(self, now: float | None = None) -> None:
        """After a restart nobody is connected. With ``now``, those who were
        count as seen then (a journal may have left them seen earlier), so
        their names stay theirs; without, as seen when the snapshot was taken."""
        for identity in self._identities.values():
            if identity.connections:
                identity.connections = 0
                if now is not None:
                    identity.last_seen = now

    def restore(self, data: object, *, files_kept: bool = False) -> Restored:
        """Replace everything with a snapshot; ``ValueError`` naming the bad
        field if it is not one (and then nothing changes). Returns what was
        read: notes on what an older file held that today's rules leave out,
        and the snapshot's journal generation.

        Shared files survive only in a data folder (``files_kept``, version 4
        on); otherwise restored file messages say their file expired.
        """
        restored = read_snapshot(data, files_kept=files_kept)
        channels: dict[str, _ChannelState] = {}
        member_of: dict[str, set[str]] = {}
        for channel, last_id, messages in restored.channels:
            state = channels[channel.key] = _ChannelState(channel, self.history_limit)
            state.last_id = last_id
            state.last_revision = restored.revisions.get(channel.key, 0)
            state.members.update(restored.members.get(channel.key, ()))
            # Only members have marks (a file may hold any person id).
            marks = restored.reads.get(channel.key, {})
            state.read = {p: m for p, m in marks.items() if p in state.members}
            state.messages.extend(messages)
            for person in state.members:
                member_of.setdefault(person, set()).add(channel.key)
        sent: dict[str, OrderedDict[str, Message]] = {}
        for token, client_id, message in restored.sent:
            sent.setdefault(token, OrderedDict())[client_id] = message
        self._channels = channels
        self._member_of = member_of
        self._channel_looks = {
            skeleton(state.channel.name): key
            for key, state in channels.items()
            if not is_direct(state.channel.name)
        }
        self._identities = {identity.token: identity for identity in restored.identities}
        self._by_fold, self._by_look = {}, {}
        self._people = {identity.id: identity.token for identity in self._identities.values()}
        for identity in self._identities.values():
            self._index(identity)
        self._sent = sent
        return restored
