"""The data folder: the journal replays to the same state, damage is refused, files come back."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flack.backends.datafolder import DataFolder, DataFolderError
from flack.backends.durable import DurableBackend, run_sync
from flack.backends.journal import JournalWriter, encode_record, read_journal
from flack.backends.memory import MemoryBackend
from flack.core.models import Channel, File
from flack.core.sharing import StoredFile
from flack.files import DiskStore
from flack.persist import load_state, save_state
from flack.protocol import direct_label, person_id

NOW = 1_000.0


def started(path: Path, limit: int = 5) -> tuple[DataFolder, DurableBackend]:
    """A data folder loaded and journaling (not locked: these tests are one process)."""
    folder = DataFolder(path)
    path.mkdir(exist_ok=True)
    backend = folder.load(limit, NOW)
    folder.begin(NOW)
    return folder, backend


def crash(folder: DataFolder) -> None:
    """Stop without a goodbye: the journal is closed as a killed process's would be."""
    assert folder.journal is not None
    folder.journal.close()


def reloaded(path: Path, limit: int = 5) -> DurableBackend:
    return DataFolder(path).load(limit, NOW)


# -- replay reproduces the state (the contract of the journal) -----------------------

TOKENS = ["t1", "t2", "t3"]
PEOPLE = [person_id(token) for token in TOKENS]
DIRECT = direct_label(PEOPLE[:2])
CHANNELS = ["general", "Random", "dev", "GENERAL", DIRECT]  # "GENERAL" is refused (taken)
CHANGES = [
    {"edit": "new"},
    {"toggle": ["👍", PEOPLE[0]]},
    {"toggle": ["🎉", PEOPLE[1]]},
    {"delete": True},
    {"replies": 1},
]
NAMES = ["Ada", "Bob", "Cy", "ADA"]
FILE = File("f1", "a.png", 3, "image/png", "/files/f1/a.png", preview=True)
# Few distinct moments, so that reservations run out and people fall idle.
TIMES = st.sampled_from([0.0, 1.0, 2.5, 10.0, 50.0])

operations = st.one_of(
    st.tuples(st.just("add_channel"), st.sampled_from(CHANNELS)),
    st.tuples(st.just("remove_channel"), st.sampled_from(CHANNELS)),
    st.tuples(
        st.just("append_message"),
        st.sampled_from(CHANNELS),
        st.sampled_from(NAMES),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf")), max_size=8),
        st.booleans(),  # with a file
        st.sampled_from([None, *TOKENS]),
        st.sampled_from([None, "c1", "c2", "c3"]),
        st.sampled_from(["", *PEOPLE]),
        st.sampled_from([None, 1, 2]),
    ),
    st.tuples(st.just("expire_file"), st.sampled_from(CHANNELS), st.integers(1, 4)),
    st.tuples(st.just("add_member"), st.sampled_from(CHANNELS), st.sampled_from(PEOPLE)),
    st.tuples(st.just("remove_member"), st.sampled_from(CHANNELS), st.sampled_from(PEOPLE)),
    st.tuples(st.just("set_read"), st.sampled_from(CHANNELS), st.sampled_from(PEOPLE), st.integers(0, 4)),
    st.tuples(
        st.just("change_message"), st.sampled_from(CHANNELS), st.integers(1, 4), st.sampled_from(CHANGES)
    ),
    st.tuples(
        st.just("bind_name"),
        st.sampled_from(TOKENS),
        st.sampled_from(NAMES),
        TIMES,
        st.one_of(st.none(), TIMES),
    ),
    st.tuples(st.just("add_connections"), st.sampled_from(TOKENS), st.sampled_from([1, -1]), TIMES),
    st.tuples(st.just("release"), st.sampled_from(TOKENS)),
    st.tuples(st.just("expire_reservations"), TIMES),
    st.tuples(st.just("compact")),
    st.tuples(st.just("crash_while_compacting")),  # new journal, snapshot never written
)


# Every sequence starts from a channel and two people, so that most steps change something.
SETUP = [
    ("add_channel", "general"),
    ("bind_name", "t1", "Ada", 0.0, None),
    ("bind_name", "t2", "Bob", 0.0, None),
]


class Clock:
    """Time only goes forward, as the server's clock does (a snapshot taken
    at some moment leaves out reservations over by then)."""

    now = 0.0

    def at(self, when: float) -> float:
        self.now = max(self.now, when)
        return self.now


