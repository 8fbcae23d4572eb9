"""Durable by default (issue 12): a data folder keeps the chat across restarts and kill -9.

Every server here runs on a data folder under the test's own temporary
folder (``FLACK_DATA_DIR``), never the person's real one.
"""

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
from typing import Any

import aiohttp
import pytest

from flack.testing import free_port, memory_unless_chosen, server_process
from wire_support import Peer


def durable(data: Path, **extra: str) -> dict[str, str]:
    return {"FLACK_DATA_DIR": str(data), "FLACK_LOG_LEVEL": "warning", **extra}


async def share(peer: Peer, url: str, channel: str, name: str, data: bytes) -> dict[str, Any]:
    """Share ``data`` as a file the way the browser does; the file message."""
    payload = {"channel": channel, "name": name, "size": len(data), "type": "application/octet-stream"}
    upload = (await peer.ok("start_upload", payload))["upload"]
    async with aiohttp.ClientSession(url) as http:
        offset = 0
        while True:
            end = min(offset + upload["chunk_size"], len(data))
            headers = {"Upload-Offset": str(offset)}
            async with http.put(upload["url"], data=data[offset:end], headers=headers) as response:
                reply = await response.json()
                assert response.status == 200, reply
            offset = reply["data"]["received"]
            if reply["data"]["complete"]:
                message: dict[str, Any] = reply["data"]["message"]
                return message


async def download(url: str, file_url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession(url) as http, http.get(file_url) as response:
        return response.status, await response.read()


# -- the crash drill ----------------------------------------------------------------------


@pytest.mark.parametrize("integration", ["asgi", "sanic"])
async def test_crash_drill_kill_9_mid_burst_loses_and_repeats_no_acknowledged_message(
    tmp_path: Path, integration: str
) -> None:
    """Eight clients send bursts into four channels; the server is killed
    (SIGKILL, no goodbye) once 100 sends are acknowledged, with more in
    flight. After a restart on the same data folder every acknowledged
    message is there exactly once, in order, with the id its
    acknowledgement gave, and a file shared before the kill downloads
    byte for byte."""
    env = durable(tmp_path / "data", FLACK_INTEGRATION=integration)
    port = free_port()
    channels = [f"drill{n}" for n in range(4)]
    acked: dict[str, list[dict[str, Any]]] = {channel: [] for channel in channels}
    blob = os.urandom(300_000)
    with server_process(env, port=port) as (url, process):
        setup = await (await Peer(url).connect()).named("setup")
        for channel in channels:
            await setup.ok("create_channel", {"channel": channel})
        await setup.ok("join_channel", {"channel": channels[0]})
        shared = await share(setup, url, channels[0], "before the crash.bin", blob)
        senders = []
        for n in range(8):
            peer = await (await Peer(url).connect()).named(f"sender{n}")
            await peer.ok("join_channel", {"channel": channels[n % 4]})
            senders.append(peer)

        async def burst(peer: Peer, n: int) -> None:
            channel = channels[n % 4]
            for i in range(40):  # 2 senders x 40 per channel: all within the 100 kept
                payload = {"channel": channel, "text": f"{n}:{i}", "client_id": f"s{n}-{i}"}
                try:
                    ack = await peer.sio.call("send_message", payload, timeout=2)
                except Exception:  # the server is gone: this one was never acknowledged
                    return
                assert ack["ok"], ack
                acked[channel].append(ack["data"]["message"])

        bursts = [asyncio.create_task(burst(peer, n)) for n, peer in enumerate(senders)]
        async with asyncio.timeout(20):
            while sum(map(len, acked.values())) < 100:
                await asyncio.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)  # mid-burst: eight sends are in flight
        async with asyncio.timeout(20):
            await asyncio.gather(*bursts)
        process.wait(5)
        for peer in [setup, *senders]:
            await peer.sio.disconnect()
    total = sum(map(len, acked.values()))
    assert 100 <= total < 320, total  # killed mid-burst, not before or after it

    with server_process(env, port=port) as (url, _):
        observer = await (await Peer(url).connect()).named("observer")
        for channel in channels:
            history = (await observer.ok("join_channel", {"channel": channel}))["messages"]
            ids = [m["id"] for m in history]
            assert ids == sorted(set(ids))  # in order, each once
            client_ids = [m["client_id"] for m in history if m["client_id"]]
            assert len(client_ids) == len(set(client_ids)), "a message was stored twice"
            by_id = {m["id"]: m for m in history}
            for message in acked[channel]:
                assert by_id.get(message["id"]) == message, f"acknowledged {message} is lost or changed"
            # Each sender's acknowledged messages in the order it sent them.
            for sender in {m["sender"] for m in acked[channel]}:
                mine = [m["text"] for m in history if m["sender"] == sender]
                sent = [m["text"] for m in acked[channel] if m["sender"] == sender]
                assert mine[: len(sent)] == sent
        status, body = await download(url, shared["file"]["url"])
        assert status == 200 and body == blob
        # Ids go on after the last one stored: nothing acknowledged is ever renumbered.
        await observer.ok("join_channel", {"channel": channels[1]})
        last = max([m["id"] for m in acked[channels[1]]], default=0)
        after = await observer.ok("send_message", {"channel": channels[1], "text": "after"})
        assert after["message"]["id"] > last
        await observer.sio.disconnect()


