"""File sharing rules under plain pytest: a real disk store in a temporary folder, a fake clock."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.core.errors import NotInChannel, NotNamed, RateLimited
from flack.core.limits import Limits
from flack.core.sharing import (
    Sharing,
    Upload,
    UploadError,
    clean_media_type,
    sniff_image,
)
from flack.files import DiskStore
from flack.protocol import CHUNK_SIZE, ErrorCode, ProtocolError, check_file_size, clean_file_name, format_size
from flack.testing import UNLIMITED

# The rules under test here, not the abuse limits (see test_core_limits.py):
# flack.testing.UNLIMITED.


@pytest.fixture
def store(tmp_path: Path) -> DiskStore:
    return DiskStore(tmp_path / "store")


@pytest.fixture
async def sharing(clock: Clock, store: DiskStore) -> Sharing:
    return await make_sharing(clock, store, UNLIMITED)


async def make_sharing(clock: Clock, store: DiskStore, limits: Limits) -> Sharing:
    """Ada ("a", in #general) and Bob ("b", not in it), both from address ""."""
    tokens = (f"token-{n}" for n in itertools.count(1))
    ids = (f"upload-{n}" for n in itertools.count(1))
    chat = Chat(
        MemoryBackend(100),
        name_idle_seconds=60,
        clock=clock,
        token_factory=lambda: next(tokens),
        limits=limits,
    )
    for sid, name in (("a", "Ada"), ("b", "Bob")):
        chat.connect(sid)
        await chat.claim_name(sid, name, None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    return Sharing(
        chat,
        store,
        file_url=lambda file_id, name: f"/f/{file_id}/{name}",
        max_file_bytes=1000,
        total_bytes=2500,
        clock=clock,
        id_factory=lambda: next(ids),
    )


async def send(sharing: Sharing, upload: Upload, data: bytes, offset: int = 0) -> None:
    chunk = sharing.begin_chunk(upload.id, offset, len(data))
    try:
        sharing.receive(chunk, data, offset)
    finally:
        sharing.end_chunk(chunk)


async def share(sharing: Sharing, name: str, data: bytes, sid: str = "a"):
    upload = await sharing.start(sid, "general", name, len(data), "text/plain")
    await send(sharing, upload, data)
    return await sharing.finish(upload)


# -- pure helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"GIF87a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),  # RIFF, but audio
        (b"<svg xmlns=", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_image_trusts_bytes_not_names(head: bytes, kind: str | None) -> None:
    assert sniff_image(head) == kind


@pytest.mark.parametrize(
    ("hint", "shown"),
    [
        ("image/png", "image/png"),
        (" Application/PDF ", "application/pdf"),
        ("", "application/octet-stream"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("<script>", "application/octet-stream"),
    ],
)
def test_media_type_hint_is_display_only_and_tidy(hint: str, shown: str) -> None:
    assert clean_media_type(hint) == shown


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("photo.png", "photo.png"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a\tb\nc.txt", "a b c.txt"),
        ("\u202egnp.exe", "gnp.exe"),
        ("...", "file"),
        ("   ", "file"),
    ],
)
def test_clean_file_name(given: str, shown: str) -> None:
    assert clean_file_name(given) == shown


def test_long_file_names_keep_their_extension() -> None:
    name = clean_file_name("a" * 500 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")
    assert len(clean_file_name("b" * 500)) == 120


def test_file_name_must_be_text() -> None:
    with pytest.raises(ProtocolError) as refused:
        clean_file_name(None)
    assert refused.value.code == ErrorCode.FILE_INVALID


def test_check_file_size() -> None:
    assert check_file_size(0, 10) == 0 and check_file_size(10, 10) == 10
    for bad in (-1, 1.0, True, "3"):
        with pytest.raises(ProtocolError) as refused:
            check_file_size(bad, 10)
        assert refused.value.code == ErrorCode.FILE_INVALID
    with pytest.raises(ProtocolError) as refused:
        check_file_size(100 * 1024 * 1024 + 1, 100 * 1024 * 1024)
    assert refused.value.code == ErrorCode.FILE_TOO_LARGE and "100 MB" in refused.value.message


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1536, "1.5 KB"), (100 * 1024**2, "100 MB")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


# -- starting ---------------------------------------------------------------------------


async def test_only_named_members_of_the_channel_may_start(sharing: Sharing) -> None:
    sharing.chat.connect("nobody")
    with pytest.raises(NotNamed):
        await sharing.start("nobody", "general", "a", 1, "")
    with pytest.raises(NotInChannel):
        await sharing.start("b", "general", "a", 1, "")


async def test_limits_on_size_and_count(sharing: Sharing) -> None:
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("a", "general", "a", 1001, "")
    assert refused.value.code == ErrorCode.FILE_TOO_LARGE
    for _ in range(UNLIMITED.uploads_per_person):
        await sharing.start("a", "general", "a", 1, "")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("a", "general", "a", 1, "")
    assert refused.value.code == ErrorCode.TOO_MANY_UPLOADS


async def test_files_in_flight_are_bounded_by_the_storage_limit(sharing: Sharing) -> None:
    await sharing.chat.join("b", "general")
    await sharing.start("a", "general", "a", 1000, "")
    await sharing.start("a", "general", "b", 1000, "")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("b", "general", "c", 1000, "")
    assert refused.value.code == ErrorCode.TOO_MANY_UPLOADS


# -- chunks ----------------------------------------------------------------------------------


async def test_chunks_must_follow_each_other(sharing: Sharing) -> None:
    upload = await sharing.start("a", "general", "a.txt", 10, "")
    await send(sharing, upload, b"01234")
    with pytest.raises(UploadError) as refused:
        sharing.begin_chunk(upload.id, 3, 5)
    assert (refused.value.status, refused.value.code, refused.value.received) == (
        409,
        ErrorCode.OFFSET_MISMATCH,
        5,
    )
    await send(sharing, upload, b"56789", offset=5)
    assert upload.complete


async def test_a_second_request_while_one_is_arriving_is_refused(sharing: Sharing) -> None:
    upload = await sharing.start("a", "general", "a.txt", 10, "")
    sharing.begin_chunk(upload.id, 0, None)
    with pytest.raises(UploadError) as refused:
        sharing.begin_chunk(upload.id, 0, None)
    assert refused.value.status == 409
    sharing.end_chunk(upload)
    sharing.begin_chunk(upload.id, 0, None)


async def test_chunk_limits_from_headers_and_from_bodies(sharing: Sharing) -> None:
    sharing.max_file_bytes = sharing.total_bytes = 10 * CHUNK_SIZE
    upload = await sharing.start("a", "general", "big", 2 * CHUNK_SIZE, "")
    with pytest.raises(UploadError) as refused:
        sharing.begin_chunk(upload.id, 0, CHUNK_SIZE + 1)
    assert (refused.value.status, refused.value.code) == (413, ErrorCode.CHUNK_TOO_LARGE)
    # A body without a length is counted as it arrives.
    chunk = sharing.begin_chunk(upload.id, 0, None)
    sharing.receive(chunk, b"x" * CHUNK_SIZE, 0)
    with pytest.raises(UploadError) as refused:
        sharing.receive(chunk, b"x", 0)
    assert refused.value.code == ErrorCode.CHUNK_TOO_LARGE
    sharing.end_chunk(chunk)
    assert upload.received == CHUNK_SIZE  # what was written stays: resume from there

    small = await sharing.start("a", "general", "small", 5, "")
    with pytest.raises(UploadError) as refused:
        sharing.begin_chunk(small.id, 0, 6)
    assert (refused.value.status, refused.value.code) == (413, ErrorCode.FILE_TOO_LARGE)
    chunk = sharing.begin_chunk(small.id, 0, None)
    with pytest.raises(UploadError):
        sharing.receive(chunk, b"123456", 0)
    assert small.received == 0


async def test_cancel_and_unknown_uploads(sharing: Sharing, store: DiskStore) -> None:
    upload = await sharing.start("a", "general", "a.txt", 10, "")
    await send(sharing, upload, b"abc")
    assert (store.root / "partial" / upload.id).exists()
    sharing.cancel(upload.id)
    assert not (store.root / "partial" / upload.id).exists()
    for call in (lambda: sharing.get(upload.id), lambda: sharing.cancel(upload.id)):
        with pytest.raises(UploadError) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (404, ErrorCode.UPLOAD_UNKNOWN)


async def test_bytes_for_a_cancelled_upload_are_refused(sharing: Sharing) -> None:
    upload = await sharing.start("a", "general", "a.txt", 10, "")
    chunk = sharing.begin_chunk(upload.id, 0, 10)
    sharing.cancel(upload.id)  # DELETE while the PUT is in flight
    with pytest.raises(UploadError) as refused:
        sharing.receive(chunk, b"0123456789", 0)
    assert refused.value.status == 404
    with pytest.raises(UploadError):
        await sharing.finish(chunk)


async def test_idle_uploads_are_swept(sharing: Sharing, clock: Clock) -> None:
    old = await sharing.start("a", "general", "old", 10, "")
    clock.now += 3000
    fresh = await sharing.start("a", "general", "fresh", 10, "")
    clock.now += 700
    assert sharing.sweep() == 1
    with pytest.raises(UploadError):
        sharing.get(old.id)
    assert sharing.get(fresh.id) is fresh


# -- limits per person and per address -------------------------------------------------------


async def another_tab(sharing: Sharing, sid: str, of: str = "a", address: str = "") -> str:
    """A new connection of the person on connection ``of``, in #general."""
    sharing.chat.connect(sid, address)
    await sharing.chat.claim_name(sid, sharing.chat.session(of).name or "", sharing.chat.session(of).token)
    await sharing.chat.join(sid, "general")
    return sid


def refusal(error: pytest.ExceptionInfo[ProtocolError]) -> tuple[ErrorCode, str]:
    return error.value.code, error.value.message


async def test_unfinished_uploads_count_per_person_across_connections(sharing: Sharing) -> None:
    for _ in range(UNLIMITED.uploads_per_person):
        await sharing.start("a", "general", "empty", 0, "")  # size 0 counts too
    await sharing.chat.disconnect("a")
    sharing.disconnected("a")
    await another_tab(sharing, "b2", of="b")  # Bob: his own count
    await sharing.start("b2", "general", "bob's", 0, "")
    sharing.chat.connect("a3")
    await sharing.chat.claim_name("a3", "Ada", "token-1")
    await sharing.chat.join("a3", "general")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("a3", "general", "one more", 0, "")
    assert refusal(refused) == (
        ErrorCode.TOO_MANY_UPLOADS,
        "At most 4 unfinished uploads at a time; wait for one to finish, or cancel one.",
    )


async def test_announced_bytes_are_bounded_per_person_and_per_address(clock: Clock, store: DiskStore) -> None:
    limits = Limits(upload_mb_per_person=1200 / 1024**2, upload_mb_per_address=1500 / 1024**2)
    sharing = await make_sharing(clock, store, limits)
    await sharing.start("a", "general", "one", 1000, "")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("a", "general", "two", 300, "")
    assert refusal(refused) == (
        ErrorCode.TOO_MANY_UPLOADS,
        "Your unfinished uploads may add up to 1.2 KB at most; wait for one to finish, or cancel one.",
    )
    await sharing.start("a", "general", "two", 200, "")
    await another_tab(sharing, "b2", of="b")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("b2", "general", "bob's", 301, "")  # 1,501 bytes from one address
    assert refused.value.code == ErrorCode.TOO_MANY_UPLOADS and "your network" in refused.value.message
    await sharing.start("b2", "general", "bob's", 300, "")
    await another_tab(sharing, "far", of="b", address="10.0.0.2")
    await sharing.start("far", "general", "from elsewhere", 900, "")


async def test_each_bound_leaves_room_for_one_largest_file(clock: Clock, store: DiskStore) -> None:
    sharing = await make_sharing(clock, store, Limits(upload_mb_per_person=1e-6, upload_mb_per_address=1e-6))
    await sharing.start("a", "general", "largest", 1000, "")
    with pytest.raises(ProtocolError):
        await sharing.start("a", "general", "and one byte", 1, "")


async def test_unfinished_uploads_are_bounded_per_address_and_in_all(clock: Clock, store: DiskStore) -> None:
    sharing = await make_sharing(
        clock, store, Limits(uploads_per_person=2, people_per_address=1, max_uploads=3)
    )
    await sharing.start("a", "general", "one", 0, "")
    await sharing.start("a", "general", "two", 0, "")
    await another_tab(sharing, "b2", of="b")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("b2", "general", "bob's", 0, "")
    assert refused.value.code == ErrorCode.TOO_MANY_UPLOADS and "your network" in refused.value.message
    await another_tab(sharing, "far", of="b", address="10.0.0.2")
    await sharing.start("far", "general", "three", 0, "")
    with pytest.raises(ProtocolError) as refused:
        await sharing.start("far", "general", "four", 0, "")
    assert refusal(refused) == (
        ErrorCode.TOO_MANY_UPLOADS,
        "The server is receiving too many files right now; try again in a moment.",
    )


async def test_uploads_started_are_paid_for_size_zero_included(clock: Clock, store: DiskStore) -> None:
    sharing = await make_sharing(clock, store, Limits(upload_rate=0.5, upload_burst=2))
    for _ in range(2):
        await share(sharing, "empty", b"")  # started and finished at once
    with pytest.raises(RateLimited) as refused:
        await sharing.start("a", "general", "empty", 0, "")
    assert refused.value.details["retry_after"] == 2.0 and "too many files" in refused.value.message
    clock.now += 2
    await share(sharing, "empty", b"")


async def test_uploads_of_a_closed_connection_are_released_unless_resumed(
    sharing: Sharing, clock: Clock, store: DiskStore
) -> None:
    resumed = await sharing.start("a", "general", "resumed", 10, "")
    poked = await sharing.start("a", "general", "poked", 10, "")
    left = await sharing.start("a", "general", "left", 10, "")
    sharing.disconnected("b")  # somebody else's connection: nothing of Ada's
    clock.now += 100
    sharing.disconnected("a")
    clock.now += UNLIMITED.upload_resume_seconds - 1
    await send(sharing, resumed, b"01234")  # bytes: it is being resumed
    await send(sharing, poked, b"")  # an empty chunk is no progress
    clock.now += 2
    assert sharing.sweep() == 2
    assert sharing.get(resumed.id) is resumed
    for gone in (poked, left):
        with pytest.raises(UploadError):
            sharing.get(gone.id)
    clock.now += UNLIMITED.upload_resume_seconds - 2
    assert sharing.sweep() == 0
    await send(sharing, resumed, b"56789", offset=5)
    assert (await sharing.finish(resumed)).message.file is not None


async def test_an_abandoned_upload_is_gone_before_any_sweep(sharing: Sharing, clock: Clock) -> None:
    late = await sharing.start("a", "general", "late", 10, "")
    stalled = await sharing.start("a", "general", "stalled", 10, "")
    chunk = sharing.begin_chunk(stalled.id, 0, 10)
    sharing.receive(chunk, b"01", 0)
    sharing.disconnected("a")
    clock.now += UNLIMITED.upload_resume_seconds + 1
    with pytest.raises(UploadError) as refused:
        sharing.begin_chunk(late.id, 0, 10)  # too late to resume
    assert refused.value.status == 404
    with pytest.raises(UploadError):
        sharing.receive(chunk, b"234", 0)  # its bytes stopped for too long
    sharing.end_chunk(chunk)
    assert sharing.uploading == 0


async def test_a_released_orphan_makes_room_before_counting(sharing: Sharing, clock: Clock) -> None:
    for _ in range(UNLIMITED.uploads_per_person):
        await sharing.start("a", "general", "empty", 0, "")
    sharing.disconnected("a")
    await another_tab(sharing, "a2")
    with pytest.raises(ProtocolError):  # still reserved: they might be resumed
        await sharing.start("a2", "general", "new", 0, "")
    clock.now += UNLIMITED.upload_resume_seconds + 1
    await sharing.start("a2", "general", "new", 0, "")  # released without waiting for a sweep


async def test_empty_chunks_do_not_keep_an_upload_alive(sharing: Sharing, clock: Clock) -> None:
    upload = await sharing.start("a", "general", "slow", 10, "")
    clock.now += 3000
    await send(sharing, upload, b"")
    clock.now += 601
    assert sharing.sweep() == 1


async def test_a_stalled_chunk_does_not_hold_its_upload_forever(sharing: Sharing, clock: Clock) -> None:
    upload = await sharing.start("a", "general", "stalled", 10, "")
    chunk = sharing.begin_chunk(upload.id, 0, 10)
    sharing.receive(chunk, b"01", 0)
    clock.now += 3601  # the rest of the body never comes
    assert sharing.sweep() == 1
    with pytest.raises(UploadError) as refused:
        sharing.receive(chunk, b"2345", 0)
    assert refused.value.status == 404
    sharing.end_chunk(chunk)


async def test_channels_with_uploads_in_flight_are_in_use(sharing: Sharing) -> None:
    assert sharing.channels_in_use() == frozenset()
    upload = await sharing.start("a", "general", "x", 1, "")
    assert sharing.channels_in_use() == {"general"}
    sharing.cancel(upload.id)
    assert sharing.channels_in_use() == frozenset()


# -- finishing and storage -------------------------------------------------------------------


async def test_finish_posts_a_file_message_from_the_identity(sharing: Sharing, store: DiskStore) -> None:
    shared = await share(sharing, "notes.txt", b"hello")
    message = shared.message
    assert (message.sender, message.text, message.channel) == ("Ada", "", "general")
    assert message.file is not None
    assert (message.file.name, message.file.size, message.file.type) == ("notes.txt", 5, "text/plain")
    assert message.file.preview is False
    assert store.path(message.file.id).read_bytes() == b"hello"
    assert message.file.id != "notes.txt" and len(message.file.id) >= 20  # server-made, unguessable
    history = await sharing.chat.backend.history("general")
    assert history[-1] == message and message.sender_id == sharing.chat.session("a").person


async def test_rename_during_upload_shows_the_new_name(sharing: Sharing) -> None:
    upload = await sharing.start("a", "general", "a.txt", 1, "")
    await sharing.chat.claim_name("a", "Ada L", sharing.chat.session("a").token)
    await send(sharing, upload, b"x")
    assert (await sharing.finish(upload)).message.sender == "Ada L"


async def test_images_are_previewed_only_when_the_bytes_say_so(sharing: Sharing) -> None:
    png = await share(sharing, "x.bin", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert png.message.file is not None and png.message.file.preview is True
    assert png.message.file.type == "image/png"
    fake = await share(sharing, "x.png", b"<html></html>")
    assert fake.message.file is not None and fake.message.file.preview is False


async def test_storage_bound_evicts_oldest_first(sharing: Sharing, store: DiskStore) -> None:
    first = await share(sharing, "1", b"1" * 1000)
    second = await share(sharing, "2", b"2" * 1000)
    assert first.expired == [] and second.expired == []
    third = await share(sharing, "3", b"3" * 1000)
    assert [m.id for m in third.expired] == [first.message.id]
    assert third.expired[0].file is not None and third.expired[0].file.expired
    assert store.used == 2000
    assert first.message.file is not None and store.get(first.message.file.id) is None
    history = await sharing.chat.backend.history("general")
    assert [m.file.expired for m in history if m.file] == [True, False, False]


async def test_a_file_leaving_the_history_is_deleted(sharing: Sharing, store: DiskStore) -> None:
    shared = await share(sharing, "old.txt", b"old")
    assert shared.message.file is not None
    path = store.path(shared.message.file.id)
    for i in range(99):
        await sharing.chat.post("a", "general", f"m{i}")
    assert path.exists()  # still one of the newest 100
    await sharing.chat.post("a", "general", "the 101st")
    assert not path.exists() and store.used == 0


def test_store_writes_only_below_its_root_and_cleans_up(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "files").mkdir(parents=True)
    (root / "files" / "leftover").write_bytes(b"from a previous run")
    store = DiskStore(root)
    assert list((root / "files").iterdir()) == []  # unreachable leftovers removed
    store.create("u")
    store.write("u", 0, b"abc")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "root",
        "root/files",
        "root/partial",
        "root/partial/u",
    ]
    store.close(remove_root=False)
    assert list(root.iterdir()) == []
    store.close(remove_root=True)
    assert not root.exists()


class FailingHead(DiskStore):
    """Failure injection: reading the start of an upload fails once."""

    failures = 1

    def head(self, upload_id: str, size: int) -> bytes:
        if self.failures:
            self.failures -= 1
            raise OSError("disk on fire")
        return super().head(upload_id, size)


async def test_a_disk_failure_while_finishing_loses_nothing(sharing: Sharing, tmp_path: Path) -> None:
    sharing.store = store = FailingHead(tmp_path / "failing")
    upload = await sharing.start("a", "general", "a.txt", 3, "")
    await send(sharing, upload, b"abc")
    with pytest.raises(OSError):
        await sharing.finish(upload)
    assert sharing.get(upload.id) is upload  # still there: finish it again
    await send(sharing, upload, b"", offset=3)
    shared = await sharing.finish(upload)
    assert shared.message.file is not None
    assert store.path(shared.message.file.id).read_bytes() == b"abc"