def apply(
    folder: DataFolder, backend: DurableBackend, op: tuple[Any, ...], clock: Clock | None = None
) -> None:
    clock = clock or Clock()
    name, args = op[0], op[1:]
    if name in ("bind_name", "add_connections", "expire_reservations"):
        # Their moment is the argument before the last (bind_name: and the reservation's end).
        moment = {"bind_name": 2, "add_connections": 2, "expire_reservations": 0}[name]
        args = (*args[:moment], clock.at(args[moment]), *args[moment + 1 :])
    if name == "compact":
        folder.compact(clock.now)
    elif name == "crash_while_compacting":
        _, generation = folder._take(clock.now)
        folder._switch(generation)
    elif name == "add_channel":
        run_sync(backend.add_channel(Channel(args[0])))
    elif name == "remove_channel":
        run_sync(backend.remove_channel(Channel(args[0]).key))
    elif name == "append_message":
        key, sender, text, with_file, sent_by, client_id, *extra = args
        sender_id, parent = extra or ("", None)
        if run_sync(backend.get_channel(Channel(key).key)) is not None:
            info = FILE if with_file else None
            # As in the chat: only a person (a bound token) sends with a client_id.
            if sent_by is not None and run_sync(backend.get_identity(sent_by)) is None:
                sent_by = None
            run_sync(
                backend.append_message(
                    Channel(key).key, sender, text, "t", info, sent_by, client_id, sender_id, parent
                )
            )
    elif name in ("add_member", "remove_member", "set_read"):
        if run_sync(backend.get_channel(Channel(args[0]).key)) is not None:
            run_sync(getattr(backend, name)(Channel(args[0]).key, *args[1:]))
    elif name == "change_message":
        run_sync(backend.change_message(Channel(args[0]).key, args[1], args[2]))
    elif name == "expire_file":
        run_sync(backend.expire_file(Channel(args[0]).key, args[1]))
    else:
        run_sync(getattr(backend, name)(*args))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=50), st.booleans())
def test_replaying_the_journal_rebuilds_the_same_state(ops: list[tuple[Any, ...]], torn: bool) -> None:
    with tempfile.TemporaryDirectory() as folder_path:
        path = Path(folder_path)
        folder, backend = started(path)
        clock = Clock()
        for op in [*SETUP, *ops]:
            apply(folder, backend, op, clock)
        backend.settle(NOW)  # as a restart leaves it: nobody connected, who was seen now
        expected = backend.snapshot(NOW)
        assert folder.journal is not None
        if torn:  # killed in the middle of writing a record (never applied, never acknowledged)
            os.write(folder.journal.fd, encode_record(["add_channel", "half"])[:7])
        crash(folder)
        again = reloaded(path)
        assert again.snapshot(NOW) == expected
        # And once more from what that start wrote (its own snapshot).
        second = DataFolder(path)
        second.load(5, NOW)
        second.begin(NOW)
        crash(second)
        assert reloaded(path).snapshot(NOW) == expected


# Every kind of change, in an order where each one shows in the state.
EVERY_CHANGE: list[tuple[Any, ...]] = [
    *SETUP,
    ("add_channel", "dev"),
    ("add_channel", "Random"),
    ("remove_channel", "Random"),
    ("append_message", "general", "Ada", "hello", True, "t1", "c1"),
    ("append_message", "general", "Bob", "hi", False, "t2", "c2"),
    ("expire_file", "general", 1),
    ("add_member", "general", PEOPLE[0]),
    ("add_member", "general", PEOPLE[1]),
    ("remove_member", "general", PEOPLE[1]),
    ("set_read", "general", PEOPLE[0], 2),
    ("add_channel", DIRECT),
    ("append_message", DIRECT, "Ada", "psst", False, "t1", "c3", PEOPLE[0], None),
    ("append_message", DIRECT, "Bob", "ok", False, "t2", "c4", PEOPLE[1], 1),
    ("change_message", DIRECT, 1, {"replies": 1}),
    ("change_message", DIRECT, 2, {"edit": "okay"}),
    ("change_message", DIRECT, 1, {"toggle": ["👍", PEOPLE[1]]}),
    ("change_message", "general", 2, {"delete": True}),
    ("set_read", DIRECT, PEOPLE[1], 1),
    ("add_connections", "t1", 1, 1.0),
    ("bind_name", "t1", "Cy", 2.5, 10.0),  # Ada stays reserved until 10
    ("add_connections", "t2", 1, 2.5),
    ("add_connections", "t2", -1, 2.5),
    ("expire_reservations", 50.0),
    ("release", "t2"),
]


