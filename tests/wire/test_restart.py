"""Restarts lose nothing: graceful shutdown, a crash within the save interval, and a 50-client drill."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from flack.testing import free_port, server_process
from wire_support import Peer, ResumingClient, unique


@pytest.mark.parametrize("integration", ["asgi", "sanic"])
async def test_sigterm_tells_clients_saves_state_and_exits_promptly(tmp_path: Path, integration: str) -> None:
    state = tmp_path / "state.json"
    env = {"FLACK_STATE_FILE": str(state), "FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "warning"}
    log = tmp_path / "server.log"
    with log.open("wb") as stderr, server_process(env, stderr=stderr) as (url, process):
        peer = await (await Peer(url).connect()).named("ada")
        await peer.ok("create_channel", {"channel": "general"})
        await peer.ok("join_channel", {"channel": "general"})
        await peer.ok("send_message", {"channel": "general", "text": "keep me", "client_id": "k1"})
        process.send_signal(signal.SIGTERM)
        await peer.wait_for("server_closing")
        returncode = await asyncio.to_thread(process.wait, 5)  # the bound: within 5 s
        assert returncode == 0
        await peer.sio.disconnect()
    # A clean stop: no task left pending, no error, nothing but warnings asked for.
    said = log.read_text()
    assert "Task was destroyed" not in said and "ERROR" not in said and "Traceback" not in said, said
    saved = json.loads(state.read_text())
    assert [m["text"] for m in saved["channels"][0]["messages"]] == ["keep me"]
    with server_process(env) as (url, _):
        back = await Peer(url).connect()
        claimed = await back.ok("claim_name", {"name": "ada", "token": peer.token})
        assert claimed["name"] == "ada"  # the name is still theirs
        history = (await back.ok("join_channel", {"channel": "general"}))["messages"]
        assert [m["text"] for m in history] == ["keep me"]
        retry = await back.ok("send_message", {"channel": "general", "text": "keep me", "client_id": "k1"})
        assert retry["duplicate"] is True  # a retry across the restart is still recognised
        await back.sio.disconnect()


async def test_a_crash_loses_at_most_the_last_interval(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    env = {
        "FLACK_STATE_FILE": str(state),
        "FLACK_STATE_INTERVAL": "0.3",
        "FLACK_LOG_LEVEL": "warning",
        # A killed server cannot remove a temporary files folder: use the test's.
        "FLACK_FILES_DIR": str(tmp_path / "files"),
    }
    with server_process(env) as (url, process):
        peer = await (await Peer(url).connect()).named("ada")
        await peer.ok("create_channel", {"channel": "general"})
        await peer.ok("join_channel", {"channel": "general"})
        await peer.ok("send_message", {"channel": "general", "text": "saved by the timer"})
        for _ in range(50):  # bounded: wait for a periodic save that includes it
            if state.exists() and "saved by the timer" in state.read_text():
                break
            await asyncio.sleep(0.1)
        process.kill()  # no goodbye, no shutdown hooks
        process.wait(5)
        await peer.sio.disconnect()
    with server_process(env) as (url, _):
        back = await (await Peer(url).connect()).named("bob")
        history = (await back.ok("join_channel", {"channel": "general"}))["messages"]
        assert [m["text"] for m in history] == ["saved by the timer"]
        await back.sio.disconnect()


async def test_restart_drill_50_clients_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    env = {"FLACK_STATE_FILE": str(state), "FLACK_STATE_INTERVAL": "1", "FLACK_LOG_LEVEL": "warning"}
    port = free_port()
    channels = [unique("drill-") for _ in range(5)]
    sent: dict[str, set[str]] = {channel: set() for channel in channels}

    async def send_round(clients: list[ResumingClient], label: str) -> None:
        async def one(client: ResumingClient) -> None:
            client_id = f"{client.name}-{label}"
            await client.send(f"{label} from {client.name}", client_id)
            sent[client.channel].add(client_id)

        await asyncio.gather(*(one(c) for c in clients))

    with server_process(env, port=port) as (url, process):
        setup = await (await Peer(url).connect()).named(unique("setup"))
        for channel in channels:
            await setup.ok("create_channel", {"channel": channel})
        await setup.sio.disconnect()
        clients = [
            await ResumingClient(url, unique("drill"), channels[n % len(channels)]).start() for n in range(50)
        ]
        await send_round(clients, "before")
        # Sends are in flight while the server goes down: they are retried after the restart.
        during = asyncio.create_task(send_round(clients, "during"))
        await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 5)
    down_at = asyncio.get_running_loop().time()
    with server_process(env, port=port) as (url, _):
        try:
            async with asyncio.timeout(15):
                await during
            await send_round(clients, "after")
            # Every client reconnected and caught up within 10 s of the server going down.
            resumed = [c.resumed_at[-1] - down_at for c in clients]
            assert all(c.told == 1 for c in clients)
            assert max(resumed) < 10, max(resumed)
            observer = await (await Peer(url).connect()).named(unique("observer"))
            for channel in channels:
                history = (await observer.ok("join_channel", {"channel": channel}))["messages"]
                ids = [m["client_id"] for m in history]
                assert len(ids) == len(set(ids)), "a message was stored twice"
                assert set(ids) == sent[channel], "a message went missing"
                # Barrier: one more message, live after everything sent to this channel.
                payload = {"channel": channel, "text": "last", "client_id": f"barrier-{channel}"}
                await observer.ok("send_message", payload)

            def barrier_seen(client: ResumingClient) -> bool:
                return any(m["client_id"] == f"barrier-{client.channel}" for m in client.seen.values())

            for _ in range(100):  # bounded: the barrier's live delivery
                if all(barrier_seen(c) for c in clients):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the last message did not reach every client")
            for client in clients:
                got = [m["client_id"] for m in client.seen.values()]
                got.remove(f"barrier-{client.channel}")
                assert sorted(got) == sorted(sent[client.channel]), client.name  # 0 missing, 0 duplicated
                assert client.gaps == 0
            await observer.sio.disconnect()
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    assert sum(len(s) for s in sent.values()) == 150


async def test_shutdown_with_hundreds_of_connections_is_prompt() -> None:
    # Everyone leaving at once used to mean a leave notice to every other
    # connection (N² packets): 600 connections took about 8 s to stop, 1,000 over 20 s.
    import json

    import aiohttp

    async def join(session: aiohttp.ClientSession, url: str, n: int) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(url + "/socket.io/?EIO=4&transport=websocket")
        await ws.receive_str(timeout=10)
        await ws.send_str("40")
        await ws.receive_str(timeout=10)
        await ws.send_str("420" + json.dumps(["claim_name", {"name": f"crowd{n}"}]))
        await ws.send_str("421" + json.dumps(["join_channel", {"channel": "crowd"}]))
        async with asyncio.timeout(20):  # its join's ack, after others' notices and its claim's ack
            while not (frame := await ws.receive_str()).startswith("431"):
                pass
        assert json.loads(frame[3:])[0]["ok"] is True, frame
        return ws

    with server_process({"FLACK_LOG_LEVEL": "warning"}) as (url, process):
        setup = await (await Peer(url).connect()).named("setup")
        await setup.ok("create_channel", {"channel": "crowd"})
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            sockets = []
            for batch in range(0, 600, 50):
                sockets += await asyncio.gather(*(join(session, url, n) for n in range(batch, batch + 50)))
            # All 600 are in the channel (each saw its join acknowledged).
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.to_thread(process.wait, 5)
            assert returncode == 0
            for ws in sockets:
                await ws.close()
        await setup.sio.disconnect()


def start_with(state: Path, content: bytes) -> tuple[int | None, str]:
    """Start ``flack serve`` on a state file with ``content``; its exit code
    and what it said on stderr (``None`` if it started serving instead: it
    is stopped then). Bounded: 30 s at most."""
    state.write_bytes(content)
    port = free_port()
    env = {
        **os.environ,
        "FLACK_STATE_FILE": str(state),
        "FLACK_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    process.terminate()  # it started on a hostile file
                    process.wait(10)
                    return None, ""
            except OSError:
                time.sleep(0.1)
        if process.poll() is None:
            process.kill()
        process.wait(10)
        assert process.stderr is not None
        return process.returncode, process.stderr.read().decode(errors="replace")


HOSTILE_STATE = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "channels as text": (b'{"version": 2, "channels": "general", "identities": [], "sent": []}', "channels:"),
    "a version-1 message that is a list": (
        b'{"version": 1, "channels": [{"name": "x", "last_id": 1, "messages": [["file"]]}],'
        b' "identities": [], "sent": []}',
        "channels[0].messages[0]",
    ),
    "last_seen as text": (
        b'{"version": 2, "channels": [], "identities": [{"token": "t", "name": "Ada", "last_seen": "now"}],'
        b' "sent": []}',
        "identities[0].last_seen",
    ),
    "GENERAL and general": (
        b'{"version": 2, "channels": [{"name": "GENERAL", "last_id": 0, "messages": []},'
        b' {"name": "general", "last_id": 1,'
        b' "messages": [{"id": 1, "sender": "x", "text": "y", "time": "t"}]}],'
        b' "identities": [], "sent": []}',
        "channels[1]: 'general' is the same name as channels[0] 'GENERAL'",
    ),
}


@pytest.mark.parametrize(("content", "says"), HOSTILE_STATE.values(), ids=HOSTILE_STATE.keys())
def test_a_hostile_state_file_stops_the_server_with_a_clear_error(
    tmp_path: Path, content: bytes, says: str
) -> None:
    # Issue 11: deep nesting crashed start-up (RecursionError), wrong types with
    # AttributeError tracebacks, and "GENERAL" silently replaced "general" and its history.
    code, stderr = start_with(tmp_path / "state.json", content)
    assert code == 2, (code, stderr[-2000:])
    assert says in stderr and "Traceback" not in stderr, stderr[-2000:]
    assert stderr.count("\n") <= 3  # one line to act on, not a trace


@pytest.mark.parametrize("storage", ["state file", "data folder"])
async def test_team_conversations_survive_a_restart(tmp_path: Path, storage: str) -> None:
    """Memberships, direct conversations, threads, reactions, edits and read
    marks come back after a graceful restart (a state file) or a kill -9 (a data folder)."""
    where = {"state file": {"FLACK_STATE_FILE": str(tmp_path / "state.json")}}.get(
        storage, {"FLACK_DATA_DIR": str(tmp_path / "data")}
    )
    env = {**where, "FLACK_LOG_LEVEL": "warning"}
    with server_process(env) as (url, process):
        ada = await (await Peer(url).connect()).named("ada")
        bea = await (await Peer(url).connect()).named("bea")
        await ada.ok("create_channel", {"channel": "general"})
        await ada.ok("join_channel", {"channel": "general"})
        direct = (await ada.ok("open_direct", {"people": [bea.id]}))["direct"]["id"]
        first = (await ada.ok("send_message", {"channel": direct, "text": "lunch?"}))["message"]
        await bea.ok("send_message", {"channel": direct, "text": "yes", "parent": first["id"]})
        await bea.ok("react", {"channel": direct, "id": first["id"], "emoji": "🎉"})
        await ada.ok("edit_message", {"channel": direct, "id": first["id"], "text": "lunch at noon?"})
        await ada.ok("send_message", {"channel": direct, "text": "and dessert?"})
        await bea.ok("mark_read", {"channel": direct, "id": first["id"]})
        if storage == "state file":
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 5)
        else:
            process.kill()
            process.wait(5)
        for peer in (ada, bea):
            await peer.sio.disconnect()
    with server_process(env) as (url, _):
        back = await Peer(url).connect()
        await back.ok("claim_name", {"name": "bea", "token": bea.token})
        listed = await back.ok("list_conversations")
        assert [d["id"] for d in listed["directs"]] == [direct] and listed["channels"] == []
        # Bea had read the first message: Ada's last one is unread (and, direct, a mention).
        read = {"channel": direct, "read": first["id"], "unread": 1, "mentions": 1}
        assert listed["reads"] == [read]
        history = (await back.ok("join_channel", {"channel": direct}))["messages"]
        parent, reply, _ = history
        assert (parent["text"], parent["edited"], parent["replies"]) == ("lunch at noon?", True, 1)
        assert parent["reactions"] == [{"emoji": "🎉", "people": [bea.id]}]
        assert (reply["text"], reply["parent"]) == ("yes", parent["id"])
        ada_back = await Peer(url).connect()
        await ada_back.ok("claim_name", {"name": "ada", "token": ada.token})
        assert [c["name"] for c in (await ada_back.ok("list_conversations"))["channels"]] == ["general"]
        for peer in (back, ada_back):
            await peer.sio.disconnect()
