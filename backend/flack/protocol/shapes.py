"""Every payload of the protocol as a typed shape, with its builder and its reader.

A shape is a frozen dataclass. ``to_wire()`` builds the JSON object that
travels (the sender's side); ``from_wire(obj)`` reads one back (the
receiver's side) and raises ``ProtocolError`` (``bad_payload``, with a
sentence that names the field) when ``obj`` is not that shape. Because both
sides go through the same pair, the server's wire form and the client's
reader cannot drift apart; ``tests/test_protocol.py`` round-trips every shape.

Reading rules, the same for every shape:

* unknown fields are ignored, never refused: newer peers may send more, and
  a field such as ``sender`` in ``send_message`` simply has no effect;
* a list keeps the items that are of its shape and leaves out the others, so
  one garbled message does not cost a whole history;
* a few optional fields that only decorate (a message's ``client_id``, a
  notice's ``old_name``) read as ``None`` when they are not text.

The chat's value objects (channels, messages, files, notices) *are* these
shapes: the server's core stores them, the client shows them. Standard
library only: the browser loads this file too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol, Self, TypeVar

from flack.protocol.errors import ProtocolError
from flack.protocol.limits import CLIENT_ID_MAX, DIRECT_MAX, FILE_TYPE_MAX, TOKEN_MAX
from flack.protocol.rules import conversation_key, is_count, is_integer, is_local_url, is_person_id

Wire = dict[str, Any]


class Shape(Protocol):
    """What every shape offers: build its JSON object, and read one back."""

    def to_wire(self) -> Wire:
        """The JSON object that travels."""
        ...

    @classmethod
    def from_wire(cls, obj: object) -> Self:
        """Read a JSON object of this shape (``ProtocolError`` if it is not)."""
        ...


S = TypeVar("S", bound=Shape)


def _refuse(field: str, what: str) -> ProtocolError:
    return ProtocolError(f"The field {field!r} must be {what}.")


class _Fields:
    """Typed access to the fields of one JSON object; a wrong type is a refusal."""

    __slots__ = ("_data",)

    def __init__(self, obj: object) -> None:
        if not isinstance(obj, dict):
            raise ProtocolError("The payload must be a JSON object.")
        self._data: dict[Any, Any] = obj

    def text(self, field: str, *, nonempty: bool = False) -> str:
        value = self._data.get(field)
        if not isinstance(value, str) or (nonempty and not value):
            raise _refuse(field, "non-empty text" if nonempty else "text")
        return value

    def loose_text(self, field: str) -> str | None:
        """Text, or ``None`` for anything else (fields that only decorate)."""
        value = self._data.get(field)
        return value if isinstance(value, str) and value else None

    def count(self, field: str) -> int:
        value = self._data.get(field)
        if not is_count(value):
            raise _refuse(field, "a whole number, 0 or more")
        return value

    def loose_count(self, field: str) -> int:
        """A count, or 0 for anything else (fields newer than some peers)."""
        value = self._data.get(field)
        return value if is_count(value) else 0

    def optional_count(self, field: str) -> int | None:
        """A count, or ``None`` when the field is missing or null."""
        value = self._data.get(field)
        if value is None:
            return None
        if not is_count(value):
            raise _refuse(field, "a whole number, 0 or more, or null")
        return value

    def loose_flag(self, field: str) -> bool:
        """``True`` only for ``true`` (fields newer than some peers)."""
        return self._data.get(field) is True

    def person_id(self, field: str) -> str:
        value = self._data.get(field)
        if not is_person_id(value):
            raise _refuse(field, "a person id")
        return value

    def flag(self, field: str) -> bool:
        value = self._data.get(field)
        if not isinstance(value, bool):
            raise _refuse(field, "true or false")
        return value

    def url(self, field: str) -> str:
        value = self._data.get(field)
        if not is_local_url(value):
            raise _refuse(field, "a path on this server")
        return value

    def shape(self, field: str, cls: type[S]) -> S:
        return cls.from_wire(self._data.get(field))

    def optional_shape(self, field: str, cls: type[S]) -> S | None:
        value = self._data.get(field)
        return None if value is None else cls.from_wire(value)

    def shapes(self, field: str, cls: type[S]) -> list[S]:
        value = self._data.get(field)
        if not isinstance(value, list):
            raise _refuse(field, "a list")
        return read_all(cls, value)

    def get(self, field: str, default: Any = None) -> Any:
        """The raw value, for fields with a rule of their own."""
        return self._data.get(field, default)


def read_all(cls: type[S], items: list[Any]) -> list[S]:
    """The items of ``items`` that are of shape ``cls``, in order."""
    found = []
    for item in items:
        try:
            found.append(cls.from_wire(item))
        except ProtocolError:
            continue
    return found


def read(cls: type[S], obj: object) -> S | None:
    """``cls.from_wire(obj)``, or ``None`` if ``obj`` is not of that shape
    (for a client, where a malformed event is dropped rather than raised)."""
    try:
        return cls.from_wire(obj)
    except ProtocolError:
        return None


# --- The chat's objects --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel, named as its creator wrote it; compared by ``key``."""

    name: str

    @property
    def key(self) -> str:
        """Identity of the channel: its name folded (case, width and look-alike
        letters; see :func:`flack.protocol.rules.fold`), so names people
        cannot tell apart are one channel. A direct conversation is stored as
        a channel named by its label (``@`` and its members' ids), which is
        its own key (``rules.conversation_key``)."""
        return conversation_key(self.name)

    def to_wire(self) -> Wire:
        return {"name": self.name}

    @classmethod
    def from_wire(cls, obj: object) -> Channel:
        return cls(_Fields(obj).text("name", nonempty=True))


