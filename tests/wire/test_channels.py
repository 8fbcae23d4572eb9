"""Channels and messages over the wire."""

from __future__ import annotations

import asyncio

from flack.protocol import person_id
from wire_support import unique


async def test_create_channel_broadcasts_to_everyone(peers) -> None:
    creator = await (await peers()).named(unique("hal"))
    onlooker = await peers()  # not even named: everybody hears about new channels
    name = unique("Lobby-")
    data = await creator.ok("create_channel", {"channel": f" {name} "})
    assert data == {"channel": {"name": name}}
    event = await onlooker.wait_for("channel_created", lambda e: e["channel"]["name"] == name)
    assert event == {"channel": {"name": name}}
    listed = await onlooker.ok("list_channels", {})
    assert {"name": name} in listed["channels"]


async def test_channel_conflict_is_case_insensitive(peers) -> None:
    peer = await (await peers()).named(unique("ida"))
    name = unique("Dup-")
    await peer.ok("create_channel", {"channel": name})
    ack = await peer.call("create_channel", {"channel": name.lower()})
    assert ack["ok"] is False and ack["error"]["code"] == "channel_exists"


async def test_list_is_sorted_case_insensitively(peers) -> None:
    peer = await (await peers()).named(unique("jo"))
    suffix = unique("")
    for name in (f"b-{suffix}", f"A-{suffix}", f"c-{suffix}"):
        await peer.ok("create_channel", {"channel": name})
    names = [c["name"] for c in (await peer.ok("list_channels", {}))["channels"]]
    assert names == sorted(names, key=str.casefold)


async def test_history_is_capped_at_exactly_100(peers) -> None:
    channel = unique("history-")
    sender = await (await peers()).named(unique("kim"))
    await sender.ok("create_channel", {"channel": channel})
    await sender.ok("join_channel", {"channel": channel})
    for n in range(105):
        await sender.ok("send_message", {"channel": channel, "text": f"message {n}"})
    newcomer = await (await peers()).named(unique("lee"))
    history = (await newcomer.ok("join_channel", {"channel": channel}))["messages"]
    assert len(history) == 100
    assert [m["text"] for m in history] == [f"message {n}" for n in range(5, 105)]
    assert [m["id"] for m in history] == list(range(6, 106))


async def test_messages_reach_the_channel_and_nobody_else(peers) -> None:
    here, there = unique("here-"), unique("there-")
    alice = await (await peers()).named(unique("alice"))
    bob = await (await peers()).named(unique("bob"))
    carol = await (await peers()).named(unique("carol"))
    lurker = await peers()  # connected, in no channel
    await alice.ok("create_channel", {"channel": here})
    await alice.ok("create_channel", {"channel": there})
    for peer, channel in ((alice, here), (bob, here), (carol, there)):
        await peer.ok("join_channel", {"channel": channel})
    sent = (await alice.ok("send_message", {"channel": here, "text": "for here only"}))["message"]
    assert (await bob.wait_for("message"))["message"] == sent
    assert (await alice.wait_for("message"))["message"] == sent  # the sender sees it live too
    # A barrier: once carol's own later message arrives, alice's would have too.
    await carol.ok("send_message", {"channel": there, "text": "barrier"})
    await carol.wait_for("message", lambda m: m["message"]["text"] == "barrier")
    assert [m["message"]["text"] for m in carol.events("message")] == ["barrier"]
    assert lurker.events("message") == []
    assert sent["sender"] == alice.events("message")[0]["message"]["sender"]


async def test_message_shape_and_server_time(peers) -> None:
    channel = unique("shape-")
    peer = await (await peers()).named(unique("mo"))
    await peer.ok("create_channel", {"channel": channel})
    await peer.ok("join_channel", {"channel": channel})
    message = (await peer.ok("send_message", {"channel": channel, "text": " <b>hi</b> "}))["message"]
    # Fields of threads, reactions, edits and deletions only when they say something.
    assert set(message) == {"id", "channel", "sender", "text", "time", "file", "client_id", "sender_id"}
    assert message["file"] is None  # a text message, not a shared file
    assert message["sender_id"] == person_id(peer.token)  # public, and not the token
    assert message["text"] == "<b>hi</b>"  # stored as text, never interpreted
    assert message["channel"] == channel and message["id"] == 1
    assert message["time"].endswith("Z") and len(message["time"]) == len("2026-11-25T10:39:47.123Z")


