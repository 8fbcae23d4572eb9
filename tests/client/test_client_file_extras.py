"""Unit tests of files as people expect them (issue 12), under CPython: upload
progress within a chunk and how often it is drawn, and what pasting into the
message box shares and under which name."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from flack import protocol
from flack_client.progress import REDRAWS_PER_SECOND, Throttle, bytes_sent
from flack_client.sharing import paste_shares, pasted_name
from flack_client.uploads import HttpReply, Progress, Step, Upload, UploadStatus, drive_upload

MB = 1024 * 1024
CHUNK = 4 * MB


def upload(size: int = 6 * MB, received: int = 0) -> Upload:
    info = protocol.Upload(id="u1", url="/uploads/u1", size=size, chunk_size=CHUNK, received=received)
    return Upload.begin(1, "general", "photo.png", "image/png", info)


def state(received: int, size: int, complete: bool = False) -> dict[str, object]:
    return {"ok": True, "data": {"received": received, "size": size, "complete": complete, "message": None}}


# --- combining a chunk's start and the browser's report ----------------------------------------


class TestBytesSent:
    def test_start_plus_what_the_browser_sent(self) -> None:
        assert bytes_sent(4 * MB, 6 * MB, 0) == 4 * MB
        assert bytes_sent(4 * MB, 6 * MB, MB) == 5 * MB

    @pytest.mark.parametrize(("loaded", "sent"), [(-5, 0), (CHUNK, CHUNK), (CHUNK + 900, CHUNK)])
    def test_never_outside_the_chunk(self, loaded: int, sent: int) -> None:
        assert bytes_sent(0, CHUNK, loaded) == sent

    def test_an_empty_chunk_goes_nowhere(self) -> None:
        assert bytes_sent(7, 7, 100) == 7


class TestChunkProgress:
    def test_the_row_moves_within_a_chunk(self) -> None:
        up = upload()
        assert (up.percent, up.progress_text) == (0, "0 bytes of 6 MB")
        assert up.chunk_progress(0, MB + MB // 2)
        assert (up.shown, up.percent, up.progress_text) == (MB + MB // 2, 25, "1.5 MB of 6 MB")
        assert up.received == 0  # the server has confirmed nothing yet
        assert up.next_chunk() == (0, CHUNK)  # a retry still starts where the server is

    def test_only_forward(self) -> None:
        up = upload()
        assert up.chunk_progress(0, 2 * MB)
        assert not up.chunk_progress(0, MB)
        assert not up.chunk_progress(0, 2 * MB)
        assert up.shown == 2 * MB

    def test_only_for_the_chunk_on_its_way(self) -> None:
        up = upload()
        assert not up.chunk_progress(CHUNK, MB)  # a late report of another request
        assert up.on_put_reply(200, state(CHUNK, 6 * MB)) is Step.SEND
        assert not up.chunk_progress(0, 3 * MB)  # the first chunk's, after its reply
        assert up.chunk_progress(CHUNK, MB)
        assert up.shown == 5 * MB

    def test_never_past_the_chunk(self) -> None:
        up = upload()
        assert up.chunk_progress(0, 5 * MB)
        assert up.shown == CHUNK

    def test_a_fully_sent_file_is_not_100_percent_until_the_server_has_it(self) -> None:
        up = upload(size=MB)
        assert up.chunk_progress(0, MB)
        assert (up.shown, up.percent) == (MB, 99)
        assert up.on_put_reply(200, state(MB, MB, complete=True)) is Step.DONE
        assert up.percent == 100

    def test_a_failed_request_shows_what_the_server_has(self) -> None:
        up = upload()
        up.chunk_progress(0, 3 * MB)
        assert up.on_put_reply(None, None) is Step.WAIT
        assert up.shown == 0 and up.percent == 0
        assert up.status_text.startswith("0 bytes of 6 MB")

    def test_the_reply_is_the_word_even_below_what_was_sent(self) -> None:
        # The browser had sent 3 MB; the server kept 2 MB of them (a 409 says so).
        up = upload()
        up.on_put_reply(200, state(CHUNK, 6 * MB))
        up.chunk_progress(CHUNK, MB)
        conflict = {"ok": False, "error": {"code": "offset_mismatch", "message": "", "received": 2 * MB}}
        assert up.on_put_reply(409, conflict) is Step.SEND
        assert up.shown == 2 * MB and up.next_chunk() == (2 * MB, 6 * MB)

    def test_nothing_moves_once_stopped(self) -> None:
        up = upload()
        up.cancel()
        assert not up.chunk_progress(0, MB)
        assert up.status is UploadStatus.CANCELLED


class ReportingServer:
    """Takes every chunk whole, reporting ``reports`` bytes of each body sent
    on the way, like the browser's ``upload.onprogress``."""

    def __init__(self, size: int, reports: list[int]) -> None:
        self.size, self.reports = size, reports

    async def put(self, start: int, end: int, progress: Progress) -> HttpReply:
        for loaded in self.reports:
            progress(loaded)
        return 200, state(end, self.size, complete=end == self.size)

    async def check(self) -> HttpReply:
        raise AssertionError("nothing failed, nothing to check")


