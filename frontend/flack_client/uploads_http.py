"""The HTTP side of sharing a file: the browser's requests, seen from Python.

``uploads.drive_upload`` decides what to send next; a ``Transfer`` only sends
it and hands back ``(status, parsed JSON body)``, with ``None`` as the status
when no answer came (network error, timeout, or Cancel aborting the request).

Chunks go with ``XMLHttpRequest``, the one browser API that reports how much
of a request's body has been sent (``upload.onprogress``; ``fetch`` cannot,
short of streaming bodies, which Chromium sends only over HTTP/2): that is
what moves the progress bar within a 4 MiB chunk. Its listeners are Python
callables, so each request makes its proxies and destroys them once it is
over. The small ``GET`` and ``DELETE`` stay with ``fetch``; every request has
its own ``AbortController`` or ``XMLHttpRequest``, so Cancel stops the one in
flight.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, create_proxy, to_js  # type: ignore[import-not-found]

from flack.protocol import OFFSET_HEADER
from flack_client.uploads import HttpReply, Progress

# A chunk is at most 4 MiB: even at 1 Mbit/s it is done in well under this.
# A request that hangs longer (a dead connection the browser has not noticed
# yet) is aborted and counts as a network error, which is retried.
REQUEST_TIMEOUT_MS = 120_000


def file_facts(file: Any) -> tuple[str, int, str]:
    """A JS ``File``'s name, size in bytes and type (``""`` if unknown)."""
    kind = file.type
    return str(file.name), int(file.size), kind if isinstance(kind, str) else ""


def _parsed(status: int, text: str) -> HttpReply:
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None  # a proxy's HTML error page, say


def _options(method: str, signal: Any, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    options: dict[str, Any] = {
        "method": method,
        "headers": headers or {},
        "signal": signal,
        "cache": "no-store",
        "credentials": "same-origin",
        # The upload URL is on this origin; a redirect elsewhere is refused,
        # so no byte can be sent to another origin.
        "redirect": "error",
    }
    if body is not None:
        options["body"] = body
    return to_js(options, dict_converter=js.Object.fromEntries)


class Transfer:
    """The requests of one upload, to its capability URL on this origin."""

    def __init__(self, url: str, file: Any) -> None:
        self.url = url
        self.file = file  # the JS File (a Blob): sliced lazily, never read into Python
        self._controller: Any = None
        self._xhr: Any = None

    async def _request(
        self, method: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> HttpReply:
        controller = js.AbortController.new()
        self._controller = controller
        timer = js.setTimeout(controller.abort.bind(controller), REQUEST_TIMEOUT_MS)
        try:
            response = await js.fetch(self.url, _options(method, controller.signal, headers, body))
            status = int(response.status)
            text = await response.text()
        except JsException:
            # Network error, timeout or Cancel: no answer (the state machine
            # knows whether it was cancelled).
            return None, None
        finally:
            js.clearTimeout(timer)
            if self._controller is controller:
                self._controller = None
        return _parsed(status, text)

    async def put(self, start: int, end: int, progress: Progress) -> HttpReply:
        """Send bytes ``[start, end)`` of the file, appended at ``start``,
        calling ``progress(bytes sent)`` as the browser reports them."""
        xhr = js.XMLHttpRequest.new()
        answered: asyncio.Future[HttpReply] = asyncio.get_event_loop().create_future()

        def answer(reply: HttpReply) -> None:
            if not answered.done():
                answered.set_result(reply)

        def on_load(_event: Any) -> None:
            # fetch refused redirects ("redirect": "error"); XMLHttpRequest
            # follows them. The page's Content-Security-Policy (connect-src
            # 'self') stops one to another origin before a byte goes there,
            # and an answer from anywhere but the upload URL is not believed.
            if str(xhr.responseURL) != str(js.URL.new(self.url, js.location.href).href):
                answer((int(xhr.status), None))
            else:
                answer(_parsed(int(xhr.status), str(xhr.responseText)))

        listeners = [
            (xhr, "load", create_proxy(on_load)),
            (xhr.upload, "progress", create_proxy(lambda event: progress(int(event.loaded)))),
        ]
        # Network error, timeout or Cancel: no answer (the state machine
        # knows whether it was cancelled).
        no_answer = create_proxy(lambda _event: answer((None, None)))
        listeners += [(xhr, kind, no_answer) for kind in ("error", "abort", "timeout")]
        self._xhr = xhr
        try:
            xhr.open("PUT", self.url)
            xhr.timeout = REQUEST_TIMEOUT_MS
            xhr.setRequestHeader(OFFSET_HEADER, str(start))
            xhr.setRequestHeader("Content-Type", "application/octet-stream")
            for target, kind, proxy in listeners:
                target.addEventListener(kind, proxy)
            xhr.send(self.file.slice(start, end))
            return await answered
        except JsException:
            return None, None
        finally:
            if self._xhr is xhr:
                self._xhr = None
            # An aborted request may still be queuing its last events: no
            # listener may outlive its proxy.
            for target, kind, proxy in listeners:
                target.removeEventListener(kind, proxy)
            for proxy in {id(p): p for _t, _k, p in listeners}.values():
                proxy.destroy()

    async def check(self) -> HttpReply:
        """Ask how much of the file the server has."""
        return await self._request("GET")

    def abort(self) -> None:
        """Stop the request in flight, if any (Cancel)."""
        if self._controller is not None:
            self._controller.abort()
        if self._xhr is not None:
            self._xhr.abort()

    async def delete(self) -> None:
        """Cancel on the server: it deletes what arrived. Best effort: an
        upload nobody finishes expires on the server anyway."""
        await self._request("DELETE")
