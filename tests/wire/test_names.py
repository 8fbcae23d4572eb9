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


async def test_rename_keeps_old_name_and_announces_it(peers) -> None:
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
    # Issue 11: the old name stays the renamer's for the idle period (before,
    # it was free at once: someone else could post as them under the same history).
    taken = await (await peers()).call("claim_name", {"name": old})
    assert taken["ok"] is False and taken["error"]["code"] == "name_taken"
    sent = await renamer.ok("send_message", {"channel": channel, "text": "still me"})
    assert sent["message"]["sender"] == new
    back = await renamer.ok("claim_name", {"name": old, "token": renamer.token})  # theirs to take back
    assert back == {"name": old, "token": renamer.token}


async def test_a_renamed_persons_old_name_is_free_after_the_idle_period_only() -> None:
    with running_server({"FLACK_NAME_IDLE_SECONDS": "1"}) as url:
        renamer = await (await Peer(url).connect()).named("hal")
        other = await Peer(url).connect()
        try:
            await renamer.ok("claim_name", {"name": "hal9000", "token": renamer.token})
            refused = await other.call("claim_name", {"name": "hal"})
            assert refused["error"]["code"] == "name_taken"  # still connected, still theirs
            async with asyncio.timeout(10):  # bounded: the reservation ends after 1 s
                while not (await other.call("claim_name", {"name": "hal"}))["ok"]:
                    await asyncio.sleep(0.2)
            again = await renamer.call("claim_name", {"name": "hal", "token": renamer.token})
            assert again["error"]["code"] == "name_taken"  # and now it is someone else's
        finally:
            await renamer.sio.disconnect()
            await other.sio.disconnect()


def look_alikes(name: str) -> dict[str, str]:
    """Spellings of ``name`` (Latin letters and digits, starting "Alice")
    that a person reads as ``name`` (issue 11, finding 5)."""
    return {
        "Cyrillic А": "\u0410" + name[1:],
        "full-width": "".join(chr(ord(c) + 0xFEE0) for c in name),
        "capital I for l": name.replace("l", "I", 1),
        "upper case": name.upper(),
        "Greek Α and Cyrillic і, с, е": "\u0391l\u0456\u0441\u0435" + name[5:],
    }


INVISIBLE = [
    "{}\ufe0f",  # variation selector 16
    "Al\u034f{}",  # combining grapheme joiner
    "{}\u180b",  # Mongolian free variation selector
    "{}\U000e0100",  # variation selector 17
    "{}\U000e0041",  # a tag
    "{}\u3164",  # Hangul filler
    "\u3164",
    "\u2800",  # braille blank
    "{} (you)",  # the page's own label after the viewer's name
]


async def test_look_alikes_and_invisible_variants_of_a_held_name_are_refused(peers) -> None:
    alice = await (await peers()).named(unique("Alice"))
    claimer = await peers()
    for label, spelling in look_alikes(alice.name).items():
        ack = await claimer.call("claim_name", {"name": spelling})
        assert ack["ok"] is False and ack["error"]["code"] == "name_taken", (label, ack)
        assert alice.name in ack["error"]["message"] or spelling in ack["error"]["message"]
    for pattern in INVISIBLE:
        spelling = pattern.format(alice.name)
        ack = await claimer.call("claim_name", {"name": spelling})
        assert ack["ok"] is False and ack["error"]["code"] == "name_invalid", (spelling, ack)
    # Alice herself is untouched, and a different name is fine.
    await claimer.named(unique("Alicia"))
    assert (await alice.ok("claim_name", {"name": alice.name, "token": alice.token}))["name"] == alice.name


async def test_look_alike_and_blank_channel_names_are_refused(peers) -> None:
    peer = await (await peers()).named(unique("chan"))
    general = unique("general")
    await peer.ok("create_channel", {"channel": general})
    tries = [
        ("g\u0435neral" + general[7:], "channel_exists"),  # Cyrillic е
        (general.upper(), "channel_exists"),
        (general.replace("l", "I"), "channel_exists"),  # capital I for l
        (general + "\u3164", "channel_invalid"),  # Hangul filler
        ("\u3164" + general, "channel_invalid"),
    ]
    for spelling, code in tries:
        ack = await peer.call("create_channel", {"channel": spelling})
        assert ack["ok"] is False and ack["error"]["code"] == code, (spelling, ack)
    names = {c["name"] for c in (await peer.ok("list_channels"))["channels"]}
    assert general in names and not names & {spelling for spelling, _ in tries}
