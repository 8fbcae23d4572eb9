"""Never losing a message: through server restarts, with the page open.

Each test runs its own server on a fixed port with a state file, and restarts
it there with SIGTERM (the graceful way: ``server_closing``, save, exit), so
the page's socket really drops and really comes back. Messages the page must
miss are posted on a *side* server that shares the state file while the page's
own server is down: the page can only learn about them by catching up with
``since`` when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import socketio
from playwright.sync_api import expect
from servers import stop

from flack import testing
from wire_support import Peer

if TYPE_CHECKING:  # the fixture is conftest's; "conftest" is another module when tests/ runs first
    from conftest import Wire


QUIET = {"FLACK_LOG_LEVEL": "warning"}

CONNECTED = "Connected"
RECONNECTING = "Reconnecting…"
GAP = "Earlier messages unavailable"
RECONNECT_MS = 30_000  # socket.io retries every few seconds at most


async def post(url: str, name: str, channel: str, texts: list[str]) -> list[dict[str, Any]]:
    """As ``name``, join ``channel`` and post ``texts``; the stored messages."""
    peer = await Peer(url).connect()
    try:
        await peer.named(name)
        await peer.ok("join_channel", {"channel": channel})
        sent = []
        for text in texts:
            payload = {"channel": channel, "text": text, "client_id": str(uuid.uuid4())}
            sent.append((await peer.ok("send_message", payload))["message"])
        return sent
    finally:
        await peer.sio.disconnect()


async def history(url: str, name: str, channel: str) -> list[dict[str, Any]]:
    """What somebody opening ``channel`` now is given."""
    peer = await Peer(url).connect()
    try:
        await peer.named(name)
        return (await peer.ok("join_channel", {"channel": channel}))["messages"]
    finally:
        await peer.sio.disconnect()


async def hold_a_connection(url: str) -> Peer:
    """Connect (retrying while the server still counts a connection that just closed)."""
    for _ in range(50):
        try:
            return await Peer(url).connect()
        except socketio.exceptions.ConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError("could not connect")


def texts_in_order(someone: Any) -> list[str]:
    """Every entry of the log, top to bottom."""
    return someone.log.locator(":scope > *").all_inner_texts()


def assert_each_once_in_order(shown: list[str], expected: list[str]) -> None:
    """``expected`` each appear in exactly one entry, in this order."""
    where = []
    for text in expected:
        hits = [index for index, entry in enumerate(shown) if text in entry]
        assert len(hits) == 1, f"{text!r} shown {len(hits)} times in {shown}"
        where.append(hits[0])
    assert where == sorted(where), f"out of order: {list(zip(expected, where, strict=True))}"


def test_typed_while_the_server_restarts_is_sent_once_and_missed_messages_are_caught_up(
    person, names, wire: Wire, tmp_path: Path
):
    """Bob is in a channel when the server shuts down: the status says
    "Reconnecting…" at once. He types two messages: they show as pending
    ("Sending…", his name) and are kept in localStorage. Meanwhile Alice posts
    three messages (on a server sharing the state file; Bob cannot see that
    one). When his server is back on its address, Bob's page reconnects by
    itself, shows the three missed ones and sends his two: everybody sees every
    message exactly once, in order, and the status says "Connected"."""
    port = testing.free_port()
    env = {**QUIET, "FLACK_STATE_FILE": str(tmp_path / "state.json")}
    room = names("Resume")
    before = "hello before the restart"
    missed = [f"missed while away {i}" for i in (1, 2, 3)]
    queued = ["typed while down one", "typed while down two"]

    with testing.server_process(env, port=port) as (url, process):
        bob = person(names("Bob"), url=url)
        bob.create_channel(room)
        bob.expect_open(room)
        bob.send(before)
        expect(bob.status).to_have_text(CONNECTED)
        # Watch what the page sends (Playwright listens; no script of ours runs).
        joins: list[str] = []
        bob.page.on(
            "websocket",
            lambda ws: ws.on(
                "framesent", lambda frame: joins.append(frame) if '"join_channel"' in str(frame) else None
            ),
        )

        stop(process)
        expect(bob.status).to_have_text(RECONNECTING)
        for text in queued:
            bob.composer.fill(text)
            bob.composer.press("Enter")
            expect(bob.composer).to_have_value("")
        for text in queued:
            article = bob.article(text)
            expect(article).to_have_count(1)
            expect(article).to_contain_text("Sending…")
            expect(article).to_contain_text(bob.name)
            expect(article).to_have_class(re.compile(r"\bmessage--pending\b"))
        # A reload now would not lose them: they are in localStorage.
        stored = json.loads(bob.local_storage()["flack.outbox"])
        assert [item["text"] for item in stored] == queued
        assert len({item["client_id"] for item in stored}) == 2

    with testing.server_process(env) as (side, process):
        wire.run(post(side, names("Alice"), room, missed))
        stop(process)
    expect(bob.status).to_have_text(RECONNECTING)
    expect(bob.article(missed[0])).to_have_count(0)

    expected = [before, *missed, *queued]
    with testing.server_process(env, port=port) as (url, process):
        expect(bob.status).to_have_text(CONNECTED, timeout=RECONNECT_MS)
        expect(bob.sending).to_have_count(0, timeout=RECONNECT_MS)
        expect(bob.articles).to_have_count(len(expected))
        expect(bob.log.get_by_text(GAP)).to_have_count(0)
        assert_each_once_in_order(bob.articles.all_inner_texts(), expected)
        for text in queued:
            expect(bob.article(text)).not_to_have_class(re.compile(r"\bmessage--pending\b"))
        expect(bob.alert).to_have_count(0)
        expect(bob.page.get_by_text(bob.name, exact=True).first).to_be_visible()  # name reclaimed

        # The server stored each once, Bob's as his, in the order they were written.
        seen = wire.run(history(url, names("Alice"), room))
        # Bob rejoined asking only for what came after the last message he saw.
        assert [re.findall(r'"since":(\w+)', frame) for frame in joins] == [[str(seen[0]["id"])]]
        assert [m["text"] for m in seen] == expected
        assert [m["sender"] for m in seen[-2:]] == [bob.name, bob.name]
        assert all(m["client_id"] for m in seen[-2:])
        stored_ids = json.loads(bob.local_storage()["flack.last_ids"])
        assert stored_ids[room] == seen[-1]["id"]
        assert "flack.outbox" not in bob.local_storage()  # nothing waits any more

        # And live delivery works again.
        wire.run(post(url, names("Alice"), room, ["live after the restart"]))
        expect(bob.article("live after the restart")).to_have_count(1)
        bob.context.close()


def test_refused_connections_failed_messages_rate_limits_and_a_long_absence(
    person, names, seeder, wire: Wire, tmp_path: Path
):
    """One tight server (1 connection per address, 1 message/s, bursts of 2):

    * while another connection holds the only slot, Bob's page says the
      server's "Too many connections" sentence in the alert, then gets in;
    * messages stored as not sent show "Not sent" with the reason, a Retry
      button that sends it (once) and a Discard button that drops it;
    * five messages in a row hit the rate limit: the alert says so, and each
      is still delivered once, in order, none marked failed;
    * while Bob's server is down, 105 messages are posted: back, he sees
      "Earlier messages unavailable" and then exactly the newest 100.
    """
    port = testing.free_port()
    state_file = str(tmp_path / "state.json")
    tight = {
        **QUIET,
        "FLACK_STATE_FILE": state_file,
        "FLACK_CONNECTIONS_PER_ADDRESS": "1",
        "FLACK_MESSAGE_RATE": "1",
        "FLACK_MESSAGE_BURST": "2",
    }
    room, bob_name = names("Away"), names("Bob")
    flood = [f"flood line {i:03d}" for i in range(1, 106)]

    with testing.server_process(tight, port=port) as (url, process):
        seeder(url, names("Seeder"), room, ["first words here"])
        remembered = {
            "cookies": [],
            "origins": [
                {
                    "origin": url.rstrip("/"),
                    "localStorage": [
                        {"name": "flack.name", "value": bob_name},
                        {"name": "flack.channel", "value": room},
                        {
                            "name": "flack.outbox",
                            "value": json.dumps(
                                [
                                    {
                                        "client_id": str(uuid.uuid4()),
                                        "channel": room,
                                        "text": text,
                                        "failed": why,
                                    }
                                    for text, why in (
                                        ("please retry me", "The server did not answer in time."),
                                        ("please discard me", "The server did not answer in time."),
                                    )
                                ]
                            ),
                        },
                    ],
                }
            ],
        }
        holder = wire.run(hold_a_connection(url))
        bob = person(url=url, boot=False, storage_state=remembered)
        bob.page.goto(url)
        expect(bob.alert).to_contain_text("Too many connections", timeout=60_000)
        expect(bob.status).not_to_have_text(CONNECTED)
        wire.run(holder.sio.disconnect())
        bob.wait_ready()
        bob.name = bob_name
        expect(bob.status).to_have_text(CONNECTED)
        expect(bob.alert).to_have_count(0)
        bob.expect_open(room)

        # Not sent: the reason, Retry and Discard.
        retry_me, discard_me = bob.article("please retry me"), bob.article("please discard me")
        for article in (retry_me, discard_me):
            expect(article).to_contain_text("Not sent")
            expect(article).to_contain_text("The server did not answer in time.")
            expect(article).to_have_class(re.compile(r"\bmessage--failed\b"))
        retry_me.get_by_role("button", name=re.compile(r"^Retry")).click()
        discard_me.get_by_role("button", name=re.compile(r"^Discard")).click()
        expect(discard_me).to_have_count(0)
        expect(retry_me).not_to_contain_text("Not sent")
        expect(bob.sending).to_have_count(0)
        expect(retry_me).to_have_count(1)
        expect(retry_me).not_to_have_class(re.compile(r"message--(failed|pending)"))

        # Faster than the server allows: told, waited, all delivered in order.
        burst = [f"in a hurry {i}" for i in range(1, 6)]
        for text in burst:
            bob.composer.fill(text)
            bob.composer.press("Enter")
            expect(bob.composer).to_have_value("")
        expect(bob.alert).to_contain_text("Slow down")
        expect(bob.sending).to_have_count(0, timeout=30_000)
        expect(bob.log.get_by_text("Not sent")).to_have_count(0)
        expect(bob.alert).to_have_count(0)
        before = ["first words here", "please retry me", *burst]
        expect(bob.articles).to_have_count(len(before))
        assert_each_once_in_order(bob.articles.all_inner_texts(), before)

        stop(process)
        expect(bob.status).to_have_text(RECONNECTING)

    side_env = {**QUIET, "FLACK_STATE_FILE": state_file}
    with testing.server_process(side_env) as (side, process):
        wire.run(post(side, names("Alice"), room, flood))
        stop(process)

    with testing.server_process(tight, port=port) as (url, process):
        expect(bob.status).to_have_text(CONNECTED, timeout=RECONNECT_MS)
        marker = bob.log.get_by_role("note")
        expect(marker).to_have_text(GAP, timeout=RECONNECT_MS)
        expect(bob.articles).to_have_count(len(before) + 100)
        shown = texts_in_order(bob)
        assert_each_once_in_order(shown, [*before, GAP, *flood[5:]])
        assert not any(text in entry for text in flood[:5] for entry in shown)
        expect(bob.articles.last).to_contain_text(flood[-1])
        bob.context.close()


def test_two_tabs_offline_lose_nothing_when_one_is_closed(person, names, wire: Wire, tmp_path: Path):
    """Bob has the same channel open in two tabs of one browser (one
    localStorage) when the server goes down. He types a message in each: both
    are kept in the shared stored outbox (neither tab's save drops the
    other's). He closes the first tab; when the server is back, the second
    tab sends its own message and the one the closed tab left: each is stored
    once."""
    port = testing.free_port()
    env = {**QUIET, "FLACK_STATE_FILE": str(tmp_path / "state.json")}
    room = names("Tabs")
    first_text, second_text = "typed in the first tab", "typed in the second tab"

    with testing.server_process(env, port=port) as (url, process):
        bob = person(names("Bob"), url=url)
        bob.create_channel(room)
        bob.expect_open(room)
        second = type(bob)(bob.context, url, bob.watch).open()  # a second tab: same storage
        second.expect_open(room)
        expect(second.status).to_have_text(CONNECTED)

        stop(process)
        for tab, text in ((bob, first_text), (second, second_text)):
            expect(tab.status).to_have_text(RECONNECTING)
            tab.composer.fill(text)
            tab.composer.press("Enter")
            expect(tab.article(text)).to_contain_text("Sending…")
        # The second tab saved after the first: both messages are stored.
        stored = json.loads(bob.local_storage()["flack.outbox"])
        assert sorted(item["text"] for item in stored) == [first_text, second_text]
        bob.page.close()

    with testing.server_process(env, port=port) as (url, process):
        expect(second.status).to_have_text(CONNECTED, timeout=RECONNECT_MS)
        expect(second.sending).to_have_count(0, timeout=RECONNECT_MS)
        for text in (first_text, second_text):
            expect(second.article(text)).to_have_count(1)
            expect(second.article(text)).not_to_have_class(re.compile(r"\bmessage--pending\b"))
        seen = wire.run(history(url, names("Alice"), room))
        assert sorted(m["text"] for m in seen) == [first_text, second_text]
        assert {m["sender"] for m in seen} == {bob.name}
        assert "flack.outbox" not in second.local_storage()
        second.context.close()
