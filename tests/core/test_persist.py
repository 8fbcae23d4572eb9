"""The state file: snapshots round-trip, writes are atomic and private, damage is refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from flack.backends.memory import MemoryBackend
from flack.core.models import Channel, File
from flack.persist import load_state, save_state


async def filled() -> MemoryBackend:
    backend = MemoryBackend(3)
    await backend.add_channel(Channel("General"))
    await backend.add_channel(Channel("empty"))
    for n in range(5):
        await backend.append_message("general", "Ada", f"m{n}", f"t{n}", sent_by="tok-ada", client_id=f"c{n}")
    await backend.append_message(
        "general", "Bob", "", "t9", File("fid", "a.png", 3, "image/png", "/files/fid/a.png", True)
    )
    await backend.bind_name("tok-ada", "Ada", now=100.0)
    await backend.bind_name("tok-bob", "Bob", now=50.0)
    await backend.add_connections("tok-ada", 1, now=100.0)
    return backend


async def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = await filled()
    save_state(path, backend, now=500.0)
    restored = MemoryBackend(3)
    assert load_state(path, restored) is True
    assert [c.name for c in await restored.list_channels()] == ["General", "empty"]
    history = await restored.history("general")
    assert [m.id for m in history] == [4, 5, 6] and [m.text for m in history][:2] == ["m3", "m4"]
    # Ids go on where they stopped; nobody gets a number twice.
    message, _ = await restored.append_message("general", "Ada", "after", "t")
    assert message.id == 7
    # Retries of remembered sends are still recognised (the kept ones).
    assert (await restored.recall_sent("tok-ada", "c4")) == history[1]
    # Names stay bound to their tokens; whoever was connected counts as seen at save time.
    ada = await restored.get_identity("tok-ada")
    assert ada is not None and (ada.name, ada.connections, ada.last_seen) == ("Ada", 0, 500.0)
    bob = await restored.holder_of("bob")
    assert bob is not None and bob.last_seen == 50.0
    # Shared files do not survive a restart; their messages say so.
    assert history[-1].file is not None and history[-1].file.expired


async def test_writes_are_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    backend = await filled()
    save_state(path, backend, now=1.0)
    first = path.read_bytes()
    await backend.append_message("general", "Ada", "more", "t")
    save_state(path, backend, now=2.0)
    assert path.read_bytes() != first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds identity tokens
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary files left


def test_missing_file_starts_empty(tmp_path: Path) -> None:
    assert load_state(tmp_path / "none.json", MemoryBackend(100)) is False


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        json.dumps({"version": 99, "channels": [], "identities": [], "sent": []}).encode(),
        json.dumps({"version": 1, "channels": [{"name": "x"}], "identities": [], "sent": []}).encode(),
        json.dumps({"version": 1, "channels": [], "identities": [{"token": "t"}], "sent": []}).encode(),
    ],
)
async def test_damaged_files_are_refused_and_change_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    backend = await filled()
    with pytest.raises(ValueError):
        load_state(path, backend)
    assert len(await backend.history("general")) == 3  # untouched


async def test_a_version_1_file_is_still_read(tmp_path: Path) -> None:
    # Written by Flack before messages were stored in their wire shape: a
    # file had a "kind" and no URL. Upgrading must not lose the chat.
    old = {
        "version": 1,
        "channels": [
            {
                "name": "General",
                "last_id": 2,
                "messages": [
                    {"id": 1, "sender": "Ada", "text": "hi", "time": "t1", "file": None, "client_id": "c1"},
                    {
                        "id": 2,
                        "sender": "Bob",
                        "text": "",
                        "time": "t2",
                        "file": {"id": "f", "name": "a.png", "size": 3, "kind": "image/png", "preview": True},
                        "client_id": None,
                    },
                ],
            }
        ],
        "identities": [{"token": "tok-ada", "name": "Ada", "last_seen": 5.0}],
        "sent": [["tok-ada", "c1", "General", 1]],
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(old))
    restored = MemoryBackend(100)
    assert load_state(path, restored) is True
    text, shared = await restored.history("general")
    assert (text.id, text.channel, text.sender, text.text, text.client_id) == (
        1,
        "General",
        "Ada",
        "hi",
        "c1",
    )
    assert shared.file is not None and (shared.file.name, shared.file.type) == ("a.png", "image/png")
    assert shared.file.expired
    assert await restored.recall_sent("tok-ada", "c1") == text
    assert (await restored.append_message("general", "Ada", "next", "t3"))[0].id == 3
