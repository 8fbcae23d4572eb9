"""flack_client/warmstart.py: a start from the boot snapshot is checked
against today's files before the client imports anything (issue 13)."""

from __future__ import annotations

import hashlib
import random
import sys
import types
from pathlib import Path

from flack_client import warmstart
from flack_client.warmstart import Start, forget_client, is_stale, settle

CLIENT = Path(warmstart.__file__).parent


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(sources: dict[str, str]) -> types.ModuleType:
    record = types.ModuleType(warmstart.RECORD)
    record.sources = sources  # type: ignore[attr-defined]
    return record


FILES = {"/home/pyodide/flack_client/a.py": b"A = 1\n", "/home/pyodide/flack/__init__.py": b""}


def _modules(**extra: types.ModuleType) -> dict[str, types.ModuleType]:
    names = ["flack", "flack.protocol", "flack_client", "flack_client.a", "flackery", "json"]
    return {name: types.ModuleType(name) for name in names} | extra


def test_no_snapshot_is_a_fresh_start_and_touches_nothing() -> None:
    modules = _modules()
    assert settle(modules, FILES.get) is Start.FRESH
    assert set(modules) == set(_modules())


def test_a_current_snapshot_keeps_its_modules_and_drops_its_record() -> None:
    record = _record({path: _digest(data) for path, data in FILES.items()})
    modules = _modules(**{warmstart.RECORD: record})
    assert settle(modules, FILES.get) is Start.SNAPSHOT
    assert set(modules) == set(_modules())  # the record is gone, the rest kept


def test_a_changed_or_missing_file_forgets_every_client_module() -> None:
    for files in (
        {**FILES, "/home/pyodide/flack_client/a.py": b"A = 2\n"},
        {"/home/pyodide/flack/__init__.py": b""},
    ):
        record = _record({path: _digest(data) for path, data in FILES.items()})
        modules = _modules(**{warmstart.RECORD: record})
        assert settle(modules, files.get) is Start.STALE
        # Only the client's packages: a module merely named like them stays.
        assert set(modules) == {"flackery", "json"}


def test_is_stale_reads_every_file() -> None:
    sources = {path: _digest(data) for path, data in FILES.items()}
    assert not is_stale(sources, FILES.get)
    assert is_stale(sources, {}.get)
    assert is_stale({"x": _digest(b"old")}, {"x": b"new"}.get)


def test_forget_client_names_what_it_dropped() -> None:
    modules = _modules()
    assert sorted(forget_client(modules)) == ["flack", "flack.protocol", "flack_client", "flack_client.a"]


def test_a_snapshot_start_draws_random_again() -> None:
    # The snapshot froze random's state at build time: every page would
    # draw the same numbers.
    frozen = random.Random(7)
    state = frozen.getstate()
    module = types.ModuleType("random")
    module.seed = frozen.seed  # type: ignore[attr-defined]
    record = _record({})
    settle({"random": module, warmstart.RECORD: record}, FILES.get)
    assert frozen.getstate() != state


def test_warmstart_imports_nothing_of_the_client() -> None:
    # The judge must be today's code: the snapshot never pre-imports it, and
    # it must not pull in a (possibly stale) client module before judging.
    source = (CLIENT / "warmstart.py").read_text()
    assert "import flack" not in source and "from flack" not in source


def test_main_settles_before_importing_the_client() -> None:
    source = (CLIENT / "main.py").read_text()
    settled = source.index("settle()")
    assert settled < source.index("from flack.protocol import")
    others = [
        line
        for line in source.splitlines()
        if line.startswith("from flack_client.") and "warmstart" not in line
    ]
    assert all(source.index(line) > settled for line in others)


def test_the_real_module_table_is_the_default() -> None:
    assert settle.__defaults__ is not None and settle.__defaults__[0] is sys.modules