def everything(backend: DurableBackend) -> tuple[dict[str, Any], dict[str, Any]]:
    """A snapshot, and the reservations as held (a snapshot leaves out those over at its moment)."""
    reserved = {token: identity.reserved for token, identity in backend._identities.items()}
    return backend.snapshot(NOW), reserved


def test_every_kind_of_change_survives_a_crash(tmp_path: Path) -> None:
    folder, backend = started(tmp_path)
    clock = Clock()
    for op in EVERY_CHANGE:
        before = everything(backend)
        apply(folder, backend, op, clock)
        assert everything(backend) != before, op  # each one changed something
    backend.settle(NOW)
    expected = everything(backend)
    crash(folder)
    assert everything(reloaded(tmp_path)) == expected


async def test_ids_go_on_and_retries_are_recognised_after_a_crash(tmp_path: Path) -> None:
    folder, backend = started(tmp_path)
    await backend.add_channel(Channel("general"))
    await backend.bind_name("tok", "Ada", 1.0)
    await backend.add_connections("tok", 1, 2.0)
    for n in range(7):
        await backend.append_message("general", "Ada", f"m{n}", "t", sent_by="tok", client_id=f"c{n}")
    crash(folder)
    again = reloaded(tmp_path)
    assert [m.id for m in await again.history("general")] == [3, 4, 5, 6, 7]  # the newest 5 (the limit)
    assert (await again.append_message("general", "Ada", "next", "t"))[0].id == 8
    recalled = await again.recall_sent("tok", "c6")
    assert recalled is not None and recalled.text == "m6"
    ada = await again.get_identity("tok")
    # Nobody is connected after a restart; who was counts as seen then.
    assert ada is not None and (ada.connections, ada.last_seen) == (0, NOW)


async def test_a_lone_surrogate_is_kept_through_journal_snapshot_and_state_file(tmp_path: Path) -> None:
    # JSON allows "\ud800" and a message may hold one; UTF-8 cannot encode it.
    folder, backend = started(tmp_path / "data")
    await backend.add_channel(Channel("general"))
    await backend.append_message("general", "Ada", "odd \ud800 one, 😀", "t")
    crash(folder)
    again = DataFolder(tmp_path / "data")
    restored = again.load(5, NOW)
    assert [m.text for m in await restored.history("general")] == ["odd \ud800 one, 😀"]
    again.begin(NOW)  # the start snapshot holds it too
    crash(again)
    assert [m.text for m in await reloaded(tmp_path / "data").history("general")] == ["odd \ud800 one, 😀"]
    save_state(tmp_path / "state.json", restored, NOW)
    legacy = MemoryBackend(5)
    load_state(tmp_path / "state.json", legacy)
    assert [m.text for m in await legacy.history("general")] == ["odd \ud800 one, 😀"]


async def test_a_name_taken_after_its_reservation_ran_out_keeps_the_snapshot_readable(
    tmp_path: Path,
) -> None:
    # Bob renamed himself to Cy, keeping "Bob" until 1.0; at 1.0 Ada took "Bob",
    # before the janitor swept the reservation. The snapshot held both and
    # could not be read back (a state file written then stopped the next start).
    backend = MemoryBackend(5)
    await backend.bind_name("t2", "Bob", 0.0)
    await backend.bind_name("t2", "Cy", 0.0, reserve_until=1.0)
    assert await backend.bind_name("t1", "Bob", 1.0) is not None
    save_state(tmp_path / "state.json", backend, 2.0)
    again = MemoryBackend(5)
    load_state(tmp_path / "state.json", again)
    cy = await again.get_identity("t2")
    assert cy is not None and cy.reserved == ()


async def test_files_are_kept_in_their_messages(tmp_path: Path) -> None:
    folder, backend = started(tmp_path)
    await backend.add_channel(Channel("general"))
    await backend.append_message("general", "Ada", "", "2026-01-01T00:00:01.000Z", FILE)
    second = File("f2", "b.txt", 2, "text/plain", "/files/f2/b.txt")
    await backend.append_message("general", "Ada", "", "2026-01-01T00:00:02.000Z", second)
    await backend.expire_file("general", 1)
    folder.compact(NOW)  # the snapshot keeps them as they are too
    crash(folder)
    again = reloaded(tmp_path)
    files = [m.file for m in await again.history("general")]
    assert files == [File(**{**FILE.to_wire(), "expired": True}), second]
    assert again.shared_files() == [StoredFile(second, "general", 2)]


