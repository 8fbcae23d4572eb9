"""The page and its files over plain HTTP."""

from __future__ import annotations

import gzip
import io
import json
import urllib.error
import urllib.request
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from flack import protocol
from flack.assets import WebRoot


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (case-insensitive) and body of a GET."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=5
        ) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def test_page_is_served_with_safety_headers(server_url: str) -> None:
    status, headers, body = get(server_url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"data-ready" not in body.split(b"<body", 1)[1].split(b">", 1)[0]  # set only by Python


def test_browser_gets_the_servers_own_protocol_package(server_url: str) -> None:
    package = Path(protocol.__file__).parent
    modules = sorted(path.name for path in package.glob("*.py"))
    assert "shapes.py" in modules and "events.py" in modules
    for name in modules:
        status, _, body = get(f"{server_url}/py/flack/protocol/{name}")
        assert status == 200 and body == (package / name).read_bytes(), name


def test_the_page_loads_every_protocol_module_and_nothing_else_of_the_server(server_url: str) -> None:
    # The page gets the client's modules as one zip (flack/bundle.py).
    config = json.loads((Path(__file__).parents[2] / "frontend" / "pyscript.json").read_text())
    (url,) = config["files"]
    status, headers, body = get(server_url + url)
    assert status == 200 and headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        served = {name for name in names if name.startswith("flack/") and name.endswith(".py")}
        package = Path(protocol.__file__).parent
        assert served == {"flack/__init__.py"} | {f"flack/protocol/{p.name}" for p in package.glob("*.py")}
        assert archive.read("flack/protocol/shapes.py") == (package / "shapes.py").read_bytes()
        client = Path(__file__).parents[2] / "frontend" / "flack_client"
        assert {n for n in names if n.startswith("flack_client/") and n.endswith(".py")} == {
            f"flack_client/{p.name}" for p in client.glob("*.py") if p.name != "main.py"
        }
        # Every module with the build's bytecode beside it.
        assert {n for n in names if n.endswith(".pyc")} == {n + "c" for n in names if n.endswith(".py")}


def test_the_client_zip_is_gzipped_for_browsers_that_accept_it(server_url: str) -> None:
    status, headers, body = get(server_url + "/static/client.zip", {"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    _, plain_headers, plain = get(server_url + "/static/client.zip")
    assert "Content-Encoding" not in plain_headers and gzip.decompress(body) == plain
    assert len(body) < len(plain) / 2


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/vendor/pyodide/pyodide.asm.wasm", "application/wasm"),
        ("/vendor/pyodide/pyodide.mjs", "text/javascript"),
        ("/vendor/pyscript/core.js", "text/javascript"),
        ("/vendor/socket.io/socket.io.min.js", "text/javascript"),
        ("/static/style.css", "text/css"),
        ("/static/pyscript.json", "application/json"),
        ("/static/flack_client/main.py", "text/x-python"),
    ],
)
def test_assets_are_served_with_right_types(server_url: str, path: str, mime: str) -> None:
    status, headers, body = get(server_url + path)
    assert status == 200 and headers["Content-Type"].startswith(mime) and body


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/package.json",
        "/static/node_modules/pyodide/package.json",
        "/vendor/pyodide/package.json",
        "/vendor/pyodide/..%2f..%2fpackage.json",
        "/vendor/nope/core.js",
        "/py/flack/app.py",
        "/py/flack/config.py",
        "/py/flack/protocol/../app.py",
        "/py/flack/protocol/%2e%2e/app.py",
        "/py/flack/core/chat.py",
    ],
)
def test_nothing_else_is_served(server_url: str, path: str) -> None:
    assert get(server_url + path)[0] == 404


