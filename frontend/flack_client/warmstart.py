"""Check a start from the boot snapshot, before the client's imports.

With the boot snapshot (issue 13; ``frontend/flack-loader.mjs``, made by
``tools/make_snapshot.mjs``) Python starts with the client's modules already
imported, as they were when the snapshot was built. That is only right if the
files PyScript has just written are the same ones: the snapshot records each
file's SHA-256 in the ``_flack_snapshot`` module, and :func:`settle` compares.
If any differs or is gone (a source checkout edited since its build), every
pre-imported ``flack`` and ``flack_client`` module is forgotten, and the
imports that follow read today's files: a stale snapshot costs time, never
correctness.

A snapshot also froze what the interpreter drew at build time: ``random``'s
state (every page would draw the same numbers) is drawn again here. Python's
idea of the time zone stays the build machine's (Pyodide has no
``time.tzset``): the client never uses it, local times come from the
browser's ``Date``.

Imports nothing of the client's: the snapshot never pre-imports this module,
so the judge is always today's code. Runs under CPython for the tests.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable, MutableMapping
from enum import IntEnum
from types import ModuleType

RECORD = "_flack_snapshot"
# The packages a snapshot pre-imports (tools/make_snapshot.py).
PACKAGES = ("flack", "flack_client")


class Start(IntEnum):
    """How Python started (the boot timings carry it as ``snapshot=N``)."""

    FRESH = 0  # no snapshot: imported from the files
    SNAPSHOT = 1  # from the snapshot, its client modules current
    STALE = 2  # from the snapshot, its client modules forgotten as stale


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


def is_stale(sources: dict[str, str], read: Callable[[str], bytes | None] = _read) -> bool:
    """Whether any recorded file now reads differently (or not at all)."""
    for path, digest in sources.items():
        data = read(path)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return True
    return False


def forget_client(modules: MutableMapping[str, ModuleType]) -> list[str]:
    """Drop every module of :data:`PACKAGES` from ``modules``; their names."""
    names = [n for n in modules if n in PACKAGES or n.startswith(tuple(p + "." for p in PACKAGES))]
    for name in names:
        del modules[name]
    return names


def settle(
    modules: MutableMapping[str, ModuleType] = sys.modules,
    read: Callable[[str], bytes | None] = _read,
) -> Start:
    """Make a snapshot start safe (see the module docstring); how Python started."""
    record = modules.pop(RECORD, None)
    if record is None:
        return Start.FRESH
    if "random" in modules:
        modules["random"].seed()
    if not is_stale(getattr(record, "sources", {}), read):
        return Start.SNAPSHOT
    forget_client(modules)
    importlib.invalidate_caches()
    return Start.STALE