# -- what is written, and when ---------------------------------------------------------


async def test_a_change_is_in_the_journal_when_the_call_returns(tmp_path: Path) -> None:
    folder, backend = started(tmp_path)
    assert folder.journal is not None
    await backend.add_channel(Channel("general"))
    await backend.append_message("general", "Ada", "hello", "t")
    found = read_journal(folder.journal.path, last=True)
    assert [record[0] for _, record in found.records] == ["add_channel", "append_message"]
    # Refused or empty changes write nothing.
    size = folder.journal.size
    assert not await backend.add_channel(Channel("GENERAL"))
    assert not await backend.remove_channel("general")
    await backend.release("nobody")
    assert await backend.expire_file("general", 1) is None
    assert await backend.expire_reservations(5.0) == 0
    assert folder.journal.size == size == folder.journal.path.stat().st_size


async def test_a_failed_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, backend = started(tmp_path)
    await backend.add_channel(Channel("general"))
    assert folder.journal is not None
    size = folder.journal.size

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError):
        await backend.append_message("general", "Ada", "lost", "t")
    monkeypatch.undo()
    assert await backend.history("general") == []  # memory never holds what the journal lacks
    assert folder.journal.path.stat().st_size == size
    message, _ = await backend.append_message("general", "Ada", "kept", "t")
    assert message.id == 1


def test_a_full_disk_at_start_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = DataFolder(tmp_path)
    folder.load(5, NOW)

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(DataFolderError, match=f"cannot write to the data folder {tmp_path}: No space left"):
        folder.begin(NOW)


async def test_the_journal_is_compacted_when_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    folder, backend = started(tmp_path)
    backend.compact_at = 2_000  # bytes (8 MiB in earnest)
    await backend.add_channel(Channel("general"))
    for n in range(40):
        await backend.append_message("general", "Ada", f"message {n}", "t")
    # The loop took a new snapshot in the background; the old journal is gone.
    task = folder._compacting
    assert task is not None
    await task
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["journal.2", "snapshot.json"], names
    assert json.loads((tmp_path / "snapshot.json").read_text())["generation"] == 2
    crash(folder)
    again = reloaded(tmp_path)
    assert [m.text for m in await again.history("general")] == [f"message {n}" for n in range(35, 40)]


def test_files_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        folder = DataFolder(tmp_path / "new" / "data")
        folder.open()
        folder.load(5, NOW)
        folder.begin(NOW)
        folder.close(NOW)
    finally:
        os.umask(old_umask)
    root = tmp_path / "new" / "data"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for path in root.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_second_server_cannot_use_the_folder(tmp_path: Path) -> None:
    first = DataFolder(tmp_path)
    first.open()
    with pytest.raises(DataFolderError, match=rf"in use by another Flack server \(process {os.getpid()}\)"):
        DataFolder(tmp_path).open()
    first.close(NOW)
    second = DataFolder(tmp_path)
    second.open()  # free again
    second.close(NOW)


# -- damage is refused with the file and the reason ------------------------------------


def journal_with(path: Path, lines: list[bytes]) -> None:
    (path / "snapshot.json").write_text(
        json.dumps({"version": 4, "generation": 1, "channels": [], "identities": [], "sent": []})
    )
    (path / "journal.1").write_bytes(b"".join(lines))


GOOD = [
    encode_record(["add_channel", "general"]),
    encode_record(["append_message", "general", "A", "x", "t", None, None, None]),
]


def test_a_torn_last_record_is_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal_with(tmp_path, [*GOOD, encode_record(["add_channel", "dev"])[:-5]])
    backend = reloaded(tmp_path)
    assert [c.name for c in run_sync(backend.list_channels())] == ["general"]
    assert len(run_sync(backend.history("general"))) == 1
    assert "journal.1: the last record (line 3) is incomplete" in caplog.text


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ([GOOD[0], b"garbage\n", GOOD[1]], "journal.1 line 2 is damaged"),
        ([GOOD[0], GOOD[1].replace(b'"x"', b'"y"'), GOOD[0]], "journal.1 line 2 is damaged"),
        ([encode_record(["drop_table", "x"])], "journal.1 line 1: unknown record 'drop_table'"),
        ([encode_record(["add_channel", 7])], "journal.1 line 1: a add_channel record with arguments"),
        ([GOOD[1]], "journal.1 line 1: a append_message record for a channel that does not exist"),
        ([encode_record(["add_channel", "bad\u200bname"])], "the journal leads to a state Flack cannot use"),
    ],
    ids=["garbage", "checksum", "unknown", "kind", "no channel", "bad name"],
)
def test_damage_in_a_journal_stops_the_start(tmp_path: Path, lines: list[bytes], says: str) -> None:
    journal_with(tmp_path, lines)
    with pytest.raises(DataFolderError, match=re.escape(says)):
        reloaded(tmp_path)


