"""Who is asking, and under which name: client addresses, trusted proxies,
allowed ``Host`` names and the socket's origin check.

Plain rules over strings, no server internals: the HTTP edge
(:mod:`flack.transport.http_guard`) applies them to every request and
connection, the socket server to every handshake.

- A request's address is its TCP peer. ``X-Forwarded-For`` and
  ``X-Forwarded-Proto`` count only when that peer is a configured trusted
  proxy (``--trusted-proxies``): anybody can send them, so trusting them by
  default let one address look like many (and escape every per-address limit).
- A request's ``Host`` must be one of this server's names: localhost names
  and IP literals always, the machine's own names when it listens on a
  non-loopback address, and ``--allowed-hosts``. Anything else is refused,
  which is what stops DNS rebinding: an attacker's page on ``evil.example``
  whose name now resolves to this server still says ``Host: evil.example``
  (Jupyter's defence, for the same reason).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flack.transport import lan

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- addresses and proxies ------------------------------------------------------


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` -> networks; ``ValueError`` with words."""
    networks = []
    for part in spec.split(","):
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(
                f"FLACK_TRUSTED_PROXIES: {text!r} is not an IP address or network "
                "(e.g. 127.0.0.1, 10.0.0.0/8)"
            ) from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The proxies whose ``X-Forwarded-For``/``-Proto`` are believed."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        return cls(parse_networks(spec))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` (an IP in text) is one of the trusted proxies."""
        if not self.networks:
            return False
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer, unless the peer is a trusted proxy
        that says whom it forwards for. ``X-Forwarded-For`` is read from the
        right (each proxy appends the address it saw), skipping trusted
        proxies: the first untrusted entry is the client. Entries that are not
        IP addresses end the walk (they cannot be trusted further)."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        client = peer
        for entry in reversed(forwarded_for.split(",")):
            address = _strip_port(entry.strip())
            if _ip(address) is None:
                break
            client = address
            if not self.trusts(address):
                break
        return client

    def scheme(self, peer: str, scheme: str, forwarded_proto: str | None) -> str:
        """The scheme the client used: ``X-Forwarded-Proto`` from a trusted
        proxy (its first value), else the connection's own."""
        if forwarded_proto and self.trusts(peer):
            proto = forwarded_proto.split(",")[0].strip().lower()
            if proto in ("http", "https", "ws", "wss"):
                return proto
        return scheme


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _strip_port(entry: str) -> str:
    # "[::1]:443" -> "::1", "10.0.0.1:80" -> "10.0.0.1", "::1" stays.
    if entry.startswith("["):
        return entry[1:].split("]", 1)[0]
    if entry.count(":") == 1:
        return entry.split(":", 1)[0]
    return entry


def client_address(environ: dict[str, Any]) -> str:
    """The client's IP address for a socket.io handshake (python-engineio's
    ``REMOTE_ADDR`` is a placeholder): what the HTTP edge resolved, i.e. the
    peer, or the forwarded-for client of a trusted proxy."""
    scope = environ.get("asgi.scope")
    if scope is not None and scope.get("client"):
        return str(scope["client"][0])  # the ASGI guard resolved it
    request = environ.get("sanic.request")
    if request is not None:
        resolved = getattr(request.ctx, "flack_client", None)  # the Sanic guard's
        return str(resolved if resolved is not None else request.ip)
    return str(environ.get("REMOTE_ADDR", ""))


def _request_scheme(environ: dict[str, Any]) -> str:
    # The scheme the page was loaded over: the ASGI scope's (websocket
    # scopes say ws/wss), or what the Sanic guard resolved.
    scope = environ.get("asgi.scope")
    scheme = scope.get("scheme") if scope is not None else None
    request = environ.get("sanic.request")
    if scheme is None and request is not None:
        scheme = getattr(request.ctx, "flack_scheme", None)
    scheme = str(scheme or environ.get("wsgi.url_scheme", "http"))
    return {"ws": "http", "wss": "https"}.get(scheme, scheme)


# --- the socket's origin check ---------------------------------------------------


def origin_policy(extra: tuple[str, ...]) -> Callable[[str | None, dict[str, Any]], bool]:
    """python-socketio's origin check for the handshake (websocket and polling).

    Allowed: no ``Origin`` at all (not a browser), the exact origin that
    served the page (scheme and ``Host``), and the configured extra origins.
    Everything else is refused, ``null`` and look-alikes such as
    ``http://host:8000.evil.example`` included. Unlike python-engineio's own
    same-origin default, ``X-Forwarded-Host`` is never trusted: any client can
    send it (the scheme comes from ``X-Forwarded-Proto`` only when a trusted
    proxy sent it). The ``Host`` itself was checked by the HTTP edge.
    """
    allowed = frozenset(extra)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        host = environ.get("HTTP_HOST", "")
        own = f"{_request_scheme(environ)}://{host}"
        return origin == own or origin in allowed

    return check


# --- allowed Host names ------------------------------------------------------------


LOCAL_NAMES = lan.LOCAL_NAMES


def host_name(header: str) -> str:
    """The name in a ``Host`` header: no port, no brackets, lower case, no
    trailing dot (``"[::1]:8000"`` -> ``"::1"``, ``"LocalHost.:80"`` ->
    ``"localhost"``)."""
    text = header.strip().lower()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def machine_names() -> set[str]:
    """This machine's own names, as people on the LAN type them: the host
    name and fully qualified name (:func:`flack.transport.lan.own_names`, the
    very names the start line prints) and the ``.local`` name mDNS gives it."""
    names = set(lan.own_names())
    names.update({name.split(".", 1)[0] + ".local" for name in names})
    return names


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """Which ``Host`` names this server answers to.

    ``names`` are exact; ``suffixes`` come from ``*.example.org`` entries (any
    name under it); ``anything`` (a lone ``*``) turns the check off, for a
    proxy in front that checks names itself.
    """

    names: frozenset[str]
    suffixes: tuple[str, ...] = ()
    anything: bool = False

    @classmethod
    def for_server(
        cls, listen_host: str, extra: str, machine: Callable[[], Iterable[str]] = machine_names
    ) -> AllowedHosts:
        """Localhost names and IP literals always; the machine's names when
        listening on all interfaces or a non-loopback address; plus ``extra``
        (``FLACK_ALLOWED_HOSTS``, comma-separated)."""
        names = set(LOCAL_NAMES)
        suffixes = [".localhost"]  # RFC 6761: every *.localhost name is loopback
        listen = listen_host.strip().strip("[]").lower()
        ip = _ip(listen)
        if lan.listens_everywhere(listen) or (ip is not None and not ip.is_loopback):
            names.update(machine())
        elif ip is None and listen not in LOCAL_NAMES:
            names.add(host_name(listen))  # listening on a name: that name
        anything = False
        for part in extra.split(","):
            entry = part.strip().lower().rstrip(".")
            if not entry:
                continue
            if entry == "*":
                anything = True
            elif entry.startswith("*."):
                suffixes.append(entry[1:])
            else:
                names.add(host_name(entry))
        return cls(frozenset(names), tuple(suffixes), anything)

    def allows(self, header: str | None) -> bool:
        """Whether a request with this ``Host`` header is for this server.
        No header at all (HTTP/1.0 tools) is allowed: browsers always send
        one, so it cannot be a rebinding page."""
        if header is None or self.anything:
            return True
        name = host_name(header)
        if not name:
            return False
        if name in self.names or _ip(name) is not None:
            return True
        return any(name.endswith(suffix) for suffix in self.suffixes)