@dataclass(frozen=True, slots=True)
class File:
    """A shared file. ``id`` names the stored bytes and ``url`` downloads
    them (a path on the server that shared it); ``name`` is only what people
    see. ``type`` is what it is served as; ``preview`` only for images whose
    bytes the server checked; an ``expired`` file is gone."""

    id: str
    name: str
    size: int
    type: str
    url: str
    preview: bool = False
    expired: bool = False

    def to_wire(self) -> Wire:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.type,
            "url": self.url,
            "preview": self.preview,
            "expired": self.expired,
        }

    @classmethod
    def from_wire(cls, obj: object) -> File:
        f = _Fields(obj)
        return cls(
            id=f.text("id", nonempty=True),
            name=f.text("name", nonempty=True),
            size=f.count("size"),
            type=f.text("type"),
            url=f.url("url"),
            preview=f.flag("preview"),
            expired=f.flag("expired"),
        )


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji under a message and the people (ids) who put it there, in
    the order they did."""

    emoji: str
    people: tuple[str, ...]

    def to_wire(self) -> Wire:
        return {"emoji": self.emoji, "people": list(self.people)}

    @classmethod
    def from_wire(cls, obj: object) -> Reaction:
        f = _Fields(obj)
        people = f.get("people")
        if not isinstance(people, list) or not people or not all(map(is_person_id, people)):
            raise _refuse("people", "a non-empty list of person ids")
        return cls(f.text("emoji", nonempty=True), tuple(people))


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message; ``id`` increases strictly (one by one) within its
    conversation. A shared file is a message with empty ``text`` and a
    ``file``. ``client_id`` is the sender's own id for it, if it gave one.

    ``channel`` is the conversation: a channel's name, or a direct
    conversation's label (``@`` and ids). ``sender`` is the name it was sent
    under, ``sender_id`` the person (empty for messages older than ids).
    ``parent``: the message whose thread this is a reply in; ``replies``:
    how many replies a thread's first message has. ``revision`` counts the
    conversation's changes (edits, reactions, replies, deletions; 0: never
    changed): a client asks for what changed after the last one it saw. A
    ``deleted`` message keeps only its place (id, conversation, time, parent).
    """

    id: int
    channel: str
    sender: str
    text: str
    time: str
    file: File | None = None
    client_id: str | None = None
    sender_id: str = ""
    parent: int | None = None
    replies: int = 0
    reactions: tuple[Reaction, ...] = ()
    edited: bool = False
    deleted: bool = False
    revision: int = 0

    def with_file_expired(self) -> Message:
        """The same message with its file gone."""
        if self.file is None or self.file.expired:
            return self
        return replace(self, file=replace(self.file, expired=True))

    def reaction(self, emoji: str) -> Reaction | None:
        """The reaction with this emoji, if any."""
        return next((r for r in self.reactions if r.emoji == emoji), None)

    def to_wire(self) -> Wire:
        wire = {
            "id": self.id,
            "channel": self.channel,
            "sender": self.sender,
            "text": self.text,
            "time": self.time,
            "file": self.file.to_wire() if self.file is not None else None,
            "client_id": self.client_id,
            "sender_id": self.sender_id,
        }
        # The fields of threads, reactions, edits and deletions travel only
        # when they say something: most messages are none of these, and every
        # byte goes to every member (a reader takes a missing one as its default).
        if self.parent is not None:
            wire["parent"] = self.parent
        if self.replies:
            wire["replies"] = self.replies
        if self.reactions:
            wire["reactions"] = [r.to_wire() for r in self.reactions]
        if self.edited:
            wire["edited"] = True
        if self.deleted:
            wire["deleted"] = True
        if self.revision:
            wire["revision"] = self.revision
        return wire

    @classmethod
    def from_wire(cls, obj: object) -> Message:
        # A ``file`` that is there but malformed makes the whole message
        # malformed: showing an empty bubble instead would be worse. The
        # fields added with team conversations read loosely (a message stored
        # before them has none).
        f = _Fields(obj)
        sender_id = f.get("sender_id")
        reactions = f.get("reactions")
        return cls(
            id=f.count("id"),
            channel=f.text("channel"),
            sender=f.text("sender"),
            text=f.text("text"),
            time=f.text("time"),
            file=f.optional_shape("file", File),
            client_id=f.loose_text("client_id"),
            sender_id=sender_id if is_person_id(sender_id) else "",
            parent=f.optional_count("parent"),
            replies=f.loose_count("replies"),
            reactions=tuple(read_all(Reaction, reactions)) if isinstance(reactions, list) else (),
            edited=f.loose_flag("edited"),
            deleted=f.loose_flag("deleted"),
            revision=f.loose_count("revision"),
        )