async def test_sender_cannot_be_spoofed(peers) -> None:
    channel = unique("spoof-")
    mallory = await (await peers()).named(unique("mallory"))
    await mallory.ok("create_channel", {"channel": channel})
    await mallory.ok("join_channel", {"channel": channel})
    payload = {"channel": channel, "text": "hi", "sender": "admin", "time": "1999-01-01T00:00:00Z", "id": 1}
    message = (await mallory.ok("send_message", payload))["message"]
    assert message["sender"] != "admin" and message["sender"].startswith("mallory")
    assert not message["time"].startswith("1999")


async def test_join_leave_notices_go_to_others_only(peers) -> None:
    """Only membership changes are news: joining (once), leaving (explicitly).
    Joining another channel, opening one again, or closing the connection
    says nothing."""
    channel, elsewhere = unique("notices-"), unique("elsewhere-")
    mover_name = unique("oz")
    stayer = await (await peers()).named(unique("nia"))
    mover = await (await peers()).named(mover_name)
    await stayer.ok("create_channel", {"channel": channel})
    await stayer.ok("create_channel", {"channel": elsewhere})
    await stayer.ok("join_channel", {"channel": channel})
    await mover.ok("join_channel", {"channel": channel})
    joined = await stayer.wait_for("notice", lambda n: n["kind"] == "join")
    assert (joined["name"], joined["channel"]) == (mover_name, channel)
    await mover.ok("join_channel", {"channel": elsewhere})
    await mover.ok("join_channel", {"channel": channel})  # already a member: no news
    await mover.ok("leave_channel", {"channel": channel})
    left = await stayer.wait_for("notice", lambda n: n["kind"] == "leave")
    assert (left["name"], left["channel"]) == (mover_name, channel)
    assert [n["kind"] for n in stayer.events("notice")] == ["join", "leave"]
    # Nobody is told about their own moves alone (a burst's notices travel
    # together, in one packet for everyone: see docs/protocol.md).
    assert [n for e, n in mover.frames if e == "notice" and n["name"] == mover_name] == []


async def test_a_second_tab_of_the_same_person_is_no_news(peers) -> None:
    """Two connections with one token are one person: the channel hears "joined"
    when the first joins, and nothing when a tab closes."""
    channel = unique("tabs-")
    name = unique("ida")
    stayer = await (await peers()).named(unique("nia"))
    first = await (await peers()).named(name)
    second = await peers()
    await second.ok("claim_name", {"name": name, "token": first.token})
    await stayer.ok("create_channel", {"channel": channel})
    await stayer.ok("join_channel", {"channel": channel})
    await first.ok("join_channel", {"channel": channel})
    await second.ok("join_channel", {"channel": channel})
    await first.sio.disconnect()
    await second.ok("send_message", {"channel": channel, "text": "still here"})
    await stayer.wait_for("message", lambda m: m["message"]["text"] == "still here")
    # Each acknowledged before the message was sent: the second tab's join and
    # the first tab's closing came first, and announced nothing.
    assert [(n["kind"], n["name"]) for n in stayer.events("notice")] == [("join", name)]


async def test_not_in_channel_and_unknown_channel(peers) -> None:
    peer = await (await peers()).named(unique("pat"))
    channel = unique("closed-")
    await peer.ok("create_channel", {"channel": channel})
    ack = await peer.call("send_message", {"channel": channel, "text": "hi"})
    assert ack["error"]["code"] == "not_in_channel"
    ack = await peer.call("join_channel", {"channel": unique("missing-")})
    assert ack["error"]["code"] == "no_such_channel"


async def test_actions_before_naming_are_refused(peers) -> None:
    peer = await peers()
    for event, payload in (
        ("create_channel", {"channel": unique("x")}),
        ("join_channel", {"channel": "general"}),
        ("send_message", {"channel": "general", "text": "hi"}),
    ):
        ack = await peer.call(event, payload)
        assert ack["error"]["code"] == "not_named", (event, ack)


async def test_many_clients_at_once(peers) -> None:
    channel = unique("crowd-")
    host = await (await peers()).named(unique("host"))
    await host.ok("create_channel", {"channel": channel})
    crowd = [await (await peers()).named(unique("guest")) for _ in range(8)]
    await asyncio.gather(*(p.ok("join_channel", {"channel": channel}) for p in crowd))
    await asyncio.gather(*(p.ok("send_message", {"channel": channel, "text": "hello"}) for p in crowd))
    for peer in crowd:
        async with asyncio.timeout(5):
            while len(peer.events("message")) < len(crowd):
                await asyncio.sleep(0.02)
        ids = [m["message"]["id"] for m in peer.events("message")]
        assert sorted(ids) == list(range(1, len(crowd) + 1))
