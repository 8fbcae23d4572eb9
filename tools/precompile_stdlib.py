"""Replace the ``.py`` modules of a zip with bytecode (``.pyc``) for zipimport.

Run inside Pyodide by ``tools/precompile_stdlib.mjs`` at wheel build time, so
the bytecode comes from the very interpreter that will load it (Pyodide's
CPython 3.14; the build host's Python is another version, whose bytecode would
be refused). Also importable under any CPython, which is how it is tested.

Each ``name.py`` becomes ``name.pyc`` at the same place in the zip: zipimport
looks for ``name.pyc`` beside where ``name.py`` would be (no ``__pycache__``).
The ``.pyc`` is hash-based and unchecked (PEP 552): it does not depend on a
time stamp, so the build is reproducible, and zipimport never looks for a
source to compare it with. The source is left out (a traceback then shows no
source lines). A module that does not compile (none in 314.0.7) is kept as
source. Other members and the member order are kept; every entry gets the same
fixed date (reproducible).

The same run compiles the client's own modules (``compile_client``) for the
zip the server makes of them (``flack/bundle.py``).

Size: bytecode is bigger than source (559 modules: 10.5 MB against 9.6 MB
raw). Two choices keep a first visit's bytes where they were: docstrings are
left out (as ``python -OO`` does, ~14 % of the bytecode; asserts stay, unlike
``-OO``, so the standard library behaves exactly as usual but for ``__doc__``
being None), and members are stored, not deflated, so the whole zip is
compressed as one stream on the wire (brotli at build time: 2.6 MB, against
4.0 MB for deflated members; reading stored members is also the cheapest).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import sys
import zipfile
from importlib import _bootstrap_external  # type: ignore[attr-defined]

# zipimport's fallback date; the zip's own dates only ever matter to timestamp .pyc.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def without_docstrings(tree: ast.Module) -> ast.Module:
    """``tree`` with the docstring of its module, classes and functions left
    out (a body left empty gets ``pass`` on the docstring's line)."""
    for node in ast.walk(tree):
        if not isinstance(node, _DOCUMENTED) or not node.body:
            continue
        first = node.body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            node.body = node.body[1:] or [ast.copy_location(ast.Pass(), first)]
    return tree


def bytecode(source: bytes, filename: str) -> bytes | None:
    """The ``.pyc`` bytes of ``source`` for the running interpreter (without
    docstrings), or None if it does not compile. ``filename`` is what
    tracebacks will name."""
    try:
        tree = ast.parse(source, filename)
        code = compile(without_docstrings(tree), filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    data: bytes = _bootstrap_external._code_to_hash_pyc(
        code, importlib.util.source_hash(source), checked=False
    )
    return data


def precompile(source_zip: str, target_zip: str, prefix: str) -> tuple[int, int]:
    """Write ``target_zip``: ``source_zip`` with its modules compiled.
    ``prefix`` is where the zip is mounted (e.g. ``/lib/python314.zip``), for
    the file names in code objects. Returns (compiled, kept as source)."""
    compiled = kept = 0
    with zipfile.ZipFile(source_zip) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(target_zip, "w", zipfile.ZIP_STORED) as out:
        for info, data in members:
            name = info.filename
            if name.endswith(".py"):
                pyc = bytecode(data, f"{prefix}/{name}")
                if pyc is None:
                    kept += 1
                else:
                    name, data, compiled = name + "c", pyc, compiled + 1
            entry = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            entry.external_attr = info.external_attr
            out.writestr(entry, data)
    return compiled, kept


# The client's bytecode (issue 13; see flack/bundle.py): where it goes, relative
# to the repository (flack/assets.py's BYTECODE_CHECKOUT), and where the page's
# zipimport finds the zip (pyscript.json writes client.zip into Pyodide's
# working folder), which becomes each code object's file name.
BYTECODE = "frontend/node_modules/flack-bytecode"
CLIENT_ZIP = "/home/pyodide/client.zip"


def client_sources(repository: str) -> list[tuple[str, str]]:
    """(name in the client zip, source path) for every module the page may
    import from it: the shared package and the client (as flack/bundle.py's
    ``client_members``, which a test holds this to; main.py is compiled too,
    unused)."""
    found = [("flack/__init__.py", f"{repository}/backend/flack/__init__.py")]
    for folder, prefix in (
        ("backend/flack/protocol", "flack/protocol"),
        ("frontend/flack_client", "flack_client"),
    ):
        for name in sorted(os.listdir(f"{repository}/{folder}")):
            if name.endswith(".py"):
                found.append((f"{prefix}/{name}", f"{repository}/{folder}/{name}"))
    return found


def compile_client(repository: str) -> int:
    """Write checked-hash bytecode (PEP 552) of the client's modules under
    ``<repository>/BYTECODE``, docstrings kept (the client's are few and
    tracebacks stay as in the source); how many. Checked, because the
    server zips it beside sources that may have changed since: zipimport
    then compiles the source instead."""
    target = f"{repository}/{BYTECODE}"
    shutil.rmtree(target, ignore_errors=True)
    done = 0
    for name, path in client_sources(repository):
        with open(path, "rb") as file:
            source = file.read()
        code = compile(source, f"{CLIENT_ZIP}/{name}", "exec", dont_inherit=True)
        data = _bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(source), checked=True)
        os.makedirs(os.path.dirname(f"{target}/{name}"), exist_ok=True)
        with open(f"{target}/{name}c", "wb") as file:
            file.write(data)
        done += 1
    return done


def mounted_zip() -> str:
    """Where the running interpreter's standard library zip is (on sys.path)."""
    return next(p for p in sys.path if p.endswith(".zip"))