@dataclass(frozen=True, slots=True)
class Person:
    """Someone with a name: their public ``id`` (stable across renames) and name."""

    id: str
    name: str

    def to_wire(self) -> Wire:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_wire(cls, obj: object) -> Person:
        f = _Fields(obj)
        return cls(f.person_id("id"), f.text("name", nonempty=True))


@dataclass(frozen=True, slots=True)
class Direct:
    """A direct conversation: its label (``@`` and the sorted member ids,
    what messages name as their ``channel``) and its members, oneself included."""

    id: str
    members: list[Person]

    def to_wire(self) -> Wire:
        return {"id": self.id, "members": [p.to_wire() for p in self.members]}

    @classmethod
    def from_wire(cls, obj: object) -> Direct:
        f = _Fields(obj)
        return cls(f.text("id", nonempty=True), f.shapes("members", Person))


class NoticeKind(StrEnum):
    """Kinds of channel announcements (``notice`` events)."""

    JOIN = "join"
    LEAVE = "leave"
    RENAME = "rename"


@dataclass(frozen=True, slots=True)
class Notice:
    """A channel announcement (join, leave, rename); not stored in history.
    ``kind`` is read as any text: a client shows kinds it does not know."""

    channel: str
    kind: str
    name: str
    time: str
    old_name: str | None = None

    def to_wire(self) -> Wire:
        return {
            "channel": self.channel,
            "kind": str(self.kind),
            "name": self.name,
            "old_name": self.old_name,
            "time": self.time,
        }

    @classmethod
    def from_wire(cls, obj: object) -> Notice:
        f = _Fields(obj)
        return cls(
            channel=f.text("channel"),
            kind=f.text("kind"),
            name=f.text("name"),
            time=f.text("time"),
            old_name=f.loose_text("old_name"),
        )


@dataclass(frozen=True, slots=True)
class Upload:
    """An accepted file announcement: where its bytes go (``url``, the
    capability), in chunks of at most ``chunk_size``, from ``received`` on."""

    id: str
    url: str
    size: int
    chunk_size: int
    received: int = 0

    def to_wire(self) -> Wire:
        return {
            "id": self.id,
            "url": self.url,
            "size": self.size,
            "chunk_size": self.chunk_size,
            "received": self.received,
        }

    @classmethod
    def from_wire(cls, obj: object) -> Upload:
        f = _Fields(obj)
        upload = cls(
            id=f.text("id", nonempty=True),
            url=f.url("url"),
            size=f.count("size"),
            chunk_size=f.count("chunk_size"),
            received=f.count("received"),
        )
        if upload.chunk_size == 0 or upload.received > upload.size:
            raise ProtocolError("The upload's chunk size or received bytes make no sense.")
        return upload


