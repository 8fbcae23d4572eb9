"""The boot snapshot's build (tools/make_snapshot.py, run inside Pyodide by
tools/make_snapshot.mjs at wheel build time; issue 13).

The planning is tested here under CPython: every file pyscript.json lists is
found in the repository where the server serves it from, and lands where
PyScript writes it. The Node test makes a real snapshot with the real
Pyodide and restores it: the client's modules are imported, their sources
recorded, and the page's own entry points left out."""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from flack import assets
from flack.transport import http

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "frontend" / "node_modules" / "pyodide"
CONFIG = json.loads((ROOT / "frontend" / "pyscript.json").read_text())


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_snapshot", ROOT / "tools" / "make_snapshot.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_snapshot = _load()


def test_every_listed_file_is_planned_from_where_the_server_serves_it() -> None:
    planned = make_snapshot.plan(CONFIG)
    assert len(planned) == len(CONFIG["files"])
    for (url, target), (source, relative, module) in zip(CONFIG["files"].items(), planned, strict=True):
        if url.startswith("/py/flack/"):
            served = http.SHARED_MODULES[url.removeprefix("/py/flack/")]
        else:
            served = assets.WebRoot(ROOT / "frontend", {}).app_file(url.removeprefix("/static/"))
        assert served is not None and (ROOT / source).read_bytes() == served.read_bytes(), url
        assert relative == target.removeprefix("./")
        assert module == relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def test_the_pages_entry_points_are_never_preimported() -> None:
    modules = [module for _, _, module in make_snapshot.plan(CONFIG)]
    assert set(make_snapshot.NOT_IMPORTED) <= set(modules)


needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (PYODIDE / "pyodide.mjs").is_file(),
    reason="needs Node.js and frontend/node_modules (npm ci)",
)

# The snapshot's header (Pyodide 314's makeSnapshot): magic, heap offset,
# length of the JSON state, 0, then the build id.
MAGIC = 1886286592


@needs_node
def test_a_real_snapshot_is_made_and_restores_with_the_client_imported(tmp_path: Path) -> None:
    output = tmp_path / "snapshot.bin"
    done = subprocess.run(
        ["node", str(ROOT / "tools" / "make_snapshot.mjs"), str(PYODIDE), str(ROOT), str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    count, size = map(int, done.stdout.split())
    expected = [m for _, _, m in make_snapshot.plan(CONFIG) if m not in make_snapshot.NOT_IMPORTED]
    assert count == len(expected)
    data = output.read_bytes()
    assert len(data) == size and struct.unpack("<I", data[:4])[0] == MAGIC
    # Restored: the client is in sys.modules, main and warmstart are not,
    # and the record names every file with its digest.
    check = (
        "const {loadPyodide} = await import(process.argv[1] + '/pyodide.mjs');"
        "const {readFileSync} = await import('node:fs');"
        "const py = await loadPyodide("
        "{indexURL: process.argv[1] + '/', _loadSnapshot: readFileSync(process.argv[2])});"
        'console.log(py.runPython(\'import sys, json; r = sys.modules["_flack_snapshot"]; '
        'json.dumps([sorted(m for m in sys.modules if m.startswith("flack")), r.sources])\'));'
    )
    restored = subprocess.run(
        ["node", "--input-type=module", "-e", check, str(PYODIDE), str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    modules, sources = json.loads(restored.stdout)
    assert set(expected) <= set(modules)
    assert not set(make_snapshot.NOT_IMPORTED) & set(modules)
    assert len(sources) == len(CONFIG["files"])
    assert all(path.startswith("/home/pyodide/") for path in sources)


def test_the_server_serves_the_built_snapshot_and_the_loader() -> None:
    web = assets.locate()
    loader = web.vendor_file(*assets.LOADER_AT)
    assert loader is not None
    assert loader.read_bytes() == (ROOT / "frontend" / assets.LOADER).read_bytes()
    snapshot = web.vendor_file("pyodide", assets.SNAPSHOT)
    assert snapshot is not None, "the build made no boot snapshot"
    assert struct.unpack("<I", snapshot.read_bytes()[:4])[0] == MAGIC
    # Both share Pyodide's stamp: a new snapshot is a new URL.
    assert loader in web.vendor_files("pyodide") and snapshot in web.vendor_files("pyodide")
