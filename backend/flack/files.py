"""Shared files on disk: partial uploads and stored files under one folder.

Everything is written below ``root`` (``partial/`` and ``files/``), under names
the server generated; a user's file name never touches the file system. Both
folders are the owner's only (0700) and so is every file (0600): other
accounts on the machine read shared files through the server or not at all.
The store keeps an index in insertion order, so the oldest file is evicted
first.

With ``keep_files`` (a data folder) the stored files outlive the server: at
start only ``partial/`` is emptied (an upload cut off by a restart is
started again), and :meth:`DiskStore.adopt` rebuilds the index from the
messages the chat kept, deleting files no kept message names (left by a
crash between storing a file and posting its message, or deleting it after
its message left the history). Without it, a restart forgets every message,
so both folders are emptied at start and stop.

Writes are plain blocking calls on the event loop: a chunk is at most 4 MiB
and lands in the page cache, which costs less than handing it to a thread.
"""

from __future__ import annotations

import os
import shutil
from collections import OrderedDict
from pathlib import Path

from flack.core.models import File
from flack.core.sharing import StoredFile


class DiskStore:
    """The bytes of uploads and shared files, in one folder (``FileStore``)."""

    def __init__(self, root: Path, *, keep_files: bool = False) -> None:
        self.root = root
        self.keep_files = keep_files
        self._partial = root / "partial"
        self._files = root / "files"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)  # an existing root keeps its mode
        for folder in (self._partial, self._files):
            # Without kept files a restart forgets every message, so leftovers
            # are unreachable; partial uploads are never resumed across a restart.
            if folder is self._partial or not keep_files:
                shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)  # whatever the umask
        self._index: OrderedDict[str, StoredFile] = OrderedDict()
        self.used = 0

    # -- uploads ------------------------------------------------------------------

    def _partial_path(self, upload_id: str) -> Path:
        return self._partial / upload_id

    def create(self, upload_id: str) -> None:
        """Start an empty partial file, readable by its owner only."""
        os.close(os.open(self._partial_path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))

    def write(self, upload_id: str, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` of a partial file."""
        with open(self._partial_path(upload_id), "r+b") as handle:
            handle.seek(offset)
            handle.write(data)

    def head(self, upload_id: str, size: int) -> bytes:
        """The first ``size`` bytes of a partial file (to check its type)."""
        with open(self._partial_path(upload_id), "rb") as handle:
            return handle.read(size)

    def discard(self, upload_id: str) -> None:
        """Delete a partial file."""
        self._partial_path(upload_id).unlink(missing_ok=True)

    def place(self, upload_id: str, file_id: str) -> None:
        """Turn a complete partial file into the stored bytes of ``file_id``
        (before its message is posted: a posted file always has its bytes)."""
        os.replace(self._partial_path(upload_id), self.path(file_id))

    def commit(self, info: File, channel_key: str, message_id: int) -> None:
        """Index the placed file ``info.id`` as shared by that message."""
        self._index[info.id] = StoredFile(info, channel_key, message_id)
        self.used += info.size

    def adopt(self, kept: list[StoredFile]) -> list[StoredFile]:
        """Index the stored files of kept messages, oldest first, and delete
        every other file in ``files/``. Returns the kept ones whose bytes
        are missing (or not of their size): their messages must say expired."""
        on_disk = {path.name: path for path in self._files.iterdir()}
        missing = []
        for stored in kept:
            path = on_disk.pop(stored.info.id, None)
            if path is None or not path.is_file() or path.stat().st_size != stored.info.size:
                missing.append(stored)  # a file of another size is not the one shared
                if path is not None:
                    on_disk[stored.info.id] = path
                continue
            self.commit(stored.info, stored.channel_key, stored.message_id)
        for path in on_disk.values():  # no kept message names it
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return missing

    # -- stored files ---------------------------------------------------------------

    def path(self, file_id: str) -> Path:
        """Where a stored file's bytes are (ids are server-made, URL-safe)."""
        return self._files / file_id

    def get(self, file_id: str) -> StoredFile | None:
        """A stored file, if it is still kept."""
        return self._index.get(file_id)

    def oldest(self) -> StoredFile | None:
        """The file stored longest ago."""
        return next(iter(self._index.values()), None)

    def delete(self, file_id: str) -> StoredFile | None:
        """Delete a stored file (placed or indexed); returns what it was, if indexed."""
        stored = self._index.pop(file_id, None)
        self.path(file_id).unlink(missing_ok=True)
        if stored is not None:
            self.used -= stored.info.size
        return stored

    def close(self, *, remove_root: bool) -> None:
        """At shutdown: delete the partial uploads, and the stored files too
        unless they are kept (without a data folder the messages that named
        them are gone with the process); ``remove_root`` for a temporary folder."""
        for folder in (self._partial, self._files):
            if folder is self._partial or not self.keep_files:
                shutil.rmtree(folder, ignore_errors=True)
        if remove_root:
            shutil.rmtree(self.root, ignore_errors=True)
        self._index.clear()
        self.used = 0
