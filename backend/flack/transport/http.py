"""HTTP routes: the page, its files, the shared protocol module, health;
and the security headers every response carries."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sanic import Request, Sanic
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, file, json

import flack
from flack import protocol
from flack.assets import WebRoot

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


async def _send(request: Request, path: Path | None, extra: dict[str, str] | None = None) -> HTTPResponse:
    if path is None:
        raise NotFound("Not found")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # no-cache: the browser keeps a copy but revalidates it each time, and an
    # unchanged file costs a 304 (Last-Modified / If-Modified-Since) instead of
    # its bytes: without this a repeat visit downloaded all 14 MB again.
    # Content-hashed, immutable URLs would save even the revalidations.
    headers = {"Cache-Control": "no-cache", **(extra or {})}
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


def add_routes(app: Sanic, web: WebRoot) -> None:
    """Register the HTTP routes on ``app`` (each answers GET and HEAD)."""

    @app.route("/", methods=READ, name="index")
    async def index(request: Request) -> HTTPResponse:
        return await _send(request, web.page(), {"Content-Security-Policy": PAGE_POLICY})

    @app.route("/static/<relative:path>", methods=READ, name="static_file")
    async def static_file(request: Request, relative: str) -> HTTPResponse:
        return await _send(request, web.app_file(relative))

    @app.route("/vendor/<package>/<name:path>", methods=READ, name="vendor_file")
    async def vendor_file(request: Request, package: str, name: str) -> HTTPResponse:
        return await _send(request, web.vendor_file(package, name))

    @app.route("/py/flack/<name:path>", methods=READ, name="shared_module")
    async def shared_module(request: Request, name: str) -> HTTPResponse:
        return await _send(request, SHARED_MODULES.get(name))

    @app.route("/healthz", methods=READ, name="health")
    async def health(request: Request) -> HTTPResponse:
        return json({"ok": True, "version": flack.__version__})
