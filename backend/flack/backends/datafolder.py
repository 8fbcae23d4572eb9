"""The data folder: a snapshot, the journal after it, a lock, and the shared files.

Layout (folder 0700, every file 0600: they hold identity tokens)::

    lock              held (flock) by the server using the folder; has its pid
    snapshot.json     the state at some moment, with its "generation" g
    journal.<n>       every change after that, for n >= g, replayed in order
    files/, partial/  shared files (files.DiskStore)

Why generations: a new snapshot is taken while the chat goes on. At that
moment (between two events, so memory is consistent) the journal moves on to
``journal.<g+1>`` and the snapshot of the state so far is given generation
``g+1``; it is written out (in a thread: fsync takes milliseconds) to a
temporary file and renamed over ``snapshot.json``, and only then are the
journals below ``g+1`` deleted. A crash at any point leaves a snapshot and
every journal from its generation on: replaying them gives the state again.

At start the folder is locked (a second server on it stops with an error),
the snapshot read, the journals replayed, and a new snapshot written at once
(so a torn last record is dropped, not appended to). A damaged snapshot or
journal, a missing journal in the sequence, or a journal without its
snapshot stops the server with one line saying which file and why: never a
silent empty start, which the next snapshot would make final.

Power cuts: journal writes reach the kernel before each acknowledgement;
``fsync`` runs every ``sync_seconds`` in a thread (:meth:`DataFolder.sync_every`),
so an operating-system crash or power cut can lose the changes of about the
last second (never reorder or half-apply them). Snapshots are fsynced before
they replace the old one.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import logging
import os
import re
import threading
import time
from pathlib import Path

from flack.backends.durable import DurableBackend, replay
from flack.backends.journal import JournalWriter, json_bytes, read_journal
from flack.backends.snapshot import read_snapshot

log = logging.getLogger("flack.state")

SNAPSHOT = "snapshot.json"
LOCK = "lock"
_JOURNAL = re.compile(r"journal\.(\d{1,18})")
# A new snapshot is taken when the journal outgrows the last snapshot, and
# never for less than this: replaying at start stays bounded (about as long
# as reading two snapshots), and a busy chat writes a snapshot rarely.
COMPACT_MIN_BYTES = 8 * 1024 * 1024


class DataFolderError(ValueError):
    """The data folder cannot be used; the message says why and what to do."""


class DataFolder:
    """One server's data folder: open it, :meth:`load` the state, :meth:`begin`
    journaling, compact now and then, :meth:`close` at shutdown."""

    def __init__(self, path: Path, *, sync_seconds: float = 1.0) -> None:
        self.path = path
        self.sync_seconds = sync_seconds
        self.generation = 0  # of the journal being written
        self.backend: DurableBackend | None = None
        self.journal: JournalWriter | None = None
        self._lock_fd = -1
        self._other_locks: list[int] = []
        self._written = 0  # the generation of the newest snapshot on disk
        self._snapshot_lock = threading.Lock()
        self._compacting: asyncio.Task[None] | None = None

    # -- opening -----------------------------------------------------------------------

    def open(self) -> None:
        """Create the folder if needed (0700) and lock it."""
        try:
            if not self.path.exists():
                self.path.mkdir(mode=0o700, parents=True)
                os.chmod(self.path, 0o700)  # whatever the umask
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise DataFolderError(f"cannot use the data folder {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DataFolderError(f"cannot lock the data folder {self.path}: {error.strerror}") from None
            who = f" (process {holder})" if holder.isdigit() else ""
            raise DataFolderError(
                f"the data folder {self.path} is in use by another Flack server{who}; "
                "stop that one first, or give this one another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def lock_also(self, folder: Path) -> None:
        """Lock another folder this server keeps things in (``--files-dir``),
        with a lock on the folder itself (no file of ours in it); created
        owner-only if it does not exist. Released by :meth:`close`."""
        try:
            if not folder.exists():
                folder.mkdir(mode=0o700, parents=True)
                os.chmod(folder, 0o700)
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            raise DataFolderError(f"cannot use the folder {folder}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DataFolderError(
                f"the files folder {folder} is in use by another Flack server; "
                "stop that one first, or give this one another --files-dir"
            ) from None
        self._other_locks.append(fd)

    def load(self, history_limit: int, now: float) -> DurableBackend:
        """Read the snapshot and replay the journals after it (``DataFolderError``
        naming the file if anything is damaged); not journaling yet."""
        backend = DurableBackend(history_limit)
        snapshot = self.path / SNAPSHOT
        first = 0
        if snapshot.exists():
            first = self._read_snapshot(snapshot, backend)
        for leftover in self.path.glob(f"{SNAPSHOT}.*.tmp"):  # a snapshot cut short by a crash
            leftover.unlink(missing_ok=True)
        journals = sorted(
            (int(match.group(1)), path)
            for path in self.path.iterdir()
            if (match := _JOURNAL.fullmatch(path.name))
        )
        if journals and not snapshot.exists():
            raise DataFolderError(
                f"{self.path} has journals but no {SNAPSHOT}: the folder is incomplete; "
                "restore it from a backup, or move it away to start empty"
            )
        due = [(n, path) for n, path in journals if n >= first]
        for expected, (n, _) in enumerate(due, start=first):
            if n != expected:
                raise DataFolderError(
                    f"{self.path / f'journal.{expected}'} is missing (journal.{n} follows it): "
                    "the folder is incomplete; restore it from a backup, or move it away to start empty"
                )
        replayed = 0
        for index, (_, path) in enumerate(due):
            replayed += self._replay(path, backend, last=index == len(due) - 1)
        self.generation = due[-1][0] if due else first
        backend.settle(now)
        if replayed:
            # What the journal rebuilt is checked as strictly as a snapshot.
            try:
                read_snapshot(backend.snapshot(now), files_kept=True)
            except ValueError as error:
                raise DataFolderError(
                    f"{self.path}: the journal leads to a state Flack cannot use ({error}); "
                    "restore the folder from a backup, or move it away to start empty"
                ) from None
        for n, path in journals:
            if n < first:  # already in the snapshot: left by a crash before their deletion
                path.unlink(missing_ok=True)
        # Worth a line at start only after a crash (changes the last snapshot did not hold).
        log.log(
            logging.INFO if replayed else logging.DEBUG,
            "%s: %d changes replayed from the journal after snapshot %d",
            self.path,
            replayed,
            first,
        )
        self.backend = backend
        return backend

    def _read_snapshot(self, path: Path, backend: DurableBackend) -> int:
        try:
            data = json.loads(path.read_bytes())
            restored = backend.restore(data, files_kept=True)
        except RecursionError:
            raise DataFolderError(f"{path} is nested too deeply to be a Flack snapshot") from None
        except json.JSONDecodeError as error:
            raise DataFolderError(f"{path} is not valid JSON: {error}") from None
        except ValueError as error:
            raise DataFolderError(f"{path} is not a usable Flack snapshot: {error}") from None
        except OSError as error:
            raise DataFolderError(f"cannot read {path}: {error.strerror}") from None
        for note in restored.notes:
            log.warning("%s: %s", path, note)
        return restored.generation

    def _replay(self, path: Path, backend: DurableBackend, *, last: bool) -> int:
        try:
            found = read_journal(path, last=last)
        except OSError as error:
            raise DataFolderError(f"cannot read {path}: {error.strerror}") from None
        except ValueError as error:
            raise DataFolderError(str(error)) from None
        for number, record in found.records:
            try:
                replay(backend, record)
            except ValueError as error:
                raise DataFolderError(f"{path} line {number}: {error}") from None
        if found.torn is not None:
            log.warning("%s", found.torn)
        return len(found.records)

    def begin(self, now: float) -> None:
        """Write the start snapshot and journal every change from now on."""
        try:
            self.compact(now)
        except OSError as error:  # a full disk, a read-only folder: say so, in one line
            raise DataFolderError(f"cannot write to the data folder {self.path}: {error.strerror}") from None

    # -- compaction --------------------------------------------------------------------

    def _take(self, now: float) -> tuple[dict[str, object], int]:
        """Between two events: the state so far, as the snapshot of the next generation."""
        assert self.backend is not None
        return self.backend.snapshot(now, self.generation + 1), self.generation + 1

    def _switch(self, generation: int) -> None:
        """Journal every change from now on into ``journal.<generation>``."""
        assert self.backend is not None
        journal = JournalWriter(self.path / f"journal.{generation}")
        old, self.journal, self.generation = self.journal, journal, generation
        self.backend.journal = journal
        self.backend.on_journal_full = self._journal_full
        if old is not None:
            old.close()

    def _write_snapshot(self, data: dict[str, object], generation: int) -> int:
        """Write a snapshot (any thread), unless a newer one is on disk
        already; then forget the journals it contains. Returns its size."""
        with self._snapshot_lock:
            if generation <= self._written:
                return 0
            raw = json_bytes(data)
            temporary = self.path / f"{SNAPSHOT}.{generation}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                view = memoryview(raw)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path / SNAPSHOT)
            _sync_folder(self.path)
            self._written = generation
            for path in self.path.iterdir():
                match = _JOURNAL.fullmatch(path.name)
                if match and int(match.group(1)) < generation:
                    path.unlink(missing_ok=True)
            return len(raw)

    def _set_threshold(self, snapshot_size: int) -> None:
        if self.backend is not None:
            self.backend.compact_at = max(COMPACT_MIN_BYTES, snapshot_size)

    def compact(self, now: float) -> None:
        """Take a snapshot now and write it before returning (start, shutdown).

        The snapshot goes first and the new journal after it: nothing
        happens in between, and a crash then leaves a snapshot (at the very
        first start, a journal without one would look like damage)."""
        data, generation = self._take(now)
        size = self._write_snapshot(data, generation)
        self._switch(generation)
        self._set_threshold(size)

    def _journal_full(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._compacting is None or self._compacting.done():
            self._compacting = loop.create_task(self.compact_in_background())

    async def compact_in_background(self) -> None:
        """Take a snapshot now and write it in a thread while the chat goes on."""
        data, generation = self._take(time.time())
        self._switch(generation)  # changes from now on are not in this snapshot
        try:
            size = await asyncio.to_thread(self._write_snapshot, data, generation)
        except Exception:  # a full disk: the journals still hold everything; the next one may work
            log.exception("writing a snapshot to %s failed", self.path)
            return
        if size:
            self._set_threshold(size)
            log.debug("snapshot %d written to %s (%d bytes)", generation, self.path, size)

    # -- syncing and closing ---------------------------------------------------------------

    async def sync_every(self) -> None:
        """fsync the journal every ``sync_seconds`` if it was written to (in a
        thread, on a duplicate of its descriptor: the journal may be rotated
        and closed meanwhile)."""
        while True:
            await asyncio.sleep(self.sync_seconds)
            journal = self.journal
            if journal is None or not journal.dirty or journal.fd < 0:
                continue
            journal.mark_clean()
            fd = os.dup(journal.fd)
            try:
                await asyncio.to_thread(os.fsync, fd)
            except OSError:
                log.exception("syncing the journal %s failed", journal.path)
            finally:
                os.close(fd)

    def close(self, now: float) -> None:
        """Release the folder, after a last snapshot if anything changed
        since the one taken at shutdown."""
        try:
            if self.backend is not None and self.journal is not None and self.journal.records:
                self.compact(now)
        except OSError:  # nothing is lost: the journal holds those changes
            log.exception("writing the last snapshot to %s failed", self.path)
        finally:
            if self.journal is not None:
                self.journal.close()
                self.journal = None
            if self.backend is not None:
                self.backend.journal = None
            for fd in self._other_locks:
                os.close(fd)
            self._other_locks.clear()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)  # releases the lock
                self._lock_fd = -1


def _sync_folder(path: Path) -> None:
    """Make a rename in ``path`` survive a power cut (its directory entry)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
