"""HTTP routes for file sharing: chunked uploads and downloads.

Files never go through the socket. ``start_upload`` (a socket event) hands a
named connection an upload URL; its bytes arrive here in chunks, each checked
from its headers before the body is read, and the finished file becomes a
chat message. Downloads are served under server-made ids, as attachments
except for the checked image types, and never as anything a browser runs.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from sanic import Request, Sanic
from sanic.response import HTTPResponse, ResponseStream, file_stream, json

from flack.core.sharing import Sharing, Upload, UploadError
from flack.files import DiskStore
from flack.protocol import (
    CHUNK_SIZE,
    OFFSET_HEADER,
    ErrorCode,
    Event,
    FileExpired,
    Message,
    ProtocolError,
    UploadState,
    error_ack,
    ok_ack,
)
from flack.protocol import Upload as UploadShape
from flack.transport.fanout import Batcher
from flack.transport.http import READ
from flack.transport.rooms import room

log = logging.getLogger("flack.files")

# The URLs this module serves; the rest of the server asks these functions
# (the core never builds a URL itself).
UPLOADS = "/uploads"
FILES = "/files"


def upload_url(upload_id: str) -> str:
    """Where an upload's chunks go (its capability: ids are unguessable)."""
    return f"{UPLOADS}/{upload_id}"


def file_url(file_id: str, name: str) -> str:
    """Where a stored file downloads from (the name is decoration; the id decides)."""
    return f"{FILES}/{file_id}/{quote(name, safe='')}"


def publish_file(batcher: Batcher, message: Message, expired: list[Message]) -> None:
    """Tell the channels about files evicted for room, then the new file message."""
    for gone in expired:
        batcher.emit(Event.FILE_EXPIRED, FileExpired(gone.channel, gone.id), room(gone.channel))
    batcher.message(room(message.channel), message)


def upload_shape(upload: Upload) -> UploadShape:
    """The protocol's ``upload`` object for an upload the core accepted."""
    return UploadShape(upload.id, upload_url(upload.id), upload.size, CHUNK_SIZE, upload.received)


# Downloads are read from disk and written in pieces of this size.
STREAM_PIECE = 256 * 1024

# Headers on every upload reply: JSON, never cached, never sniffed.
_API_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
# Downloads must never run as a page: no scripts, no plugins, an opaque origin.
_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=3600",
}


def _reply(body: dict[str, Any], status: int = 200) -> HTTPResponse:
    return json(body, status=status, headers=_API_HEADERS)


def _refusal(error: ProtocolError) -> HTTPResponse:
    body = error.to_ack()
    status = error.status if isinstance(error, UploadError) else 400
    if isinstance(error, UploadError) and error.received is not None:
        body["error"]["received"] = error.received
    return _reply(body, status)


def content_disposition(name: str, *, inline: bool) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` (RFC 6266): an ASCII
    fallback for old clients and the exact UTF-8 name for the rest."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in name)
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# Digits an Upload-Offset may have: offsets are file positions, far below
# 10**18, and Python refuses to read numbers of over 4,300 digits (a 500).
_OFFSET_DIGITS = 18


def _offset(request: Request) -> int:
    raw = request.headers.get(OFFSET_HEADER, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > _OFFSET_DIGITS:
        raise ProtocolError(f"Send the chunk's first byte position in the {OFFSET_HEADER} header.")
    return int(raw)


def _length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None  # a chunked body: counted while it is read
    if not raw.isascii() or not raw.isdigit():
        raise ProtocolError("The Content-Length header is not a number.")
    return int(raw)


def add_file_routes(app: Sanic, sharing: Sharing, store: DiskStore, batcher: Batcher) -> None:
    """Register the upload and download routes on ``app``."""

    def _state(received: int, size: int, message: Message | None = None) -> HTTPResponse:
        return _reply(ok_ack(UploadState(received, size, message is not None, message).to_wire()))

    @app.put(f"{UPLOADS}/<upload_id>", name="upload_chunk", stream=True)
    async def upload_chunk(request: Request, upload_id: str) -> HTTPResponse:
        try:
            return await _upload_chunk(request, upload_id)
        except Exception:
            # A failing disk is the server's problem: the client retries
            # (after asking how much arrived), nothing it sent is misfiled.
            log.exception("upload %s failed", upload_id[:6])
            return _reply(error_ack(ErrorCode.INTERNAL, "The server could not store the file."), 500)

    def _finished_reply(upload_id: str) -> HTTPResponse | None:
        message = sharing.finished(upload_id)
        if message is None or message.file is None:
            return None
        return _state(message.file.size, message.file.size, message)

    async def _upload_chunk(request: Request, upload_id: str) -> HTTPResponse:
        # The last reply was lost and the client asks again: it is done.
        done = _finished_reply(upload_id)
        if done is not None:
            return done
        try:
            # Everything is decided from the headers: a refused chunk is
            # answered before its body is read.
            upload = sharing.begin_chunk(upload_id, _offset(request), _length(request))
        except ProtocolError as refusal:
            return _refusal(refusal)
        start = upload.received
        try:
            async for data in request.stream:  # type: ignore[union-attr]
                sharing.receive(upload, data, start)
        except ProtocolError as refusal:
            return _refusal(refusal)
        finally:
            # However the body ended (complete, refused, connection lost),
            # ``received`` counts exactly the bytes written: resume from there.
            sharing.end_chunk(upload)
        if not upload.complete:
            return _state(upload.received, upload.size)
        try:
            shared = await sharing.finish(upload)
        except ProtocolError as refusal:
            return _refusal(refusal)
        publish_file(batcher, shared.message, shared.expired)
        return _state(upload.received, upload.size, shared.message)

    @app.route(f"{UPLOADS}/<upload_id>", methods=READ, name="upload_status")
    async def upload_status(request: Request, upload_id: str) -> HTTPResponse:
        done = _finished_reply(upload_id)
        if done is not None:
            return done
        try:
            upload = sharing.get(upload_id)
        except ProtocolError as refusal:
            return _refusal(refusal)
        return _state(upload.received, upload.size)

    @app.delete(f"{UPLOADS}/<upload_id>", name="upload_cancel")
    async def upload_cancel(request: Request, upload_id: str) -> HTTPResponse:
        try:
            sharing.cancel(upload_id)
        except ProtocolError as refusal:
            return _refusal(refusal)
        return _reply(ok_ack())

    # Sanic's route() is typed for HTTPResponse only; a ResponseStream works as well.
    @app.route(f"{FILES}/<file_id>/<name:path>", methods=READ, name="download")  # type: ignore[arg-type]
    async def download(request: Request, file_id: str, name: str) -> HTTPResponse | ResponseStream:
        # The id alone decides (the name in the URL is decoration for people).
        stored = store.get(file_id)
        if stored is None:
            return _reply(
                error_ack(ErrorCode.FILE_NOT_FOUND, "This file is not available any more."), status=404
            )
        info = stored.info
        mime = info.type if info.preview else "application/octet-stream"
        headers = {
            **_DOWNLOAD_HEADERS,
            "Content-Disposition": content_disposition(info.name, inline=info.preview),
            "Content-Length": str(info.size),
        }
        if request.method == "HEAD":  # the same headers, without reading the file
            return HTTPResponse(headers=headers, content_type=mime)
        return await file_stream(
            store.path(file_id), chunk_size=STREAM_PIECE, mime_type=mime, headers=headers
        )
