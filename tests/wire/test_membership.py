"""A connection receives a conversation's traffic exactly while the core says
its person is a member: socket.io rooms follow the core on every path.

Membership, not viewing: every tab of a member receives every conversation
of theirs, whatever it shows; leaving is explicit and ends delivery to every
tab; closing a connection leaves nothing. The fuzz (``test_fuzz.py``) checks
the same as an invariant after every step; these are the paths spelled out,
each with a barrier: something that must arrive *after* the unwanted event,
so "it did not arrive" is never a guess.
"""

from __future__ import annotations

from wire_support import Peer, unique


def texts(peer: Peer) -> list[str]:
    return [data["message"]["text"] for data in peer.events("message")]


async def same_person(peers, of: Peer) -> Peer:
    tab = await peers()
    data = await tab.ok("claim_name", {"name": of.name, "token": of.token})
    tab.name, tab.token = data["name"], data["token"]
    return tab


async def test_every_tab_of_a_member_receives_every_conversation_of_theirs(peers) -> None:
    one, two = unique("one-"), unique("two-")
    tab1 = await (await peers()).named(unique("ann"))
    tab2 = await same_person(peers, tab1)
    bob = await (await peers()).named(unique("bob"))
    for name in (one, two):
        await bob.ok("create_channel", {"channel": name})
        await bob.ok("join_channel", {"channel": name})
    await tab1.ok("join_channel", {"channel": one})
    await tab2.ok("join_channel", {"channel": two})  # joining #two leaves nothing
    await bob.ok("send_message", {"channel": one, "text": "in-one"})
    await bob.ok("send_message", {"channel": two, "text": "in-two"})
    for tab in (tab1, tab2):  # both tabs, both channels, whatever they have open
        await tab.wait_for("message", lambda m: m["message"]["text"] == "in-one")
        await tab.wait_for("message", lambda m: m["message"]["text"] == "in-two")


async def test_a_person_who_leaves_stops_receiving_on_every_tab(peers) -> None:
    channel = unique("stay-")
    tab1 = await (await peers()).named(unique("cy"))
    tab2 = await same_person(peers, tab1)
    bob = await (await peers()).named(unique("bo"))
    await bob.ok("create_channel", {"channel": channel})
    for peer in (tab1, bob):
        await peer.ok("join_channel", {"channel": channel})
    await tab2.ok("leave_channel", {"channel": channel})
    left = await bob.wait_for("notice", lambda n: n["kind"] == "leave" and n["name"] == tab1.name)
    assert left["channel"] == channel

    await bob.ok("send_message", {"channel": channel, "text": "after-leaving"})
    # Barrier: channel_created goes to every connection, after the message.
    await bob.ok("create_channel", {"channel": unique("barrier-")})
    for tab in (tab1, tab2):
        await tab.wait_for("channel_created")
        assert "after-leaving" not in texts(tab)
    ack = await tab1.call("send_message", {"channel": channel, "text": "still here?"})
    assert ack["error"]["code"] == "not_in_channel"


async def test_rejoining_after_leaving_receives_again(peers) -> None:
    channel = unique("again-")
    tab1 = await (await peers()).named(unique("di"))
    tab2 = await same_person(peers, tab1)
    await tab1.ok("create_channel", {"channel": channel})
    await tab1.ok("join_channel", {"channel": channel})
    await tab2.ok("leave_channel", {"channel": channel})
    await tab2.ok("join_channel", {"channel": channel})
    await tab1.ok("send_message", {"channel": channel, "text": "both-tabs"})
    await tab2.wait_for("message", lambda m: m["message"]["text"] == "both-tabs")
    await tab1.wait_for("message", lambda m: m["message"]["text"] == "both-tabs")


async def test_closing_a_connection_is_no_leave_and_the_person_comes_back_a_member(peers) -> None:
    channel = unique("back-")
    ann = await (await peers()).named(unique("an"))
    bob = await (await peers()).named(unique("bo"))
    await bob.ok("create_channel", {"channel": channel})
    for peer in (bob, ann):
        await peer.ok("join_channel", {"channel": channel})
    await ann.sio.disconnect()
    await bob.ok("send_message", {"channel": channel, "text": "while-away"})
    back = await same_person(peers, ann)  # a reload: nothing to join, it already receives
    await bob.ok("send_message", {"channel": channel, "text": "welcome-back"})
    await back.wait_for("message", lambda m: m["message"]["text"] == "welcome-back")
    joined = await back.ok("join_channel", {"channel": channel, "since": 0})
    assert [m["text"] for m in joined["messages"]] == ["while-away", "welcome-back"]
    # Barrier for the notices: Bob's own message comes back after anything said before it.
    await bob.ok("send_message", {"channel": channel, "text": "barrier"})
    await bob.wait_for("message", lambda m: m["message"]["text"] == "barrier")
    assert [n["kind"] for n in bob.events("notice") if n["name"] == ann.name] == ["join"]


async def test_a_tab_that_becomes_someone_else_stops_receiving_the_first_persons(peers) -> None:
    channel = unique("who-")
    tab = await (await peers()).named(unique("el"))
    bob = await (await peers()).named(unique("bo"))
    await bob.ok("create_channel", {"channel": channel})
    for peer in (tab, bob):
        await peer.ok("join_channel", {"channel": channel})
    await tab.ok("claim_name", {"name": unique("fresh"), "token": None})  # a new identity here
    await bob.ok("send_message", {"channel": channel, "text": "not-for-fresh"})
    await bob.ok("create_channel", {"channel": unique("barrier-")})
    await tab.wait_for("channel_created")
    assert "not-for-fresh" not in texts(tab)