async def test_page_content_security_policy(server_url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(server_url + "/") as response:
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    # Pyodide needs to compile WebAssembly and evaluate its own glue; never inline scripts.
    assert set(directives["script-src"]) == {"'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"}
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    # Forms are dialogs (method="dialog"): a native submission, were one ever
    # to happen before the client is ready, is blocked by the browser too.
    assert directives["form-action"] == ["'none'"]
    assert not any(source.startswith(("http", "*")) for values in directives.values() for source in values)


def test_the_page_has_one_address(server_url: str) -> None:
    # A second copy (it was /static/index.html) served the working app without
    # the page's policy, so another site could frame it with its visitor's
    # identity inside.
    for path in ("/static/index.html", "/static/./index.html", "/static/INDEX.HTML", "/index.html"):
        assert get(server_url + path)[0] == 404, path


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def assert_protected(headers: Message, what: str) -> None:
    for name, value in SECURITY.items():
        assert headers[name] == value, (what, name, headers[name])
    policy = headers["Content-Security-Policy"] or ""
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ") if d}
    assert directives.get("frame-ancestors") == ["'none'"], (what, policy)


def raw(
    server_url: str, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, Message]:
    request = urllib.request.Request(
        server_url + path, method=method, headers=headers or {}, data=b"x" if method == "PUT" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/", {}),
        ("GET", "/static/style.css", {}),
        ("GET", "/static/flack_client/main.py", {}),
        ("GET", "/vendor/socket.io/socket.io.min.js", {}),
        ("GET", "/vendor/pyodide/pyodide-lock.json", {"Accept-Encoding": "gzip, br"}),
        ("GET", "/py/flack/protocol/shapes.py", {}),
        ("GET", "/healthz", {}),
        ("GET", "/nothing-here", {}),
        ("POST", "/healthz", {}),
        ("GET", "/static/index.html", {}),
        ("GET", "/socket.io/?EIO=4&transport=polling", {}),
        ("GET", "/socket.io/?EIO=3&transport=polling", {}),
        ("GET", "/socket.io/?EIO=4&transport=polling&sid=nope", {}),
        ("GET", "/uploads/nope", {}),
        ("PUT", "/uploads/nope", {"Upload-Offset": "0"}),
        ("DELETE", "/uploads/nope", {}),
        ("GET", "/files/nope/a.txt", {}),
        ("GET", "/healthz", {"Host": "evil.example"}),
    ],
)
def test_every_response_carries_the_security_headers(
    server_url: str, method: str, path: str, headers: dict[str, str]
) -> None:
    status, answer = raw(server_url, method, path, headers)
    assert status, path
    assert_protected(answer, f"{method} {path} -> {status}")


def test_a_not_modified_answer_carries_them_too(server_url: str) -> None:
    url = server_url + "/static/style.css"
    with urllib.request.urlopen(url) as response:
        last_modified = response.headers["Last-Modified"]
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(urllib.request.Request(url, headers={"If-Modified-Since": last_modified}))
    assert answer.value.code == 304
    assert_protected(answer.value.headers, "304")


def test_unchanged_assets_are_revalidated_with_304(server_url: str) -> None:
    url = server_url + "/vendor/pyodide/pyodide.asm.wasm"
    with urllib.request.urlopen(url) as response:
        last_modified = response.headers["Last-Modified"]
        assert response.headers["Cache-Control"] == "no-cache" and len(response.read()) > 1_000_000
    request = urllib.request.Request(url, headers={"If-Modified-Since": last_modified})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request)
    assert answer.value.code == 304 and answer.value.read() == b""


def test_big_assets_travel_compressed_when_the_browser_accepts_it(server_url: str) -> None:
    import gzip

    import brotli

    from flack.assets import locate

    web = locate()
    wasm = web.vendor_file("pyodide", "pyodide.asm.wasm")
    if wasm is None or WebRoot.gzipped(wasm) is None:
        pytest.skip("a source checkout serves node_modules as is; the built wheel has the compressed copies")
    url = server_url + "/vendor/pyodide/pyodide.asm.wasm"
    unpack = {"br": brotli.decompress, "gzip": gzip.decompress}
    for offered, expected in (("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip")):
        request = urllib.request.Request(url, headers={"Accept-Encoding": offered})
        with urllib.request.urlopen(request) as response:
            body = response.read()
            assert response.headers["Content-Encoding"] == expected
            assert response.headers["Content-Type"] == "application/wasm"
            assert response.headers["Vary"] == "Accept-Encoding"
        assert unpack[expected](body) == wasm.read_bytes()
        assert len(body) < wasm.stat().st_size / 2
