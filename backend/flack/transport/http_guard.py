"""The HTTP edge: what every connection and request passes before Flack
sees it, under both integrations.

- **Timeouts** (slowloris): a request's headers must arrive within
  ``header_timeout`` seconds of the connection opening, or of the request's
  first byte on a kept-alive connection (a total, not a silence: trickling a
  byte at a time does not reset it); while a request body is arriving,
  ``body_timeout`` seconds without a byte end it (a silence: slow links stay
  fine, stalled bodies do not hold an upload). Then the connection is closed
  (with ``408`` if its headers were late). Between requests the server's
  keep-alive timeout (5 s) applies.
- **Connections per address**: at most ``http_connections_per_address`` open
  HTTP connections from one peer address (a websocket leaves the count when
  it is upgraded: the socket's own per-address cap counts it then); a
  connection past it is answered ``429`` and closed. Trusted proxies are not
  capped (they carry everybody).
- **Host** (DNS rebinding) and **forwarded headers**: see
  :mod:`flack.transport.addresses`. A foreign ``Host`` gets ``403`` on every
  path, the socket's included.
- **Security headers** on every response (:data:`flack.transport.http.SECURITY_HEADERS`),
  where the route did not set its own.

uvicorn has a keep-alive timeout but no header or body timeout and no
per-address limit, so (ASGI integration) the HTTP protocol is a subclass of
uvicorn's (:func:`uvicorn_protocol`) and the rest is an ASGI middleware
(:class:`AsgiGuard`). Under the Sanic integration, a subclass of Sanic's
protocol (:func:`sanic_protocol`) and Sanic middleware (:func:`guard_sanic`).

What this module relies on, and what happens if it changes
------------------------------------------------------------

Both servers: ``asyncio.Protocol`` callbacks (``connection_made``,
``data_received``, ``connection_lost``) and the transport's ``write``,
``close``, ``is_closing``, ``is_reading``, ``get_protocol`` and
``get_extra_info("peername")`` (asyncio and uvloop both have them).

uvicorn 0.54 (``HttpToolsProtocol`` when httptools is installed, as uvicorn's
"auto" picks, else ``H11Protocol``; ``uvicorn.Config(http=<class>)`` is public)
  ``protocol.cycle``
      the current request's ``RequestResponseCycle``: a new object once a
      request's headers are parsed (inside ``data_received``), with
      ``.more_body`` (its body is still arriving) and ``.response_complete``.
      Missing: the first ``data_received`` raises (the wire tests fail).
  ``protocol.on_response_complete()``
      called when a response has been sent: the next request's header clock
      starts with its first byte. Renamed: connections stay in the handling
      phase, timed only by uvicorn's keep-alive timeout (the slowloris test of
      a second request on a kept-alive connection fails).
  upgrades replace the transport's protocol (``transport.set_protocol``)
      inside ``data_received``: seen through ``get_protocol()``, the
      connection then leaves the count and its timers stop (the websocket
      protocol has its own ping timeouts).

Sanic 25.12 (``WebSocketProtocol``; ``app.run(protocol=<class>)`` is public)
  ``protocol.request_handler``
      set by Sanic's ``_setup()`` in ``__init__`` and awaited once per request
      when its headers are in, until the handler is done: wrapped to mark the
      phases. Renamed: every request is timed as if its headers never ended
      (the wire tests fail at once).
  ``protocol._http.request_body``
      truthy while request body bytes remain (``_http`` exists once the
      connection's task started). Missing: bodies are not timed.
  ``protocol.websocket_handshake(request, subprotocols)`` (what
      python-engineio's Sanic driver calls): after it, the connection leaves
      the count.
  ``app.config.REQUEST_TIMEOUT``/``KEEP_ALIVE_TIMEOUT`` are set too, so
  Sanic's own idle timeouts agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from flack.transport.addresses import AllowedHosts, TrustedProxies

log = logging.getLogger("flack.edge")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Edge:
    """The edge's settings, and the count of open HTTP connections per address."""

    def __init__(
        self,
        *,
        hosts: AllowedHosts,
        proxies: TrustedProxies,
        headers: dict[str, str],
        header_timeout: float,
        body_timeout: float,
        connections_per_address: int,
    ) -> None:
        self.hosts, self.proxies = hosts, proxies
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self.connections_per_address = connections_per_address
        self.open: dict[str, int] = {}
        # The security headers as ASGI wants them (lower-case bytes), and as
        # a raw HTTP/1.1 block for the responses written here.
        self.header_items = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.headers = dict(headers)
        self._raw_headers = b"".join(k + b": " + v + b"\r\n" for k, v in self.header_items)

    # the per-address count ------------------------------------------------------

    def admit(self, address: str) -> bool:
        """Count a new connection from ``address``; False if it is one too many."""
        if self.proxies.trusts(address):
            return True  # not counted: a trusted proxy carries everybody
        held = self.open.get(address, 0)
        if held >= self.connections_per_address:
            return False
        self.open[address] = held + 1
        return True

    def release(self, address: str) -> None:
        if self.proxies.trusts(address):
            return
        left = self.open.get(address, 1) - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)

    def raw_response(self, status: int, reason: str, body: str) -> bytes:
        """A complete ``Connection: close`` response, security headers included."""
        data = body.encode()
        return (
            f"HTTP/1.1 {status} {reason}\r\n".encode()
            + self._raw_headers
            + b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            + f"content-length: {len(data)}\r\n\r\n".encode()
            + data
        )


