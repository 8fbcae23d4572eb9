"""Catching up on changes (issue 14): what was edited, deleted and reacted to
while the page was away shows once it reconnects, because its rejoin says
the last revision it saw beside the last id.

As in ``test_ui_delivery.py``, the page's own server stops (SIGTERM) and the
changes are made on a *side* server sharing its state file, so the page can
only learn of them by catching up when its server is back on its address.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect
from servers import stop

from flack import testing
from wire_support import Peer

if TYPE_CHECKING:  # the fixture is conftest's; "conftest" is another module when tests/ runs first
    from conftest import Wire

QUIET = {"FLACK_LOG_LEVEL": "warning"}
RECONNECT_MS = 30_000  # socket.io retries every few seconds at most


async def change_behind_its_back(url: str, bob: tuple[str, str], alice: str, room: str) -> None:
    """As Bob (his own token): edit his first message, delete his second;
    as Alice: react to the first."""
    author = await Peer(url).connect()
    other = await Peer(url).connect()
    try:
        await author.ok("claim_name", {"name": bob[0], "token": bob[1]})
        kept = (await author.ok("join_channel", {"channel": room}))["messages"]
        first, second = kept[0]["id"], kept[1]["id"]
        await author.ok("edit_message", {"channel": room, "id": first, "text": "draft one, edited"})
        await author.ok("delete_message", {"channel": room, "id": second})
        await other.named(alice)
        await other.ok("join_channel", {"channel": room})
        await other.ok("react", {"channel": room, "id": first, "emoji": "👍"})
    finally:
        await author.sio.disconnect()
        await other.sio.disconnect()


def test_edits_deletions_and_reactions_made_while_away_show_after_reconnecting(
    person, names, wire: Wire, tmp_path: Path
):
    port = testing.free_port()
    env = {**QUIET, "FLACK_STATE_FILE": str(tmp_path / "state.json")}
    room = names("Away")

    with testing.server_process(env, port=port) as (url, process):
        bob = person(names("Bob"), url=url)
        bob.create_channel(room)
        bob.expect_open(room)
        bob.send("draft one")
        bob.send("remove me")
        assert bob.name is not None
        token = bob.local_storage()["flack.token"]
        joins: list[str] = []

        def watch(frame: Any) -> None:
            if '"join_channel"' in str(frame):
                joins.append(str(frame))

        bob.page.on("websocket", lambda ws: ws.on("framesent", watch))
        stop(process)
        expect(bob.status).to_have_text("Reconnecting…")

    with testing.server_process(env) as (side, process):
        wire.run(change_behind_its_back(side, (bob.name, token), names("Alice"), room))
        stop(process)
    expect(bob.article("draft one")).not_to_contain_text("edited")

    with testing.server_process(env, port=port):
        expect(bob.status).to_have_text("Connected", timeout=RECONNECT_MS)
        edited = bob.article("draft one, edited")
        expect(edited).to_contain_text("edited")
        thumbs = edited.get_by_role("button", name="👍 1", exact=True)
        expect(thumbs).to_have_attribute("aria-pressed", "false")
        expect(bob.article("remove me")).to_have_count(0)
        expect(bob.articles).to_have_count(1)
        # The rejoin asked for what came after the last id and what changed
        # after the last revision it had seen.
        assert len(joins) == 1 and re.search(r'"since":\d+,"revision":\d+', joins[0]), joins
        bob.context.close()
