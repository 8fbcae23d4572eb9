"""The precompiled standard library (tools/precompile_stdlib.py, run inside
Pyodide by tools/precompile_stdlib.mjs at wheel build time).

The zip logic is tested here under CPython (same code, this interpreter's
bytecode); the Node tests run the real script with the real Pyodide and check
that its output is bytecode of Pyodide's own Python, that Pyodide starts from
it, and that the zip the server serves is that build's output."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flack import assets

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "frontend" / "node_modules" / "pyodide"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "precompile_stdlib", ROOT / "tools" / "precompile_stdlib.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


precompile_stdlib = _load()

MEMBERS = {
    "pkg/": b"",
    "pkg/__init__.py": b'"""Package doc."""\nVALUE = 1\n',
    "pkg/mod.py": (
        b'"""Module doc."""\nfrom __future__ import annotations\n\n'
        b'class Thing:\n    """Class doc."""\n\n\ndef check(x: int) -> int:\n'
        b'    """Function doc."""\n    assert x > 0, "positive"\n    return x * 2\n'
    ),
    "broken.py": b"def (:\n",
    "pkg/data.txt": b"not python",
}


@pytest.fixture
def compiled(tmp_path: Path) -> Path:
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w") as out:
        for name, data in MEMBERS.items():
            out.writestr(name, data)
    target = tmp_path / "compiled.zip"
    assert precompile_stdlib.precompile(str(source), str(target), str(target)) == (2, 1)
    return target


def test_modules_become_bytecode_and_the_rest_is_kept(compiled: Path) -> None:
    with zipfile.ZipFile(compiled) as zipped:
        names = zipped.namelist()
        assert names == ["pkg/", "pkg/__init__.pyc", "pkg/mod.pyc", "broken.py", "pkg/data.txt"]
        assert zipped.read("pkg/data.txt") == b"not python"
        assert zipped.read("broken.py") == MEMBERS["broken.py"]  # kept as it was
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zipped.infolist())
        for name in ("pkg/__init__.pyc", "pkg/mod.pyc"):
            assert zipped.read(name)[:4] == importlib.util.MAGIC_NUMBER


@pytest.fixture
def imported(compiled: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(compiled))
    try:
        yield importlib.import_module("pkg.mod")
    finally:
        sys.path.remove(str(compiled))
        for name in ("pkg", "pkg.mod"):
            sys.modules.pop(name, None)


def test_zipimport_loads_the_bytecode_without_docstrings_and_with_asserts(imported: ModuleType) -> None:
    assert imported.__file__ is not None and imported.__file__.endswith("mod.pyc")
    assert imported.check(2) == 4
    assert imported.__doc__ is None and imported.Thing.__doc__ is None and imported.check.__doc__ is None
    with pytest.raises(AssertionError, match="positive"):
        imported.check(0)  # asserts are kept, unlike python -OO


def test_the_output_is_reproducible(compiled: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.zip"
    source = tmp_path / "source.zip"
    precompile_stdlib.precompile(str(source), str(again), str(compiled))
    assert again.read_bytes() == compiled.read_bytes()


def test_a_body_that_was_only_a_docstring_still_compiles() -> None:
    data = precompile_stdlib.bytecode(
        b'def f():\n    """Only a docstring."""\n\nclass C:\n    "doc"\n', "x.py"
    )
    assert data is not None and data[:4] == importlib.util.MAGIC_NUMBER


def test_the_build_compiles_exactly_the_client_zips_members() -> None:
    """The client modules compiled at build time are the ones the server
    zips (flack/bundle.py), where it looks for them, named as the page finds them."""
    from flack import bundle
    from flack.transport.http import SHARED_MODULES

    compiled = {name for name, _ in precompile_stdlib.client_sources(str(ROOT))}
    zipped = {name for name, _ in bundle.client_members(SHARED_MODULES, ROOT / "frontend")}
    assert compiled - zipped == {"flack_client/main.py"} and zipped <= compiled
    assert precompile_stdlib.BYTECODE == f"frontend/{assets.BYTECODE_CHECKOUT}"
    assert precompile_stdlib.CLIENT_ZIP.endswith("/" + bundle.ZIP_NAME)


needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (PYODIDE / "pyodide.mjs").is_file(),
    reason="needs Node.js and frontend/node_modules (npm ci)",
)


@pytest.fixture(scope="module")
def pyodide_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The real script run on the npm package's files: a Pyodide folder whose
    standard library is its output, and the magic number Pyodide reported."""
    folder = tmp_path_factory.mktemp("pyodide")
    for name in (
        "pyodide.mjs",
        "pyodide.asm.mjs",
        "pyodide.asm.wasm",
        "pyodide-lock.json",
        "python_stdlib.zip",
    ):
        shutil.copyfile(PYODIDE / name, folder / name)
    script = ROOT / "tools" / "precompile_stdlib.mjs"
    done = subprocess.run(
        ["node", str(script), str(folder), str(folder / "python_stdlib.zip")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    # node_modules may hold the source zip (after a plain `npm ci`) or the
    # build hook's output already (run again, it compiles nothing new).
    _compiled, kept, magic = done.stdout.split()
    assert int(kept) == 0
    return folder, bytes.fromhex(magic)


def _modules(zipped: Path) -> tuple[list[str], set[bytes]]:
    with zipfile.ZipFile(zipped) as archive:
        sources = [name for name in archive.namelist() if name.endswith(".py")]
        magics = {archive.read(name)[:4] for name in archive.namelist() if name.endswith(".pyc")}
    return sources, magics


@needs_node
def test_pyodide_compiles_its_library_with_its_own_python(pyodide_build: tuple[Path, bytes]) -> None:
    folder, magic = pyodide_build
    assert magic != importlib.util.MAGIC_NUMBER  # not this interpreter's (3.11) bytecode
    sources, magics = _modules(folder / "python_stdlib.zip")
    assert sources == [] and magics == {magic}
    # Pyodide starts from it, is Python 3.14, and imports the bytecode.
    check = (
        "const {loadPyodide} = await import(process.argv[1] + '/pyodide.mjs');"
        "const py = await loadPyodide({indexURL: process.argv[1] + '/'});"
        "console.log(py.runPython("
        "'import sys, asyncio, importlib.util; "
        'f"{sys.version_info[:2]} {asyncio.__file__} {importlib.util.MAGIC_NUMBER.hex()}"\'));'
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", check, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    version, origin, running_magic = done.stdout.strip().rsplit(" ", 2)
    assert version == "(3, 14)"
    assert origin.endswith("asyncio/__init__.pyc")
    assert bytes.fromhex(running_magic) == magic


@needs_node
def test_the_served_library_is_the_precompiled_one(pyodide_build: tuple[Path, bytes]) -> None:
    """Whichever way Flack is installed (the wheel's web folder, or an
    editable install serving node_modules), the build hook ran the script."""
    served = assets.locate().vendor_file("pyodide", "python_stdlib.zip")
    assert served is not None
    sources, magics = _modules(served)
    assert sources == [] and magics == {pyodide_build[1]}


@needs_node
def test_the_served_client_bytecode_is_pyodides_and_matches_the_sources(
    pyodide_build: tuple[Path, bytes],
) -> None:
    """The build compiled the client with Pyodide's Python (tools/precompile_stdlib.mjs
    with the repository): checked hash-based .pyc whose hashes are Pyodide's hashes
    of today's sources, so the page's zipimport uses them (flack/bundle.py)."""
    from flack.bundle import client_members
    from flack.transport.http import SHARED_MODULES

    web = assets.locate()
    assert web.bytecode is not None
    members = client_members(SHARED_MODULES, web.app)
    pycs = {name: (web.bytecode / f"{name}c").read_bytes() for name, _ in members}
    assert {data[:4] for data in pycs.values()} == {pyodide_build[1]}
    assert {int.from_bytes(data[4:8], "little") for data in pycs.values()} == {0b11}  # hash-based, checked
    # Pyodide's own source hash of each source, computed in Pyodide.
    sources = {name: path.read_bytes().hex() for name, path in members}
    check = (
        "const {loadPyodide} = await import(process.argv[1] + '/pyodide.mjs');"
        "const {readFileSync} = await import('node:fs');"
        "const py = await loadPyodide({indexURL: process.argv[1] + '/'});"
        "py.globals.set('SOURCES', readFileSync(process.argv[2], 'utf8'));"
        "console.log(py.runPython('import json, importlib.util; json.dumps({n: "
        "importlib.util.source_hash(bytes.fromhex(s)).hex() for n, s in json.loads(SOURCES).items()})'));"
    )
    listed = pyodide_build[0] / "sources.json"
    listed.write_text(json.dumps(sources))
    done = subprocess.run(
        ["node", "--input-type=module", "-e", check, str(pyodide_build[0]), str(listed)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    hashes = json.loads(done.stdout)
    stale = [name for name, data in pycs.items() if data[8:16].hex() != hashes[name]]
    assert not stale, f"bytecode older than its source (rebuild): {stale}"