# -- a clean restart in the default mode --------------------------------------------------


@pytest.mark.parametrize(
    ("integration", "stop"),
    [("asgi", signal.SIGINT), ("asgi", signal.SIGTERM), ("sanic", signal.SIGTERM)],
    ids=["asgi-ctrl-c", "asgi-sigterm", "sanic-sigterm"],
)
async def test_a_restart_keeps_channels_messages_names_and_files(
    tmp_path: Path, integration: str, stop: signal.Signals
) -> None:
    """Nothing here chooses memory: the default mode keeps everything (the
    issue: a default restart lost the channel list and every message)."""
    env = {
        "FLACK_INTEGRATION": integration,
        "FLACK_LOG_LEVEL": "warning",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        **{name: "" for name in memory_unless_chosen({})},  # the default: no FLACK_DATA_DIR, no --memory
    }
    blob = os.urandom(50_000)
    with server_process(env) as (url, process):
        ada = await (await Peer(url).connect()).named("ada")
        for channel in ("general", "random", "quiet"):
            await ada.ok("create_channel", {"channel": channel})
        await ada.ok("join_channel", {"channel": "general"})
        sent = [
            (await ada.ok("send_message", {"channel": "general", "text": f"m{n}", "client_id": f"c{n}"}))[
                "message"
            ]
            for n in range(3)
        ]
        shared = await share(ada, url, "general", "notes.bin", blob)
        await ada.ok("claim_name", {"name": "grace", "token": ada.token})  # "ada" stays reserved for her
        process.send_signal(stop)
        assert await asyncio.to_thread(process.wait, 10) == 0
        await ada.sio.disconnect()
    assert (tmp_path / "xdg" / "flack" / "snapshot.json").exists()  # the per-user default folder

    with server_process(env) as (url, _):
        back = await Peer(url).connect()
        assert (await back.ok("claim_name", {"name": "grace", "token": ada.token}))["name"] == "grace"
        channels = await back.ok("list_channels", {})
        assert [c["name"] for c in channels["channels"]] == ["general", "quiet", "random"]
        history = (await back.ok("join_channel", {"channel": "general"}))["messages"]
        assert history == [*sent, shared]  # the same ids, texts, times and file
        retry = await back.ok("send_message", {"channel": "general", "text": "m2", "client_id": "c2"})
        assert retry["duplicate"] is True and retry["message"] == sent[2]
        assert (await back.ok("send_message", {"channel": "general", "text": "new"}))["message"]["id"] == 5
        status, body = await download(url, shared["file"]["url"])
        assert status == 200 and body == blob
        stranger = await Peer(url).connect()
        refused = await stranger.call("claim_name", {"name": "Ada"})
        assert refused["error"]["code"] == "name_taken"  # still reserved after the restart
        await stranger.sio.disconnect()
        await back.sio.disconnect()


