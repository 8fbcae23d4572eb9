"""Where teammates can reach the server (flack/transport/lan.py): the URLs the
start line prints, from given addresses and names, and the address filter."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from flack.transport import lan
from flack.transport.addresses import AllowedHosts, machine_names

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
ADDRESSES = [V4("192.168.1.20"), V4("10.8.0.3"), V6("2001:db8::20"), V6("fd12:3456::20")]


@pytest.fixture
def dual_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lan.socket, "has_dualstack_ipv6", lambda: True)


def test_all_ipv4_interfaces_print_this_machine_each_name_and_each_ipv4_address() -> None:
    lines = lan.start_lines("0.0.0.0", 8000, "asgi", ADDRESSES, ["office-pc", "office-pc.example.org"])
    assert lines == [
        "Flack on all interfaces, port 8000 (asgi integration); open it at:",
        "  http://127.0.0.1:8000 (this machine)",
        "  http://office-pc:8000",
        "  http://office-pc.example.org:8000",
        "  http://192.168.1.20:8000",
        "  http://10.8.0.3:8000",
    ]


def test_all_ipv6_interfaces_print_ipv6_in_brackets_and_ipv4_when_dual_stack(dual_stack: None) -> None:
    lines = lan.start_lines("::", 9000, "sanic", ADDRESSES, ["office-pc"])
    assert lines == [
        "Flack on all interfaces, port 9000 (sanic integration); open it at:",
        "  http://127.0.0.1:9000 (this machine)",
        "  http://office-pc:9000",
        "  http://192.168.1.20:9000",
        "  http://10.8.0.3:9000",
        "  http://[2001:db8::20]:9000",
        "  http://[fd12:3456::20]:9000",
    ]


def test_ipv6_only_prints_no_ipv4_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lan.socket, "has_dualstack_ipv6", lambda: False)
    lines = lan.start_lines("[::]", 8000, "asgi", ADDRESSES, [])
    assert lines[1:] == [
        "  http://[::1]:8000 (this machine)",
        "  http://[2001:db8::20]:8000",
        "  http://[fd12:3456::20]:8000",
    ]


def test_no_network_at_all_says_so() -> None:
    lines = lan.start_lines("0.0.0.0", 8000, "asgi", [], [])
    assert lines[-1] == "  (no network address found: only this machine can open it for now)"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_prints_its_url_and_how_to_share(host: str) -> None:
    [line] = lan.start_lines(host, 8000, "asgi", ADDRESSES, ["office-pc"])
    assert line.startswith(f"Flack on {lan.url(host, 8000)} (asgi integration); only this machine")
    assert "--host 0.0.0.0" in line


def test_one_address_prints_that_address() -> None:
    assert lan.start_lines("192.168.1.20", 8000, "asgi", ADDRESSES, []) == [
        "Flack on http://192.168.1.20:8000 (asgi integration)"
    ]
    assert lan.start_lines("fd12:3456::20", 80, "asgi", ADDRESSES, []) == [
        "Flack on http://[fd12:3456::20]:80 (asgi integration)"
    ]


def test_only_addresses_another_machine_can_open_are_listed() -> None:
    def interfaces() -> list[str]:
        return ["127.0.0.1", "192.168.1.20", "::1", "fe80::1", "fe80::2%eth0", "2001:db8::20", "0.0.0.0"]

    def resolved() -> list[str]:
        return ["127.0.1.1", "192.168.1.20", "224.0.0.1", "not an address"]

    def routed() -> list[str]:
        return ["10.8.0.3"]

    assert lan.machine_addresses([interfaces, resolved, routed]) == [
        V4("10.8.0.3"),
        V4("192.168.1.20"),
        V6("2001:db8::20"),
    ]


def test_proc_if_inet6_gives_stable_global_addresses() -> None:
    text = (
        "fd000000000000000000000000000002 04 40 00 82     eth0\n"  # permanent, global
        "00000000000000000000000000000001 01 80 10 80       lo\n"  # host scope
        "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"  # link scope
        "20010db8000000000000000000000001 04 40 00 01     eth0\n"  # temporary (privacy)
        "20010db8000000000000000000000002 04 40 00 20     eth0\n"  # deprecated
        "20010db8000000000000000000000003 04 40 00 08     eth0\n"  # duplicate (DAD failed)
        "20010db8000000000000000000000004 04 40 00 00     eth0\n"  # dynamic, global
        "garbage\n"
    )
    assert lan.parse_if_inet6(text) == [V6("fd00::2"), V6("2001:db8::4")]


def test_own_names_are_lower_case_without_trailing_dot_or_localhost() -> None:
    assert lan.own_names(lambda: "Office-PC", lambda: "office-pc.Example.ORG.") == [
        "office-pc",
        "office-pc.example.org",
    ]
    assert lan.own_names(lambda: "vm", lambda: "localhost") == ["vm"]
    assert lan.own_names(lambda: "", lambda: "") == []


def test_every_printed_url_passes_the_host_check_of_a_server_on_all_interfaces() -> None:
    # The real machine: the names and addresses the start line prints are
    # ones the Host check admits (the names come from one function).
    allowed = AllowedHosts.for_server("0.0.0.0", "")
    for line in lan.start_lines("0.0.0.0", 8000, "asgi")[1:]:
        link = line.split()[0]
        if link.startswith("http"):
            assert allowed.allows(urlsplit(link).netloc), link
    assert set(lan.own_names()) <= machine_names()


def test_the_listening_socket_for_all_ipv6_interfaces_is_dual_stack_where_possible() -> None:
    assert lan.listening_socket("0.0.0.0", 0) is None
    assert lan.listening_socket("127.0.0.1", 0) is None
    sock = lan.listening_socket("::", 0)
    assert sock is not None
    with sock:
        port = sock.getsockname()[1]
        if lan.socket.has_dualstack_ipv6():
            with lan.socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
