"""Where people can reach this server: the machine's own names and network
addresses, the URLs the start line prints, and the listening socket for ``::``.

Stdlib only and no traffic: the addresses come from the interfaces themselves
(Linux), from what the host name resolves to, and from the routing table (a
UDP ``connect`` only picks a source address; nothing is sent), so a LAN
without internet access gets its URLs too. The ``Host`` check
(:mod:`flack.transport.addresses`) admits the names from :func:`own_names`, so
every URL printed here is one the server answers to.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Listening on these means every interface ("" is asyncio's spelling of both families).
ALL_INTERFACES = ("", "0.0.0.0", "::")
LOCAL_NAMES = ("localhost",)

# Linux's ioctl for an interface's IPv4 address (linux/sockios.h) and the
# size of ``struct ifreq``'s name field.
_SIOCGIFADDR = 0x8915
_IFNAMSIZ = 16
# /proc/net/if_inet6 flags (linux/if_addr.h) of addresses not worth printing:
# temporary (privacy addresses change daily), failed duplicate detection,
# deprecated.
_IFA_F_TEMPORARY, _IFA_F_DADFAILED, _IFA_F_DEPRECATED = 0x01, 0x08, 0x20
# Documentation networks (RFC 5737, RFC 3849): a UDP connect to them asks the
# routing table which source address this machine would use; nothing is sent.
_PROBES = (("192.0.2.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6))


def listens_everywhere(host: str) -> bool:
    """Whether ``--host`` means every interface."""
    return host.strip().strip("[]") in ALL_INTERFACES


def own_names(
    hostname: Callable[[], str] = socket.gethostname, fqdn: Callable[[], str] = socket.getfqdn
) -> list[str]:
    """This machine's names as people on the LAN type them: the host name and
    the fully qualified name (lower case, no trailing dot), without localhost."""
    names: list[str] = []
    for source in (hostname, fqdn):
        name = source().strip().lower().rstrip(".")
        if name and name not in names and name not in LOCAL_NAMES and not name.endswith(".localhost"):
            names.append(name)
    return names


def reachable(address: IPAddress) -> bool:
    """Whether another machine could open a URL with this address: not
    loopback, unspecified or multicast, and not IPv6 link-local (a URL would
    need a zone id, which browsers do not accept)."""
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return False
    return not (address.version == 6 and address.is_link_local)


def parse_if_inet6(text: str) -> list[ipaddress.IPv6Address]:
    """The global-scope addresses in ``/proc/net/if_inet6`` (address, index,
    prefix length, scope, flags, name; hexadecimal), less temporary, deprecated
    and duplicate ones."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or len(fields[0]) != 32:
            continue
        try:
            scope, flags = int(fields[3], 16), int(fields[4], 16)
            address = ipaddress.IPv6Address(int(fields[0], 16))
        except ValueError:
            continue
        if scope == 0 and not flags & (_IFA_F_TEMPORARY | _IFA_F_DADFAILED | _IFA_F_DEPRECATED):
            found.append(address)
    return found


def _interface_addresses() -> Iterator[str]:
    # Linux: each interface's IPv4 address, and every IPv6 address.
    if not sys.platform.startswith("linux"):
        return
    import fcntl  # POSIX only

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[: _IFNAMSIZ - 1])
            try:
                reply = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
            except OSError:  # no IPv4 address on this interface
                continue
            yield socket.inet_ntoa(reply[20:24])  # the sockaddr_in's address
    with contextlib.suppress(OSError):
        yield from (str(a) for a in parse_if_inet6(Path("/proc/net/if_inet6").read_text()))


def _resolved_addresses() -> Iterator[str]:
    # What the host name resolves to (often only 127.0.1.1 on Debian; other
    # systems list the LAN addresses here).
    with contextlib.suppress(OSError, UnicodeError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM):
            yield str(sockaddr[0])


def _routed_addresses() -> Iterator[str]:
    # The source address of the default route, per family.
    for target, family in _PROBES:
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            yield str(probe.getsockname()[0])


def machine_addresses(
    sources: Iterable[Callable[[], Iterable[str]]] = (
        _interface_addresses,
        _resolved_addresses,
        _routed_addresses,
    ),
) -> list[IPAddress]:
    """Every address of this machine another one could reach: IPv4 first,
    each in numeric order, no duplicates."""
    found: set[IPAddress] = set()
    for source in sources:
        for text in source():
            with contextlib.suppress(ValueError):
                address = ipaddress.ip_address(text.split("%", 1)[0])
                if reachable(address):
                    found.add(address)
    return sorted(found, key=lambda address: (address.version, address))


def url(host: str, port: int) -> str:
    """``http://host:port``, with IPv6 addresses in brackets."""
    text = host.strip("[]")
    return f"http://[{text}]:{port}" if ":" in text else f"http://{text}:{port}"


def serves_ipv4(host: str) -> bool:
    """Whether listening on ``host`` (all interfaces) takes IPv4: ``0.0.0.0``
    does, and ``::`` too since :func:`listening_socket` makes it dual-stack."""
    listen = host.strip().strip("[]")
    return listen != "::" or socket.has_dualstack_ipv6()


def start_lines(
    host: str,
    port: int,
    integration: str,
    addresses: Iterable[IPAddress] | None = None,
    names: Iterable[str] | None = None,
) -> list[str]:
    """What ``flack serve`` says when it starts: where to open it.

    On all interfaces, one line per URL: this machine's, then each name and
    each address of a family the server listens on (``addresses`` and
    ``names`` default to this machine's). On loopback, the one URL and how
    to share it; on one address, that address."""
    if not listens_everywhere(host):
        line = f"Flack on {url(host, port)} ({integration} integration)"
        if _is_loopback(host):
            line += "; only this machine can open it (--host 0.0.0.0 shares it on your LAN)"
        return [line]
    listen = host.strip().strip("[]")
    ipv4, ipv6 = serves_ipv4(listen), listen != "0.0.0.0"
    here = url("127.0.0.1" if ipv4 else "::1", port)
    lines = [f"Flack on all interfaces, port {port} ({integration} integration); open it at:"]
    lines.append(f"  {here} (this machine)")
    shared = [url(name, port) for name in (own_names() if names is None else names)]
    for address in machine_addresses() if addresses is None else addresses:
        if (address.version == 4 and ipv4) or (address.version == 6 and ipv6):
            shared.append(url(str(address), port))
    lines.extend(f"  {link}" for link in shared)
    if not shared:
        lines.append("  (no network address found: only this machine can open it for now)")
    return lines


def _is_loopback(host: str) -> bool:
    listen = host.strip().strip("[]").lower()
    if listen in LOCAL_NAMES or listen.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(listen).is_loopback
    except ValueError:
        return False


def listening_socket(host: str, port: int) -> socket.socket | None:
    """A socket for ``--host ::`` that takes IPv4 as well as IPv6 (asyncio,
    hence uvicorn, would bind ``::`` to IPv6 alone and Sanic as the system
    decides); ``None`` for any other host (the server binds it itself).
    A port in use is a ``ValueError`` with one sentence, as the CLI reports."""
    if host.strip().strip("[]") != "::":
        return None
    try:
        return socket.create_server(
            ("::", port), family=socket.AF_INET6, dualstack_ipv6=socket.has_dualstack_ipv6(), backlog=2048
        )
    except OSError as error:
        raise ValueError(f"cannot listen on [::]:{port}: {error.strerror or error}") from None