# --- Client -> server requests ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Empty:
    """No arguments: ``{}`` (or nothing at all)."""

    def to_wire(self) -> Wire:
        return {}

    @classmethod
    def from_wire(cls, obj: object) -> Empty:
        if obj is not None:
            _Fields(obj)
        return cls()


@dataclass(frozen=True, slots=True)
class ClaimName:
    """``claim_name``: take ``name``; ``token`` proves who we were before."""

    name: str
    token: str | None = None

    def to_wire(self) -> Wire:
        return {"name": self.name, "token": self.token}

    @classmethod
    def from_wire(cls, obj: object) -> ClaimName:
        f = _Fields(obj)
        token = f.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > TOKEN_MAX):
            raise ProtocolError(f"The token must be text of at most {TOKEN_MAX} characters.")
        return cls(f.text("name"), token or None)


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """``create_channel``: the channel's name, as typed."""

    channel: str

    def to_wire(self) -> Wire:
        return {"channel": self.channel}

    @classmethod
    def from_wire(cls, obj: object) -> ChannelRequest:
        return cls(_Fields(obj).text("channel"))


@dataclass(frozen=True, slots=True)
class JoinChannel:
    """``join_channel``: join ``channel`` (a member from now on) or open a
    direct conversation one is in (its label). ``since`` is the last message
    id the client saw there (only what came after it is sent back);
    ``revision`` the last change it saw (messages changed after it come back
    too: edits, reactions, reply counts, deletions)."""

    channel: str
    since: int | None = None
    revision: int | None = None

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "since": self.since, "revision": self.revision}

    @classmethod
    def from_wire(cls, obj: object) -> JoinChannel:
        f = _Fields(obj)
        since = f.get("since")
        if since is not None and not is_count(since):
            raise ProtocolError("The field 'since' must be a message id (a whole number, 0 or more).")
        return cls(f.text("channel"), since, f.optional_count("revision"))


def _client_id(f: _Fields) -> str | None:
    client_id = f.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= CLIENT_ID_MAX):
        raise ProtocolError(f"The field 'client_id' must be text of 1 to {CLIENT_ID_MAX} characters.")
    return client_id


@dataclass(frozen=True, slots=True)
class SendMessage:
    """``send_message``. There is deliberately no sender field: the server
    knows who is talking. ``client_id`` makes a retry safe; ``parent``
    (a message id of the same conversation) makes it a reply in that
    message's thread."""

    channel: str
    text: str
    client_id: str | None = None
    parent: int | None = None

    def to_wire(self) -> Wire:
        return {
            "channel": self.channel,
            "text": self.text,
            "client_id": self.client_id,
            "parent": self.parent,
        }

    @classmethod
    def from_wire(cls, obj: object) -> SendMessage:
        f = _Fields(obj)
        return cls(f.text("channel"), f.text("text"), _client_id(f), f.optional_count("parent"))


@dataclass(frozen=True, slots=True)
class OpenDirect:
    """``open_direct``: the direct conversation with these people (person
    ids, oneself not needed), created if it is new."""

    people: list[str]

    def to_wire(self) -> Wire:
        return {"people": list(self.people)}

    @classmethod
    def from_wire(cls, obj: object) -> OpenDirect:
        people = _Fields(obj).get("people")
        if not isinstance(people, list) or not people or len(people) > DIRECT_MAX:
            raise _refuse("people", f"a list of 1 to {DIRECT_MAX} person ids")
        if not all(map(is_person_id, people)):
            raise _refuse("people", "a list of person ids")
        return cls(list(people))


@dataclass(frozen=True, slots=True)
class MessageRef:
    """``delete_message``: message ``id`` of conversation ``channel``."""

    channel: str
    id: int

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "id": self.id}

    @classmethod
    def from_wire(cls, obj: object) -> MessageRef:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("id"))


@dataclass(frozen=True, slots=True)
class EditMessage:
    """``edit_message``: new ``text`` for one's own message ``id`` of ``channel``."""

    channel: str
    id: int
    text: str

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "id": self.id, "text": self.text}

    @classmethod
    def from_wire(cls, obj: object) -> EditMessage:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("id"), f.text("text"))


