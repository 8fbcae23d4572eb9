"""The journal: every change to the chat's state, one line each, appended as it happens.

Why a journal: the state lives in memory and is served from memory (that is
what makes Flack fast); what makes it survive a crash is this file. Each
change is written with one ``os.write`` *before* it is applied, so it is in
the kernel before the server acknowledges anything that depends on it: a
``kill -9`` at any moment loses nothing acknowledged. The kernel writes it to
the disk later; :class:`JournalWriter` leaves ``fsync`` to a timer (see
``datafolder.py``), so a power cut can lose the last moment of changes, never
half of one.

A line is ``<crc32 of the JSON, 8 hex digits> <JSON list>\\n``: the checksum
tells a record that was cut short or scribbled over from a real one. A crash
in the middle of a write leaves at most the *last* line incomplete: that one
is skipped with a warning. A bad line anywhere before the last one is damage,
and :func:`read_journal` refuses the file (the server stops rather than start
with part of the chat).
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One encoder of each kind (``json.dumps`` with options builds one per call).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_encode_ascii = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def json_bytes(value: Any) -> bytes:
    """``value`` as compact JSON in UTF-8. A lone surrogate (JSON allows
    ``"\\ud800"``, a message may hold one, UTF-8 cannot) is written as an escape:
    then the whole text is, which reads back the same."""
    try:
        return _encode(value).encode()
    except UnicodeEncodeError:
        return _encode_ascii(value).encode()


def encode_record(record: list[Any]) -> bytes:
    """One journal line for ``record`` (a JSON list), newline included."""
    payload = json_bytes(record)
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def decode_line(line: bytes) -> list[Any] | None:
    """The record on one line (without its newline), or None if the line is
    not one: wrong length, checksum or JSON."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        record = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, list) and record else None


@dataclass
class JournalRead:
    """What a journal file holds: its records, each with its line number,
    and a sentence about a torn last line that was skipped (None if none)."""

    records: list[tuple[int, list[Any]]] = field(default_factory=list)
    torn: str | None = None


def read_journal(path: Path, *, last: bool) -> JournalRead:
    """Read every record of a journal file.

    Only the last line of the *last* journal may be torn (``last``): a crash
    mid-write leaves nothing else behind, since a journal is closed only
    after its last write returned. Anything else that is not a record raises
    ``ValueError`` with the file and line.
    """
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # what follows the last newline: b"" unless the last write was cut short
    found = JournalRead()
    if tail:
        lines.append(tail)
    for number, line in enumerate(lines, start=1):
        record = decode_line(line)
        if record is not None and not (tail and number == len(lines)):
            found.records.append((number, record))
            continue
        if last and number == len(lines):
            why = "incomplete" if tail else "damaged"
            found.torn = f"{path}: the last record (line {number}) is {why}, left out (cut off by a crash)"
            break
        raise ValueError(
            f"{path} line {number} is damaged (not a journal record); "
            "Flack stops rather than start without part of the chat"
        )
    return found


class JournalWriter:
    """An open journal file that records are appended to, one write each.

    ``size`` is the file's length; ``dirty`` says whether something was
    written since the last :meth:`mark_clean` (the sync timer's business).
    If a write fails (a full disk), what it wrote is cut off again, so the
    file never holds a partial record in the middle; if even that fails,
    every later append raises: the journal no longer matches the memory.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # O_EXCL: a journal is only ever started fresh; an existing one of the
        # same generation would mean two writers.
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        os.fchmod(self.fd, 0o600)  # whatever the umask: it holds identity tokens
        self.size = 0
        self.dirty = False
        self.records = 0
        self._broken: OSError | None = None

    def append(self, record: list[Any]) -> None:
        """Write one record; it is in the kernel when this returns."""
        data = encode_record(record)
        if self._broken is not None:
            raise OSError(f"the journal {self.path} cannot be written: {self._broken}")
        try:
            written = os.write(self.fd, data)
            while written < len(data):  # rare: a short write; the rest follows
                written += os.write(self.fd, data[written:])
        except OSError:
            self._undo()
            raise
        self.size += len(data)
        self.records += 1
        self.dirty = True

    def _undo(self) -> None:
        try:
            os.ftruncate(self.fd, self.size)
        except OSError as error:
            self._broken = error

    def mark_clean(self) -> None:
        """Everything written so far is about to be synced."""
        self.dirty = False

    def close(self) -> None:
        """Close the file (its records are in the kernel already)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
