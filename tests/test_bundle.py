"""The client's zip (flack/bundle.py, issue 13): every source, with the
build's bytecode beside it, which zipimport uses while it matches the source
and ignores once the source has changed (checked hash-based .pyc, PEP 552).

zipimport is exercised here under CPython with this interpreter's bytecode
(same rules as Pyodide's); tests/test_precompile_stdlib.py checks the real
build's bytecode with the real Pyodide."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from importlib import _bootstrap_external  # type: ignore[attr-defined]
from pathlib import Path

from flack import bundle
from flack.bundle import Bundle, build, client_members
from flack.transport.http import SHARED_MODULES

ROOT = Path(__file__).resolve().parents[1]


def _checked_pyc(source: bytes, filename: str, compiled_from: bytes | None = None) -> bytes:
    """This interpreter's checked .pyc of ``compiled_from`` (default: ``source``),
    carrying ``source``'s hash."""
    code = compile(compiled_from or source, filename, "exec", dont_inherit=True)
    data: bytes = _bootstrap_external._code_to_hash_pyc(
        code, importlib.util.source_hash(source), checked=True
    )
    return data


def _import_from(zipped: Path, module: str) -> str:
    """``module.VALUE`` imported in a fresh interpreter from ``zipped``."""
    check = f"import sys; sys.path.insert(0, {str(zipped)!r}); import {module} as m; print(m.VALUE)"
    return subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_members_are_the_shared_package_and_the_client_but_main(tmp_path: Path) -> None:
    names = [name for name, _ in client_members(SHARED_MODULES, ROOT / "frontend")]
    client = sorted(p.name for p in (ROOT / "frontend" / "flack_client").glob("*.py"))
    assert "flack/__init__.py" in names and "flack/protocol/shapes.py" in names
    assert {n.removeprefix("flack_client/") for n in names if n.startswith("flack_client/")} == set(
        client
    ) - {"main.py"}
    assert len(names) == len(set(names)) == len(SHARED_MODULES) + len(client) - 1


def test_the_zip_is_sources_and_bytecode_stored_and_reproducible(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_bytes(b"VALUE = 'from source'\n")
    (tmp_path / "bytecode").mkdir()
    (tmp_path / "bytecode" / "mod.pyc").write_bytes(b"bytes of bytecode")
    data = build([("mod.py", source), ("other.py", source)], tmp_path / "bytecode")
    assert data == build([("mod.py", source), ("other.py", source)], tmp_path / "bytecode")
    zipped = tmp_path / "c.zip"
    zipped.write_bytes(data)
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist() == ["mod.py", "mod.pyc", "other.py"]  # no bytecode for other.py
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}


def test_zipimport_uses_current_bytecode_and_compiles_a_changed_source(tmp_path: Path) -> None:
    source = b"VALUE = 'from source'\n"
    # Bytecode that says something else but carries this source's hash: if
    # the import prints its value, the bytecode was used, not compiled.
    pyc = _checked_pyc(source, "mod.py", compiled_from=b"VALUE = 'from bytecode'\n")
    (tmp_path / "bytecode").mkdir()
    (tmp_path / "bytecode" / "mod.pyc").write_bytes(pyc)
    module = tmp_path / "mod.py"
    module.write_bytes(source)
    current = tmp_path / "current.zip"
    current.write_bytes(build([("mod.py", module)], tmp_path / "bytecode"))
    assert _import_from(current, "mod") == "from bytecode"
    # The source edited after the build: its hash no longer matches.
    module.write_bytes(b"VALUE = 'edited'\n")
    edited = tmp_path / "edited.zip"
    edited.write_bytes(build([("mod.py", module)], tmp_path / "bytecode"))
    assert _import_from(edited, "mod") == "edited"


def test_a_bundle_is_made_once_per_stamp_and_gzipped(tmp_path: Path) -> None:
    import gzip

    module = tmp_path / "mod.py"
    module.write_text("VALUE = 1\n")
    made = Bundle(lambda: [("mod.py", module)], None)
    first = made.data("a" * 16)
    module.write_text("VALUE = 2\n")
    assert made.data("a" * 16) is not None and made.data("a" * 16)[0] == first[0]  # same stamp: kept
    second = made.data("b" * 16)
    assert second[0] != first[0] and gzip.decompress(second[1]) == second[0]
    assert made.files() == [module]


def test_the_page_and_the_server_agree_on_the_zip() -> None:
    config = json.loads((ROOT / "frontend" / "pyscript.json").read_text())
    assert config["files"] == {f"/static/{bundle.ZIP_NAME}": f"./{bundle.ZIP_NAME}"}
    main = (ROOT / "frontend" / "flack_client" / "main.py").read_text()
    assert f'CLIENT_ZIP = "{bundle.ZIP_NAME}"' in main
    # On sys.path before the client's first import.
    assert main.index("sys.path.insert(0,") < main.index("from flack.protocol import")
