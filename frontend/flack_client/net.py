"""The socket.io connection, seen from Python.

This is the only module that hands Python callables to the socket.io client,
so every proxy's lifetime is decided here: handlers live as long as the
``Socket`` (kept in ``_proxies``) and are destroyed by ``close``. Payloads
cross the boundary as JSON, both ways: that is exactly what travels on the
wire anyway, keeps ``None`` as ``null`` (Pyodide would turn it into
``undefined`` and drop the field), and leaves no JS proxies behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, create_proxy  # type: ignore[import-not-found]

from flack.protocol import Ack, Event, Shape
from flack_client.connection import SocketFacts
from flack_client.wording import OFFLINE, TIMEOUT

ACK_TIMEOUT_MS = 10_000
# The socket.io client's options (``io(OPTIONS)``).
OPTIONS = {"path": "/socket.io/", "autoConnect": False}

Handler = Callable[[Any], None]


def to_js(value: Any) -> Any:
    """A Python JSON value as the same JS value."""
    return js.JSON.parse(json.dumps(value))


def to_py(value: Any) -> Any:
    """A JS value (from the wire) as plain Python: dicts, lists, str, numbers, None."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    text = js.JSON.stringify(value)
    # JSON.stringify gives undefined for undefined and functions.
    return json.loads(text) if isinstance(text, str) else None


class Socket:
    """A thin wrapper around one ``io()`` socket on this page's origin."""

    def __init__(self, ack_timeout_ms: int = ACK_TIMEOUT_MS, socket: Any = None) -> None:
        # autoConnect off: every handler must be in place before the first
        # "connect" can fire, or the initial session setup could be missed.
        # ``socket``: one made earlier with these same options (main.py
        # starts its handshake before the client's imports).
        self._socket = socket if socket is not None else js.io(to_js(OPTIONS))
        self._ack_timeout_ms = ack_timeout_ms
        self._proxies: list[Any] = []
        self._window_listeners: list[tuple[str, Any]] = []
        # When this page last sent the server anything (``time.monotonic()``):
        # every event counts as activity for presence (issue 15).
        self.last_sent: float | None = None

    # events -----------------------------------------------------------------

    def _proxy(self, handler: Handler) -> Any:
        def call(*args: Any) -> None:
            # Convert now: the arguments are only borrowed for this call.
            handler(to_py(args[0]) if args else None)

        proxy = create_proxy(call)
        self._proxies.append(proxy)
        return proxy

    def on(self, event: str, handler: Handler) -> None:
        """Call ``handler(payload)`` for every ``event`` from the server (or
        socket.io's own ``connect``/``disconnect``/``connect_error``)."""
        self._socket.on(event, self._proxy(handler))

    def on_connect_error(self, handler: Handler) -> None:
        """Call ``handler({"message": str, "data": ...})`` when connecting
        fails. The JS ``Error``'s message is not an enumerable property, so
        it is picked out here rather than by the JSON round trip."""

        def call(*args: Any) -> None:
            error = args[0] if args else None
            try:
                message = error.message if error else None
            except AttributeError:
                message = None
            try:
                data = to_py(error.data) if error else None
            except AttributeError:
                data = None
            handler({"message": message if isinstance(message, str) else "", "data": data})

        proxy = create_proxy(call)
        self._proxies.append(proxy)
        self._socket.on("connect_error", proxy)

    def on_manager(self, event: str, handler: Handler) -> None:
        """Listen to the connection manager (``reconnect_attempt``,
        ``reconnect_failed`` …), which outlives individual connections."""
        self._socket.io.on(event, self._proxy(handler))

    def on_network(self, handler: Callable[[bool], None]) -> None:
        """Call ``handler(online)`` when the browser goes offline or online."""
        for event, online in (("online", True), ("offline", False)):
            proxy = create_proxy(lambda _event, online=online: handler(online))
            self._proxies.append(proxy)
            self._window_listeners.append((event, proxy))
            js.window.addEventListener(event, proxy)

    # state ----------------------------------------------------------------------

    @property
    def browser_online(self) -> bool:
        """The browser's idea of whether there is a network at all."""
        return bool(js.navigator.onLine)

    @property
    def connected(self) -> bool:
        """Whether the socket is connected right now."""
        return bool(self._socket.connected)

    @property
    def will_retry(self) -> bool:
        """Whether socket.io will try to reconnect by itself."""
        return bool(self._socket.active)

    def facts(self) -> SocketFacts:
        """The socket's and the browser's facts of the moment, for the state."""
        return SocketFacts(online=self.browser_online, connected=self.connected, will_retry=self.will_retry)

    def connect(self) -> None:
        """Open the connection (socket.io then keeps it open)."""
        self._socket.connect()

    def close(self) -> None:
        """Disconnect for good and release every proxy."""
        # Unhook everything first: a destroyed proxy must never be called.
        for event, proxy in self._window_listeners:
            js.window.removeEventListener(event, proxy)
        self._window_listeners.clear()
        self._socket.off()
        self._socket.io.off()
        self._socket.disconnect()
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()

    # requests ---------------------------------------------------------------

    async def call(self, event: Event, request: Shape) -> Ack:
        """Send one client event (its request shape, e.g. ``ClaimName``) and
        wait for its acknowledgement; its data is read by the caller through
        the event's reply shape (``protocol.CLIENT_EVENTS``).

        Never raises: a timeout or a drop becomes a failed ``Ack`` with a
        client-side code, which the caller puts in words like any other error.
        """
        if not self.connected or not self.browser_online:
            # socket.io would buffer the emit and send it after reconnecting,
            # long after we told the person it failed; refuse instead.
            return Ack.failure(OFFLINE)
        self.last_sent = time.monotonic()
        try:
            reply = await self._socket.timeout(self._ack_timeout_ms).emitWithAck(
                str(event), to_js(request.to_wire())
            )
        except JsException:
            # Rejected: no answer in time, or the connection dropped meanwhile.
            return Ack.failure(TIMEOUT)
        return Ack.from_wire(to_py(reply))
