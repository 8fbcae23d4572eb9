"""Skip rebuilding the wheel when nothing it is built from has changed.

``nox -s serve`` (and the other sessions) install Flack as a wheel: pip builds
it in a fresh build environment and the build hook runs ``npm ci`` and
compresses the front end, about 30 s on every start. This module lets the
noxfile skip that when the virtualenv already holds a build of exactly the
current sources:

- :func:`fingerprint` hashes every file the wheel is built from (the
  ``INPUTS`` below: the package, the front end with its ``package-lock.json``,
  ``pyproject.toml``, the build hook and the scripts it runs), path and content, skipping what the
  build itself produces or ignores (``node_modules``, which ``npm ci`` derives
  from the lock file, caches, hidden files);
- after a successful install :func:`write` records that fingerprint, with the
  extras installed and a hash of the installed distribution's ``RECORD``, in
  the virtualenv;
- :func:`is_current` is true only if all three still match: a changed source,
  other extras, or a different install (``pip install -e .`` by hand, an
  uninstall) each mean a rebuild. A fresh virtualenv has no stamp, so a first
  start installs everything.

Stdlib only: the noxfile imports it before any virtualenv exists.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

# What the wheel is built from, relative to the repository root. README.md is
# left out on purpose: it only becomes the package's long description, which
# nothing reads at run time, and it changes more often than anything else.
INPUTS: tuple[str, ...] = (
    "pyproject.toml",
    "hatch_build.py",
    "tools/precompile_stdlib.mjs",
    "tools/precompile_stdlib.py",
    "backend/flack",
    "frontend",
)
# Folders that are caches or derived (node_modules comes from
# frontend/package-lock.json, which is hashed), and build output that the
# wheel excludes (backend/flack/web, git-ignored).
SKIP_DIRS = frozenset({"node_modules", "__pycache__"})
SKIP_PATHS = frozenset({"backend/flack/web"})
SKIP_SUFFIXES = (".pyc", ".pyo", "~")
STAMP = "flack-build-stamp.json"
_RECORDS = (
    "lib/python*/site-packages/flack-*.dist-info/RECORD",
    "Lib/site-packages/flack-*.dist-info/RECORD",
)


def input_files(root: Path) -> Iterator[Path]:
    """Every file the fingerprint covers, in a stable order."""
    for entry in INPUTS:
        path = root / entry
        if path.is_file():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            here = Path(folder).relative_to(root)
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in SKIP_DIRS and not d.startswith(".") and (here / d).as_posix() not in SKIP_PATHS
            )
            for name in sorted(files):
                if not name.startswith(".") and not name.endswith(SKIP_SUFFIXES):
                    yield Path(folder) / name


def fingerprint(root: Path) -> str:
    """A hash of the wheel's inputs under ``root``: each file's path and bytes."""
    digest = hashlib.sha256()
    for path in input_files(root):
        relative = path.relative_to(root).as_posix()
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def installed_record(venv: Path) -> Path | None:
    """The ``RECORD`` of the Flack distribution installed in ``venv``, if any
    (``lib/python3.X/site-packages`` on POSIX, ``Lib/site-packages`` on Windows)."""
    for pattern in _RECORDS:
        found = sorted(venv.glob(pattern))
        if found:
            return found[0]
    return None


def record_state(venv: Path) -> tuple[int, int] | None:
    """Identity of the installed ``RECORD`` (inode, modification time): it
    changes whenever pip really installs, even the very same files."""
    record = installed_record(venv)
    if record is None:
        return None
    status = record.stat()
    return (status.st_ino, status.st_mtime_ns)


def _record_hash(venv: Path) -> str | None:
    record = installed_record(venv)
    return None if record is None else hashlib.sha256(record.read_bytes()).hexdigest()


def write(venv: Path, sources: str, extras: str) -> None:
    """Remember that ``venv`` now holds the build of ``sources`` with ``extras``."""
    stamp = {"fingerprint": sources, "extras": extras, "record": _record_hash(venv)}
    (venv / STAMP).write_text(json.dumps(stamp), encoding="utf-8")


def forget(venv: Path) -> None:
    """Drop the stamp (before an install: a failed one must not look current)."""
    (venv / STAMP).unlink(missing_ok=True)


def is_current(venv: Path, sources: str, extras: str) -> bool:
    """Whether ``venv`` holds, untouched, the build of ``sources`` with ``extras``."""
    try:
        stamp = json.loads((venv / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict):
        return False
    record = _record_hash(venv)
    return (
        record is not None
        and stamp.get("fingerprint") == sources
        and stamp.get("extras") == extras
        and stamp.get("record") == record
    )
