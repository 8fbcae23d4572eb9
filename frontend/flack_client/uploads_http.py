"""The HTTP side of sharing a file: the browser's ``fetch``, seen from Python.

``uploads.drive_upload`` decides what to send next; a ``Transfer`` only sends
it and hands back ``(status, parsed JSON body)``, with ``None`` as the status
when no answer came (network error, timeout, or Cancel aborting the request).
Every request gets its own ``AbortController``, so Cancel stops the one in
flight. No Python callable is handed to JS here, so there is no proxy to keep
alive or to destroy: the timeout is the controller's own ``abort``, bound.
"""

from __future__ import annotations

import json
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, to_js  # type: ignore[import-not-found]

from flack.protocol import OFFSET_HEADER
from flack_client.uploads import HttpReply

# A chunk is at most 4 MiB: even at 1 Mbit/s it is done in well under this.
# A request that hangs longer (a dead connection the browser has not noticed
# yet) is aborted and counts as a network error, which is retried.
REQUEST_TIMEOUT_MS = 120_000


def file_facts(file: Any) -> tuple[str, int, str]:
    """A JS ``File``'s name, size in bytes and type (``""`` if unknown)."""
    kind = file.type
    return str(file.name), int(file.size), kind if isinstance(kind, str) else ""


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
        try:
            return status, json.loads(text)
        except ValueError:
            return status, None  # a proxy's HTML error page, say

    async def put(self, start: int, end: int) -> HttpReply:
        """Send bytes ``[start, end)`` of the file, appended at ``start``."""
        headers = {OFFSET_HEADER: str(start), "Content-Type": "application/octet-stream"}
        return await self._request("PUT", headers, self.file.slice(start, end))

    async def check(self) -> HttpReply:
        """Ask how much of the file the server has."""
        return await self._request("GET")

    def abort(self) -> None:
        """Stop the request in flight, if any (Cancel)."""
        if self._controller is not None:
            self._controller.abort()

    async def delete(self) -> None:
        """Cancel on the server: it deletes what arrived. Best effort: an
        upload nobody finishes expires on the server anyway."""
        await self._request("DELETE")
