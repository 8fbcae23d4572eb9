"""The web root serves an allow-list of files and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from flack.assets import VENDOR, WebRoot, assemble


@pytest.fixture
def web(tmp_path: Path) -> WebRoot:
    (tmp_path / "app" / "flack_client").mkdir(parents=True)
    for name in ("index.html", "style.css", "pyscript.json", "secret.txt", "flack_client/main.py"):
        (tmp_path / "app" / name).write_text(name)
    vendor = {}
    for name in VENDOR:
        folder = tmp_path / "vendor" / name
        folder.mkdir(parents=True)
        for file in ("core.js", "pyodide.mjs", "package.json", ".hidden.js"):
            (folder / file).write_text(file)
        vendor[name] = folder
    return WebRoot(tmp_path / "app", vendor)


def test_app_files_on_the_list_are_served(web: WebRoot) -> None:
    assert web.app_file("flack_client/main.py") == web.app / "flack_client" / "main.py"
    assert web.app_file("style.css") == web.app / "style.css"


def test_the_page_is_not_an_app_file(web: WebRoot) -> None:
    # Served at / only, with its policy; no second copy under /static/.
    assert web.page() == web.app / "index.html"
    assert web.app_file("index.html") is None


@pytest.mark.parametrize(
    "path",
    ["secret.txt", "../app/style.css", "flack_client/../style.css", "", "/etc/passwd", "flack_client/x.py"],
)
def test_other_app_paths_are_not(web: WebRoot, path: str) -> None:
    assert web.app_file(path) is None


def test_vendor_allow_list(web: WebRoot) -> None:
    assert web.vendor_file("pyscript", "core.js") is not None
    assert web.vendor_file("pyodide", "pyodide.mjs") is not None
    assert web.vendor_file("pyodide", "core.js") is None  # not on pyodide's list
    assert web.vendor_file("pyscript", "package.json") is None
    assert web.vendor_file("pyscript", ".hidden.js") is None
    assert web.vendor_file("pyscript", "../pyodide/pyodide.mjs") is None
    assert web.vendor_file("nope", "core.js") is None


def test_assemble_copies_only_what_is_served(tmp_path: Path) -> None:
    frontend = tmp_path / "frontend"
    (frontend / "flack_client").mkdir(parents=True)
    for name in ("index.html", "style.css", "pyscript.json", "package.json", "flack_client/main.py"):
        (frontend / name).write_text(name)
    for name, (src, patterns) in VENDOR.items():
        folder = frontend / "node_modules" / src
        folder.mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            (folder / pattern.replace("*", "x")).write_text(name)
        (folder / "README.md").write_text("no")
    dest = tmp_path / "web"
    assemble(frontend, dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert "package.json" not in copied and not any(p.endswith("README.md") for p in copied)
    assert {"index.html", "style.css", "pyscript.json", "flack_client/main.py"} <= set(copied)
    assert "vendor/pyodide/pyodide.asm.wasm" in copied and "vendor/socket.io/socket.io.min.js" in copied


def test_assemble_precompresses_big_vendor_files(tmp_path: Path) -> None:
    import gzip

    import brotli

    frontend = tmp_path / "frontend"
    frontend.mkdir()
    (frontend / "index.html").write_text("page")
    for name, (src, patterns) in VENDOR.items():
        folder = frontend / "node_modules" / src
        folder.mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            (folder / pattern.replace("*", "x")).write_text(name)
    wasm = frontend / "node_modules" / "pyodide" / "pyodide.asm.wasm"
    wasm.write_bytes(b"\x00asm" + bytes(range(256)) * 4000)  # compressible
    dest = tmp_path / "web"
    assemble(frontend, dest, brotli_quality=5)  # the build uses 11; slower, same format
    served = dest / "vendor" / "pyodide" / "pyodide.asm.wasm"
    packed = dest / "vendor" / "pyodide" / "pyodide.asm.wasm.gz"
    assert gzip.decompress(packed.read_bytes()) == wasm.read_bytes()
    assert WebRoot.gzipped(served) == packed
    squeezed = dest / "vendor" / "pyodide" / "pyodide.asm.wasm.br"
    assert brotli.decompress(squeezed.read_bytes()) == wasm.read_bytes()
    # The best encoding the browser offers; the file itself when it offers none.
    assert WebRoot.precompressed(served, "gzip, deflate, br, zstd") == (squeezed, "br", True)
    assert WebRoot.precompressed(served, "gzip;q=1.0, deflate") == (packed, "gzip", True)
    assert WebRoot.precompressed(served, "") == (served, None, True)
    # Tiny files that would not shrink are left alone.
    tiny = dest / "vendor" / "pyodide" / "pyodide.mjs"
    assert WebRoot.gzipped(tiny) is None
    assert WebRoot.precompressed(tiny, "gzip, br") == (tiny, None, False)


def test_every_file_the_page_names_is_served() -> None:
    """The page's scripts, styles and preload hints name files that exist:
    the modulepreloads name PyScript's hashed chunks (issue 13), which change
    with every @pyscript/core release, and a stale name would cost a 404."""
    import re

    from flack.assets import locate

    web = locate()
    page = web.page()
    assert page is not None
    urls = re.findall(r'(?:href|src)="(/(?:vendor|static)/[^"]+)"', page.read_text())
    assert len(urls) >= 8
    for url in urls:
        if url.startswith("/vendor/"):
            package, _, name = url.removeprefix("/vendor/").partition("/")
            assert web.vendor_file(package, name) is not None, url
        else:
            assert web.app_file(url.removeprefix("/static/")) is not None, url