# --- per connection: the count and the timers ---------------------------------------------


class _Watch:
    """One connection's place in the count, and its header and body deadlines.

    Phases, told by the protocol: ``headers`` (from the connection opening,
    or from the first byte after a response, until the request's headers
    are complete: a total deadline), ``handling`` (the request is being
    answered; while its body is still arriving, a silence deadline) and
    ``idle`` (between requests: the server's keep-alive timeout applies).
    """

    __slots__ = (
        "address",
        "body_pending",
        "counted",
        "deadline",
        "edge",
        "handle",
        "last_data",
        "loop",
        "phase",
        "protocol",
        "transport",
    )

    def __init__(
        self, edge: Edge, protocol: Any, transport: Any, body_pending: Callable[[Any], bool]
    ) -> None:
        self.edge, self.protocol, self.transport = edge, protocol, transport
        self.body_pending = body_pending
        self.loop = asyncio.get_running_loop()
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        self.counted = False
        self.phase = "headers"
        self.last_data = self.loop.time()
        self.deadline = self.last_data + edge.header_timeout
        self.handle: asyncio.TimerHandle | None = None

    def start(self) -> bool:
        """Count the connection and start its header deadline; False if it was
        refused (then it has been answered 429 and closed)."""
        transport = self.transport
        if not self.edge.admit(self.address):
            log.debug("refused an HTTP connection from %s: too many", self.address)
            transport.write(
                self.edge.raw_response(429, "Too Many Requests", "Too many connections from this address.\n")
            )
            transport.close()
            return False
        self.counted = True
        self._schedule(self.edge.header_timeout)
        return True

    def stop(self) -> None:
        """The connection is gone or is a websocket now: uncount, no timers."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        if self.counted:
            self.counted = False
            self.edge.release(self.address)

    # what the protocol tells ------------------------------------------------------

    def data(self) -> None:
        now = self.last_data = self.loop.time()
        if self.phase == "idle":  # the first byte of the next request
            self.phase = "headers"
            self.deadline = now + self.edge.header_timeout
            self._schedule(self.edge.header_timeout)

    def headers_done(self) -> None:
        self.phase = "handling"
        self._schedule(self.edge.body_timeout)

    def response_done(self) -> None:
        if self.phase == "handling":
            self.phase = "idle"

    # the timer ---------------------------------------------------------------------

    def _schedule(self, delay: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.handle = self.loop.call_later(max(delay, 0.05), self._tick)

    def _tick(self) -> None:
        self.handle = None
        transport = self.transport
        if not self.counted or transport.is_closing():
            return
        now = self.loop.time()
        if self.phase == "headers":
            if now >= self.deadline:
                return self._expire("its request's headers took too long", answer=True)
            return self._schedule(self.deadline - now)
        if self.phase == "handling":
            try:
                pending = self.body_pending(self.protocol)
            except AttributeError:  # the server's internals changed: stop timing the body
                return None
            if pending:
                if not transport.is_reading():
                    self.last_data = now  # the server paused reading: not the client's silence
                idle = now - self.last_data
                if idle >= self.edge.body_timeout:
                    return self._expire("its request body stalled", answer=False)
                return self._schedule(self.edge.body_timeout - idle)
            return self._schedule(self.edge.body_timeout)
        return None  # idle: the keep-alive timeout closes it; data() starts the clock again

    def _expire(self, why: str, *, answer: bool) -> None:
        log.debug("closed an HTTP connection from %s: %s", self.address, why)
        if answer:
            self.transport.write(self.edge.raw_response(408, "Request Timeout", "Request timeout.\n"))
        self.transport.close()


def _uvicorn_body_pending(protocol: Any) -> bool:
    cycle = protocol.cycle
    return cycle is not None and bool(cycle.more_body) and not cycle.response_complete


def _sanic_body_pending(protocol: Any) -> bool:
    # ``_http`` is made when the connection's task starts, a moment after
    # ``connection_made``; ``request_body`` is truthy while body bytes remain.
    http = getattr(protocol, "_http", None)
    return http is not None and bool(http.request_body)


# --- uvicorn ------------------------------------------------------------------------------


def uvicorn_protocol(edge: Edge) -> type:
    """uvicorn's HTTP protocol class (the one its "auto" picks) with the
    edge's count and timers."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # pragma: no cover - without httptools uvicorn uses h11
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class EdgeProtocol(Base):  # type: ignore[misc,valid-type]
        """uvicorn's HTTP/1.1 protocol, counted per address, with header and body timeouts."""

        _flack_watch: _Watch | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            watch = _Watch(edge, self, transport, _uvicorn_body_pending)
            if watch.start():
                self._flack_watch = watch

        def data_received(self, data: bytes) -> None:
            watch = self._flack_watch
            if watch is None:
                return super().data_received(data)
            cycle = self.cycle
            watch.data()
            super().data_received(data)
            if self.transport.get_protocol() is not self:
                watch.stop()  # upgraded to a websocket: no longer plain HTTP
                self._flack_watch = None
            elif self.cycle is not cycle:  # uvicorn parsed a request's headers
                watch.headers_done()
            return None

        def on_response_complete(self) -> None:
            watch = self._flack_watch
            if watch is not None:
                watch.response_done()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            watch = self._flack_watch
            if watch is not None:
                watch.stop()
                self._flack_watch = None
            super().connection_lost(exc)

    return EdgeProtocol