@dataclass(frozen=True, slots=True)
class React:
    """``react``: put ``emoji`` under message ``id`` of ``channel``, or take
    one's own back if it is there (a toggle)."""

    channel: str
    id: int
    emoji: str

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "id": self.id, "emoji": self.emoji}

    @classmethod
    def from_wire(cls, obj: object) -> React:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("id"), f.text("emoji"))


@dataclass(frozen=True, slots=True)
class StartUpload:
    """``start_upload``: announce a file. ``type`` is the browser's guess and
    only a hint: the server decides what a download is served as."""

    channel: str
    name: str
    size: int
    type: str = ""

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "name": self.name, "size": self.size, "type": self.type}

    @classmethod
    def from_wire(cls, obj: object) -> StartUpload:
        f = _Fields(obj)
        size = f.get("size")
        if not is_integer(size):
            # Any whole number: a negative one is the core's "file_invalid".
            raise _refuse("size", "a whole number")
        kind = f.get("type", "")  # missing is no hint; null is a wrong type
        if not isinstance(kind, str):
            raise _refuse("type", "text")
        return cls(f.text("channel"), f.text("name"), size, kind[:FILE_TYPE_MAX])


# --- Server -> client: acknowledgement data and events --------------------------------


@dataclass(frozen=True, slots=True)
class Named:
    """``claim_name`` granted: the name as shown, and the token to keep."""

    name: str
    token: str

    def to_wire(self) -> Wire:
        return {"name": self.name, "token": self.token}

    @classmethod
    def from_wire(cls, obj: object) -> Named:
        f = _Fields(obj)
        return cls(f.text("name", nonempty=True), f.text("token", nonempty=True))


@dataclass(frozen=True, slots=True)
class ChannelList:
    """``list_channels``: every channel, in list order."""

    channels: list[Channel]

    def to_wire(self) -> Wire:
        return {"channels": [c.to_wire() for c in self.channels]}

    @classmethod
    def from_wire(cls, obj: object) -> ChannelList:
        return cls(_Fields(obj).shapes("channels", Channel))


@dataclass(frozen=True, slots=True)
class ChannelCreated:
    """A channel that was just created: the answer to ``create_channel`` and
    the ``channel_created`` event everybody gets."""

    channel: Channel

    def to_wire(self) -> Wire:
        return {"channel": self.channel.to_wire()}

    @classmethod
    def from_wire(cls, obj: object) -> ChannelCreated:
        return cls(_Fields(obj).shape("channel", Channel))


@dataclass(frozen=True, slots=True)
class Joined:
    """``join_channel``: the channel, its messages (oldest first: after
    ``since``, or the whole kept history) and whether some are missing."""

    channel: Channel
    messages: list[Message]
    gap: bool = False

    def to_wire(self) -> Wire:
        return {
            "channel": self.channel.to_wire(),
            "messages": [m.to_wire() for m in self.messages],
            "gap": self.gap,
        }

    @classmethod
    def from_wire(cls, obj: object) -> Joined:
        f = _Fields(obj)
        return cls(f.shape("channel", Channel), f.shapes("messages", Message), f.flag("gap"))


@dataclass(frozen=True, slots=True)
class Sent:
    """``send_message``: the stored message; ``duplicate`` if a retry."""

    message: Message
    duplicate: bool = False

    def to_wire(self) -> Wire:
        return {"message": self.message.to_wire(), "duplicate": self.duplicate}

    @classmethod
    def from_wire(cls, obj: object) -> Sent:
        f = _Fields(obj)
        return cls(f.shape("message", Message), f.flag("duplicate"))


@dataclass(frozen=True, slots=True)
class UploadStarted:
    """``start_upload``: where to send the bytes."""

    upload: Upload

    def to_wire(self) -> Wire:
        return {"upload": self.upload.to_wire()}

    @classmethod
    def from_wire(cls, obj: object) -> UploadStarted:
        return cls(_Fields(obj).shape("upload", Upload))


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """``message``: one new message. Also ``message_updated`` (a message
    changed: edited, reacted to, replied to, deleted; replace it by id) and
    the answer to ``edit_message``, ``delete_message`` and ``react``."""

    message: Message

    def to_wire(self) -> Wire:
        return {"message": self.message.to_wire()}

    @classmethod
    def from_wire(cls, obj: object) -> MessageEvent:
        return cls(_Fields(obj).shape("message", Message))


