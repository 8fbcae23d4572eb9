"""Limits that bind a person and an address, not a connection (issue 11).

Each test is a bounded reconnect loop on loopback: connect, claim the name
with the same token (or none, for identities), act, disconnect, a few times.
Before issue 11 every limit here was per connection (or missing), so each
loop got a fresh budget per connection. Every test starts its own small
server with just the limits it is about; the rest stay generous
(``flack.testing.GENEROUS_LIMITS``), so addresses, which are all 127.0.0.1
here, do not get in the way unless a test is about them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from flack.protocol import OFFSET_HEADER, person_id
from flack.testing import running_server
from wire_support import Peer, unique

MB = 1024 * 1024
# Documented defaults (README "Configuration"), written out rather than read
# from flack.core.limits so that this file also runs against an older server.
UPLOADS_PER_PERSON = 4
CHANNEL_RATE, CHANNEL_BURST, PEOPLE_PER_ADDRESS = 0.2, 20, 10


@pytest.fixture(params=["asgi", "sanic"])
def serve(request: pytest.FixtureRequest) -> Iterator[Callable[[dict[str, str]], str]]:
    """Start a server with these settings (on top of the generous ones);
    returns its URL. Servers stop after the test."""
    with contextlib.ExitStack() as stack:

        def start(env: dict[str, str]) -> str:
            settings = {"FLACK_LOG_LEVEL": "warning", "FLACK_INTEGRATION": request.param, **env}
            return stack.enter_context(running_server(settings))

        yield start


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[str], Any]]:
    """Connected peers, all disconnected after the test."""
    made: list[Peer] = []

    async def peer(url: str) -> Peer:
        made.append(await Peer(url).connect())
        return made[-1]

    yield peer
    for one in made:
        await one.sio.disconnect()


async def as_person(connect: Callable[[str], Any], url: str, name: str, token: str | None) -> Peer:
    """A new connection claiming ``name`` with ``token`` (``peer.token`` is the one granted)."""
    peer: Peer = await connect(url)
    data = await peer.ok("claim_name", {"name": name, "token": token})
    peer.token, peer.name = data["token"], data["name"]
    return peer


def assert_rate_limited(ack: dict[str, Any], words: str) -> None:
    assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", ack
    assert ack["error"]["retry_after"] > 0
    assert words in ack["error"]["message"] and "Try again in" in ack["error"]["message"]


async def test_reconnecting_buys_no_messages(serve, connect) -> None:
    url = serve({"FLACK_MESSAGE_RATE": "0.01", "FLACK_MESSAGE_BURST": "3"})
    owner = await as_person(connect, url, unique("owner"), None)
    channel = unique("msgs-")
    await owner.ok("create_channel", {"channel": channel})
    token, sent, refused = None, 0, 0
    for _ in range(4):
        peer = await as_person(connect, url, "mallory-msgs", token)
        token = peer.token
        await peer.ok("join_channel", {"channel": channel})
        for n in range(3):
            ack = await peer.call("send_message", {"channel": channel, "text": f"m{n}"})
            if ack["ok"]:
                sent += 1
            else:
                assert_rate_limited(ack, "too many messages")
                refused += 1
        await peer.sio.disconnect()
    assert (sent, refused) == (3, 9)
    history = (await owner.ok("join_channel", {"channel": channel}))["messages"]
    assert [m["text"] for m in history] == ["m0", "m1", "m2"]


async def test_reconnecting_buys_no_channels(serve, connect) -> None:
    url = serve({"FLACK_CHANNEL_RATE": "0.01", "FLACK_CHANNEL_BURST": "3"})
    token, created = None, []
    for _ in range(4):
        peer = await as_person(connect, url, "mallory-channels", token)
        token = peer.token
        for _ in range(3):
            name = unique("flood-")
            ack = await peer.call("create_channel", {"channel": name})
            if ack["ok"]:
                created.append(name)
            else:
                assert_rate_limited(ack, "too many new channels")
        await peer.sio.disconnect()
    assert len(created) == 3
    somebody = await as_person(connect, url, unique("somebody"), None)
    await somebody.ok("create_channel", {"channel": unique("mine-")})  # their own budget
    assert len((await somebody.ok("list_channels"))["channels"]) == 4


async def test_setting_up_a_workspace_still_works_with_the_defaults(serve, connect) -> None:
    url = serve(
        {
            "FLACK_CHANNEL_RATE": str(CHANNEL_RATE),
            "FLACK_CHANNEL_BURST": str(CHANNEL_BURST),
            "FLACK_PEOPLE_PER_ADDRESS": str(PEOPLE_PER_ADDRESS),
        }
    )
    admin = await as_person(connect, url, unique("admin"), None)
    for _ in range(20):  # 20 channels at once
        await admin.ok("create_channel", {"channel": unique("team-")})
    ack = await admin.call("create_channel", {"channel": unique("team-")})
    assert_rate_limited(ack, "channels")
    assert ack["error"]["retry_after"] <= 1 / CHANNEL_RATE
    await admin.sio.disconnect()
    again = await as_person(connect, url, admin.name, admin.token)
    assert_rate_limited(await again.call("create_channel", {"channel": unique("team-")}), "channels")


async def test_a_member_hears_at_most_the_notice_budget_of_one_person(serve, connect) -> None:
    url = serve({"FLACK_NOTICE_RATE": "0.01", "FLACK_NOTICE_BURST": "4"})
    member = await as_person(connect, url, unique("member"), None)
    channel = unique("notices-")
    await member.ok("create_channel", {"channel": channel})
    await member.ok("join_channel", {"channel": channel})
    name, token, refusals = unique("mallory"), None, []
    for _ in range(6):
        peer = await as_person(connect, url, name, token)
        token = peer.token
        ack = await peer.call("join_channel", {"channel": channel})
        if ack["ok"]:
            await peer.ok("leave_channel", {"channel": channel})
        else:
            refusals.append(ack)
        await peer.sio.disconnect()
    # Barrier: somebody else's join and message reach the member after
    # every notice the loop caused.
    bystander = await as_person(connect, url, unique("bystander"), None)
    await bystander.ok("join_channel", {"channel": channel})
    await bystander.ok("send_message", {"channel": channel, "text": "barrier"})
    await member.wait_for("message", lambda d: d["message"]["text"] == "barrier")
    from_mallory = [n for n in member.events("notice") if n["name"] == name]
    assert [n["kind"] for n in from_mallory] == ["join", "leave", "join", "leave"]
    assert len(refusals) == 4
    assert_rate_limited(refusals[0], "too many channel switches")


async def test_reconnecting_buys_no_upload_reservations(serve, connect) -> None:
    url = serve({"FLACK_MAX_FILE_MB": "1", "FLACK_FILES_TOTAL_MB": "8"})
    owner = await as_person(connect, url, unique("owner"), None)
    channel = unique("uploads-")
    await owner.ok("create_channel", {"channel": channel})
    token, started, refusals = None, 0, []
    for _ in range(5):
        peer = await as_person(connect, url, "mallory-uploads", token)
        token = peer.token
        await peer.ok("join_channel", {"channel": channel})
        for n in range(4):
            ack = await peer.call("start_upload", {"channel": channel, "name": f"f{n}", "size": MB})
            if ack["ok"]:
                started += 1
            else:
                refusals.append(ack["error"])
        await peer.sio.disconnect()
    assert started == UPLOADS_PER_PERSON
    assert {e["code"] for e in refusals} == {"too_many_uploads"}
    assert "unfinished uploads" in refusals[0]["message"]
    # Somebody else can still share a file: one person cannot reserve it all.
    victim = await as_person(connect, url, unique("victim"), None)
    await victim.ok("join_channel", {"channel": channel})
    await victim.ok("start_upload", {"channel": channel, "name": "mine", "size": MB})


async def test_size_zero_uploads_count_too(serve, connect) -> None:
    url = serve({})
    owner = await as_person(connect, url, unique("owner"), None)
    channel = unique("empty-")
    await owner.ok("create_channel", {"channel": channel})
    token, started = None, 0
    for _ in range(3):
        peer = await as_person(connect, url, "mallory-empty", token)
        token = peer.token
        await peer.ok("join_channel", {"channel": channel})
        for n in range(4):
            ack = await peer.call("start_upload", {"channel": channel, "name": f"e{n}", "size": 0})
            if ack["ok"]:
                started += 1
            else:
                assert ack["error"]["code"] == "too_many_uploads", ack
        await peer.sio.disconnect()
    assert started == UPLOADS_PER_PERSON


async def test_empty_files_are_paid_for(serve, connect) -> None:
    url = serve({"FLACK_UPLOAD_RATE": "0.01", "FLACK_UPLOAD_BURST": "5"})
    channel = unique("empties-")
    token, shared, refused = None, 0, []
    async with aiohttp.ClientSession(url) as http:
        for _ in range(4):
            peer = await as_person(connect, url, "mallory-files", token)
            if token is None:
                await peer.ok("create_channel", {"channel": channel})
            token = peer.token
            await peer.ok("join_channel", {"channel": channel})
            for n in range(2):
                ack = await peer.call("start_upload", {"channel": channel, "name": f"e{n}", "size": 0})
                if not ack["ok"]:
                    refused.append(ack)
                    continue
                put = http.put(ack["data"]["upload"]["url"], data=b"", headers={OFFSET_HEADER: "0"})
                async with put as response:
                    assert response.status == 200 and (await response.json())["data"]["complete"]
                shared += 1
            await peer.sio.disconnect()
    assert (shared, len(refused)) == (5, 3)
    assert_rate_limited(refused[0], "too many files")


async def test_a_closed_connections_uploads_are_kept_only_while_resumed(serve, connect) -> None:
    url = serve({"FLACK_UPLOAD_RESUME_SECONDS": "1"})
    watcher = await as_person(connect, url, unique("watcher"), None)
    channel = unique("orphans-")
    await watcher.ok("create_channel", {"channel": channel})
    await watcher.ok("join_channel", {"channel": channel})
    peer = await as_person(connect, url, unique("sharer"), None)
    await peer.ok("join_channel", {"channel": channel})
    upload = lambda name: peer.ok("start_upload", {"channel": channel, "name": name, "size": 10})  # noqa: E731
    resumed, poked = (await upload("resumed.txt"))["upload"], (await upload("poked.txt"))["upload"]
    await peer.sio.disconnect()
    async with aiohttp.ClientSession(url) as http:
        # Its bytes still arrive after the socket closed: it finishes.
        async with http.put(resumed["url"], data=b"0123456789", headers={OFFSET_HEADER: "0"}) as response:
            assert response.status == 200 and (await response.json())["data"]["complete"]
        await watcher.wait_for("message", lambda d: (d["message"]["file"] or {}).get("name") == "resumed.txt")
        # Empty chunks are no progress: the reservation goes all the same
        # (bounded: within a few janitor passes of a second).
        status = None
        for _ in range(60):
            async with http.put(poked["url"], data=b"", headers={OFFSET_HEADER: "0"}) as response:
                status = response.status
            if status == 404:
                break
            await asyncio.sleep(0.1)
        assert status == 404


async def test_identities_created_per_address_are_limited(serve, connect) -> None:
    url = serve({"FLACK_IDENTITY_RATE": "0.01", "FLACK_IDENTITY_BURST": "3"})
    granted: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for _ in range(3):
        peer: Peer = await connect(url)
        for _ in range(2):
            ack = await peer.call("claim_name", {"name": unique("sock"), "token": None})
            (granted if ack["ok"] else refused).append(ack)
        await peer.sio.disconnect()
    assert (len(granted), len(refused)) == (3, 3)
    assert_rate_limited(refused[0], "too many new names")
    # A made-up token is a new identity too; a real one is somebody coming back.
    peer = await connect(url)
    assert_rate_limited(await peer.call("claim_name", {"name": "x", "token": "made-up"}), "new names")
    first = granted[0]["data"]
    assert (await peer.ok("claim_name", first)) == first


async def test_unused_channels_are_released(serve, connect) -> None:
    url = serve({"FLACK_CHANNEL_IDLE_SECONDS": "1"})
    ada = await as_person(connect, url, unique("ada"), None)
    bob = await as_person(connect, url, unique("bob"), None)
    talked, occupied, empty = unique("talked-"), unique("occupied-"), unique("empty-")
    for channel in (talked, occupied):
        await ada.ok("create_channel", {"channel": channel})
    await ada.ok("join_channel", {"channel": talked})
    await ada.ok("send_message", {"channel": talked, "text": "a message keeps it"})
    await ada.ok("leave_channel", {"channel": talked})
    await bob.ok("join_channel", {"channel": occupied})
    # Created last: the others would be due first, were it not for the
    # message and the member.
    await ada.ok("create_channel", {"channel": empty})
    listed: set[str] = set()
    for _ in range(100):  # bounded: a few janitor passes
        listed = {c["name"] for c in (await ada.ok("list_channels"))["channels"]}
        if empty not in listed:
            break
        await asyncio.sleep(0.1)
    assert empty not in listed and {talked, occupied} <= listed
    assert (await ada.call("join_channel", {"channel": empty}))["error"]["code"] == "no_such_channel"
    await ada.ok("create_channel", {"channel": empty})  # the name is free again


async def test_reactions_edits_and_new_direct_conversations_are_paid_for(serve, connect) -> None:
    """Every new event that costs others something draws on the person's
    budgets, across reconnects: reactions and edits on the message budget, a
    new direct conversation on the channel budget. Deleting is never refused."""
    url = serve(
        {
            "FLACK_MESSAGE_RATE": "0.01",
            "FLACK_MESSAGE_BURST": "3",
            "FLACK_CHANNEL_RATE": "0.01",
            "FLACK_CHANNEL_BURST": "2",
        }
    )
    others = [await as_person(connect, url, unique("other"), None) for _ in range(3)]
    mallory = await as_person(connect, url, unique("mallory"), None)
    channel = unique("pay-")
    await others[0].ok("create_channel", {"channel": channel})
    await others[0].ok("join_channel", {"channel": channel})
    target = (await others[0].ok("send_message", {"channel": channel, "text": "react to me"}))["message"]
    await mallory.ok("join_channel", {"channel": channel})
    mine = (await mallory.ok("send_message", {"channel": channel, "text": "mine"}))["message"]  # 1 of 3
    await mallory.ok("react", {"channel": channel, "id": target["id"], "emoji": "👍"})  # 2
    again = await as_person(connect, url, mallory.name, mallory.token)  # reconnecting buys nothing
    await again.ok("edit_message", {"channel": channel, "id": mine["id"], "text": "mine!"})  # 3
    assert_rate_limited(
        await again.call("react", {"channel": channel, "id": target["id"], "emoji": "🎉"}), "messages"
    )
    edit = {"channel": channel, "id": mine["id"], "text": "mine!!"}
    assert_rate_limited(await again.call("edit_message", edit), "messages")
    await again.ok("delete_message", {"channel": channel, "id": mine["id"]})  # taking back: never refused
    ids = [person_id(o.token) for o in others]
    await again.ok("open_direct", {"people": ids[:1]})
    await again.ok("open_direct", {"people": ids[1:2]})
    await again.ok("open_direct", {"people": ids[:1]})  # an existing one is free
    assert_rate_limited(await again.call("open_direct", {"people": ids[2:3]}), "channels")
