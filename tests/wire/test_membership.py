"""A connection receives a channel's traffic exactly while the core says it
is in that channel: socket.io rooms follow the core on every path.

The fuzz (``test_fuzz.py``) checks the same as an invariant after every step;
these are the paths spelled out, each with a barrier: something that must
arrive *after* the unwanted event, so "it did not arrive" is never a guess.
"""

from __future__ import annotations

from wire_support import Peer, unique


def texts(peer: Peer) -> list[str]:
    return [data["message"]["text"] for data in peer.events("message")]


async def test_a_second_tab_that_moves_on_stops_receiving_the_first_channel(peers) -> None:
    one, two = unique("one-"), unique("two-")
    tab1 = await (await peers()).named(unique("ann"))
    tab2 = await peers()
    await tab2.ok("claim_name", {"name": tab1.name, "token": tab1.token})  # the same person
    bob = await (await peers()).named(unique("bob"))
    await bob.ok("create_channel", {"channel": one})
    await bob.ok("create_channel", {"channel": two})
    for peer in (tab1, tab2, bob):
        await peer.ok("join_channel", {"channel": one})
    await tab2.ok("join_channel", {"channel": two})  # tab 1 stays in #one: no "left" is said

    await bob.ok("send_message", {"channel": one, "text": "secret-in-one"})
    await bob.ok("join_channel", {"channel": two})
    await bob.ok("send_message", {"channel": two, "text": "barrier-in-two"})
    await tab2.wait_for("message", lambda m: m["message"]["text"] == "barrier-in-two")
    assert "secret-in-one" not in texts(tab2)
    await tab1.wait_for("message", lambda m: m["message"]["text"] == "secret-in-one")


async def test_a_tab_that_leaves_stops_receiving_while_another_tab_stays(peers) -> None:
    channel, elsewhere = unique("stay-"), unique("else-")
    tab1 = await (await peers()).named(unique("cy"))
    tab2 = await peers()
    await tab2.ok("claim_name", {"name": tab1.name, "token": tab1.token})
    bob = await (await peers()).named(unique("bo"))
    await bob.ok("create_channel", {"channel": channel})
    await bob.ok("create_channel", {"channel": elsewhere})
    for peer in (tab1, tab2, bob):
        await peer.ok("join_channel", {"channel": channel})
    await tab2.ok("leave_channel", {})

    await bob.ok("send_message", {"channel": channel, "text": "after-leaving"})
    # Barrier: channel_created goes to every connection, after the message.
    await bob.ok("create_channel", {"channel": unique("barrier-")})
    await tab2.wait_for("channel_created")
    assert "after-leaving" not in texts(tab2)
    await tab1.wait_for("message", lambda m: m["message"]["text"] == "after-leaving")


async def test_rejoining_after_leaving_receives_again(peers) -> None:
    channel = unique("again-")
    tab1 = await (await peers()).named(unique("di"))
    tab2 = await peers()
    await tab2.ok("claim_name", {"name": tab1.name, "token": tab1.token})
    await tab1.ok("create_channel", {"channel": channel})
    await tab1.ok("join_channel", {"channel": channel})
    await tab2.ok("join_channel", {"channel": channel})
    await tab2.ok("leave_channel", {})
    await tab2.ok("join_channel", {"channel": channel})
    await tab1.ok("send_message", {"channel": channel, "text": "both-tabs"})
    await tab2.wait_for("message", lambda m: m["message"]["text"] == "both-tabs")
