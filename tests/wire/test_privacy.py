"""Privacy is a property of delivery: a non-member receives nothing of a
conversation, on any path.

The matrix: for each kind of conversation (a channel one has not joined, one
one has left, a direct conversation of two others) and each way something
reaches people (a message, a reply, a reaction, an edit, a deletion, a shared
file, a notice), an outsider connected to the same server gets none of it.
Each case ends with a barrier: a ``channel_created`` that every connection
receives after everything before it, so "nothing arrived" is never a guess.
Reading paths (history, catch-up, uploads, changes) are refused to an
outsider of a direct conversation with one code, whether it exists or not.
Channels are public: anyone may join one and read it (private channels are
a later issue).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from test_files import share

from flack.protocol import direct_label, person_id
from wire_support import Peer, unique

KINDS = ["channel", "left channel", "direct"]
PATHS = ["message", "reply", "reaction", "edit", "delete", "file", "notice", "typing", "read"]
# Everything a conversation's traffic is made of.
TRAFFIC = (
    "message",
    "messages",
    "message_updated",
    "notice",
    "notices",
    "file_expired",
    "direct_opened",
    "typing",
    "read",
)


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(server_url) as session:
        yield session


async def named(peers: Any, prefix: str) -> Peer:
    return await (await peers()).named(unique(prefix))


async def conversation(kind: str, ada: Peer, bea: Peer, outsider: Peer) -> str:
    """A conversation of Ada and Bea that ``outsider`` is not in."""
    if kind == "direct":
        return str((await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"])
    channel = unique("private-matrix-")
    await ada.ok("create_channel", {"channel": channel})
    for peer in (ada, bea, *([outsider] if kind == "left channel" else [])):
        await peer.ok("join_channel", {"channel": channel})
    if kind == "left channel":
        await outsider.ok("leave_channel", {"channel": channel})
    return channel


def about(label: str, event: str, data: Any) -> bool:
    """Whether a received event belongs to conversation ``label``."""
    if event == "direct_opened":
        return bool(data["direct"]["id"] == label)
    if event == "messages":
        return any(m["channel"] == label for m in data["messages"])
    if event == "notices":
        return any(n["channel"] == label for n in data["notices"])
    if event in ("message", "message_updated"):
        return bool(data["message"]["channel"] == label)
    return bool(data.get("channel") == label)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_non_member_receives_nothing(peers, http, kind: str, path: str) -> None:
    ada, bea, outsider = await named(peers, "ada"), await named(peers, "bea"), await named(peers, "out")
    label = await conversation(kind, ada, bea, outsider)
    seen_before = len(outsider.frames)
    first = (await ada.ok("send_message", {"channel": label, "text": "secret"}))["message"]
    ref = {"channel": label, "id": first["id"]}
    if path == "reply":
        await bea.ok("send_message", {"channel": label, "text": "secret reply", "parent": first["id"]})
    elif path == "reaction":
        await bea.ok("react", {**ref, "emoji": "🤫"})
    elif path == "edit":
        await ada.ok("edit_message", {**ref, "text": "still secret"})
    elif path == "delete":
        await ada.ok("delete_message", ref)
    elif path == "file":
        await share(ada, http, label, "secret.txt", b"secret bytes")
    elif path == "notice" and kind != "direct":
        newcomer = await named(peers, "new")
        await newcomer.ok("join_channel", {"channel": label})
        await newcomer.ok("leave_channel", {"channel": label})
    elif path == "typing":
        await bea.ok("typing", {"channel": label})
    elif path == "read":
        await bea.ok("mark_read", ref)
    # The barrier: after all of the above, to every connection.
    await ada.ok("create_channel", {"channel": unique("barrier-")})
    await outsider.wait_for("channel_created")
    await bea.wait_for("channel_created")
    leaked = [(e, d) for e, d in outsider.frames[seen_before:] if e in TRAFFIC and about(label, e, d)]
    assert leaked == []
    # And the members did get it (the case is not vacuous).
    assert any(about(label, e, d) for e, d in bea.frames if e in TRAFFIC)


async def test_an_outsider_cannot_read_or_touch_a_direct_conversation(peers, http) -> None:
    ada, bea, cy = await named(peers, "ada"), await named(peers, "bea"), await named(peers, "cy")
    label = str((await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"])
    shared = await share(ada, http, label, "secret.txt", b"secret bytes")
    never = direct_label([ada.id, bea.id, cy.id])[:-1] + "0"
    answers = []
    for tried in (label, direct_label([bea.id, person_id("nobody")]), never):
        for event, payload in (
            ("join_channel", {"channel": tried}),
            ("join_channel", {"channel": tried, "since": 0, "revision": 0}),
            ("send_message", {"channel": tried, "text": "hi"}),
            ("send_message", {"channel": tried, "text": "hi", "parent": shared["id"]}),
            ("react", {"channel": tried, "id": shared["id"], "emoji": "👀"}),
            ("edit_message", {"channel": tried, "id": shared["id"], "text": "mine now"}),
            ("delete_message", {"channel": tried, "id": shared["id"]}),
            ("start_upload", {"channel": tried, "name": "a.txt", "size": 1, "type": ""}),
            ("mark_read", {"channel": tried, "id": shared["id"]}),
            ("typing", {"channel": tried}),
        ):
            ack = await cy.call(event, payload)
            assert ack["ok"] is False, (event, tried)
            answers.append((ack["error"]["code"], ack["error"]["message"]))
    assert set(answers) == {("not_member", "You are not in that conversation.")}
    listed = await cy.ok("list_conversations")
    assert listed["directs"] == [] and listed["reads"] == []


async def test_a_deleted_file_is_gone_from_the_disk(peers, http) -> None:
    ada, bea = await named(peers, "ada"), await named(peers, "bea")
    label = str((await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"])
    shared = await share(ada, http, label, "notes.txt", b"take me back")
    async with http.get(shared["file"]["url"]) as response:
        assert response.status == 200 and await response.read() == b"take me back"
    await ada.ok("delete_message", {"channel": label, "id": shared["id"]})
    async with http.get(shared["file"]["url"]) as response:
        assert response.status == 404


@pytest.mark.parametrize("kind", KINDS)
async def test_search_never_finds_what_the_searcher_may_not_read(peers, kind: str) -> None:
    ada, bea, outsider = await named(peers, "ada"), await named(peers, "bea"), await named(peers, "out")
    label = await conversation(kind, ada, bea, outsider)
    word = unique("needle")
    await ada.ok("send_message", {"channel": label, "text": f"the {word} is here"})
    await ada.ok("send_message", {"channel": label, "text": f"a reply with the {word}", "parent": 1})
    found = await bea.ok("search", {"query": word})
    assert len(found["results"]) == 2 and {m["channel"] for m in found["results"]} == {label}
    for query in (word, f"{word} from:{ada.name}", f"in:{label}", f"from:{ada.name}"):
        answer = await outsider.ok("search", {"query": query})
        assert [m for m in answer["results"] if m["channel"] == label] == [], query


async def test_search_answers_every_query_with_a_code(peers) -> None:
    ada = await named(peers, "ada")
    for query in ("", "   ", "x" * 201, None, 5):
        ack = await ada.call("search", {"query": query})
        assert ack["ok"] is False and ack["error"]["code"] in ("search_invalid", "bad_payload"), query
    unnamed = await peers()
    assert (await unnamed.call("search", {"query": "x"}))["error"]["code"] == "not_named"
