"""The noxfile's rebuild decision (tools/build_stamp.py): a restart skips the
wheel build only when nothing the wheel is built from changed."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_stamp", ROOT / "tools" / "build_stamp.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_stamp = _load()

FILES = {
    "pyproject.toml": "[project]\nname = 'flack'\n",
    "hatch_build.py": "# hook\n",
    "tools/precompile_stdlib.mjs": "// build script\n",
    "tools/precompile_stdlib.py": "# run inside Pyodide\n",
    "tools/make_confusables.py": "# a maintainer's tool, not a build input\n",
    "README.md": "# Flack\n",
    "backend/flack/__init__.py": "__version__ = '0.1.0'\n",
    "backend/flack/app.py": "x = 1\n",
    "backend/flack/protocol/limits.py": "HISTORY_LIMIT = 100\n",
    "frontend/index.html": "<!doctype html>\n",
    "frontend/style.css": "body {}\n",
    "frontend/package.json": "{}\n",
    "frontend/package-lock.json": '{"lockfileVersion": 3}\n',
    "frontend/flack_client/main.py": "pass\n",
    "frontend/node_modules/pyodide/pyodide.mjs": "export {}\n",
    "backend/flack/__pycache__/app.cpython-311.pyc": "\x00",
    "backend/flack/web/index.html": "<!doctype html>\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for relative, text in FILES.items():
        path = tmp_path / "repo" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "repo"


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "# changed\n")


@pytest.mark.parametrize(
    "relative",
    [
        "pyproject.toml",
        "hatch_build.py",
        "tools/precompile_stdlib.mjs",
        "tools/precompile_stdlib.py",
        "backend/flack/app.py",
        "backend/flack/protocol/limits.py",
        "frontend/index.html",
        "frontend/style.css",
        "frontend/package.json",
        "frontend/package-lock.json",
        "frontend/flack_client/main.py",
    ],
)
def test_a_change_to_anything_the_wheel_is_built_from_means_a_rebuild(repo: Path, relative: str) -> None:
    before = build_stamp.fingerprint(repo)
    _edit(repo / relative)
    assert build_stamp.fingerprint(repo) != before


def test_a_new_file_a_removed_file_or_a_rename_means_a_rebuild(repo: Path) -> None:
    first = build_stamp.fingerprint(repo)
    (repo / "backend/flack/new_module.py").write_text("pass\n")
    second = build_stamp.fingerprint(repo)
    (repo / "backend/flack/new_module.py").rename(repo / "backend/flack/renamed.py")
    third = build_stamp.fingerprint(repo)
    (repo / "backend/flack/renamed.py").unlink()
    assert len({first, second, third}) == 3
    assert build_stamp.fingerprint(repo) == first


@pytest.mark.parametrize(
    "relative",
    [
        "README.md",  # the long description only
        "tools/make_confusables.py",  # run by hand; its output is committed
        "frontend/node_modules/pyodide/pyodide.mjs",  # npm ci makes it from the lock file
        "backend/flack/__pycache__/app.cpython-311.pyc",
        "backend/flack/web/index.html",  # build output, excluded from the wheel
    ],
)
def test_build_output_caches_and_the_readme_are_not_inputs(repo: Path, relative: str) -> None:
    before = build_stamp.fingerprint(repo)
    _edit(repo / relative)
    (repo / "frontend/.index.html.swp").write_text("editor")
    assert build_stamp.fingerprint(repo) == before


def test_the_fingerprint_of_this_checkout_covers_the_real_inputs() -> None:
    covered = {path.relative_to(ROOT).as_posix() for path in build_stamp.input_files(ROOT)}
    for expected in (
        "pyproject.toml",
        "hatch_build.py",
        "tools/precompile_stdlib.mjs",
        "tools/precompile_stdlib.py",
        "backend/flack/app.py",
        "backend/flack/assets.py",
        "frontend/index.html",
        "frontend/package-lock.json",
        "frontend/flack_client/main.py",
    ):
        assert expected in covered
    assert not any("node_modules" in path or "__pycache__" in path for path in covered)


def _install(venv: Path, content: str) -> None:
    """What pip leaves behind: the distribution's RECORD."""
    record = venv / "lib/python3.11/site-packages/flack-0.1.0.dist-info/RECORD"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(content)


def test_a_stamped_install_is_current_until_sources_extras_or_the_install_change(
    repo: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    sources = build_stamp.fingerprint(repo)
    assert not build_stamp.is_current(venv, sources, "")  # a fresh virtualenv: install
    _install(venv, "flack/app.py,sha256=abc,10\n")
    assert not build_stamp.is_current(venv, sources, "")  # installed, but never stamped
    build_stamp.write(venv, sources, "")
    assert build_stamp.is_current(venv, sources, "")
    assert not build_stamp.is_current(venv, sources, "test")  # other extras
    _edit(repo / "frontend/style.css")
    assert not build_stamp.is_current(venv, build_stamp.fingerprint(repo), "")  # changed sources
    _install(venv, "__editable__.flack-0.1.0.pth,sha256=def,10\n")  # pip install -e . by hand
    assert not build_stamp.is_current(venv, sources, "")
    build_stamp.write(venv, sources, "")
    assert build_stamp.is_current(venv, sources, "")
    build_stamp.forget(venv)  # an install began (and may fail)
    assert not build_stamp.is_current(venv, sources, "")


def test_an_uninstalled_or_damaged_stamp_is_not_current(repo: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _install(venv, "flack/app.py,sha256=abc,10\n")
    sources = build_stamp.fingerprint(repo)
    build_stamp.write(venv, sources, "")
    (venv / "lib/python3.11/site-packages/flack-0.1.0.dist-info/RECORD").unlink()
    assert not build_stamp.is_current(venv, sources, "")
    _install(venv, "flack/app.py,sha256=abc,10\n")
    (venv / build_stamp.STAMP).write_text("[not, json")
    assert not build_stamp.is_current(venv, sources, "")


def test_a_real_install_changes_the_record_state_even_with_the_same_files(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert build_stamp.record_state(venv) is None
    _install(venv, "same\n")
    first = build_stamp.record_state(venv)
    record = build_stamp.installed_record(venv)
    assert record is not None
    assert build_stamp.record_state(venv) == first  # nothing installed (nox --no-install)
    record.unlink()  # pip removes the old distribution, then writes the new one
    _install(venv, "same\n")
    # A build takes seconds: the new file is written later (set here, since
    # a test is faster than the file system's clock).
    later = record.stat().st_mtime_ns + 1_000_000_000
    os.utime(record, ns=(later, later))
    assert build_stamp.record_state(venv) != first
