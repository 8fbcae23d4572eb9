"""Read marks, unread counts and mentions over the wire (issue 15, items 3
and 4): the server keeps each person's mark per conversation, every tab of
theirs agrees (``read``), nobody else hears of it, and the counts follow
what others send. "Did not arrive" is shown with a barrier."""

from __future__ import annotations

from typing import Any

from wire_support import Peer, unique


def reads(listed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["channel"]: r for r in listed["reads"]}


async def test_counts_marks_and_the_read_event_to_the_persons_other_tabs(peers) -> None:
    ada = await (await peers()).named(unique("ada"))
    ada_tab = await peers()
    await ada_tab.ok("claim_name", {"name": ada.name, "token": ada.token})
    bea = await (await peers()).named(unique("bea"))
    channel = unique("unread-")
    await ada.ok("create_channel", {"channel": channel})
    for peer in (ada, bea):
        await peer.ok("join_channel", {"channel": channel})
    sent = []
    for text in ("lunch?", f"@{ada.name.upper()} you too", "@channel noon", "fine"):
        sent.append((await bea.ok("send_message", {"channel": channel, "text": text}))["message"]["id"])
    await ada.ok("send_message", {"channel": channel, "text": "mine: never unread"})
    listed = reads(await ada.ok("list_conversations"))
    assert listed[channel] == {"channel": channel, "read": 0, "unread": 4, "mentions": 2}
    assert reads(await bea.ok("list_conversations"))[channel]["unread"] == 1
    answer = await ada.ok("mark_read", {"channel": channel, "id": sent[1]})
    assert answer == {"channel": channel, "read": sent[1], "unread": 2, "mentions": 1}
    # The other tab of the same person hears of it; the tab that marked does not.
    assert await ada_tab.wait_for("read") == answer
    # A mark that does not move tells nobody: barrier = a later mark that does.
    assert (await ada.ok("mark_read", {"channel": channel, "id": sent[0]}))["read"] == sent[1]
    last = await ada.ok("mark_read", {"channel": channel, "id": 10**9})  # never past the newest
    assert last == {"channel": channel, "read": sent[-1] + 1, "unread": 0, "mentions": 0}
    await ada_tab.wait_for("read", lambda d: d == last)
    assert len(ada_tab.events("read")) == 2 and ada.events("read") == []
    # Bea (another person, same conversation) never hears of Ada's marks.
    await ada.ok("send_message", {"channel": channel, "text": "barrier"})
    await bea.wait_for("message", lambda d: d["message"]["text"] == "barrier")
    assert bea.events("read") == []


async def test_direct_messages_are_mentions_and_a_newcomer_starts_read(peers) -> None:
    ada = await (await peers()).named(unique("ada"))
    bea = await (await peers()).named(unique("bea"))
    direct = (await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"]
    await ada.ok("send_message", {"channel": direct, "text": "psst"})
    await ada.ok("send_message", {"channel": direct, "text": "psst again"})
    assert reads(await bea.ok("list_conversations"))[direct] == {
        "channel": direct,
        "read": 0,
        "unread": 2,
        "mentions": 2,
    }
    channel = unique("late-")
    await ada.ok("create_channel", {"channel": channel})
    await ada.ok("join_channel", {"channel": channel})
    await ada.ok("send_message", {"channel": channel, "text": f"before @{bea.name} came"})
    await bea.ok("join_channel", {"channel": channel})
    assert reads(await bea.ok("list_conversations"))[channel] == {
        "channel": channel,
        "read": 1,
        "unread": 0,
        "mentions": 0,
    }


async def test_only_members_mark_and_bad_marks_are_refused(peers) -> None:
    ada = await (await peers()).named(unique("ada"))
    bea = await (await peers()).named(unique("bea"))
    outsider = await (await peers()).named(unique("out"))
    channel = unique("members-")
    await ada.ok("create_channel", {"channel": channel})
    await ada.ok("join_channel", {"channel": channel})
    direct = (await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"]
    await ada.ok("send_message", {"channel": direct, "text": "secret"})
    refusals = {
        (channel, 1): "not_in_channel",
        (direct, 1): "not_member",
        ("no-such-channel", 1): "no_such_channel",
    }
    for (where, message_id), code in refusals.items():
        ack = await outsider.call("mark_read", {"channel": where, "id": message_id})
        assert ack["error"]["code"] == code, (where, ack)
    for bad in ({"channel": channel}, {"channel": channel, "id": -1}, {"channel": channel, "id": "1"}, []):
        ack = await ada.call("mark_read", bad)
        assert ack["error"]["code"] == "bad_payload", (bad, ack)
    assert reads(await outsider.ok("list_conversations")) == {}
    unnamed: Peer = await peers()
    assert (await unnamed.call("mark_read", {"channel": channel, "id": 1}))["error"]["code"] == "not_named"
