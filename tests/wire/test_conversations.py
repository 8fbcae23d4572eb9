"""Team conversations over the wire: people, direct messages, threads,
reactions, edit and delete; every event answered, every refusal coded.

Real server, real python-socketio clients (``conftest.py``), both
integrations. "Did not arrive" is always shown with a barrier: something
that must arrive after it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from flack.protocol import DIRECT_MAX, REACTIONS_MAX, direct_label
from wire_support import Peer, unique


async def person(peers: Any, prefix: str = "p") -> Peer:
    return await (await peers()).named(unique(prefix))


def code(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    return str(ack["error"]["code"])


async def channel_of(*members: Peer) -> str:
    name = unique("team-")
    await members[0].ok("create_channel", {"channel": name})
    for member in members:
        await member.ok("join_channel", {"channel": name})
    return name


# --- people --------------------------------------------------------------------------------


async def test_people_are_listed_and_a_new_name_or_rename_is_told_to_everyone(peers) -> None:
    ada = await person(peers, "ada")
    bea = await person(peers, "bea")
    listed = {p["id"]: p["name"] for p in (await ada.ok("list_people"))["people"]}
    assert listed[ada.id] == ada.name and listed[bea.id] == bea.name
    assert ada.token not in listed and all(len(pid) == 16 for pid in listed)
    renamed = unique("beatrix")
    await bea.ok("claim_name", {"name": renamed, "token": bea.token})
    await ada.wait_until(lambda: {"id": bea.id, "name": renamed} in told(ada))
    cy = await person(peers, "cy")
    await ada.wait_until(lambda: {"id": cy.id, "name": cy.name} in told(ada))


def told(peer: Peer) -> list[dict[str, str]]:
    """Every name ``peer`` was told of, alone (``person``) or with others (``people``)."""
    alone = [d["person"] for d in peer.events("person")]
    return alone + [p for d in peer.events("people") for p in d["people"]]


# --- direct conversations -------------------------------------------------------------------


async def test_a_direct_message_reaches_every_tab_of_its_members_only(peers) -> None:
    ada, bea, cy = await person(peers, "ada"), await person(peers, "bea"), await person(peers, "cy")
    bea_too = await peers()
    await bea_too.ok("claim_name", {"name": bea.name, "token": bea.token})
    opened = (await ada.ok("open_direct", {"people": [bea.id]}))["direct"]
    label = direct_label([ada.id, bea.id])
    assert opened["id"] == label
    assert sorted(m["name"] for m in opened["members"]) == sorted([ada.name, bea.name])
    for tab in (bea, bea_too):  # both of Bea's tabs hear of it, Ada (who asked) has the answer
        await tab.wait_for("direct_opened", lambda d: d["direct"]["id"] == label)
    joined = await bea.ok("join_channel", {"channel": label})
    assert joined["messages"] == [] and joined["channel"]["name"] == label
    sent = (await ada.ok("send_message", {"channel": label, "text": "psst", "client_id": unique("c")}))[
        "message"
    ]
    assert (sent["channel"], sent["sender_id"]) == (label, ada.id)
    for tab in (bea, bea_too):
        await tab.wait_for("message", lambda d: d["message"]["text"] == "psst")
    # Barrier for Cy: a channel created after the message reaches everyone.
    await ada.ok("create_channel", {"channel": unique("barrier-")})
    await cy.wait_for("channel_created")
    assert cy.events("message") == [] and cy.events("direct_opened") == []
    # Only oneself says nothing about others' conversations: the same refusal
    # whether the conversation exists or not.
    never = direct_label([bea.id, cy.id])
    for label_tried in (label, never):
        assert code(await cy.call("join_channel", {"channel": label_tried})) == "not_member"
        assert code(await cy.call("send_message", {"channel": label_tried, "text": "hi"})) == "not_member"


async def test_direct_conversations_come_back_on_another_browser_and_after_a_rename(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    label = (await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"]
    await ada.ok("send_message", {"channel": label, "text": "remember me"})
    renamed = unique("ada-l")
    await ada.ok("claim_name", {"name": renamed, "token": ada.token})
    elsewhere = await peers()  # another browser with the same token
    await elsewhere.ok("claim_name", {"name": renamed, "token": ada.token})
    listed = await elsewhere.ok("list_conversations")
    [direct] = [d for d in listed["directs"] if d["id"] == label]
    assert sorted(m["name"] for m in direct["members"]) == sorted([renamed, bea.name])
    history = (await elsewhere.ok("join_channel", {"channel": label}))["messages"]
    assert [m["text"] for m in history] == ["remember me"]


async def test_a_group_has_at_most_8_people_and_only_people_who_exist(peers) -> None:
    people = [await person(peers, "g") for _ in range(DIRECT_MAX + 1)]
    host = people[0]
    group = (await host.ok("open_direct", {"people": [p.id for p in people[1:DIRECT_MAX]]}))["direct"]
    assert len(group["members"]) == DIRECT_MAX
    assert code(await host.call("open_direct", {"people": [p.id for p in people[1:]]})) == "too_many_people"
    assert code(await host.call("open_direct", {"people": ["0123456789abcdef"]})) == "no_such_person"
    assert code(await host.call("open_direct", {"people": ["not an id"]})) == "bad_payload"
    assert code(await host.call("leave_channel", {"channel": group["id"]})) == "cannot_leave"
    unnamed = await peers()
    assert code(await unnamed.call("open_direct", {"people": [host.id]})) == "not_named"


async def test_list_conversations_says_where_one_is_a_member(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    mine, theirs = unique("mine-"), unique("theirs-")
    await ada.ok("create_channel", {"channel": mine})
    await ada.ok("join_channel", {"channel": mine})
    await bea.ok("create_channel", {"channel": theirs})
    label = (await bea.ok("open_direct", {"people": [ada.id]}))["direct"]["id"]
    listed = await ada.ok("list_conversations")
    assert [c["name"] for c in listed["channels"]] == [mine]
    assert [d["id"] for d in listed["directs"]] == [label]


# --- threads -------------------------------------------------------------------------------------


async def test_a_reply_is_a_message_of_the_thread_and_its_parent_counts_live(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    channel = await channel_of(ada, bea)
    parent = (await ada.ok("send_message", {"channel": channel, "text": "lunch?"}))["message"]
    reply = (await bea.ok("send_message", {"channel": channel, "text": "yes", "parent": parent["id"]}))[
        "message"
    ]
    assert reply["parent"] == parent["id"]
    counted = await ada.wait_for("message_updated", lambda d: d["message"]["id"] == parent["id"])
    assert counted["message"]["replies"] == 1 and counted["message"]["text"] == "lunch?"
    await ada.wait_for("message", lambda d: d["message"]["id"] == reply["id"])
    for wrong in (reply["id"], 10_000):  # no thread in a thread; nothing that is not kept
        ack = await bea.call("send_message", {"channel": channel, "text": "re", "parent": wrong})
        assert code(ack) == "no_such_message"
    assert (
        code(await bea.call("send_message", {"channel": channel, "text": "x", "parent": -1})) == "bad_payload"
    )
    history = (await ada.ok("join_channel", {"channel": channel}))["messages"]
    # Fields at their defaults are left out (docs/protocol.md).
    assert [(m["id"], m.get("parent"), m.get("replies", 0)) for m in history] == [
        (parent["id"], None, 1),
        (reply["id"], parent["id"], 0),
    ]


# --- reactions, edit, delete --------------------------------------------------------------------


async def test_reactions_toggle_live_for_everyone_who_can_see_the_message(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    channel = await channel_of(ada, bea)
    message = (await ada.ok("send_message", {"channel": channel, "text": "shipped"}))["message"]
    ref = {"channel": channel, "id": message["id"]}
    liked = (await bea.ok("react", {**ref, "emoji": "🎉"}))["message"]
    assert liked["reactions"] == [{"emoji": "🎉", "people": [bea.id]}]
    both = (await ada.ok("react", {**ref, "emoji": "🎉"}))["message"]
    assert both["reactions"] == [{"emoji": "🎉", "people": [bea.id, ada.id]}]

    def by_both(data: dict[str, Any]) -> bool:
        reactions = data["message"].get("reactions", [])
        return len(reactions) == 1 and len(reactions[0]["people"]) == 2

    seen = await bea.wait_for("message_updated", by_both)
    assert seen["message"]["revision"] == both["revision"]
    back = (await bea.ok("react", {**ref, "emoji": "🎉"}))["message"]
    assert back["reactions"] == [{"emoji": "🎉", "people": [ada.id]}]
    assert code(await bea.call("react", {**ref, "emoji": "lol"})) == "emoji_invalid"
    assert code(await bea.call("react", {**ref, "id": 10_000, "emoji": "👍"})) == "no_such_message"
    for n in range(REACTIONS_MAX - 1):
        await bea.ok("react", {**ref, "emoji": chr(0x1F600 + n)})
    assert code(await bea.call("react", {**ref, "emoji": "🦄"})) == "too_many_reactions"


async def test_editing_is_for_ones_own_messages_and_says_edited_everywhere(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    channel = await channel_of(ada, bea)
    message = (await ada.ok("send_message", {"channel": channel, "text": "helo"}))["message"]
    ref = {"channel": channel, "id": message["id"]}
    assert code(await bea.call("edit_message", {**ref, "text": "hijacked"})) == "not_yours"
    assert code(await ada.call("edit_message", {**ref, "text": ""})) == "message_invalid"
    assert code(await ada.call("edit_message", {**ref, "text": "x" * 4001})) == "message_too_long"
    edited = (await ada.ok("edit_message", {**ref, "text": "hello"}))["message"]
    assert (edited["text"], edited["edited"]) == ("hello", True)
    live = await bea.wait_for("message_updated", lambda d: d["message"]["id"] == message["id"])
    assert live["message"]["text"] == "hello" and live["message"]["edited"] is True
    # A client that saw message 1 but not the edit catches up on it.
    caught = await bea.ok("join_channel", {"channel": channel, "since": message["id"], "revision": 0})
    assert [(m["id"], m["text"]) for m in caught["messages"]] == [(message["id"], "hello")]
    later = await bea.ok(
        "join_channel", {"channel": channel, "since": message["id"], "revision": edited["revision"]}
    )
    assert later["messages"] == []


async def test_deleting_takes_the_message_its_thread_and_reactions_everywhere(peers) -> None:
    ada, bea = await person(peers, "ada"), await person(peers, "bea")
    channel = await channel_of(ada, bea)
    parent = (await ada.ok("send_message", {"channel": channel, "text": "oops"}))["message"]
    reply = (await bea.ok("send_message", {"channel": channel, "text": "?", "parent": parent["id"]}))[
        "message"
    ]
    await bea.ok("react", {"channel": channel, "id": parent["id"], "emoji": "👀"})
    ref = {"channel": channel, "id": parent["id"]}
    assert code(await bea.call("delete_message", ref)) == "not_yours"
    gone = (await ada.ok("delete_message", ref))["message"]
    assert gone["deleted"] is True and (gone["text"], gone["file"]) == ("", None)
    assert "reactions" not in gone and "replies" not in gone  # none left
    for mid in (parent["id"], reply["id"]):
        update = await bea.wait_for(
            "message_updated", lambda d, mid=mid: d["message"]["id"] == mid and d["message"].get("deleted")
        )
        assert update["message"]["text"] == ""
    assert code(await ada.call("delete_message", ref)) == "no_such_message"  # once
    assert code(await bea.call("react", {**ref, "emoji": "👍"})) == "no_such_message"
    history = (await bea.ok("join_channel", {"channel": channel}))["messages"]
    assert all(m.get("deleted") and m["text"] == "" for m in history)


async def test_every_new_event_needs_a_name(peers) -> None:
    nobody = await peers()
    for event, payload in (
        ("list_conversations", {}),
        ("edit_message", {"channel": "x", "id": 1, "text": "y"}),
        ("delete_message", {"channel": "x", "id": 1}),
        ("react", {"channel": "x", "id": 1, "emoji": "👍"}),
        ("leave_channel", {"channel": "x"}),
    ):
        assert code(await nobody.call(event, payload)) == "not_named", event


async def test_a_storm_of_new_names_is_told_in_a_few_packets(peers) -> None:
    """Many people naming themselves at once: every connection learns every
    name, in far fewer packets than names (``person`` then ``people``)."""
    watcher = await person(peers, "watch")
    crowd = [await peers() for _ in range(30)]
    names = [unique("crowd") for _ in crowd]
    await asyncio.gather(*(p.ok("claim_name", {"name": n}) for p, n in zip(crowd, names, strict=True)))

    await watcher.wait_until(lambda: set(names) <= {p["name"] for p in told(watcher)})
    packets = len([e for e, _ in watcher.frames if e in ("person", "people")])
    assert packets < len(names) / 3, packets
