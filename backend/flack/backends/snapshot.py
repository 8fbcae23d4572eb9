"""Reading a state snapshot back: every field checked, with a clear error.

A state file is read at start, and a damaged one stops the server (starting
empty would throw the chat away, and the next save would make that final),
so the error must say where the damage is: ``channels[3].messages[7].id:
expected a whole number, got text``. Nothing in the file is trusted: types,
names (today's rules), ids, and that no two channels or people share a name
(``protocol.confusable``: letter case and look-alikes aside).

Files written by an older Flack (versions 1 and 2) were made under older name
rules: a channel or person whose name today's rules refuse (an invisible
character, a look-alike of an earlier one, "(you)" at the end) is left out,
and said so in ``notes``, rather than stopping the server on upgrade. Two
names that differ only in letter case could never be written by any Flack:
they are refused in every version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from flack.core.models import Channel, Identity, Message
from flack.protocol import (
    CLIENT_ID_MAX,
    MESSAGE_MAX,
    TOKEN_MAX,
    ProtocolError,
    clean_channel,
    clean_name,
    conversation_key,
    direct_members,
    drop_controls,
    fold,
    is_direct,
    is_person_id,
    skeleton,
)

# Bump when the snapshot's shape changes; unknown versions are refused, not misread.
# Version 4 adds the journal generation it was taken at ("generation": n, see
# datafolder.py) and each identity's live "connections", and keeps shared files
# as they were (a data folder keeps their bytes; earlier versions were written
# by servers whose files were gone).
# Version 3 adds each identity's reserved old names ("reserved": [[name, until], …]);
# version 2 stores messages in their wire shape (``Message.to_wire``); version 1
# stored files with a "kind" and no URL. All three are read.
# Version 5 adds team conversations: each channel's "members" (person ids) and
# "last_revision" (its change counter), direct conversations as channels named
# by their label ("@" and ids), and messages with the fields of threads,
# reactions, edits and deletions (older messages read with none).
# Version 6 adds read marks: each conversation's "read" ({person id: id of the
# last message they read}); a version 5 file's members count as having read
# everything (an upgrade does not make every kept message unread).
SNAPSHOT_VERSION = 6
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6)


@dataclass
class Restored:
    """A checked snapshot: channels with their last id and kept messages,
    identities, remembered sends (token, client id, message), what was
    left out of an older file (``notes``, for the log), and the journal
    generation the snapshot was taken at (0 before version 4)."""

    channels: list[tuple[Channel, int, list[Message]]] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    sent: list[tuple[str, str, Message]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generation: int = 0
    # Version 5: channel key -> member person ids, and -> its last revision.
    members: dict[str, list[str]] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    # Version 6: channel key -> {person id: their read mark}.
    reads: dict[str, dict[str, int]] = field(default_factory=dict)


def read_snapshot(data: object, *, files_kept: bool = False) -> Restored:
    """Check and read a snapshot (``ValueError`` naming the first bad field).

    Shared files are marked expired unless ``files_kept`` (a data folder,
    which keeps their bytes) and the snapshot is of version 4 or later.
    """
    top = _object(data, "the file")
    version = top.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ValueError(
            f"version: not a Flack state snapshot of a version this Flack reads "
            f"({', '.join(map(str, READABLE_VERSIONS))}), got {_show(version)}"
        )
    reader = _Reader(version, files_kept=files_kept and version >= 4)
    if version >= 4:
        reader.restored.generation = _count(top, "generation", "the file")
    for n, item in enumerate(_list(top.get("channels"), "channels")):
        reader.channel(item, f"channels[{n}]")
    for n, item in enumerate(_list(top.get("identities"), "identities")):
        reader.identity(item, f"identities[{n}]")
    for n, item in enumerate(_list(top.get("sent"), "sent")):
        reader.sent(item, f"sent[{n}]")
    return reader.restored


class _Reader:
    def __init__(self, version: int, *, files_kept: bool = False) -> None:
        self.version = version
        self.files_kept = files_kept
        self.lenient = version < 3  # written under older name rules
        self.restored = Restored()
        self._channel_names: list[tuple[str, str]] = []  # (name, where)
        self._held: list[tuple[str, str]] = []  # names of identities (and reserved ones), where
        self._tokens: set[str] = set()  # every token read
        self._people: set[str] = set()  # the tokens of identities kept
        self._kept: dict[tuple[str, int], Message] = {}

    def _name_problem(self, name: str, clean: Any) -> str | None:
        try:
            cleaned = clean(name)
        except ProtocolError as error:
            return f"{_show(name)} is not allowed: {error.message}"
        if cleaned != name:
            return f"{_show(name)} is not written the way Flack writes names"
        return None

    def _clash(self, name: str, taken: list[tuple[str, str]], where: str) -> str | None:
        """A name already used by ``taken``: refused outright if only letter
        case differs (no Flack ever wrote that), otherwise the problem."""
        for other, other_where in taken:
            if name.casefold() == other.casefold():
                raise ValueError(f"{where}: {_show(name)} is the same name as {other_where} {_show(other)}")
            if fold(name) == fold(other) or skeleton(name) == skeleton(other):
                return f"{_show(name)} looks the same as {other_where} {_show(other)}"
        return None

    def _refuse_or_note(self, problem: str, where: str, what: str) -> None:
        if not self.lenient:
            raise ValueError(f"{where}: {problem}")
        self.restored.notes.append(f"{where}: {what} left out (written by an older Flack): {problem}")

    def channel(self, item: object, where: str) -> None:
        obj = _object(item, where)
        name = _text(obj, "name", where)
        last_id = _count(obj, "last_id", where)
        raw_messages = _list(obj.get("messages"), f"{where}.messages")
        messages: list[Message] = []
        members: list[str] = []
        last_revision = 0
        if self.version >= 5:
            last_revision = _count(obj, "last_revision", where)
            for n, member in enumerate(_list(obj.get("members"), f"{where}.members")):
                if not is_person_id(member):
                    raise ValueError(f"{where}.members[{n}]: expected a person id, got {_show(member)}")
                members.append(member)
        for n, raw in enumerate(raw_messages):
            at = f"{where}.messages[{n}]"
            message = self._message(raw, name, at)
            previous = messages[-1].id if messages else 0
            if not previous < message.id <= last_id:
                raise ValueError(
                    f"{at}.id: {message.id} must be above the one before ({previous}) "
                    f"and at most last_id ({last_id})"
                )
            if message.revision > last_revision:
                raise ValueError(f"{at}.revision: above the channel's last_revision ({last_revision})")
            messages.append(message)
        if self.version >= 5 and is_direct(name):
            if direct_members(name) is None or members:
                raise ValueError(f"{where}.name: {_show(name)} is not a direct conversation's label")
            if any(c.name == name for c, _, _ in self.restored.channels):
                raise ValueError(f"{where}.name: the same conversation as an earlier one")
        else:
            problem = self._name_problem(name, clean_channel) or self._clash(name, self._channel_names, where)
            if problem is not None:
                self._refuse_or_note(problem, f"{where}.name", "the channel and its messages")
                return
            self._channel_names.append((name, where))
        channel = Channel(name)
        self.restored.channels.append((channel, last_id, messages))
        self.restored.members[channel.key] = members
        if self.version >= 6:
            self.restored.reads[channel.key] = self._reads(obj, where, last_id)
        elif self.version == 5:  # everything kept counts as read: see SNAPSHOT_VERSION
            everyone = direct_members(name) or members if is_direct(name) else members
            self.restored.reads[channel.key] = dict.fromkeys(everyone, last_id)
        self.restored.revisions[channel.key] = last_revision
        for message in messages:
            self._kept[(channel.key, message.id)] = message

    def _reads(self, obj: dict[str, Any], where: str, last_id: int) -> dict[str, int]:
        reads: dict[str, int] = {}
        for person, mark in _object(obj.get("read"), f"{where}.read").items():
            if not is_person_id(person):
                raise ValueError(f"{where}.read: expected person ids as keys, got {_show(person)}")
            if type(mark) is not int or not 0 <= mark <= last_id:
                raise ValueError(f"{where}.read.{person}: expected a message id up to last_id ({last_id})")
            reads[person] = mark
        return reads

    def _message(self, raw: object, channel: str, where: str) -> Message:
        obj = _object(raw, where)
        if self.version == 1 and obj.get("file") is not None:
            # Version 1: {"id", "name", "size", "kind", "preview"}; the URL was
            # not stored, and is never used again: the file is gone.
            old = _object(obj["file"], f"{where}.file")
            obj = {**obj, "file": {**old, "type": old.get("kind"), "url": "/", "expired": True}}
        try:
            message = Message.from_wire({**obj, "channel": channel})
        except ProtocolError as error:
            raise ValueError(f"{where}: {error.message}") from None
        if len(message.text) > MESSAGE_MAX:
            raise ValueError(f"{where}.text: longer than {MESSAGE_MAX:,} characters")
        # Text keeps only what today's rules let a message carry. Shared
        # files survive only in a data folder (elsewhere their folder is emptied).
        kept = replace(message, text=drop_controls(message.text))
        return kept if self.files_kept else kept.with_file_expired()

    def identity(self, item: object, where: str) -> None:
        obj = _object(item, where)
        token = _text(obj, "token", where, limit=TOKEN_MAX)
        if token in self._tokens:
            raise ValueError(f"{where}.token: the same token as an earlier identity")
        self._tokens.add(token)
        name = _text(obj, "name", where)
        last_seen = _number(obj, "last_seen", where)
        # Version 4 keeps live connections: a data folder's journal goes on from
        # its snapshot (a restart then counts nobody as connected).
        connections = _count(obj, "connections", where) if self.version >= 4 else 0
        reserved: list[tuple[str, float]] = []
        if self.version >= 3:
            for n, pair in enumerate(_list(obj.get("reserved"), f"{where}.reserved")):
                at = f"{where}.reserved[{n}]"
                entry = _list(pair, at)
                if len(entry) != 2:
                    raise ValueError(f"{at}: expected [name, until], got {len(entry)} items")
                old = _text({"name": entry[0]}, "name", at)
                until = _number({"until": entry[1]}, "until", at)
                reserved.append((old, until))
        mine: list[tuple[str, str]] = []
        for held, at in [(name, f"{where}.name")] + [
            (old, f"{where}.reserved[{n}]") for n, (old, _) in enumerate(reserved)
        ]:
            problem = self._name_problem(held, clean_name) or self._clash(held, self._held, at)
            if problem is not None:
                self._refuse_or_note(problem, at, "this person (they will choose a name again)")
                return
            mine.append((held, at))
        self._held.extend(mine)
        self._people.add(token)
        self.restored.identities.append(Identity(token, name, connections, last_seen, tuple(reserved)))

    def sent(self, item: object, where: str) -> None:
        entry = _list(item, where)
        if len(entry) != 4:
            raise ValueError(f"{where}: expected [token, client_id, channel, id], got {len(entry)} items")
        token, client_id, channel, message_id = entry
        if not isinstance(token, str) or not isinstance(channel, str):
            raise ValueError(f"{where}: the token and the channel must be text")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX:
            raise ValueError(f"{where}: the client_id must be text of 1-{CLIENT_ID_MAX} characters")
        if type(message_id) is not int or message_id < 1:
            raise ValueError(f"{where}: the message id must be a whole number, 1 or more")
        # Sends of messages no longer kept, or of people left out, are simply
        # not remembered (a retry of one would be stored again).
        kept = self._kept.get((conversation_key(channel), message_id))
        if kept is not None and token in self._people:
            self.restored.sent.append((token, client_id, kept))


def _kind(value: object) -> str:
    """What a value is, for an error message."""
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return f"the number {value}" if abs(value) < 10**12 else "a huge number"
    if isinstance(value, float):
        return f"the number {value}" if math.isfinite(value) else f"{value} (not a finite number)"
    return "a list" if isinstance(value, list) else "an object"


def _show(value: object) -> str:
    """A value for an error message: text quoted (shortened), anything else by its kind."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:60] + "…")
    return _kind(value)


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object, got {_kind(value)}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list, got {_kind(value)}")
    return value


def _text(obj: dict[str, Any], name: str, where: str, *, limit: int | None = None) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{name}: expected non-empty text, got {_kind(value)}")
    if limit is not None and len(value) > limit:
        raise ValueError(f"{where}.{name}: longer than {limit} characters")
    return value


def _count(obj: dict[str, Any], name: str, where: str) -> int:
    value = obj.get(name)
    if type(value) is not int or value < 0:
        raise ValueError(f"{where}.{name}: expected a whole number, 0 or more, got {_kind(value)}")
    return value


def _number(obj: dict[str, Any], name: str, where: str) -> float:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}.{name}: expected a finite number, got {_kind(value)}")
    return float(value)
