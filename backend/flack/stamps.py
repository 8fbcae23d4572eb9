"""Content-hashed URLs for the page's files, so a repeat visit asks for none.

Each group of files (one vendor package, or the app's own files with the
shared protocol modules) gets a *stamp*: the first 16 hex digits of a SHA-256
over the group's file names and contents. The page and ``pyscript.json`` are
served with every URL of a group rewritten from ``/vendor/pyodide/x`` to
``/vendor/pyodide/<stamp>/x``; a URL carrying the group's current stamp is
served ``immutable`` (the browser never asks again), while the page itself is
revalidated, so a new release (new stamps) is picked up on the next visit.

The stamp goes in as a path segment *after* the group's prefix so that
relative loads keep working: Pyodide fetches its files next to
``pyodide.mjs`` and PyScript imports its chunks next to ``core.js``.

A stamp is recomputed whenever a file of its group changes size or
modification time, so editing the client in a source checkout shows up on the
next reload without a restart. That check (a ``stat`` of every file of the
group, ~10 ms for them all on this machine) runs at most once a second per
group, not on each of the page's ~50 requests.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

STAMP_LENGTH = 16
IMMUTABLE = "public, max-age=31536000, immutable"
RECHECK_SECONDS = 1.0
_STAMP = re.compile(rf"[0-9a-f]{{{STAMP_LENGTH}}}")


@dataclass
class Group:
    """One set of files whose URLs share a stamp (e.g. Pyodide's)."""

    files: Callable[[], Iterable[Path]]
    # Extra text mixed into the stamp: the stamps of other groups that files
    # of this one name (pyscript.json names the Pyodide URL).
    extra: Callable[[], str] = lambda: ""
    _key: tuple[object, ...] | None = field(default=None, repr=False)
    _stamp: str = field(default="", repr=False)
    _checked: float | None = field(default=None, repr=False)

    def stamp(self) -> str:
        """The group's current stamp (recomputed only if a file changed)."""
        now = time.monotonic()
        if self._checked is not None and now - self._checked < RECHECK_SECONDS:
            return self._stamp
        paths = sorted(set(self.files()))
        extra = self.extra()
        key = (extra, *((str(p), s.st_size, s.st_mtime_ns) for p in paths for s in (p.stat(),)))
        if key != self._key:
            digest = hashlib.sha256(extra.encode())
            for path in paths:
                digest.update(path.name.encode() + b"\0")
                digest.update(path.read_bytes())
            self._key, self._stamp = key, digest.hexdigest()[:STAMP_LENGTH]
        # Only once it is known: a file vanishing mid-look (an ``npm ci``)
        # raises, and the next request looks again.
        self._checked = now
        return self._stamp


class Stamps:
    """All groups, and the two things done with them: stamping a text's URLs
    and telling a stamped request path from a plain one."""

    def __init__(self, groups: dict[str, Group]) -> None:
        # URL prefix -> its group (two prefixes may share one group).
        self.groups = groups

    def current(self) -> dict[str, str]:
        """Prefix -> stamp, for every group."""
        return {prefix: group.stamp() for prefix, group in self.groups.items()}

    def stamp_text(self, text: str) -> str:
        """``text`` (the page, pyscript.json) with every quoted URL of a group
        rewritten to carry the group's stamp."""
        for prefix, stamp in self.current().items():
            for quote in ('"', "'"):
                text = text.replace(quote + prefix, f"{quote}{prefix}{stamp}/")
        return text

    def split(self, prefix: str, rest: str) -> tuple[str, bool]:
        """For a request to ``prefix + rest``: the file's path within the
        group, and whether it was asked for under the current stamp (then it
        may be cached for good). A stale stamp stays in the path, which names
        no file: a 404, never old content under a new name or the reverse."""
        first, slash, tail = rest.partition("/")
        if slash and _STAMP.fullmatch(first) and first == self.groups[prefix].stamp():
            return tail, True
        return rest, False
