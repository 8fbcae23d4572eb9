"""The client's Python as one zip, with bytecode where the build made it (issue 13).

PyScript used to fetch the client's modules one by one (34 requests) and
CPython compiled each of them in the page, on every start. The page now gets
one file, ``/static/<stamp>/client.zip``: ``pyscript.json`` writes it into
Pyodide's working folder and ``main.py`` puts it on ``sys.path``. It holds
every module's source and, beside each (``x.pyc`` next to ``x.py``, where
zipimport looks), the bytecode Pyodide itself compiled at build time
(``tools/precompile_stdlib.py``).

That bytecode is hash-based and *checked* (PEP 552): zipimport compares the
source hash stored in it with the source beside it, and compiles the source
when they differ. So the zip is assembled here, by the server, from the
sources as they are now: a source checkout edited after its build serves its
edits at once (those modules compiled in the page until the next build),
never stale bytecode. ``main.py`` is not in it: it is the page's script.

Members are stored, not deflated: zipimport then reads them without
inflating each (measured in Node with this Pyodide: importing the client took
~190-210 ms from sources, 65-100 ms with bytecode in a deflated zip, 59 ms
stored). The whole zip is gzipped once for the wire instead (~750 kB ->
~200 kB), which the browser undoes in a few ms.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

ZIP_NAME = "client.zip"
# Every entry gets this date: the same sources give the same bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def client_members(shared: dict[str, Path], app: Path) -> list[tuple[str, Path]]:
    """(name in the zip, source file) for the shared package (``shared``: its
    files by path under ``flack/``) and the client's modules in ``app``."""
    members = [(f"flack/{name}", path) for name, path in sorted(shared.items())]
    client = sorted((app / "flack_client").glob("*.py"))
    members += [(f"flack_client/{path.name}", path) for path in client if path.name != "main.py"]
    return members


def build(members: Iterable[tuple[str, Path]], bytecode: Path | None) -> bytes:
    """The zip: each source, and its build-time bytecode from ``bytecode``
    (``<name>c`` there) when the build made one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
        for name, source in members:
            _add(out, name, source.read_bytes())
            compiled = bytecode / f"{name}c" if bytecode is not None else None
            if compiled is not None and compiled.is_file():
                _add(out, f"{name}c", compiled.read_bytes())
    return buffer.getvalue()


def _add(out: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    entry.external_attr = 0o644 << 16
    out.writestr(entry, data)


class Bundle:
    """The zip for the current sources, made once per app stamp."""

    def __init__(self, members: Callable[[], list[tuple[str, Path]]], bytecode: Path | None) -> None:
        self._members = members
        self._bytecode = bytecode
        self._made: tuple[str, bytes, bytes] | None = None

    def files(self) -> list[Path]:
        """Every file the zip is made from (sources and bytecode), for the stamp."""
        found = [path for _, path in self._members()]
        if self._bytecode is not None and self._bytecode.is_dir():
            found += sorted(p for p in self._bytecode.rglob("*.pyc") if p.is_file())
        return found

    def data(self, stamp: str) -> tuple[bytes, bytes]:
        """The zip for ``stamp`` (the app's current stamp, which covers every
        file it is made from), and the same gzipped: made again only when the
        stamp moves."""
        if self._made is None or self._made[0] != stamp:
            data = build(self._members(), self._bytecode)
            self._made = (stamp, data, gzip.compress(data, compresslevel=6, mtime=0))
        return self._made[1], self._made[2]
