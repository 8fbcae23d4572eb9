"""Sharing files into a channel: upload bookkeeping, limits, type checks, eviction.

The bytes go over HTTP (see ``transport/http.py``) into a store (``files.py``);
this module decides who may upload what, where each chunk must start, what a
finished file is served as, and which old files make room for new ones.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from flack.core.chat import Chat, Clock
from flack.core.errors import FlackError, TooManyUploads
from flack.core.limits import MIB, UPLOADS
from flack.core.models import Channel, File, Message
from flack.protocol import CHUNK_SIZE, ErrorCode, check_file_size, clean_file_name, format_size

FINISHED_REMEMBERED = 1000

# Magic numbers of the image types shown inline. The browser's declared type
# is never trusted for that: an HTML page called "cat.png" must not render.
_IMAGE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image(head: bytes) -> str | None:
    """The previewable image type these first bytes prove, if any."""
    for signature, offset, kind in _IMAGE_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if kind != "image/webp" or head[:4] == b"RIFF":
                return kind
    return None


_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,60}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}")


def clean_media_type(hint: str) -> str:
    """The browser's declared type if it looks like one, for display only."""
    hint = hint.strip().lower()
    return hint if _MEDIA_TYPE.fullmatch(hint) else "application/octet-stream"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored file, and the message that shared it (to expire it later)."""

    info: File
    channel_key: str
    message_id: int


class UploadError(FlackError):
    """A refused upload request; ``status`` is its HTTP status."""

    status = 400

    def __init__(self, message: str, code: ErrorCode, status: int, received: int | None = None) -> None:
        super().__init__(message, code)
        self.status = status
        self.received = received


class FileStore(Protocol):
    """What sharing needs from wherever the bytes live (``files.DiskStore``)."""

    used: int

    def create(self, upload_id: str) -> None: ...
    def write(self, upload_id: str, offset: int, data: bytes) -> None: ...
    def head(self, upload_id: str, size: int) -> bytes: ...
    def discard(self, upload_id: str) -> None: ...
    def place(self, upload_id: str, file_id: str) -> None: ...
    def commit(self, info: File, channel_key: str, message_id: int) -> None: ...
    def oldest(self) -> StoredFile | None: ...
    def delete(self, file_id: str) -> StoredFile | None: ...


@dataclass(slots=True)
class Upload:
    """An upload in progress; ``id`` is the capability its URL carries.

    It is reserved for its person (``token``) and ``address`` at its announced
    size until it finishes or is released. ``sid`` is the connection that
    announced it, ``None`` once that is gone (``orphaned`` says when); then
    only arriving bytes keep it.
    """

    id: str
    sid: str | None
    token: str
    sender: str
    channel: Channel
    name: str
    size: int
    hint: str
    # When it was announced or its bytes last arrived (an empty chunk is no
    # progress and does not count).
    touched: float
    address: str = ""
    received: int = 0
    # A chunk is being written: a second request at the same time is refused,
    # or two bodies could interleave in the file.
    busy: bool = False
    orphaned: float | None = None

    @property
    def complete(self) -> bool:
        """Whether every announced byte has arrived."""
        return self.received == self.size


@dataclass(frozen=True, slots=True)
class Shared:
    """A finished upload: the file message, and messages whose files expired."""

    message: Message
    expired: list[Message] = field(default_factory=list)


def _gone() -> UploadError:
    return UploadError(
        "This upload does not exist any more (finished, cancelled or expired).",
        ErrorCode.UPLOAD_UNKNOWN,
        404,
    )


class Sharing:
    """File sharing over a ``Chat`` and a ``FileStore``.

    Storage stays bounded: stored files never exceed ``total_bytes`` (the
    oldest are evicted to make room), and the files being uploaded, counted
    at their announced size, never exceed it either, so the folder holds at
    most twice the bound. Unfinished uploads are bounded per person, per
    address and in all (``Limits``), counted at their announced size, size 0
    included; starting one is paid for from the person's and the address's
    upload budget. An upload whose connection is gone is released unless its
    bytes keep arriving (it is being resumed).
    """

    def __init__(
        self,
        chat: Chat,
        store: FileStore,
        *,
        file_url: Callable[[str, str], str],
        max_file_bytes: int,
        total_bytes: int,
        idle_seconds: float = 3600.0,
        clock: Clock = time.time,
        id_factory: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self.chat = chat
        self.store = store
        # Where a stored file downloads from, given its id and name: the
        # transport owns its URLs; the core only asks.
        self._file_url = file_url
        self.max_file_bytes = max_file_bytes
        self.total_bytes = total_bytes
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._new_id = id_factory
        self._uploads: dict[str, Upload] = {}
        # Recently finished uploads and their messages: if the reply to the
        # last chunk is lost, asking again says "complete" instead of "gone".
        self._finished: OrderedDict[str, Message] = OrderedDict()
        chat.on_dropped = self._dropped

    # -- starting and receiving ---------------------------------------------------

    async def start(self, sid: str, raw_channel: str, raw_name: str, size: int, hint: str) -> Upload:
        """Accept a file announcement from a named connection's person, into
        a conversation they are in (a channel joined, a direct conversation)."""
        session = self.chat.named(sid)
        channel = await self.chat.conversation(sid, raw_channel)
        name = clean_file_name(raw_name)
        check_file_size(size, min(self.max_file_bytes, self.total_bytes))
        assert session.token is not None and session.name is not None
        self._release_orphans()
        self._check_room(session.token, session.address, size)
        self.chat.budgets.take(UPLOADS, person=session.token, address=session.address)
        upload = Upload(
            self._new_id(),
            sid,
            session.token,
            session.name,
            channel,
            name,
            size,
            hint,
            self._clock(),
            address=session.address,
        )
        self.store.create(upload.id)
        self._uploads[upload.id] = upload
        return upload

    def _check_room(self, token: str, address: str, size: int) -> None:
        """Refuse (``too_many_uploads``) an upload of ``size`` bytes that
        would put the person, the address or the server over its bound."""
        limits = self.chat.limits
        # Each bound leaves room for one file of the largest size.
        person_bytes = max(int(limits.upload_mb_per_person * MIB), self.max_file_bytes)
        address_bytes = max(int(limits.upload_mb_per_address * MIB), self.max_file_bytes)
        uploads = self._uploads.values()
        mine = [u.size for u in uploads if u.token == token]
        here = [u.size for u in uploads if u.address == address]
        if len(mine) >= limits.uploads_per_person:
            raise TooManyUploads(
                f"At most {limits.uploads_per_person} unfinished uploads at a time; "
                "wait for one to finish, or cancel one."
            )
        if sum(mine) + size > person_bytes:
            raise TooManyUploads(
                f"Your unfinished uploads may add up to {format_size(person_bytes)} at most; "
                "wait for one to finish, or cancel one."
            )
        per_address = limits.uploads_per_person * limits.people_per_address
        if len(here) >= per_address or sum(here) + size > address_bytes:
            raise TooManyUploads(
                "Too many files are being uploaded from your network right now; "
                "try again when some have finished."
            )
        if len(self._uploads) >= limits.max_uploads or sum(u.size for u in uploads) + size > self.total_bytes:
            raise TooManyUploads("The server is receiving too many files right now; try again in a moment.")

    def finished(self, upload_id: str) -> Message | None:
        """The file message of a recently finished upload, if this was one."""
        return self._finished.get(upload_id)

    def get(self, upload_id: str) -> Upload:
        """A live upload, or a 404 ``UploadError`` (also for one whose
        connection is gone and that was not resumed in time, even before a
        sweep has released it)."""
        upload = self._uploads.get(upload_id)
        if upload is not None and self._abandoned(upload):
            self._discard(upload)
            upload = None
        if upload is None:
            raise _gone()
        return upload

    def begin_chunk(self, upload_id: str, offset: int, length: int | None) -> Upload:
        """Decide on a chunk from its headers alone, before reading its body.

        On success the upload is ``busy`` until :meth:`end_chunk`.
        """
        upload = self.get(upload_id)
        if upload.busy or offset != upload.received:
            raise UploadError(
                f"The next chunk starts at byte {upload.received}, not {offset}."
                if not upload.busy
                else "Another chunk of this upload is still arriving.",
                ErrorCode.OFFSET_MISMATCH,
                409,
                received=upload.received,
            )
        if length is not None and length > CHUNK_SIZE:
            raise UploadError(
                f"Chunks can be at most {format_size(CHUNK_SIZE)}.", ErrorCode.CHUNK_TOO_LARGE, 413
            )
        if length is not None and offset + length > upload.size:
            raise self._too_much(upload)
        upload.busy = True
        return upload

    def receive(self, upload: Upload, data: bytes, start: int) -> None:
        """Write bytes of the chunk that began at ``start``; refuses bytes
        beyond the announced size or the chunk size (a body without a length)."""
        if self._uploads.get(upload.id) is not upload:
            raise _gone()  # cancelled meanwhile
        if self._abandoned(upload):  # its bytes stopped for longer than a resume may take
            self._discard(upload)
            raise _gone()
        if upload.received + len(data) > upload.size:
            raise self._too_much(upload)
        if upload.received + len(data) - start > CHUNK_SIZE:
            raise UploadError(
                f"Chunks can be at most {format_size(CHUNK_SIZE)}.", ErrorCode.CHUNK_TOO_LARGE, 413
            )
        self.store.write(upload.id, upload.received, data)
        upload.received += len(data)
        if data:  # progress: an empty chunk keeps nothing alive
            upload.touched = self._clock()

    def end_chunk(self, upload: Upload) -> None:
        """The chunk's request is over (however it ended)."""
        upload.busy = False

    @staticmethod
    def _too_much(upload: Upload) -> UploadError:
        return UploadError(
            f"That is more than the {format_size(upload.size)} announced for this file.",
            ErrorCode.FILE_TOO_LARGE,
            413,
        )

    def cancel(self, upload_id: str) -> None:
        """Stop an upload and delete what arrived."""
        self._discard(self.get(upload_id))

    def _discard(self, upload: Upload) -> None:
        del self._uploads[upload.id]
        self.store.discard(upload.id)

    def disconnected(self, sid: str) -> None:
        """Connection ``sid`` is gone: its uploads are released unless their
        bytes keep arriving (see :meth:`_release_orphans`)."""
        now = self._clock()
        for upload in self._uploads.values():
            if upload.sid == sid:
                upload.sid, upload.orphaned = None, now

    def _abandoned(self, upload: Upload) -> bool:
        # Kept while resuming: a byte arrived within the resume window of its
        # connection closing, or of the last byte (a chunk in flight whose
        # bytes stopped is no resume: the reservation goes, its request
        # then gets a 404).
        if upload.orphaned is None:
            return False
        cutoff = self._clock() - self.chat.limits.upload_resume_seconds
        return max(upload.orphaned, upload.touched) < cutoff

    def _release_orphans(self) -> int:
        gone = [u for u in self._uploads.values() if self._abandoned(u)]
        for upload in gone:
            self._discard(upload)
        return len(gone)

    def sweep(self) -> int:
        """Cancel uploads whose connection is gone and that are not being
        resumed, and uploads without a byte for ``idle_seconds`` (a stalled
        chunk included); returns how many."""
        released = self._release_orphans()
        cutoff = self._clock() - self.idle_seconds
        stale = [u.id for u in self._uploads.values() if u.touched < cutoff]
        for upload_id in stale:
            self.cancel(upload_id)
        return released + len(stale)

    def channels_in_use(self) -> frozenset[str]:
        """Keys of the channels files are being uploaded to (not to be released)."""
        return frozenset(u.channel.key for u in self._uploads.values())

    @property
    def uploading(self) -> int:
        """How many uploads are unfinished."""
        return len(self._uploads)

    # -- finishing -----------------------------------------------------------------

    async def finish(self, upload: Upload) -> Shared:
        """Store a complete upload and post its message; evict old files if needed."""
        if self._uploads.get(upload.id) is not upload or not upload.complete:
            raise _gone()
        # Read before forgetting the upload: if the disk fails here, the
        # upload is still there and an empty PUT at its end finishes it.
        image = sniff_image(self.store.head(upload.id, 16))
        del self._uploads[upload.id]
        file_id = secrets.token_urlsafe(18)
        info = File(
            id=file_id,
            name=upload.name,
            size=upload.size,
            type=image or clean_media_type(upload.hint),
            url=self._file_url(file_id, upload.name),
            preview=image is not None,
        )
        expired = await self._make_room(upload.size)
        # The sender is whoever holds the uploading identity now (a rename
        # during a long upload shows the new name), else the name it started with.
        identity = await self.chat.backend.get_identity(upload.token)
        sender = identity.name if identity is not None else upload.sender
        # The bytes are in place before the message is stored: a file
        # message that survives a crash always has its file (a file whose
        # message never was is deleted at the next start).
        self.store.place(upload.id, file_id)
        try:
            message = await self.chat.append(upload.channel, sender, "", info, sent_by=upload.token)
        except BaseException:
            self.store.delete(file_id)
            raise
        self.store.commit(info, upload.channel.key, message.id)
        self._finished[upload.id] = message
        if len(self._finished) > FINISHED_REMEMBERED:
            self._finished.popitem(last=False)
        return Shared(message, expired)

    async def _make_room(self, size: int) -> list[Message]:
        expired: list[Message] = []
        while self.store.used + size > self.total_bytes:
            oldest = self.store.oldest()
            if oldest is None:
                break
            # The message says "expired" first, then the bytes go: a crash in
            # between leaves a file nobody names (deleted at the next start),
            # never a message whose file is missing.
            updated = await self.chat.backend.expire_file(oldest.channel_key, oldest.message_id)
            self.chat.changed(oldest.channel_key, updated)
            self.store.delete(oldest.info.id)
            if updated is not None:
                expired.append(updated)
        return expired

    def _dropped(self, message: Message) -> None:
        # A file leaves with its message: nobody can reach it any more.
        if message.file is not None:
            self.store.delete(message.file.id)
