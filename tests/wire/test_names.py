"""Names over the wire: claims, conflicts, token reclaim, idle release, renames."""

from __future__ import annotations

import asyncio

from flack.testing import running_server
from wire_support import Peer, unique


async def test_claim_returns_name_and_token(peers) -> None:
    peer = await peers()
    name = unique("Ada ")
    data = await peer.ok("claim_name", {"name": f"  {name}  "})
    assert data["name"] == name
    assert isinstance(data["token"], str) and len(data["token"]) >= 32


async def test_name_conflict_is_case_insensitive(peers) -> None:
    name = unique("bob")
    await (await peers()).named(name)
    ack = await (await peers()).call("claim_name", {"name": name.upper()})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "name_taken"
    assert name.upper() in ack["error"]["message"]


async def test_token_reclaims_the_name_and_nobody_else_can(peers) -> None:
    name = unique("carol")
    first = await (await peers()).named(name)
    await first.sio.disconnect()
    stranger = await (await peers()).call("claim_name", {"name": name})
    assert stranger["error"]["code"] == "name_taken"
    forged = await (await peers()).call("claim_name", {"name": name, "token": "not-the-token"})
    assert forged["error"]["code"] == "name_taken"
    back = await (await peers()).ok("claim_name", {"name": name, "token": first.token})
    assert back == {"name": name, "token": first.token}


async def test_idle_name_is_released_after_the_configured_time() -> None:
    with running_server({"FLACK_NAME_IDLE_SECONDS": "1"}) as url:
        holder = await Peer(url).connect()
        await holder.named("dora")
        other = await Peer(url).connect()
        try:
            assert (await other.call("claim_name", {"name": "dora"}))["error"]["code"] == "name_taken"
            await holder.sio.disconnect()
            await asyncio.sleep(1.3)
            data = await other.ok("claim_name", {"name": "dora"})
            assert data["token"] != holder.token
        finally:
            await other.sio.disconnect()


async def test_rename_frees_old_name_and_announces_it(peers) -> None:
    channel = unique("rename-room-")
    old, new = unique("erin"), unique("frank")
    renamer = await (await peers()).named(old)
    watcher = await (await peers()).named(unique("gina"))
    await renamer.ok("create_channel", {"channel": channel})
    await renamer.ok("join_channel", {"channel": channel})
    await watcher.ok("join_channel", {"channel": channel})
    data = await renamer.ok("claim_name", {"name": new, "token": renamer.token})
    assert data == {"name": new, "token": renamer.token}
    notice = await watcher.wait_for("notice", lambda n: n["kind"] == "rename")
    assert (notice["channel"], notice["name"], notice["old_name"]) == (channel, new, old)
    await (await peers()).named(old)  # the old name is free
    sent = await renamer.ok("send_message", {"channel": channel, "text": "still me"})
    assert sent["message"]["sender"] == new


async def test_idle_identities_are_swept_by_the_server() -> None:
    """The server's periodic sweep forgets idle identities by itself: after the idle
    time, the old token is unknown, so the same name comes back with a new token."""
    with running_server({"FLACK_NAME_IDLE_SECONDS": "0.4"}) as url:
        holder = await Peer(url).connect()
        await holder.named("edna")
        await holder.sio.disconnect()
        await asyncio.sleep(1.0)  # idle 0.4 s; the sweep runs every 0.2 s
        back = await Peer(url).connect()
        try:
            data = await back.ok("claim_name", {"name": "edna", "token": holder.token})
            assert data["name"] == "edna" and data["token"] != holder.token
        finally:
            await back.sio.disconnect()
