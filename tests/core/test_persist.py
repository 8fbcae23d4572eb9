"""The state file: snapshots round-trip, writes are atomic and private, damage is refused."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from flack.backends.memory import MemoryBackend
from flack.core.models import Channel, File
from flack.persist import load_state, save_state
from flack.protocol import direct_label, person_id


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
    bob = await restored.holders_of("bob", 500.0)
    assert [(b.token, b.last_seen) for b in bob] == [("tok-bob", 50.0)]
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


async def test_reserved_old_names_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = MemoryBackend(3)
    await backend.bind_name("tok-cy", "Cy", now=1.0)
    await backend.bind_name("tok-cy", "Cyd", now=2.0, reserve_until=900.0)
    save_state(path, backend, now=3.0)
    restored = MemoryBackend(3)
    assert load_state(path, restored) is True
    assert [h.token for h in await restored.holders_of("CY", 600.0)] == ["tok-cy"]
    assert await restored.bind_name("tok-other", "Cy", 600.0) is None
    assert await restored.holders_of("Cy", 901.0) == []


# --- hostile files (issue 11): refused with the field named, never a crash --------------------


def snapshot(version: int = 2, channels: object = (), identities: object = (), sent: object = ()) -> bytes:
    return json.dumps(
        {"version": version, "channels": list(channels), "identities": list(identities), "sent": list(sent)}  # type: ignore[call-overload]
    ).encode()


def channel(name: str = "general", last_id: int = 1, messages: object = None) -> dict[str, object]:
    message = {"id": 1, "sender": "Ada", "text": "hi", "time": "t", "file": None, "client_id": None}
    return {"name": name, "last_id": last_id, "messages": [message] if messages is None else messages}


HOSTILE = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "nested deep inside a message": (
        b'{"version": 2, "channels": [{"name": "x", "last_id": 1, "messages": ['
        + b"[" * 50_000
        + b"]" * 50_000
        + b']}], "identities": [], "sent": []}',
        "nested too deeply",
    ),
    "version true": (
        json.dumps({"version": True, "channels": [], "identities": [], "sent": []}).encode(),
        "version",
    ),
    "version as text": (
        json.dumps({"version": "2", "channels": [], "identities": [], "sent": []}).encode(),
        "version",
    ),
    "channels an object": (
        json.dumps({"version": 2, "channels": {"general": 1}, "identities": [], "sent": []}).encode(),
        "channels: expected a list, got an object",
    ),
    "a channel as text": (snapshot(channels=["general"]), "channels[0]: expected an object, got text"),
    "a message as a list": (
        snapshot(channels=[channel(messages=[["hi"]])]),
        "channels[0].messages[0]: expected an object",
    ),
    "a version-1 file as a list": (
        snapshot(1, channels=[channel(messages=[["file"]])]),
        "channels[0].messages[0]: expected an object",
    ),
    "a version-1 file that is text": (
        snapshot(1, channels=[channel(messages=[{"id": 1, "file": "cat.png"}])]),
        "channels[0].messages[0].file: expected an object, got text",
    ),
    "an id as text": (
        snapshot(channels=[channel(messages=[{"id": "1", "sender": "a", "text": "b", "time": "t"}])]),
        "channels[0].messages[0]: The field 'id'",
    ),
    "ids out of order": (
        snapshot(
            channels=[
                channel(
                    last_id=5,
                    messages=[
                        {"id": 3, "sender": "a", "text": "b", "time": "t"},
                        {"id": 2, "sender": "a", "text": "c", "time": "t"},
                    ],
                )
            ]
        ),
        "channels[0].messages[1].id: 2 must be above the one before (3)",
    ),
    "an id past last_id": (snapshot(channels=[channel(last_id=0)]), "channels[0].messages[0].id: 1"),
    "last_id negative": (snapshot(channels=[channel(last_id=-1, messages=[])]), "channels[0].last_id"),
    "last_seen as text": (
        snapshot(identities=[{"token": "t", "name": "Ada", "last_seen": "yesterday"}]),
        "identities[0].last_seen: expected a finite number, got text",
    ),
    "last_seen NaN": (
        b'{"version": 2, "channels": [], "sent": [],'
        b' "identities": [{"token": "t", "name": "Ada", "last_seen": NaN}]}',
        "identities[0].last_seen: expected a finite number",
    ),
    "a token twice": (
        snapshot(
            identities=[
                {"token": "t", "name": "Ada", "last_seen": 1},
                {"token": "t", "name": "Bob", "last_seen": 1},
            ]
        ),
        "identities[1].token",
    ),
    "a sent entry too short": (
        snapshot(channels=[channel()], sent=[["t", "c1"]]),
        "sent[0]: expected [token",
    ),
    "GENERAL and general": (
        snapshot(channels=[channel("GENERAL"), channel("general")]),
        "channels[1]: 'general' is the same name as channels[0] 'GENERAL'",
    ),
    "Ada and ADA": (
        snapshot(
            identities=[
                {"token": "t1", "name": "Ada", "last_seen": 1},
                {"token": "t2", "name": "ADA", "last_seen": 1},
            ]
        ),
        "identities[1].name: 'ADA' is the same name as identities[0].name 'Ada'",
    ),
    "look-alike channels (version 3)": (
        snapshot(3, channels=[channel("general"), channel("gеneral")]),
        "channels[1].name: 'gеneral' looks the same as channels[0] 'general'",
    ),
    "an invisible name (version 3)": (
        snapshot(3, identities=[{"token": "t", "name": "Ada\u3164", "last_seen": 1, "reserved": []}]),
        "identities[0].name: 'Ada\u3164' is not allowed",
    ),
}


@pytest.mark.parametrize(("content", "says"), HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_files_are_refused_with_the_field_named(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    backend = await filled()
    with pytest.raises(ValueError) as refused:
        load_state(path, backend)
    assert str(path) in str(refused.value) and says in str(refused.value)
    assert len(await backend.history("general")) == 3  # untouched


async def test_an_older_file_keeps_what_todays_name_rules_allow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Written by a Flack from before the look-alike rules: the first of two
    # look-alikes (the older) is kept, the rest left out, and the log says so.
    path = tmp_path / "state.json"
    path.write_bytes(
        snapshot(
            2,
            channels=[channel("general"), channel("gеneral"), channel("general\u3164"), channel("random")],
            identities=[
                {"token": "t1", "name": "Alice", "last_seen": 1},
                {"token": "t2", "name": "Аlice", "last_seen": 2},
                {"token": "t3", "name": "dana (you)", "last_seen": 3},
                {"token": "t4", "name": "Bob", "last_seen": 4},
            ],
            sent=[["t2", "c1", "general", 1], ["t4", "c2", "random", 1]],
        )
    )
    restored = MemoryBackend(100)
    assert load_state(path, restored) is True
    assert [c.name for c in await restored.list_channels()] == ["general", "random"]
    assert await restored.get_identity("t1") is not None and await restored.get_identity("t4") is not None
    assert await restored.get_identity("t2") is None and await restored.get_identity("t3") is None
    assert await restored.recall_sent("t2", "c1") is None  # a send of someone left out
    assert await restored.recall_sent("t4", "c2") is not None
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 4 and "channels[1].name" in warned[0] and "identities[2].name" in warned[3]


async def test_bidi_controls_in_stored_text_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    message = {"id": 1, "sender": "Ada", "text": "invoice_\u202egnp.exe", "time": "t"}
    path.write_bytes(snapshot(channels=[channel(messages=[message])]))
    restored = MemoryBackend(100)
    load_state(path, restored)
    assert [m.text for m in await restored.history("general")] == ["invoice_gnp.exe"]


async def test_team_conversations_survive_a_restart(tmp_path: Path) -> None:
    """Version 5: memberships, direct conversations, threads, reactions,
    edits and deletions, and each conversation's revision counter."""
    ada, bob = person_id("tok-ada"), person_id("tok-bob")
    dm = direct_label([ada, bob])
    backend = MemoryBackend(5)
    await backend.bind_name("tok-ada", "Ada", now=1.0)
    await backend.bind_name("tok-bob", "Bob", now=1.0)
    await backend.add_channel(Channel("General"))
    await backend.add_member("general", ada)
    await backend.add_channel(Channel(dm))
    first, _ = await backend.append_message(
        dm, "Ada", "psst", "t", sent_by="tok-ada", client_id="c1", sender_id=ada
    )
    await backend.append_message(dm, "Bob", "ok", "t", sender_id=bob, parent=first.id)
    await backend.change_message(dm, first.id, {"replies": 1})
    await backend.change_message(dm, first.id, {"toggle": ["🎉", bob]})
    await backend.change_message(dm, 2, {"edit": "okay"})
    gone, _ = await backend.append_message(dm, "Ada", "oops", "t", sender_id=ada)
    await backend.change_message(dm, gone.id, {"delete": True})
    path = tmp_path / "state.json"
    save_state(path, backend, now=5.0)
    restored = MemoryBackend(5)
    assert load_state(path, restored) is True
    assert await restored.history(dm) == await backend.history(dm)
    assert await restored.members("general") == [ada]
    assert await restored.memberships(bob) == [Channel(dm)]
    assert await restored.list_channels() == [Channel("General")]
    assert (await restored.person(bob)).name == "Bob"  # type: ignore[union-attr]
    assert await restored.recall_sent("tok-ada", "c1") == await backend.get_message(dm, first.id)
    changed = await restored.change_message(dm, 2, {"edit": "okay!"})
    assert changed is not None and changed.revision == 5  # the counter goes on


