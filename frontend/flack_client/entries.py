"""What the message log holds, and what only this client adds to it.

Messages and files are the protocol's own shapes (``protocol.Message``,
``protocol.File``), read with its readers; this module adds what only the page
needs: notices numbered on this client, the "Earlier messages unavailable"
marker, stable keys for reusing DOM nodes, and a file's badge and details.
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flack import protocol
from flack.protocol import Event, File, Message, MessageEvent, MessagesEvent, Notice
from flack_client.wording import GAP_TEXT, notice_text, size_and_type


@dataclass(frozen=True, slots=True)
class NoticeEntry:
    """A join/leave/rename announcement as shown; ``seq`` numbers them on
    this client (two identical notices are still two lines)."""

    seq: int
    notice: Notice

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"n{self.seq}"

    @property
    def render_key(self) -> str:
        """Notices never change once shown."""
        return self.key

    @property
    def kind(self) -> str:
        """``join``, ``leave``, ``rename`` (or a kind this client does not know)."""
        return self.notice.kind

    @property
    def time(self) -> str:
        """When it happened (ISO 8601, from the server)."""
        return self.notice.time

    @property
    def text(self) -> str:
        """The notice as one short sentence."""
        return notice_text(self.notice)


@dataclass(frozen=True, slots=True)
class GapMarker:
    """Where messages are missing from the log: some that came after the
    last one we saw are no longer kept by the server."""

    seq: int

    @property
    def key(self) -> str:
        """Stable identity within the open channel's log (for DOM reuse)."""
        return f"g{self.seq}"

    @property
    def render_key(self) -> str:
        """A marker never changes once shown."""
        return self.key

    @property
    def text(self) -> str:
        """What the marker says."""
        return GAP_TEXT


# One line of the open channel's log.
LogEntry = Message | NoticeEntry | GapMarker


class Keyed(Protocol):
    """Anything else drawn in the log (a message waiting to be sent)."""

    @property
    def key(self) -> str: ...

    @property
    def render_key(self) -> str: ...


def entry_key(entry: LogEntry | Keyed) -> str:
    """Stable identity of an entry within the open channel's log."""
    if isinstance(entry, Message):
        return f"m{entry.id}"
    return entry.key


def render_key(entry: LogEntry | Keyed) -> str:
    """Changes whenever the entry must be drawn again (a file expired, an
    edit, a reaction, a reply: each raises the message's ``revision``)."""
    if isinstance(entry, Message):
        expired = "x" if entry.file is not None and entry.file.expired else ""
        changed = f"r{entry.revision}" if entry.revision else ""
        return f"{entry_key(entry)}{changed}{expired}"
    return entry.render_key


def read_messages(event: Event, payload: object) -> list[Message]:
    """The messages of a ``message`` event (one) or a ``messages`` event (a
    busy channel's batch, oldest first); anything malformed is left out."""
    if event is Event.MESSAGES:
        batch = protocol.read(MessagesEvent, payload)
        return batch.messages if batch is not None else []
    one = protocol.read(MessageEvent, payload)
    return [one.message] if one is not None else []


# --- Shared files, as people see them ------------------------------------------------


def file_details(file: File) -> str:
    """Size and type for people: ``1.5 MB · image/png``."""
    return size_and_type(file.size, file.type)


def file_description(file: File) -> str:
    """Everything in one line: ``photo.png · 1.5 MB · image/png``."""
    return f"{file.name} · {file_details(file)}"


def file_badge(file: File) -> str:
    """The short tag on the file's icon: its extension (``PNG``), else ``FILE``."""
    stem, dot, ext = file.name.rpartition(".")
    if dot and stem and 1 <= len(ext) <= 4 and ext.isalnum():
        return ext.upper()
    return "FILE"


def file_downloadable(file: File) -> bool:
    """Whether to offer a link (expired files answer 404)."""
    return not file.expired


def file_previewed(file: File) -> bool:
    """Whether to show the image inline: only what the server checked."""
    return file.preview and not file.expired
