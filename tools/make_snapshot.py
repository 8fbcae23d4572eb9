"""Prepare the boot snapshot's interpreter: import the client, record its sources.

Run inside Pyodide by ``tools/make_snapshot.mjs`` at wheel build time, just
before it takes the snapshot of Pyodide's heap (issue 13). Also importable
under any CPython, which is how its planning is tested.

It writes the client's modules where PyScript will write them in the page
(``files`` of ``frontend/pyscript.json``, relative to Pyodide's working
folder), imports them, and leaves in ``sys.modules`` a record
(``_flack_snapshot``) of each file's SHA-256. In the page,
``flack_client/warmstart.py`` compares that record with the files PyScript
wrote: if any differs (a source checkout edited after the build), every
pre-imported client module is forgotten and imported afresh, so a snapshot
can be stale but never wrong.

Not imported here: ``main.py`` (it opens the socket when it runs) and
``warmstart.py`` (it must be today's code, to judge the others).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import types
from pathlib import PurePosixPath

RECORD = "_flack_snapshot"
# Never pre-imported: see the module docstring.
NOT_IMPORTED = ("flack_client.main", "flack_client.warmstart")
# Where the server serves each URL folder of pyscript.json's files from,
# relative to the repository (transport/http.py: /py/flack/ is the shared
# protocol package, /static/ the front end).
SERVED_FROM = {"/py/": "backend/", "/static/": "frontend/"}


def plan(config: dict[str, object]) -> list[tuple[str, str, str]]:
    """(repository path, path in the page's file system relative to the
    working folder, module name) for each of pyscript.json's files."""
    files = config["files"]
    assert isinstance(files, dict)
    planned = []
    for url, target in files.items():
        folder = next(f for f in SERVED_FROM if url.startswith(f))
        source = SERVED_FROM[folder] + url.removeprefix(folder)
        relative = PurePosixPath(os.path.normpath(target))
        parts = relative.with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        planned.append((source, str(relative), module))
    return planned


def prepare(repository: str, workdir: str) -> list[str]:
    """Write the client under ``workdir``, import it, record its sources;
    the modules imported, in order."""
    with open(f"{repository}/frontend/pyscript.json", encoding="utf-8") as config:
        planned = plan(json.load(config))
    sources = {}
    for source, target, _ in planned:
        with open(f"{repository}/{source}", "rb") as file:
            data = file.read()
        path = f"{workdir}/{target}"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)
        sources[path] = hashlib.sha256(data).hexdigest()
    imported = [m for _, _, m in planned if m not in NOT_IMPORTED]
    for module in imported:
        importlib.import_module(module)
    record = types.ModuleType(RECORD, "The boot snapshot's client sources (tools/make_snapshot.py).")
    record.sources = sources  # type: ignore[attr-defined]
    sys.modules[RECORD] = record
    return imported