@dataclass(frozen=True, slots=True)
class MessagesEvent:
    """``messages``: several new messages of one busy channel, oldest first."""

    messages: list[Message]

    def to_wire(self) -> Wire:
        return {"messages": [m.to_wire() for m in self.messages]}

    @classmethod
    def from_wire(cls, obj: object) -> MessagesEvent:
        return cls(_Fields(obj).shapes("messages", Message))


@dataclass(frozen=True, slots=True)
class PeopleList:
    """``list_people``: everyone with a name, in no particular order. Also
    the ``people`` event: several names that are new or changed, at once."""

    people: list[Person]
    presence: list[PresenceEntry] | None = None  # in list_people's answer only

    def to_wire(self) -> Wire:
        wire: Wire = {"people": [p.to_wire() for p in self.people]}
        if self.presence is not None:
            wire["presence"] = [p.to_wire() for p in self.presence]
        return wire

    @classmethod
    def from_wire(cls, obj: object) -> PeopleList:
        f = _Fields(obj)
        presence = f.get("presence")
        entries = read_all(PresenceEntry, presence) if isinstance(presence, list) else None
        return cls(f.shapes("people", Person), entries)


class PresenceStatus(StrEnum):
    """Whether someone is around: a connection open and in use, all of
    theirs hidden or idle (``AWAY_AFTER_SECONDS``), or none open."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class PresenceEntry:
    """One person's presence: ``status`` is read as any text (a client shows
    statuses it does not know as offline)."""

    id: str
    status: str

    def to_wire(self) -> Wire:
        return {"id": self.id, "status": str(self.status)}

    @classmethod
    def from_wire(cls, obj: object) -> PresenceEntry:
        f = _Fields(obj)
        return cls(f.person_id("id"), f.text("status"))


@dataclass(frozen=True, slots=True)
class Presence:
    """``presence``: the people whose presence changed (coalesced, see
    docs/protocol.md); also in ``list_people``'s answer, for everyone."""

    people: list[PresenceEntry]

    def to_wire(self) -> Wire:
        return {"people": [p.to_wire() for p in self.people]}

    @classmethod
    def from_wire(cls, obj: object) -> Presence:
        return cls(_Fields(obj).shapes("people", PresenceEntry))


@dataclass(frozen=True, slots=True)
class SetPresence:
    """``set_presence``: this connection's page is ``hidden`` (or shown
    again); any event also counts as activity."""

    hidden: bool

    def to_wire(self) -> Wire:
        return {"hidden": self.hidden}

    @classmethod
    def from_wire(cls, obj: object) -> SetPresence:
        return cls(_Fields(obj).flag("hidden"))


@dataclass(frozen=True, slots=True)
class Typing:
    """``typing``: someone is typing in conversation ``channel`` (to the
    server, only ``channel``; from it, who)."""

    channel: str
    person: str = ""
    name: str = ""

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "person": self.person, "name": self.name}

    @classmethod
    def from_wire(cls, obj: object) -> Typing:
        f = _Fields(obj)
        person = f.get("person")
        name = f.get("name")
        return cls(
            f.text("channel"),
            person if is_person_id(person) else "",
            name if isinstance(name, str) else "",
        )


@dataclass(frozen=True, slots=True)
class Notices:
    """``notices``: several notices of one channel at once, oldest first."""

    notices: list[Notice]

    def to_wire(self) -> Wire:
        return {"notices": [n.to_wire() for n in self.notices]}

    @classmethod
    def from_wire(cls, obj: object) -> Notices:
        return cls(_Fields(obj).shapes("notices", Notice))


@dataclass(frozen=True, slots=True)
class Search:
    """``search``: a query as typed (``rules.parse_query`` reads it)."""

    query: str

    def to_wire(self) -> Wire:
        return {"query": self.query}

    @classmethod
    def from_wire(cls, obj: object) -> Search:
        return cls(_Fields(obj).text("query"))


@dataclass(frozen=True, slots=True)
class SearchResults:
    """``search``'s answer: the matching messages, newest first (each names
    its conversation), and whether there were more than these."""

    results: list[Message]
    more: bool = False

    def to_wire(self) -> Wire:
        return {"results": [m.to_wire() for m in self.results], "more": self.more}

    @classmethod
    def from_wire(cls, obj: object) -> SearchResults:
        f = _Fields(obj)
        return cls(f.shapes("results", Message), f.flag("more"))


