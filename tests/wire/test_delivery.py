"""Delivery guarantees on the wire: catching up by id after a reconnect, deduplicated retries."""

from __future__ import annotations

from wire_support import unique


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