async def test_read_marks_survive_a_restart(tmp_path: Path) -> None:
    """Version 6: each conversation's read marks."""
    ada, bob = person_id("tok-ada"), person_id("tok-bob")
    dm = direct_label([ada, bob])
    backend = MemoryBackend(5)
    await backend.add_channel(Channel("General"))
    await backend.add_member("general", ada)
    await backend.add_channel(Channel(dm))
    for n in range(3):
        await backend.append_message("general", "Bob", f"m{n}", "t", sender_id=bob)
        await backend.append_message(dm, "Bob", f"d{n}", "t", sender_id=bob)
    await backend.set_read("general", ada, 2)
    await backend.set_read(dm, bob, 3)
    path = tmp_path / "state.json"
    save_state(path, backend, now=5.0)
    restored = MemoryBackend(5)
    assert load_state(path, restored) is True
    assert await restored.read_mark("general", ada) == 2
    assert (await restored.read_mark(dm, bob), await restored.read_mark(dm, ada)) == (3, 0)


async def test_a_version_5_file_counts_everything_kept_as_read(tmp_path: Path) -> None:
    """An upgrade does not turn every kept message into an unread one."""
    ada, bob = person_id("tok-ada"), person_id("tok-bob")
    dm = direct_label([ada, bob])
    message = {"id": 2, "sender": "Bob", "text": "hi", "time": "t", "sender_id": bob}
    channels = [
        {"name": "general", "last_id": 2, "last_revision": 0, "members": [ada], "messages": [message]},
        {"name": dm, "last_id": 4, "last_revision": 0, "members": [], "messages": []},
    ]
    data = {"version": 5, "generation": 0, "channels": channels, "identities": [], "sent": []}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data))
    restored = MemoryBackend(5)
    load_state(path, restored)
    assert await restored.read_mark("general", ada) == 2
    assert (await restored.read_mark(dm, ada), await restored.read_mark(dm, bob)) == (4, 4)


