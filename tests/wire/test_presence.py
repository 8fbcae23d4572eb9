"""Join and leave notices over the wire, with a leave grace period.

This server holds a closed connection's "left" for 1 s (``FLACK_LEAVE_GRACE_SECONDS``;
15 s by default, 0 on the other test servers): a person back in the channel
within it (a page reload) is neither "left" nor "joined".
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from flack.testing import running_server
from wire_support import Peer, unique

GRACE = 1.0


@pytest.fixture(scope="module")
def graceful_url() -> Iterator[str]:
    with running_server({"FLACK_LEAVE_GRACE_SECONDS": str(GRACE), "FLACK_LOG_LEVEL": "warning"}) as url:
        yield url


def notices(peer: Peer) -> list[tuple[str, str]]:
    return [(n["kind"], n["name"]) for n in peer.events("notice")]


async def test_a_reload_is_no_news_and_a_departure_is_said_after_the_grace(graceful_url: str) -> None:
    channel, name, other = unique("presence-"), unique("ada"), unique("bea")
    stayer = await (await Peer(graceful_url).connect()).named(unique("nia"))
    ada = await (await Peer(graceful_url).connect()).named(name)
    bea = await (await Peer(graceful_url).connect()).named(other)
    back: Peer | None = None
    try:
        await stayer.ok("create_channel", {"channel": channel})
        await stayer.ok("join_channel", {"channel": channel})
        await ada.ok("join_channel", {"channel": channel})
        await bea.ok("join_channel", {"channel": channel})
        await stayer.wait_for("notice", lambda n: (n["kind"], n["name"]) == ("join", other))

        # A reload: the connection closes, a new one with the same token is
        # back in the channel well within the grace period.
        await ada.sio.disconnect()
        back = await Peer(graceful_url).connect()
        await back.ok("claim_name", {"name": name, "token": ada.token})
        await back.ok("join_channel", {"channel": channel})
        # Barrier: Bea really leaves, after Ada's reload. The server had
        # either held Ada's "left" before Back's join (due first, so said
        # first) or never held it (Ada was back already): Bea's "left" comes
        # after anything that could have been said about Ada.
        await bea.sio.disconnect()
        await stayer.wait_for("notice", lambda n: (n["kind"], n["name"]) == ("leave", other))
        about_ada = [kind for kind, who in notices(stayer) if who == name]
        assert about_ada == ["join"]  # no "left", no second "joined"

        # A real departure: "left", but only once the grace period is over.
        closed = time.monotonic()
        await back.sio.disconnect()
        left = await stayer.wait_for("notice", lambda n: (n["kind"], n["name"]) == ("leave", name))
        assert time.monotonic() - closed >= GRACE - 0.1
        assert left["channel"] == channel
        assert notices(stayer) == [("join", name), ("join", other), ("leave", other), ("leave", name)]
    finally:
        for peer in (stayer, ada, bea, back):
            if peer is not None and peer.sio.connected:
                await peer.sio.disconnect()