def test_a_damaged_snapshot_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "snapshot.json").write_text('{"version": 4, "generation": 1, "channels": [')
    with pytest.raises(DataFolderError, match=r"snapshot\.json is not valid JSON"):
        reloaded(tmp_path)
    (tmp_path / "snapshot.json").write_text('{"version": 9}')
    with pytest.raises(DataFolderError, match=r"snapshot\.json is not a usable Flack snapshot: version"):
        reloaded(tmp_path)
    (tmp_path / "snapshot.json").write_text('{"version": 4, "channels": [], "identities": [], "sent": []}')
    with pytest.raises(DataFolderError, match=r"the file\.generation"):
        reloaded(tmp_path)


def test_a_missing_snapshot_or_journal_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "journal.3").write_bytes(GOOD[0])
    with pytest.raises(DataFolderError, match=r"has journals but no snapshot\.json"):
        reloaded(tmp_path)
    journal_with(tmp_path, GOOD)
    (tmp_path / "journal.3").write_bytes(b"")
    with pytest.raises(DataFolderError, match=r"journal\.2 is missing \(journal\.3 follows it\)"):
        reloaded(tmp_path)


def test_journals_older_than_the_snapshot_are_removed(tmp_path: Path) -> None:
    journal_with(tmp_path, GOOD)
    (tmp_path / "journal.0").write_bytes(b"garbage")  # contained in the snapshot already
    (tmp_path / "snapshot.json.7.tmp").write_bytes(b"{")  # a snapshot a crash cut short
    reloaded(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.1", "snapshot.json"]


def test_a_state_file_copied_in_is_read_with_its_files_expired(tmp_path: Path) -> None:
    message = {"id": 1, "sender": "Ada", "text": "", "time": "t", "file": FILE.to_wire()}
    (tmp_path / "snapshot.json").write_text(
        json.dumps(
            {
                "version": 3,
                "channels": [{"name": "general", "last_id": 1, "messages": [message]}],
                "identities": [],
                "sent": [],
            }
        )
    )
    history = run_sync(reloaded(tmp_path).history("general"))
    assert history[0].file is not None and history[0].file.expired  # its bytes were never here


# -- the shared files' index comes back from the kept messages ---------------------------


def test_the_file_store_adopts_the_files_of_kept_messages(tmp_path: Path) -> None:
    store = DiskStore(tmp_path, keep_files=True)
    for name, size in (("kept", 3), ("orphan", 2), ("short", 1)):
        store.path(name).write_bytes(b"x" * size)
    (tmp_path / "partial" / "upload").write_bytes(b"half")
    store = DiskStore(tmp_path, keep_files=True)  # a restart: partial uploads go, files stay
    assert list((tmp_path / "partial").iterdir()) == []

    def shared(file_id: str, size: int, message_id: int) -> StoredFile:
        return StoredFile(File(file_id, "n", size, "text/plain", "/"), "general", message_id)

    missing = store.adopt([shared("kept", 3, 1), shared("short", 5, 2), shared("gone", 4, 3)])
    assert [m.message_id for m in missing] == [2, 3]
    assert store.get("kept") is not None and store.used == 3
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == ["kept"]  # nobody names the rest
    store.close(remove_root=False)
    assert store.path("kept").exists()  # kept across the stop too


def test_journal_lines_carry_a_checksum(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "journal.1")
    writer.append(["add_channel", "général"])
    writer.close()
    line = (tmp_path / "journal.1").read_bytes()
    assert line.endswith(b'["add_channel","g\xc3\xa9n\xc3\xa9ral"]\n') and line[8:9] == b" "
    assert read_journal(tmp_path / "journal.1", last=False).records == [(1, ["add_channel", "général"])]
