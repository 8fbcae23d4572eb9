"""HTTP routes: the page, its files, the shared protocol module, health;
and the security headers every response carries."""

from __future__ import annotations

import functools
import hashlib
import mimetypes
from pathlib import Path

from sanic import Request, Sanic
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, file, json

import flack
from flack import protocol
from flack.assets import APP_FILES, VENDOR, WebRoot, accepted_encodings
from flack.bundle import ZIP_NAME, Bundle, client_members
from flack.stamps import IMMUTABLE, Group, Stamps

# Python's table lacks some of these on older systems; wrong types break
# module scripts (.mjs) and streaming WebAssembly compilation (.wasm).
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/x-python", ".py")

# The only server-package files the browser may fetch: the shared protocol
# package and the (import-free) package marker it lives in.
_PROTOCOL = Path(protocol.__file__).parent
SHARED_MODULES: dict[str, Path] = {
    "__init__.py": Path(flack.__file__),
    **{f"protocol/{path.name}": path for path in sorted(_PROTOCOL.glob("*.py"))},
}

# PyScript's configuration: served with its URLs stamped, like the page.
CONFIG = "pyscript.json"

# The page may load and connect to its own origin only. Pyodide compiles
# WebAssembly ('wasm-unsafe-eval'); PyScript adds style attributes and
# elements at run time ('unsafe-inline' for styles only); previews and the
# name dialog's data: favicon are images. No inline or foreign scripts, and
# no page may frame it.
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",  # no form ever submits natively (issue 12)
        "frame-ancestors 'none'",
    ]
)

# One set of headers on every response of the server, whatever answers it
# (a route, an error, python-socketio's polling, a refusal at the edge): the
# HTTP edge adds each one a response does not set itself (transport/http_guard.py).
# Downloads set a stricter Content-Security-Policy of their own (files.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


async def _send(request: Request, path: Path | None, immutable: bool = False) -> HTTPResponse:
    if path is None:
        raise NotFound("Not found")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # A stamped URL (stamps.py) names these exact bytes: cached for good, no
    # round trip on a repeat visit. Otherwise no-cache: the browser keeps a
    # copy but revalidates it each time, and an unchanged file costs a 304
    # (Last-Modified / If-Modified-Since) instead of its bytes.
    # Lower case: Sanic's file() adds its own "cache-control" unless this key
    # is already there (a second, contradicting header otherwise).
    headers = {"cache-control": IMMUTABLE if immutable else "no-cache"}
    sent, encoding, varies = WebRoot.precompressed(path, request.headers.get("accept-encoding", ""))
    if varies:
        headers["Vary"] = "Accept-Encoding"
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        path = sent
    return await file(path, request_headers=request.headers, mime_type=mime, headers=headers)


# Every route that reads answers HEAD too (uptime checks use it): the same
# status and headers as GET, and no body. Both servers drop the body of a
# HEAD response themselves (uvicorn, and Sanic's own HTTP/1.1), keeping the
# headers the route set, Content-Length included.
READ = ("GET", "HEAD")


def bundle_for(web: WebRoot) -> Bundle:
    """The client's zip (flack/bundle.py) for ``web``."""
    return Bundle(lambda: client_members(SHARED_MODULES, web.app), web.bytecode)


def stamps_for(web: WebRoot, bundle: Bundle) -> Stamps:
    """The stamp groups of ``web``: one per vendor package, and one for the
    app's files with the shared modules and the client's bytecode (mixing in
    the vendor stamps, since pyscript.json names Pyodide's stamped URL)."""

    def vendor_files(package: str) -> list[Path]:
        folder = web.vendor[package]
        return [p for p in folder.iterdir() if p.is_file() and web.vendor_file(package, p.name) is not None]

    vendor = {f"/vendor/{name}/": Group(functools.partial(vendor_files, name)) for name in VENDOR}

    def app_files() -> list[Path]:
        own = [p for pattern in APP_FILES for p in web.app.glob(pattern) if p.is_file()]
        return [*own, *SHARED_MODULES.values(), *bundle.files()]

    app = Group(app_files, extra=lambda: ",".join(group.stamp() for group in vendor.values()))
    return Stamps({**vendor, "/static/": app, "/py/flack/": app})


def _stamped(request: Request, text: str, mime: str, immutable: bool = False) -> HTTPResponse:
    """A text with stamped URLs: revalidated by its ETag unless immutable."""
    return _bytes(request, text.encode(), mime, immutable)


def _bytes(
    request: Request, body: bytes, mime: str, immutable: bool = False, gzipped: bytes | None = None
) -> HTTPResponse:
    """Bytes made by the server: revalidated by their ETag unless immutable;
    ``gzipped`` (the same, gzipped) is sent to a browser that accepts it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": IMMUTABLE if immutable else "no-cache", "ETag": etag}
    if gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in accepted_encodings(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            body = gzipped
    if request.headers.get("if-none-match") == etag:
        return HTTPResponse(status=304, headers=headers)
    return HTTPResponse(body, headers=headers, content_type=mime)


def add_routes(app: Sanic, web: WebRoot) -> None:
    """Register the HTTP routes on ``app`` (each answers GET and HEAD)."""
    bundle = bundle_for(web)
    stamps = stamps_for(web, bundle)

    @app.after_server_start
    async def hash_the_files(app: Sanic, _: object = None) -> None:
        # Once, at start (~0.1 s for Pyodide's 14 MB), rather than in the
        # first visitor's page request; the client's zip too (~30 ms).
        stamps.current()
        bundle.data(stamps.groups["/static/"].stamp())

    @app.route("/", methods=READ, name="index")
    async def index(request: Request) -> HTTPResponse:
        page = web.page()
        if page is None:
            raise NotFound("Not found")
        # Always revalidated (no-cache), so a new release's stamps reach the
        # browser on its next visit.
        response = _stamped(request, stamps.stamp_text(page.read_text()), "text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        return response

    @app.route("/static/<relative:path>", methods=READ, name="static_file")
    async def static_file(request: Request, relative: str) -> HTTPResponse:
        name, immutable = stamps.split("/static/", relative)
        if name == ZIP_NAME:
            # Made from the files the app's stamp covers, so it is that stamp's.
            data, gzipped = bundle.data(stamps.groups["/static/"].stamp())
            return _bytes(request, data, "application/zip", immutable, gzipped)
        path = web.app_file(name)
        if path is not None and name == CONFIG:
            return _stamped(request, stamps.stamp_text(path.read_text()), "application/json", immutable)
        return await _send(request, path, immutable)

    @app.route("/vendor/<package>/<name:path>", methods=READ, name="vendor_file")
    async def vendor_file(request: Request, package: str, name: str) -> HTTPResponse:
        if package not in VENDOR:
            raise NotFound("Not found")
        name, immutable = stamps.split(f"/vendor/{package}/", name)
        return await _send(request, web.vendor_file(package, name), immutable)

    @app.route("/py/flack/<name:path>", methods=READ, name="shared_module")
    async def shared_module(request: Request, name: str) -> HTTPResponse:
        name, immutable = stamps.split("/py/flack/", name)
        return await _send(request, SHARED_MODULES.get(name), immutable)

    @app.route("/healthz", methods=READ, name="health")
    async def health(request: Request) -> HTTPResponse:
        return json({"ok": True, "version": flack.__version__})
