"""Where the page's files come from, in a wheel and in a source checkout.

The wheel carries an assembled ``flack/web`` folder (built by ``hatch_build.py``,
which imports this very file to know what to copy). A source checkout serves
``frontend/`` and the npm packages in ``frontend/node_modules`` directly, so
editing the client needs no rebuild. Stdlib only, no package-relative imports:
the build hook loads this module by path.
"""

from __future__ import annotations

import fnmatch
import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# The app's own files, relative to frontend/, served under /static/.
APP_FILES: tuple[str, ...] = ("style.css", "pyscript.json", "flack_client/*.py")
INDEX = "index.html"

# The client's bytecode, compiled by Pyodide at build time
# (tools/precompile_stdlib.mjs) and zipped with the sources by the server
# (flack/bundle.py): in a source checkout beside the npm packages (so that
# ``npm ci``, which empties node_modules, also drops bytecode of an older
# build), in a wheel in the web folder.
BYTECODE_CHECKOUT = "node_modules/flack-bytecode"
BYTECODE_WHEEL = "bytecode"

# URL folder under /vendor/ -> (folder in node_modules, file patterns served).
VENDOR: dict[str, tuple[str, tuple[str, ...]]] = {
    "pyscript": ("@pyscript/core/dist", ("*.js", "*.css")),
    "pyodide": (
        "pyodide",
        ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"),
    ),
    "socket.io": ("socket.io-client/dist", ("socket.io.min.js",)),
}


# Vendor files precompressed at build time. pyodide.asm.wasm alone is 9.6 MB
# raw, 3.5 MB gzipped (standard library) and 2.8 MB as brotli (the ``brotli``
# package, a build requirement): brotli is what keeps a first visit under
# 6 MB. Browsers offer brotli on HTTPS and on loopback; elsewhere they get gzip.
COMPRESSIBLE = (".wasm", ".mjs", ".js", ".css", ".json", ".zip")
# Per file format (none today). python_stdlib.zip used to be skipped (its
# members were deflated: brotli gained ~2 %); the build now writes it with
# stored members of bytecode (tools/precompile_stdlib.py), 9.2 MB that brotli
# takes to 2.5 MB in ~30 s of build time (gzip: 3.5 MB).
BROTLI_SKIP: tuple[str, ...] = ()
# Content-Encoding -> file suffix of the precompressed copy, best first.
ENCODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("gzip", ".gz"))


class AssetsMissing(RuntimeError):
    """The front-end files are not where they should be."""