@pytest.mark.parametrize(
    ("read", "says"),
    [
        (["x"], "read: expected an object"),
        ({"Ada": 1}, "expected person ids as keys"),
        ({person_id("t"): 3}, "up to last_id (2)"),
        ({person_id("t"): -1}, "up to last_id"),
        ({person_id("t"): True}, "up to last_id"),
    ],
)
async def test_a_version_6_file_with_bad_read_marks_is_refused(
    tmp_path: Path, read: object, says: str
) -> None:
    entry = {"name": "general", "last_id": 2, "last_revision": 0, "members": [], "messages": [], "read": read}
    data = {"version": 6, "generation": 0, "channels": [entry], "identities": [], "sent": []}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=re.escape(says)):
        load_state(path, MemoryBackend(3))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"members": ["Ada"]}, "members[0]: expected a person id"),
        ({"last_revision": -1}, "last_revision"),
        ({"name": "@abc"}, "is not a direct conversation's label"),
    ],
)
async def test_a_version_5_file_with_bad_team_fields_is_refused(
    tmp_path: Path, change: dict[str, object], says: str
) -> None:
    entry = {"name": "general", "last_id": 0, "last_revision": 0, "members": [], "messages": [], **change}
    data = {"version": 5, "generation": 0, "channels": [entry], "identities": [], "sent": []}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=re.escape(says)):
        load_state(path, MemoryBackend(3))
