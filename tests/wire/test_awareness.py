"""Presence, typing and coalesced notices over the wire (issue 15 items 1-2).

Real server, real python-socketio clients; "did not arrive" is shown with a
barrier. The 200-client burst counts packets: news about people and joins
must cost each connection a few packets per window, not one per newcomer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from wire_support import Peer, unique


def statuses(peer: Peer) -> dict[str, str]:
    """The latest presence ``peer`` was told of, per person id."""
    told: dict[str, str] = {}
    for data in peer.events("presence"):
        for entry in data["people"]:
            told[entry["id"]] = entry["status"]
    return told


async def test_presence_online_away_and_offline_reach_everyone_with_a_name(peers) -> None:
    watcher = await (await peers()).named(unique("watch"))
    ada = await (await peers()).named(unique("ada"))
    await watcher.wait_until(lambda: statuses(watcher).get(ada.id) == "online")
    listed = await watcher.ok("list_people")
    assert {"id": ada.id, "status": "online"} in listed["presence"]
    await ada.ok("set_presence", {"hidden": True})
    await watcher.wait_until(lambda: statuses(watcher).get(ada.id) == "away")
    await ada.ok("set_presence", {"hidden": False})
    await watcher.wait_until(lambda: statuses(watcher).get(ada.id) == "online")
    await ada.sio.disconnect()
    await watcher.wait_until(lambda: statuses(watcher).get(ada.id) == "offline")
    unnamed = await peers()  # no name, no People list: no news about people
    bea = await (await peers()).named(unique("bea"))
    await watcher.wait_until(lambda: statuses(watcher).get(bea.id) == "online")
    await bea.ok("create_channel", {"channel": unique("barrier-")})
    await unnamed.wait_for("channel_created")
    assert unnamed.events("presence") == [] and unnamed.events("person") == []


async def test_typing_reaches_the_other_members_once_every_few_seconds(peers) -> None:
    ada = await (await peers()).named(unique("ada"))
    bea = await (await peers()).named(unique("bea"))
    outsider = await (await peers()).named(unique("out"))
    channel = unique("typing-")
    await ada.ok("create_channel", {"channel": channel})
    for peer in (ada, bea):
        await peer.ok("join_channel", {"channel": channel})
    for _ in range(5):  # a burst of keystrokes: one on the wire
        await ada.ok("typing", {"channel": channel})
    seen = await bea.wait_for("typing")
    assert seen == {"channel": channel, "person": ada.id, "name": ada.name}
    # Barrier: a message after the burst; by then every typing event was sent.
    await ada.ok("send_message", {"channel": channel, "text": "done typing"})
    await bea.wait_for("message", lambda d: d["message"]["text"] == "done typing")
    assert len(bea.events("typing")) == 1 and ada.events("typing") == []
    await ada.ok("create_channel", {"channel": unique("barrier-")})
    await outsider.wait_for("channel_created")
    assert outsider.events("typing") == []
    ack = await outsider.call("typing", {"channel": channel})
    assert ack["error"]["code"] == "not_in_channel"


async def test_a_burst_of_200_newcomers_costs_each_connection_a_few_packets(peers) -> None:
    """200 people connect, name themselves and join one channel at once:
    an early member gets every name, presence and join, in far fewer
    packets than 3 × 200 (each was a packet of its own before)."""
    channel = unique("burst-")
    host = await (await peers()).named(unique("host"))
    await host.ok("create_channel", {"channel": channel})
    await host.ok("join_channel", {"channel": channel})
    crowd: list[Peer] = await asyncio.gather(*(peers() for _ in range(200)))
    names = [unique("c") for _ in crowd]

    async def arrive(peer: Peer, name: str) -> None:
        await peer.ok("claim_name", {"name": name})
        await peer.ok("join_channel", {"channel": channel})

    await asyncio.gather(*(arrive(p, n) for p, n in zip(crowd, names, strict=True)))
    everyone = set(names)

    def joined() -> set[str]:
        return {n["name"] for n in host.events("notice") if n["kind"] == "join"}

    await host.wait_until(lambda: everyone <= joined())
    news: dict[str, Any] = {}
    for event, _ in host.frames:
        news[event] = news.get(event, 0) + 1
    packets = sum(news.get(e, 0) for e in ("person", "people", "presence", "notice", "notices"))
    assert packets < 60, news  # 600 separate packets before coalescing
