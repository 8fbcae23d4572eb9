"""The optional state file: the in-memory state written atomically, read at start.

``--state-file PATH`` (``FLACK_STATE_FILE``) makes a restart lose nothing: the
state is written on shutdown and every ``state_interval`` seconds, so a crash
loses at most the last interval. Writes go to a temporary file in the same
folder, are flushed to disk, then renamed over the old file: a crash
mid-write leaves the previous state, never half of a new one. The file holds
identity tokens, so it is readable by its owner only.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from flack.backends.memory import MemoryBackend

log = logging.getLogger("flack.state")


def save_state(path: Path, backend: MemoryBackend, now: float) -> int:
    """Write the backend's snapshot to ``path`` atomically; returns the bytes written."""
    data = json.dumps(backend.snapshot(now), ensure_ascii=False, separators=(",", ":")).encode()
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
        notes = backend.restore(data)
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be a Flack state file") from None
    except ValueError as error:
        raise ValueError(f"{path} is not a usable Flack state file: {error}") from None
    for note in notes:
        log.warning("%s: %s", path, note)
    return True
