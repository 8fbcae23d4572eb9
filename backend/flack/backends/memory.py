"""The default backend: plain dicts in this process, gone on restart."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import replace
from typing import Any

from flack.backends.base import StateBackend
from flack.core.models import Channel, File, Identity, Message
from flack.protocol import ProtocolError

# Bump when the snapshot's shape changes; unknown versions are refused, not misread.
# Version 2 stores messages in their wire shape (``Message.to_wire``); version 1
# stored files with a "kind" and no URL, and is still read.
SNAPSHOT_VERSION = 2
READABLE_VERSIONS = (1, 2)

SENT_REMEMBERED = 10_000


class _ChannelState:
    __slots__ = ("channel", "last_id", "messages")

    def __init__(self, channel: Channel, limit: int) -> None:
        self.channel = channel
        # deque(maxlen) drops the oldest message in O(1) when a new one arrives.
        self.messages: deque[Message] = deque(maxlen=limit)
        self.last_id = 0


class MemoryBackend(StateBackend):
    """Everything in dictionaries. No method awaits, so each one is atomic
    with respect to the event loop."""

    def __init__(self, history_limit: int) -> None:
        super().__init__(history_limit)
        self._channels: dict[str, _ChannelState] = {}
        self._identities: dict[str, Identity] = {}  # token -> identity
        self._holders: dict[str, str] = {}  # folded name -> token
        # (token, client_id) -> message, oldest first, bounded.
        self._sent: OrderedDict[tuple[str, str], Message] = OrderedDict()

    async def add_channel(self, channel: Channel) -> bool:
        if channel.key in self._channels:
            return False
        self._channels[channel.key] = _ChannelState(channel, self.history_limit)
        return True

    async def get_channel(self, key: str) -> Channel | None:
        state = self._channels.get(key)
        return state.channel if state else None

    async def list_channels(self) -> list[Channel]:
        return [state.channel for state in self._channels.values()]

    async def remove_channel(self, key: str) -> bool:
        state = self._channels.get(key)
        if state is None or state.messages:
            return False
        del self._channels[key]
        return True

    async def append_message(
        self,
        key: str,
        sender: str,
        text: str,
        time: str,
        file: File | None = None,
        sent_by: str | None = None,
        client_id: str | None = None,
    ) -> tuple[Message, Message | None]:
        state = self._channels[key]
        state.last_id += 1
        message = Message(state.last_id, state.channel.name, sender, text, time, file, client_id)
        if sent_by is not None and client_id is not None:
            self._sent[(sent_by, client_id)] = message
            if len(self._sent) > SENT_REMEMBERED:
                self._sent.popitem(last=False)
        full = len(state.messages) == state.messages.maxlen
        dropped = state.messages[0] if full else None
        state.messages.append(message)
        return message, dropped

    async def recall_sent(self, sent_by: str, client_id: str) -> Message | None:
        return self._sent.get((sent_by, client_id))

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

    async def get_identity(self, token: str) -> Identity | None:
        identity = self._identities.get(token)
        # Hand out copies: callers must not change stored state behind our back.
        return replace(identity) if identity else None

    async def holder_of(self, name_key: str) -> Identity | None:
        token = self._holders.get(name_key)
        return await self.get_identity(token) if token else None

    async def bind_name(self, token: str, name: str, now: float) -> Identity | None:
        identity = Identity(token=token, name=name, last_seen=now)
        holder = self._holders.get(identity.key)
        if holder is not None and holder != token:
            return None
        old = self._identities.get(token)
        if old is not None:
            identity.connections = old.connections
            if old.key != identity.key:
                del self._holders[old.key]
        self._holders[identity.key] = token
        self._identities[token] = identity
        return replace(identity)

    async def add_connections(self, token: str, delta: int, now: float) -> None:
        identity = self._identities.get(token)
        if identity is not None:
            identity.connections = max(0, identity.connections + delta)
            identity.last_seen = now

    async def release(self, token: str) -> None:
        identity = self._identities.pop(token, None)
        if identity is not None and self._holders.get(identity.key) == token:
            del self._holders[identity.key]

    async def idle_identities(self, seen_before: float) -> list[Identity]:
        return [
            replace(identity)
            for identity in self._identities.values()
            if identity.connections == 0 and identity.last_seen < seen_before
        ]

    # -- snapshots (the optional state file) ------------------------------------

    def snapshot(self, now: float) -> dict[str, Any]:
        """Everything, as JSON-ready data. Identities connected now count as
        seen now, so their names stay reserved across a restart."""
        sent_ids = {(m.channel, m.id): key for key, m in self._sent.items()}
        return {
            "version": SNAPSHOT_VERSION,
            "channels": [
                {
                    "name": state.channel.name,
                    "last_id": state.last_id,
                    "messages": [m.to_wire() for m in state.messages],
                }
                for state in self._channels.values()
            ],
            "identities": [
                {"token": i.token, "name": i.name, "last_seen": now if i.connections else i.last_seen}
                for i in self._identities.values()
            ],
            "sent": [[token, cid, channel, mid] for (channel, mid), (token, cid) in sent_ids.items()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace everything with a snapshot (``ValueError`` if it is not one).

        Shared files do not survive a restart (their folder is emptied), so
        restored file messages say their file expired.
        """
        version = data.get("version") if isinstance(data, dict) else None
        if version not in READABLE_VERSIONS:
            raise ValueError(f"not a Flack state snapshot (version {SNAPSHOT_VERSION})")
        try:
            channels: dict[str, _ChannelState] = {}
            by_id: dict[tuple[str, int], Message] = {}
            for item in data["channels"]:
                state = _ChannelState(Channel(str(item["name"])), self.history_limit)
                state.last_id = int(item["last_id"])
                for raw in item["messages"]:
                    message = _message_from(raw, state.channel.name, version)
                    state.messages.append(message)
                    by_id[(message.channel, message.id)] = message
                channels[state.channel.key] = state
            identities = {
                str(i["token"]): Identity(str(i["token"]), str(i["name"]), 0, float(i["last_seen"]))
                for i in data["identities"]
            }
            sent: OrderedDict[tuple[str, str], Message] = OrderedDict()
            for token, cid, channel, mid in data["sent"]:
                kept = by_id.get((str(channel), int(mid)))
                if kept is not None:
                    sent[(str(token), str(cid))] = kept
        except (KeyError, TypeError, ValueError, ProtocolError) as error:
            raise ValueError(f"damaged state snapshot: {error!r}") from None
        self._channels = channels
        self._identities = identities
        self._holders = {identity.key: token for token, identity in identities.items()}
        self._sent = sent


def _message_from(raw: dict[str, Any], channel: str, version: int) -> Message:
    """A stored message (its wire shape). Shared files do not survive a
    restart (their folder is emptied), so every file is expired."""
    if version == 1 and raw.get("file") is not None:
        # Version 1: {"id", "name", "size", "kind", "preview"}; the URL was
        # not stored, and is never used again: the file is gone.
        old = raw["file"]
        raw = {**raw, "file": {**old, "type": old["kind"], "url": "/", "expired": True}}
    message = Message.from_wire({**raw, "channel": channel})
    return message.with_file_expired()