class TestDriveUploadProgress:
    async def test_moves_within_each_chunk_then_after_its_reply(self) -> None:
        up = upload()
        moved: list[int] = []
        changed: list[int] = []
        server = ReportingServer(6 * MB, [MB, 2 * MB, 2 * MB, 8 * MB])
        step = await drive_upload(
            up,
            Step.SEND,
            server,
            lambda: changed.append(up.shown),
            moved=lambda: moved.append(up.shown),
        )
        assert step is Step.DONE
        # Repeats and reports past the chunk's end move nothing.
        assert moved == [MB, 2 * MB, CHUNK, 5 * MB, 6 * MB]
        assert changed == [CHUNK, 6 * MB]

    async def test_without_a_separate_redraw_progress_redraws_the_row(self) -> None:
        up = upload(size=MB)
        seen: list[int] = []
        server = ReportingServer(MB, [MB // 2])
        step = await drive_upload(up, Step.SEND, server, lambda: seen.append(up.percent))
        assert step is Step.DONE
        assert seen == [50, 100]


# --- how often progress is drawn -----------------------------------------------------------------


class TestThrottle:
    def test_the_first_change_draws_at_once(self) -> None:
        assert Throttle().changed(100.0) == 0.0

    def test_a_change_too_soon_is_drawn_later_not_dropped(self) -> None:
        throttle = Throttle(interval=0.1)
        assert throttle.changed(10.0) == 0.0
        assert throttle.changed(10.03) == pytest.approx(0.07)
        # Already due: that redraw will show these changes too.
        assert throttle.changed(10.05) is None
        assert throttle.changed(10.09) is None
        throttle.drawn(10.1)
        assert throttle.changed(10.15) == pytest.approx(0.05)

    def test_after_a_pause_a_change_draws_at_once_again(self) -> None:
        throttle = Throttle(interval=0.1)
        assert throttle.changed(1.0) == 0.0
        assert throttle.changed(1.1) == 0.0
        assert throttle.changed(5.0) == 0.0

    def test_at_most_ten_redraws_a_second_however_many_reports(self) -> None:
        # A report every millisecond for 3 s; redraws happen when told to.
        throttle = Throttle()
        redraws: list[float] = []
        due: float | None = None
        for tick in range(3000):
            now = tick / 1000
            if due is not None and now >= due:
                throttle.drawn(now)
                redraws.append(now)
                due = None
            wait = throttle.changed(now)
            if wait == 0.0:
                redraws.append(now)
            elif wait is not None:
                due = now + wait
        assert REDRAWS_PER_SECOND == 10
        assert 25 <= len(redraws) <= 31
        gaps = [later - earlier for earlier, later in itertools.pairwise(redraws)]
        assert min(gaps) >= 0.1 - 1e-9


# --- pasting into the message box ------------------------------------------------------------------


class TestPaste:
    @pytest.mark.parametrize(
        ("types", "files", "shares"),
        [
            (["Files"], 1, True),  # a screenshot
            (["text/html", "Files"], 1, True),  # "Copy image" in a browser
            (["text/plain"], 0, False),  # text
            (["text/plain", "text/html", "Files"], 1, False),  # spreadsheet cells with their picture
            (["Files"], 0, False),
            ([], 0, False),
        ],
    )
    def test_what_a_paste_shares(self, types: list[str], files: int, shares: bool) -> None:
        assert paste_shares(types, files) is shares


WHEN = datetime(2026, 11, 29, 15, 30, 59)


class TestPastedName:
    @pytest.mark.parametrize(
        ("name", "kind", "shared_as"),
        [
            ("image.png", "image/png", "pasted-2026-11-29-1530.png"),  # Chromium, Firefox, Safari
            ("Image.PNG", "image/png", "pasted-2026-11-29-1530.png"),
            ("", "image/png", "pasted-2026-11-29-1530.png"),
            ("image.png", "image/jpeg", "pasted-2026-11-29-1530.jpg"),  # the type decides
            ("blob", "image/webp", "pasted-2026-11-29-1530.webp"),
            ("image.heic", "", "pasted-2026-11-29-1530.heic"),  # unknown type: the name's extension
            ("", "", "pasted-2026-11-29-1530.bin"),
            ("cat.png", "image/png", "cat.png"),  # a name somebody gave it stays
            ("image.tar.gz", "application/gzip", "image.tar.gz"),
            ("images.png", "image/png", "images.png"),
        ],
    )
    def test_names(self, name: str, kind: str, shared_as: str) -> None:
        assert pasted_name(name, kind, WHEN) == shared_as

    def test_several_files_of_one_paste_get_different_names(self) -> None:
        names = [pasted_name("image.png", "image/png", WHEN, index) for index in range(3)]
        assert names == [
            "pasted-2026-11-29-1530.png",
            "pasted-2026-11-29-1530-2.png",
            "pasted-2026-11-29-1530-3.png",
        ]

    def test_a_pasted_name_is_a_valid_file_name(self) -> None:
        name = pasted_name("", "image/png", WHEN)
        assert protocol.clean_file_name(name) == name
