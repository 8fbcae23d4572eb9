"""Where a server keeps its chat (:class:`Storage`), and the older state file.

Three ways, chosen by the settings (``Settings.storage``):

- a data folder (the default, ``backends/datafolder.py``): a snapshot and a
  journal written before every acknowledgement, and the shared files, kept
  across restarts and crashes;
- ``--memory``: nothing written anywhere; the shared files in a temporary
  folder (or ``--files-dir``) emptied at start and stop;
- ``--state-file``: as ``--memory``, and the state also saved to one file.

The state file: ``--state-file PATH`` (``FLACK_STATE_FILE``) makes a restart lose nothing: the
state is written on shutdown and every ``state_interval`` seconds, so a crash
loses at most the last interval. Writes go to a temporary file in the same
folder, are flushed to disk, then renamed over the old file: a crash
mid-write leaves the previous state, never half of a new one. The file holds
identity tokens, so it is readable by its owner only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from flack.backends.datafolder import DataFolder
from flack.backends.durable import run_sync
from flack.backends.journal import json_bytes
from flack.backends.memory import MemoryBackend
from flack.config import Settings, data_folder
from flack.files import DiskStore

log = logging.getLogger("flack.state")


def save_state(path: Path, backend: MemoryBackend, now: float) -> int:
    """Write the backend's snapshot to ``path`` atomically; returns the bytes written."""
    data = json_bytes(backend.snapshot(now))  # UTF-8, a lone surrogate escaped
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(data)


def load_state(path: Path, backend: MemoryBackend) -> bool:
    """Read ``path`` into the backend; ``False`` if there is no file yet.

    A damaged file is an error (``ValueError`` saying which field, e.g.
    ``channels[2].messages[5].id``): starting empty would silently throw the
    chat away, and the next save would make that final. Nothing in it is
    trusted (``backends/snapshot.py`` checks every field). What a file
    written by an older Flack holds that today's name rules refuse is left
    out, with a warning in the log.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return False
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be a Flack state file") from None
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    try:
        notes = backend.restore(data).notes
        backend.settle()  # nobody is connected to a server that is starting
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be a Flack state file") from None
    except ValueError as error:
        raise ValueError(f"{path} is not a usable Flack state file: {error}") from None
    for note in notes:
        log.warning("%s: %s", path, note)
    return True


class Storage:
    """Where one server keeps its chat: the backend, where shared files go,
    and what happens at start, while running and at shutdown.

    Use: ``storage = Storage(settings, history_limit)`` (raises ``ValueError``
    with one sentence if the data folder is in use or damaged), build the
    file store on ``files_root`` and :meth:`adopt_files`, then :meth:`begin`;
    run :meth:`tasks` while serving; :meth:`save` at shutdown and
    :meth:`close` when stopped.
    """

    def __init__(self, settings: Settings, history_limit: int) -> None:
        self.mode = settings.storage
        self.folder: DataFolder | None = None
        self.state_file = Path(settings.state_file) if settings.state_file else None
        self.state_interval = settings.state_interval
        if self.mode == "durable":
            self.folder = DataFolder(data_folder(settings), sync_seconds=settings.sync_seconds)
            self.folder.open()
            try:
                self.backend: MemoryBackend = self.folder.load(history_limit, time.time())
            except BaseException:
                self.folder.close(time.time())
                raise
            # The bytes go to --files-dir if given (another disk, say), and
            # outlive the server there too; that folder is locked as well.
            self.files_root = Path(settings.files_dir) if settings.files_dir else self.folder.path
            if settings.files_dir:
                try:
                    self.folder.lock_also(self.files_root)
                except BaseException:
                    self.folder.close(time.time())
                    raise
            self.temporary_files = False
        else:
            self.backend = MemoryBackend(history_limit)
            if self.state_file is not None and load_state(self.state_file, self.backend):
                log.info("state read from %s", self.state_file)
            self.temporary_files = not settings.files_dir
            self.files_root = Path(
                tempfile.mkdtemp(prefix="flack-files-") if self.temporary_files else settings.files_dir
            )

    @property
    def keeps_files(self) -> bool:
        """Whether shared files outlive the server (only in a data folder)."""
        return self.folder is not None

    def describe(self) -> str:
        """The start line's words for where the chat is kept."""
        if self.folder is not None:
            return f"{self.folder.path} (durable)"
        if self.state_file is not None:
            return (
                f"in memory, saved to {self.state_file} every {self.state_interval:g} s "
                "(--state-file): shared files are lost at exit"
            )
        return "in memory (--memory): lost at exit"

    def adopt_files(self, store: DiskStore) -> None:
        """In a data folder: index the shared files of the kept messages
        (``files/`` outlives the server). A file whose bytes are missing is
        marked expired in its message, with a warning."""
        if self.folder is None:
            return
        backend = self.folder.backend
        assert backend is not None
        for stored in store.adopt(backend.shared_files()):
            log.warning(
                "the shared file %r (message %d in #%s) is missing from %s: it shows as expired",
                stored.info.name,
                stored.message_id,
                stored.channel_key,
                store.root / "files",
            )
            run_sync(backend.expire_file(stored.channel_key, stored.message_id))

    def begin(self) -> None:
        """Start keeping every change (a data folder's start snapshot and journal)."""
        if self.folder is not None:
            self.folder.begin(time.time())

    def tasks(self) -> list[Coroutine[Any, Any, None]]:
        """What runs while serving: the journal's fsync timer, or the state file's saves."""
        if self.folder is not None:
            return [self.folder.sync_every()]
        if self.state_file is not None:
            return [_save_every(self.state_interval, self.save)]
        return []

    def save(self) -> None:
        """At shutdown (and the state file's timer): a snapshot now."""
        if self.folder is not None:
            try:
                self.folder.compact(time.time())
            except OSError:  # nothing is lost: the journals hold every change
                log.exception("writing a snapshot to %s failed", self.folder.path)
        elif self.state_file is not None:
            size = save_state(self.state_file, self.backend, time.time())
            log.debug("state saved to %s (%d bytes)", self.state_file, size)

    def close(self) -> None:
        """Stopped: release the data folder."""
        if self.folder is not None:
            self.folder.close(time.time())


async def _save_every(interval: float, save: Any) -> None:
    # After a crash, at most the last interval is lost.
    while True:
        await asyncio.sleep(interval)
        try:
            save()
        except Exception:  # a full disk must not stop the chat; the next try may work
            log.exception("saving the state failed")
