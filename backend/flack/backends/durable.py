"""The memory backend with a journal: every change written before it is made.

Why this shape: ``StateBackend`` methods are single atomic steps with time
passed in, so the same calls with the same arguments always lead to the same
state. The journal therefore records *calls* (each mutating method and its
arguments), not results, and replaying them on an empty backend (or on the
last snapshot) rebuilds exactly the state the server had. Reads are served
from memory as before; only a call that changes something costs a journal
line, so a refused claim or a repeated release writes nothing.

Each record is written (``JournalWriter.append``, one ``os.write``) *before*
the change is applied: if the write fails, nothing changes and the caller's
acknowledgement is an error, and memory never holds what the journal lacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from flack.backends.journal import JournalWriter
from flack.backends.memory import MemoryBackend
from flack.core.models import Change, Channel, File, Identity, Message, apply_change
from flack.core.sharing import StoredFile
from flack.protocol import ProtocolError, is_direct, is_person_id

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a backend coroutine that never awaits (the memory backend's) to its end, here.

    Start-up (replay, rebuilding the file index) happens before any event loop
    runs, and each of these methods is one step with no await inside.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a backend method waited for something during start-up")


class DurableBackend(MemoryBackend):
    """``MemoryBackend`` whose every change is journaled first (once ``journal`` is set).

    ``on_journal_full`` is called once the journal has grown past
    ``compact_at`` bytes (the data folder then writes a new snapshot).
    """

    def __init__(self, history_limit: int) -> None:
        super().__init__(history_limit)
        self.journal: JournalWriter | None = None
        self.compact_at = 0
        self.on_journal_full: Callable[[], None] | None = None

    def _log(self, record: list[Any]) -> None:
        journal = self.journal
        if journal is None:  # replaying, or not durable yet
            return
        journal.append(record)
        if self.compact_at and journal.size > self.compact_at and self.on_journal_full is not None:
            full, self.on_journal_full = self.on_journal_full, None  # once per journal
            full()

    # -- the mutating calls: check, journal, apply ---------------------------------

    async def add_channel(self, channel: Channel) -> bool:
        if not self._can_add(channel):
            return False
        self._log(["add_channel", channel.name])
        return await super().add_channel(channel)

    async def add_member(self, key: str, person: str) -> bool:
        state = self._channels.get(key)
        if state is None:
            raise KeyError(key)  # as the memory backend: the channel must exist
        if person in state.members or is_direct(state.channel.name):
            return False
        self._log(["add_member", key, person])
        return await super().add_member(key, person)

    async def remove_member(self, key: str, person: str) -> bool:
        state = self._channels.get(key)
        if state is None or person not in state.members or is_direct(state.channel.name):
            return False
        self._log(["remove_member", key, person])
        return await super().remove_member(key, person)

    async def set_read(self, key: str, person: str, message_id: int) -> bool:
        state = self._channels[key]  # KeyError as the memory backend's
        message_id = min(message_id, state.last_id)
        if person not in state.members or message_id <= state.read.get(person, 0):
            return False  # a mark that does not move costs no record
        self._log(["set_read", key, person, message_id])
        return await super().set_read(key, person, message_id)

    async def change_message(self, key: str, message_id: int, change: Change) -> Message | None:
        state = self._channels.get(key)
        if state is None or state.find(message_id) is None:
            return None
        apply_change(state.messages[state.find(message_id) or 0], change, 0)  # refuses a bad change first
        self._log(["change_message", key, message_id, change])
        return await super().change_message(key, message_id, change)

    async def remove_channel(self, key: str) -> bool:
        state = self._channels.get(key)
        if state is None or state.messages:
            return False
        self._log(["remove_channel", key])
        return await super().remove_channel(key)

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
        if key not in self._channels:
            raise KeyError(key)  # as the memory backend: the channel must exist
        wire_file = file.to_wire() if file is not None else None
        record: list[Any] = ["append_message", key, sender, text, time, wire_file, sent_by, client_id]
        if sender_id or parent is not None:  # older journals' records stay as they were
            record += [sender_id, parent]
        self._log(record)
        return await super().append_message(
            key, sender, text, time, file, sent_by, client_id, sender_id, parent
        )

    async def expire_file(self, key: str, message_id: int) -> Message | None:
        state = self._channels.get(key)
        if state is None or not any(m.id == message_id and m.file is not None for m in state.messages):
            return None
        self._log(["expire_file", key, message_id])
        return await super().expire_file(key, message_id)

    async def bind_name(
        self, token: str, name: str, now: float, reserve_until: float | None = None
    ) -> Identity | None:
        if any(holder != token for holder in self._holders(name, now)):
            return None
        self._log(["bind_name", token, name, now, reserve_until])
        return await super().bind_name(token, name, now, reserve_until)

    async def add_connections(self, token: str, delta: int, now: float) -> None:
        if token in self._identities:
            self._log(["add_connections", token, delta, now])
        await super().add_connections(token, delta, now)

    async def release(self, token: str) -> None:
        if token in self._identities or token in self._sent:
            self._log(["release", token])
        await super().release(token)

    async def expire_reservations(self, now: float) -> int:
        if any(until <= now for i in self._identities.values() for _, until in i.reserved):
            self._log(["expire_reservations", now])
        return await super().expire_reservations(now)

    # -- start-up ---------------------------------------------------------------------

    def shared_files(self) -> list[StoredFile]:
        """The files of kept messages that have not expired, oldest first
        (by message time: the order they were stored in)."""
        found = [
            (message.time, key, message.id, StoredFile(message.file, key, message.id))
            for key, state in self._channels.items()
            for message in state.messages
            if message.file is not None and not message.file.expired
        ]
        return [stored for *_, stored in sorted(found, key=lambda entry: entry[:3])]


def replay(backend: DurableBackend, record: list[Any]) -> None:
    """Apply one journal record to ``backend`` (whose journal is unset).

    ``ValueError`` with a sentence if it is not a call this Flack writes,
    with arguments of the right kinds, that can be applied.
    """
    op, args = record[0], record[1:]
    check = _CALLS.get(op) if isinstance(op, str) else None
    if check is None:
        raise ValueError(f"unknown record {_short(op)}")
    kinds, call = check
    if op == "append_message" and len(args) == len(kinds) + 2:  # with sender id and parent
        kinds = (*kinds, _any_text, _maybe_whole)
    if len(args) != len(kinds) or not all(ok(arg) for ok, arg in zip(kinds, args, strict=True)):
        raise ValueError(f"a {op} record with arguments of the wrong kind")
    try:
        run_sync(call(backend, *args))
    except KeyError as missing:
        raise ValueError(f"a {op} record for a channel that does not exist ({missing})") from None
    except ProtocolError as error:
        raise ValueError(f"a {op} record that cannot be read: {error.message}") from None
    except (ValueError, TypeError):
        raise ValueError(f"a {op} record that cannot be applied") from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _any_text(value: object) -> bool:
    return isinstance(value, str)


def _maybe_text(value: object) -> bool:
    return value is None or _text(value)


def _whole(value: object) -> bool:
    return type(value) is int


def _number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


def _maybe_whole(value: object) -> bool:
    return value is None or (_whole(value) and value >= 0)  # type: ignore[operator]


def _person(value: object) -> bool:
    return is_person_id(value)


def _change(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1


def _maybe_number(value: object) -> bool:
    return value is None or _number(value)


def _maybe_object(value: object) -> bool:
    return value is None or isinstance(value, dict)


def _add_channel(backend: DurableBackend, name: str) -> Coroutine[Any, Any, bool]:
    return backend.add_channel(Channel(name))


def _append(
    backend: DurableBackend,
    key: str,
    sender: str,
    text: str,
    time: str,
    file: dict[str, Any] | None,
    sent_by: str | None,
    client_id: str | None,
    sender_id: str = "",
    parent: int | None = None,
) -> Coroutine[Any, Any, tuple[Message, Message | None]]:
    info = File.from_wire(file) if file is not None else None
    return backend.append_message(key, sender, text, time, info, sent_by, client_id, sender_id, parent)


# Each record: its name -> the kinds of its arguments, and how to apply it.
_CALLS: dict[str, tuple[tuple[Callable[[object], bool], ...], Callable[..., Coroutine[Any, Any, Any]]]] = {
    "add_channel": ((_text,), _add_channel),
    "remove_channel": ((_text,), DurableBackend.remove_channel),
    "append_message": (
        (_text, _text, _any_text, _any_text, _maybe_object, _maybe_text, _maybe_text),
        _append,
    ),
    "expire_file": ((_text, _whole), DurableBackend.expire_file),
    "add_member": ((_text, _person), DurableBackend.add_member),
    "remove_member": ((_text, _person), DurableBackend.remove_member),
    "change_message": ((_text, _whole, _change), DurableBackend.change_message),
    "set_read": ((_text, _person, _whole), DurableBackend.set_read),
    "bind_name": ((_text, _text, _number, _maybe_number), DurableBackend.bind_name),
    "add_connections": ((_text, _whole, _number), DurableBackend.add_connections),
    "release": ((_text,), DurableBackend.release),
    "expire_reservations": ((_number,), DurableBackend.expire_reservations),
}