async def test_a_file_whose_bytes_are_gone_shows_as_expired(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = durable(data)
    with server_process(env) as (url, _):
        ada = await (await Peer(url).connect()).named("ada")
        await ada.ok("create_channel", {"channel": "general"})
        await ada.ok("join_channel", {"channel": "general"})
        lost = await share(ada, url, "general", "lost.txt", b"gone")
        kept = await share(ada, url, "general", "kept.txt", b"still here")
        await ada.sio.disconnect()
    (data / "files" / lost["file"]["id"]).unlink()  # someone cleaned up by hand
    with (tmp_path / "log").open("wb") as log, server_process(env, stderr=log) as (url, _):
        peer = await (await Peer(url).connect()).named("bob")
        history = (await peer.ok("join_channel", {"channel": "general"}))["messages"]
        assert [m["file"]["expired"] for m in history] == [True, False]
        assert (await download(url, lost["file"]["url"]))[0] == 404
        assert await download(url, kept["file"]["url"]) == (200, b"still here")
        await peer.sio.disconnect()
    said = (tmp_path / "log").read_text()
    assert "the shared file 'lost.txt' (message 1 in #general) is missing" in said, said


# -- where the data is, and one server per folder -----------------------------------------


def serve_briefly(env: dict[str, str], args: tuple[str, ...] = ()) -> tuple[int | None, str]:
    """Start ``flack serve`` with exactly this storage configuration; its
    exit code and stderr (``None`` if it started serving: then it is stopped
    with SIGTERM). Bounded: 30 s."""
    port = free_port()
    child = {**os.environ, **{name: "" for name in memory_unless_chosen({})}, **env, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with subprocess.Popen(command, env=child, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 30
        started = False
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    started = True
                    process.terminate()
                    break
            except OSError:
                time.sleep(0.1)
        if process.poll() is None and not started:
            process.kill()
        _, err = process.communicate(timeout=15)
        return (None if started else process.returncode), err.decode(errors="replace")


def test_the_start_says_where_the_data_is(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code, said = serve_briefly({"HOME": str(home), "XDG_DATA_HOME": "", "FLACK_LOG_LEVEL": "info"})
    assert code is None, said
    folder = home / ".local" / "share" / "flack"
    assert said.splitlines()[0] == f"INFO flack: data: {folder} (durable)", said  # the first line
    assert (folder / "snapshot.json").exists()

    elsewhere = tmp_path / "elsewhere"
    code, said = serve_briefly({"HOME": str(elsewhere), "FLACK_LOG_LEVEL": "info"}, ("--memory",))
    assert code is None, said
    assert "data: in memory (--memory): lost at exit" in said
    assert not elsewhere.exists()  # --memory writes nothing there


def test_one_data_folder_serves_one_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with server_process(durable(data)) as (_, first):
        code, said = serve_briefly(durable(data))
        assert code == 2, said
        line = f"flack: the data folder {data} is in use by another Flack server (process {first.pid})"
        assert said.strip().startswith(line) and said.strip().count("\n") == 0, said
    code, said = serve_briefly(durable(data))  # free once the first has stopped
    assert code is None, said


def test_data_dir_and_memory_exclude_each_other(tmp_path: Path) -> None:
    code, said = serve_briefly(durable(tmp_path / "data"), ("--memory",))
    assert code == 2 and "exclude each other" in said, said
    assert not (tmp_path / "data").exists()


# -- a damaged data folder ------------------------------------------------------------------


async def crashed_folder(data: Path) -> Path:
    """A data folder left by a kill -9 after three messages; its journal."""
    with server_process(durable(data)) as (url, process):
        ada = await (await Peer(url).connect()).named("ada")
        await ada.ok("create_channel", {"channel": "general"})
        await ada.ok("join_channel", {"channel": "general"})
        for n in range(3):
            await ada.ok("send_message", {"channel": "general", "text": f"m{n}"})
        process.kill()
        process.wait(5)
        await ada.sio.disconnect()
    (journal,) = data.glob("journal.*")
    return journal


async def test_a_record_cut_off_by_a_crash_is_left_out_with_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = await crashed_folder(data)
    journal.write_bytes(journal.read_bytes()[:-9])  # the last message's record, cut short
    with (tmp_path / "log").open("wb") as log, server_process(durable(data), stderr=log) as (url, _):
        bob = await (await Peer(url).connect()).named("bob")
        history = (await bob.ok("join_channel", {"channel": "general"}))["messages"]
        assert [m["text"] for m in history] == ["m0", "m1"]
        await bob.sio.disconnect()
    said = (tmp_path / "log").read_text()
    # Lines: the name, its connection, the channel, Ada joining it, m0, m1, m2.
    assert f"{journal}: the last record (line 7) is incomplete, left out (cut off by a crash)" in said, said


def damage_mid_journal(data: Path, journal: Path) -> None:
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join([*lines[:2], b"{not a record}\n", *lines[2:]]))


def damage_snapshot(data: Path, journal: Path) -> None:
    (data / "snapshot.json").write_bytes(b'{"version": 4, "generation": 1, "chan')


def wrong_version(data: Path, journal: Path) -> None:
    snapshot = json.loads((data / "snapshot.json").read_text())
    (data / "snapshot.json").write_text(json.dumps({**snapshot, "version": 99}))


def lose_the_snapshot(data: Path, journal: Path) -> None:
    (data / "snapshot.json").unlink()


DAMAGE = {
    "garbage mid-journal": (damage_mid_journal, "journal.1 line 3 is damaged (not a journal record)"),
    "a truncated snapshot": (damage_snapshot, "snapshot.json is not valid JSON"),
    "a snapshot of another version": (wrong_version, "snapshot.json is not a usable Flack snapshot: version"),
    "a missing snapshot": (lose_the_snapshot, "has journals but no snapshot.json"),
}


@pytest.mark.parametrize(("damage", "says"), DAMAGE.values(), ids=DAMAGE.keys())
async def test_a_damaged_data_folder_stops_the_server_with_one_clear_line(
    tmp_path: Path, damage: Any, says: str
) -> None:
    data = tmp_path / "data"
    journal = await crashed_folder(data)
    damage(data, journal)

    def contents() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in data.iterdir() if p.is_file() and p.name != "lock"}

    before = contents()
    code, said = serve_briefly(durable(data))
    assert code == 2, said
    assert said.startswith("flack: ") and says in said and said.count("\n") == 1, said
    assert "Traceback" not in said
    # Nothing was thrown away: the folder is as it was, to be repaired.
    assert contents() == before