class AsgiGuard:
    """ASGI middleware in front of everything (python-socketio's ASGI app
    included): the client's address behind trusted proxies, the ``Host``
    check, and the security headers on every HTTP response.

    A websocket scope is passed on with the server's own ``send``: the
    fan-out's direct writes find uvicorn's protocol through it.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], edge: Edge) -> None:
        self.app, self.edge = app, edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            return await self.app(scope, receive, send)
        edge = self.edge
        host = None
        forwarded_for: list[bytes] = []
        forwarded_proto = None
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                forwarded_proto = value.decode("latin-1")
        client = scope.get("client")
        if edge.proxies and client and edge.proxies.trusts(str(client[0])):
            peer = str(client[0])
            scope = dict(scope)
            scope["client"] = (edge.proxies.client(peer, b",".join(forwarded_for).decode("latin-1")), 0)
            scheme = edge.proxies.scheme(peer, scope.get("scheme", "http"), forwarded_proto)
            if kind == "websocket":
                scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
            else:
                scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
            scope["scheme"] = scheme
        if not edge.hosts.allows(host):
            log.debug("refused a request for host %r", host)
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
                return None
            return await _forbidden(send, edge)
        if kind == "websocket":
            return await self.app(scope, receive, send)
        items = edge.header_items
        start: MutableMapping[str, Any] | None = None

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            # The start is held until the first piece of body: a response
            # sent in one piece gets its Content-Length (Sanic's ASGI side
            # sends none, so uvicorn chunked every page and asset, and a HEAD
            # could not say the length GET sends).
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {bytes(name).lower() for name, _ in headers}
                missing = [item for item in items if item[0] not in present]
                start = {**message, "headers": headers + missing}
                return None
            if start is not None:
                held, start = start, None
                if not message.get("more_body", False) and _may_have_length(held):
                    length = str(len(message.get("body", b""))).encode()
                    held["headers"] = [*held["headers"], (b"content-length", length)]
                await send(held)
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _may_have_length(start: MutableMapping[str, Any]) -> bool:
    # A status that has a body, and no length or transfer coding said yet.
    if start.get("status", 200) in (204, 304) or start.get("status", 200) < 200:
        return False
    return not any(
        bytes(name).lower() in (b"content-length", b"transfer-encoding") for name, _ in start["headers"]
    )


async def _forbidden(send: Send, edge: Edge) -> None:
    body = b"This server does not answer to that host name.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                *edge.header_items,
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- Sanic --------------------------------------------------------------------------------


def sanic_protocol(edge: Edge) -> type:
    """Sanic's protocol (websockets enabled, as python-engineio's Sanic
    driver needs) with the edge's count and timers."""
    from sanic.server.protocols.websocket_protocol import WebSocketProtocol

    class EdgeProtocol(WebSocketProtocol):  # type: ignore[misc]
        """Sanic's protocol, counted per address, with header and body timeouts."""

        __slots__ = ("_flack_watch",)  # Sanic's protocols have slots, and no __dict__

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._flack_watch: _Watch | None = None
            super().__init__(*args, **kwargs)
            handle = self.request_handler  # Sanic calls it once a request's headers are in

            async def handle_request(request: Any) -> Any:
                watch = self._flack_watch
                if watch is not None:
                    watch.headers_done()
                try:
                    return await handle(request)
                finally:
                    watch = self._flack_watch
                    if watch is not None:
                        watch.response_done()

            self.request_handler = handle_request

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            watch = _Watch(edge, self, transport, _sanic_body_pending)
            if watch.start():
                self._flack_watch = watch

        def data_received(self, data: bytes) -> None:
            watch = self._flack_watch
            if watch is not None:
                watch.data()
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            watch = self._flack_watch
            if watch is not None:
                watch.stop()
                self._flack_watch = None
            super().connection_lost(exc)

        async def websocket_handshake(self, request: Any, subprotocols: Any = None) -> Any:
            websocket = await super().websocket_handshake(request, subprotocols)
            watch = self._flack_watch
            if watch is not None:
                watch.stop()  # a websocket now: no longer plain HTTP
                self._flack_watch = None
            return websocket

    return EdgeProtocol


def guard_sanic(app: Any, edge: Edge) -> None:
    """The Sanic integration's edge: Sanic's own timeouts, then middleware for
    the client's address behind trusted proxies, the ``Host`` check and the
    security headers (the protocol from :func:`sanic_protocol` does the count
    and the header/body deadlines)."""
    from sanic.response import text

    app.config.REQUEST_TIMEOUT = edge.header_timeout
    app.config.KEEP_ALIVE_TIMEOUT = 5  # uvicorn's default (Sanic's is 120 s)

    @app.on_request(priority=1000)
    async def resolve_and_check(request: Any) -> Any:
        peer = str(request.ip)
        forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
        request.ctx.flack_client = edge.proxies.client(peer, forwarded)
        request.ctx.flack_scheme = edge.proxies.scheme(
            peer, request.scheme, request.headers.get("x-forwarded-proto")
        )
        if not edge.hosts.allows(request.headers.get("host")):
            return text("This server does not answer to that host name.\n", status=403)
        return None

    @app.on_response(priority=1000)
    async def security_headers(request: Any, response: Any) -> None:
        for name, value in edge.headers.items():
            if name not in response.headers:
                response.headers[name] = value
