"""Delivery guarantees on the wire: catching up by id after a reconnect, deduplicated retries."""

from __future__ import annotations

import asyncio

from flack.testing import running_server
from wire_support import Peer, unique


async def test_rejoin_with_since_gets_exactly_the_missed_messages(peers) -> None:
    channel = unique("catchup-")
    talker = await (await peers()).named(unique("talker"))
    await talker.ok("create_channel", {"channel": channel})
    await talker.ok("join_channel", {"channel": channel})
    listener = await peers()
    await listener.named(unique("listener"))
    joined = await listener.ok("join_channel", {"channel": channel})
    assert joined["messages"] == [] and joined["gap"] is False
    for n in range(3):
        await talker.ok("send_message", {"channel": channel, "text": f"seen {n}"})
    await listener.wait_for("message", lambda d: d["message"]["text"] == "seen 2")
    last_seen = max(d["message"]["id"] for d in listener.events("message"))
    token = listener.token

    await listener.sio.disconnect()  # the network drops
    for n in range(5):
        await talker.ok("send_message", {"channel": channel, "text": f"missed {n}"})
    back = await peers()
    await back.ok("claim_name", {"name": listener.name, "token": token})
    caught = await back.ok("join_channel", {"channel": channel, "since": last_seen})
    assert [m["text"] for m in caught["messages"]] == [f"missed {n}" for n in range(5)]
    assert caught["gap"] is False
    ids = [m["id"] for m in caught["messages"]]
    assert ids == sorted(ids) and ids[0] == last_seen + 1


async def test_a_gap_beyond_the_history_is_reported(peers) -> None:
    channel = unique("gap-")
    talker = await (await peers()).named(unique("talker"))
    await talker.ok("create_channel", {"channel": channel})
    await talker.ok("join_channel", {"channel": channel})
    for n in range(110):
        await talker.ok("send_message", {"channel": channel, "text": f"m{n}"})
    reader = await (await peers()).named(unique("reader"))
    caught = await reader.ok("join_channel", {"channel": channel, "since": 3})
    assert caught["gap"] is True and len(caught["messages"]) == 100
    assert caught["messages"][0]["text"] == "m10"


async def test_a_retried_send_appears_once(peers) -> None:
    channel = unique("retry-")
    sender = await (await peers()).named(unique("sender"))
    await sender.ok("create_channel", {"channel": channel})
    await sender.ok("join_channel", {"channel": channel})
    watcher = await (await peers()).named(unique("watcher"))
    await watcher.ok("join_channel", {"channel": channel})
    payload = {"channel": channel, "text": "only once", "client_id": "b5c1e0c2-retry"}
    first = await sender.ok("send_message", payload)
    second = await sender.ok("send_message", payload)  # the ack was lost; the client retries
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert second["message"] == first["message"]
    assert first["message"]["client_id"] == "b5c1e0c2-retry"
    # Barrier: a later message in the same channel arrives after any repeat would have.
    await sender.ok("send_message", {"channel": channel, "text": "after the retry"})
    await watcher.wait_for("message", lambda d: d["message"]["text"] == "after the retry")
    assert [d["message"]["text"] for d in watcher.events("message")] == ["only once", "after the retry"]
    history = (await watcher.ok("join_channel", {"channel": channel}))["messages"]
    assert [m["text"] for m in history] == ["only once", "after the retry"]


async def test_a_retry_is_recognised_however_much_someone_else_sends() -> None:
    """Issue 11: the client_id memory was one table of 10,000 for everybody,
    so one person's sends pushed out another's and the victim's retry was
    stored twice. It is per identity: nobody else's sending touches it."""
    with running_server() as url:
        victim = await (await Peer(url).connect()).named("victim")
        flooder = await (await Peer(url).connect()).named("flooder")
        try:
            await victim.ok("create_channel", {"channel": "quiet"})
            await victim.ok("join_channel", {"channel": "quiet"})
            first = await victim.ok(
                "send_message", {"channel": "quiet", "text": "pay Bob", "client_id": "v-1"}
            )
            await flooder.ok("create_channel", {"channel": "noise"})
            await flooder.ok("join_channel", {"channel": "noise"})
            for batch in range(11):  # 11,000 sends, 1,000 in flight at a time (bounded)
                await asyncio.gather(
                    *(
                        flooder.ok(
                            "send_message", {"channel": "noise", "text": "x", "client_id": f"f-{batch}-{n}"}
                        )
                        for n in range(1000)
                    )
                )
            retry = await victim.ok(
                "send_message", {"channel": "quiet", "text": "pay Bob", "client_id": "v-1"}
            )
            assert retry["duplicate"] is True and retry["message"] == first["message"]
            history = (await victim.ok("join_channel", {"channel": "quiet"}))["messages"]
            assert [m["text"] for m in history] == ["pay Bob"]  # stored once
        finally:
            await victim.sio.disconnect()
            await flooder.sio.disconnect()


async def test_the_same_client_id_from_two_people_is_two_messages(peers) -> None:
    channel = unique("ids-")
    ada = await (await peers()).named(unique("ada"))
    bob = await (await peers()).named(unique("bob"))
    await ada.ok("create_channel", {"channel": channel})
    for peer in (ada, bob):
        await peer.ok("join_channel", {"channel": channel})
    mine = await ada.ok("send_message", {"channel": channel, "text": "from ada", "client_id": "same"})
    theirs = await bob.ok("send_message", {"channel": channel, "text": "from bob", "client_id": "same"})
    assert theirs["duplicate"] is False and theirs["message"]["id"] != mine["message"]["id"]
    assert theirs["message"]["sender"] == bob.name