@dataclass(frozen=True, slots=True)
class PersonEvent:
    """``person``: someone took a name, or changed it (same ``id``)."""

    person: Person

    def to_wire(self) -> Wire:
        return {"person": self.person.to_wire()}

    @classmethod
    def from_wire(cls, obj: object) -> PersonEvent:
        return cls(_Fields(obj).shape("person", Person))


@dataclass(frozen=True, slots=True)
class Conversations:
    """``list_conversations``: the channels one is a member of (list order)
    and one's direct conversations."""

    channels: list[Channel]
    directs: list[Direct]
    # Where the person stands in each of them (read mark, unread, mentions).
    reads: list[ReadState] = field(default_factory=list)

    def to_wire(self) -> Wire:
        return {
            "channels": [c.to_wire() for c in self.channels],
            "directs": [d.to_wire() for d in self.directs],
            "reads": [r.to_wire() for r in self.reads],
        }

    @classmethod
    def from_wire(cls, obj: object) -> Conversations:
        f = _Fields(obj)
        reads = f.get("reads")  # older servers had none
        return cls(
            f.shapes("channels", Channel),
            f.shapes("directs", Direct),
            read_all(ReadState, reads) if isinstance(reads, list) else [],
        )


@dataclass(frozen=True, slots=True)
class MarkRead:
    """``mark_read``: the person has read conversation ``channel`` up to
    message ``id`` (and everything before it)."""

    channel: str
    id: int

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "id": self.id}

    @classmethod
    def from_wire(cls, obj: object) -> MarkRead:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("id"))


@dataclass(frozen=True, slots=True)
class ReadState:
    """Where a person stands in conversation ``channel``: ``read``, the id
    of the last message they read (0: none); ``unread``, the kept messages
    after it that others sent and that are not deleted; ``mentions``, those
    of them that mention the person (``rules.mentions``) or are direct
    messages. The answer to ``mark_read``, and the ``read`` event the
    person's other connections get when the mark moves."""

    channel: str
    read: int = 0
    unread: int = 0
    mentions: int = 0

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "read": self.read, "unread": self.unread, "mentions": self.mentions}

    @classmethod
    def from_wire(cls, obj: object) -> ReadState:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("read"), f.count("unread"), f.count("mentions"))


@dataclass(frozen=True, slots=True)
class DirectOpened:
    """The answer to ``open_direct``, and the ``direct_opened`` event its
    members' connections get: the conversation."""

    direct: Direct

    def to_wire(self) -> Wire:
        return {"direct": self.direct.to_wire()}

    @classmethod
    def from_wire(cls, obj: object) -> DirectOpened:
        return cls(_Fields(obj).shape("direct", Direct))


@dataclass(frozen=True, slots=True)
class FileExpired:
    """``file_expired``: message ``id`` of ``channel`` lost its file."""

    channel: str
    id: int

    def to_wire(self) -> Wire:
        return {"channel": self.channel, "id": self.id}

    @classmethod
    def from_wire(cls, obj: object) -> FileExpired:
        f = _Fields(obj)
        return cls(f.text("channel"), f.count("id"))


@dataclass(frozen=True, slots=True)
class ServerClosing:
    """``server_closing``: the server is shutting down gracefully."""

    message: str

    def to_wire(self) -> Wire:
        return {"message": self.message}

    @classmethod
    def from_wire(cls, obj: object) -> ServerClosing:
        return cls(_Fields(obj).text("message"))


@dataclass(frozen=True, slots=True)
class UploadState:
    """The data of every ``/uploads/<id>`` reply: how many bytes the server
    has, of how many, whether the file is complete, and then its message."""

    received: int
    size: int
    complete: bool = False
    message: Message | None = None

    def to_wire(self) -> Wire:
        return {
            "received": self.received,
            "size": self.size,
            "complete": self.complete,
            "message": self.message.to_wire() if self.message is not None else None,
        }

    @classmethod
    def from_wire(cls, obj: object) -> UploadState:
        f = _Fields(obj)
        state = cls(
            f.count("received"), f.count("size"), f.flag("complete"), f.optional_shape("message", Message)
        )
        if state.received > state.size:
            raise ProtocolError("An upload cannot have more bytes than its size.")
        return state