@dataclass(frozen=True, slots=True)
class WebRoot:
    """The folders the page is served from."""

    app: Path
    vendor: dict[str, Path]
    # Where the build's bytecode of the client is (it may be missing).
    bytecode: Path | None = None

    def page(self) -> Path | None:
        """The page itself (served at ``/`` only, with its policy)."""
        return _inside(self.app, INDEX)

    def app_file(self, relative: str) -> Path | None:
        """The app file at ``relative`` (a URL path under /static/), if it is
        one we serve. Not the page: a second copy of it at another URL would
        be a working app wherever that URL's headers are weaker."""
        if not any(fnmatch.fnmatch(relative, p) for p in APP_FILES):
            return None
        return _inside(self.app, relative)

    def vendor_file(self, package: str, name: str) -> Path | None:
        """The vendor file ``name`` of ``package``, if it is one we serve."""
        entry = VENDOR.get(package)
        if entry is None or not any(fnmatch.fnmatch(name, p) for p in entry[1]):
            return None
        return _inside(self.vendor[package], name)

    @staticmethod
    def gzipped(path: Path) -> Path | None:
        """The build's gzip-compressed copy of ``path``, if it made one."""
        packed = path.with_name(path.name + ".gz")
        return packed if packed.is_file() else None

    @staticmethod
    def precompressed(path: Path, accept_encoding: str) -> tuple[Path, str | None, bool]:
        """What to send for ``path`` given the request's ``Accept-Encoding``:
        (file, its Content-Encoding or None, whether a compressed copy exists
        at all, so the answer depends on the header: ``Vary``)."""
        offered = accepted_encodings(accept_encoding)
        any_copy = False
        for encoding, suffix in ENCODINGS:
            packed = path.with_name(path.name + suffix)
            if packed.is_file():
                any_copy = True
                if encoding in offered:
                    return packed, encoding, True
        return path, None, any_copy


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header names, lower case."""
    return {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}


def _inside(folder: Path, relative: str) -> Path | None:
    # fnmatch's "*" also matches "/", so refuse anything that is not a plain
    # relative path before touching the file system.
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or "\\" in relative:
        return None
    path = folder.joinpath(*parts)
    return path if path.is_file() else None


def locate() -> WebRoot:
    """The installed web folder, or else the source checkout's front end."""
    packaged = Path(__file__).with_name("web")
    if (packaged / INDEX).is_file():
        vendor = {name: packaged / "vendor" / name for name in VENDOR}
        return WebRoot(packaged, vendor, packaged / BYTECODE_WHEEL)
    frontend = Path(__file__).resolve().parents[2] / "frontend"
    modules = frontend / "node_modules"
    if (frontend / INDEX).is_file() and modules.is_dir():
        vendor = {name: modules / src for name, (src, _) in VENDOR.items()}
        return WebRoot(frontend, vendor, frontend / BYTECODE_CHECKOUT)
    raise AssetsMissing(
        "Front-end assets not found: install Flack with `pip install .`, "
        "or run `npm ci` in frontend/ of a source checkout."
    )


def assemble(frontend: Path, dest: Path, brotli_quality: int = 11) -> None:
    """Copy the app files and the served vendor files into ``dest`` (for the
    wheel), with compressed copies of the big vendor files."""
    if dest.exists():
        shutil.rmtree(dest)
    patterns = (INDEX, *APP_FILES)
    for path in sorted(frontend.rglob("*")):
        relative = path.relative_to(frontend).as_posix()
        if (
            path.is_file()
            and not relative.startswith("node_modules/")
            and any(fnmatch.fnmatch(relative, p) for p in patterns)
        ):
            _copy(path, dest / relative)
    for name, (src, file_patterns) in VENDOR.items():
        source = frontend / "node_modules" / src
        copied = 0
        for path in sorted(source.iterdir()):
            if path.is_file() and any(fnmatch.fnmatch(path.name, p) for p in file_patterns):
                target = dest / "vendor" / name / path.name
                _copy(path, target)
                if path.suffix in COMPRESSIBLE:
                    _gzip(target)
                    if path.suffix not in BROTLI_SKIP:
                        _brotli(target, brotli_quality)
                copied += 1
        if not copied:
            raise AssetsMissing(f"No files for {name} in {source}; did `npm ci` run?")
    bytecode = frontend / BYTECODE_CHECKOUT
    if bytecode.is_dir():
        shutil.copytree(bytecode, dest / BYTECODE_WHEEL)


def _gzip(path: Path) -> None:
    """Write ``path.gz`` next to ``path`` if that saves at least a tenth."""
    data = path.read_bytes()
    packed = gzip.compress(data, compresslevel=9, mtime=0)  # mtime=0: reproducible builds
    if len(packed) < len(data) * 0.9:
        path.with_name(path.name + ".gz").write_bytes(packed)


def _brotli(path: Path, quality: int) -> None:
    """Write ``path.br`` next to ``path`` if that saves at least a tenth
    (nothing when the ``brotli`` package is missing: gzip still serves)."""
    try:
        import brotli  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    data = path.read_bytes()
    # lgwin 24 (16 MB) is the largest window browsers decode.
    packed = brotli.compress(data, quality=quality, lgwin=24)
    if len(packed) < len(data) * 0.9:
        path.with_name(path.name + ".br").write_bytes(packed)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
