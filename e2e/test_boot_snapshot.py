"""The boot snapshot (issue 13): Python starts from it, and whenever it is
missing, damaged or older than the client's files the page still boots and
works, from today's code.

The snapshot is made at build time (tools/make_snapshot.mjs) and restored by
the loader frontend/flack-loader.mjs; the client reports how Python started
in its boot timings (``snapshot=0`` fresh, ``1`` from the snapshot, ``2``
from a snapshot whose client modules were stale and imported again;
flack_client/warmstart.py). Failures are injected with Playwright routes
that change what the real server sent."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Route, expect

FALLBACK_WARNING = "without the boot snapshot"


def how_python_started(page: Any) -> int:
    boot = page.get_attribute("body", "data-boot") or ""
    marks = dict(item.partition("=")[::2] for item in boot.split(","))
    return int(marks["snapshot"])


def warnings_of(someone: Any) -> list[str]:
    seen: list[str] = []
    someone.page.on("console", lambda msg: seen.append(msg.text) if msg.type == "warning" else None)
    return seen


def changed(route: Route, change: Any) -> None:
    """Fulfil ``route`` with the server's real answer, its body changed."""
    response = route.fetch()
    # The body comes decoded: drop the encoding and length it was sent with.
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")
    }
    route.fulfill(status=response.status, headers=headers, body=change(response.body()))


def works(someone: Any, names: Any) -> None:
    """The booted client does its job: a name, a channel, a message."""
    someone.take_name(names("Snap"))
    channel = names("snap")
    someone.create_channel(channel)
    someone.expect_open(channel)
    someone.send("started")
    expect(someone.article("started")).to_be_visible()


def test_python_starts_from_the_snapshot(person, names):
    someone = person(boot=False)
    warnings = warnings_of(someone)
    someone.open()
    assert how_python_started(someone.page) == 1
    assert not [w for w in warnings if FALLBACK_WARNING in w]
    works(someone, names)


def _wrong_build(body: bytes) -> bytes:
    # Bytes 16-47 of the header hold the id of the Pyodide build that made it.
    return body[:16] + bytes(32) + body[48:]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda route: route.fulfill(status=404, body="gone"), id="missing"),
        pytest.param(lambda route: changed(route, _wrong_build), id="another-build"),
        pytest.param(lambda route: changed(route, lambda body: body[: len(body) // 2]), id="cut-short"),
    ],
)
def test_the_page_boots_without_a_usable_snapshot(person, names, damage):
    someone = person(boot=False)
    warnings = warnings_of(someone)
    someone.page.route("**/flack-snapshot.bin", damage)
    someone.open()
    assert how_python_started(someone.page) == 0
    assert [w for w in warnings if FALLBACK_WARNING in w]
    works(someone, names)


def test_client_files_newer_than_the_snapshot_are_imported_again(person, names):
    # As after editing the client in a source checkout built earlier: the
    # snapshot's wording module differs from the file the page gets.
    someone = person(boot=False)
    someone.page.route(
        "**/flack_client/wording.py",
        lambda route: changed(route, lambda body: body.replace(b'"e.g. random"', b'"e.g. newer"')),
    )
    someone.open()
    assert how_python_started(someone.page) == 2
    expect(someone.page.get_by_role("textbox", name="New channel")).to_have_attribute(
        "placeholder", "e.g. newer"
    )
    works(someone, names)
