"""The chat's value objects and their wire shapes (see docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flack.protocol import NoticeKind, fold


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel, named as its creator wrote it; compared by ``key``."""

    name: str

    @property
    def key(self) -> str:
        """Case-insensitive identity of the channel."""
        return fold(self.name)

    def to_wire(self) -> dict[str, Any]:
        """The protocol's channel object."""
        return {"name": self.name}


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A shared file's metadata. ``id`` names the stored bytes; ``name`` is
    only what people see. ``kind`` is the type it is served as."""

    id: str
    name: str
    size: int
    kind: str
    preview: bool = False
    expired: bool = False

    @property
    def url(self) -> str:
        """Where it downloads from (the name is decoration; the id decides)."""
        return f"/files/{self.id}/{quote(self.name, safe='')}"

    def to_wire(self) -> dict[str, Any]:
        """The protocol's file object."""
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.kind,
            "url": self.url,
            "preview": self.preview,
            "expired": self.expired,
        }


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message; ``id`` increases strictly within its channel.
    A shared file is a message with empty ``text`` and a ``file``."""

    id: int
    channel: str
    sender: str
    text: str
    time: str
    file: FileInfo | None = None
    # The sender's own id for it (``send_message``'s ``client_id``), if given.
    client_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The protocol's message object."""
        return {
            "id": self.id,
            "channel": self.channel,
            "sender": self.sender,
            "text": self.text,
            "time": self.time,
            "file": self.file.to_wire() if self.file else None,
            "client_id": self.client_id,
        }


@dataclass(frozen=True, slots=True)
class Notice:
    """A channel announcement (join, leave, rename); not stored in history."""

    channel: str
    kind: NoticeKind
    name: str
    time: str
    old_name: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The protocol's notice object."""
        return {
            "channel": self.channel,
            "kind": str(self.kind),
            "name": self.name,
            "old_name": self.old_name,
            "time": self.time,
        }


@dataclass(slots=True)
class Identity:
    """A person: a display name bound to the secret token the server issued.

    ``connections`` counts live connections using the identity; ``last_seen``
    (seconds, from the injected clock) is when it was last used, so that a name
    nobody has used for a while can be released.
    """

    token: str
    name: str
    connections: int = 0
    last_seen: float = 0.0

    @property
    def key(self) -> str:
        """Case-insensitive identity of the name."""
        return fold(self.name)
