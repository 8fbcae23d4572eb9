"""Unit tests of file sharing in the client's pure modules: shared-file
messages, expiry, and the upload state machine and loop (run under CPython)."""

from __future__ import annotations

from typing import Any

import pytest

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, ErrorCode, File, Message, is_local_url
from flack_client.alert import Alert
from flack_client.entries import (
    entry_key,
    file_badge,
    file_description,
    file_details,
    file_downloadable,
    file_previewed,
    render_key,
)
from flack_client.sharing import Sharing
from flack_client.state import ChatState
from flack_client.uploads import (
    RETRY_DELAYS,
    HttpReply,
    Progress,
    Step,
    Upload,
    UploadStatus,
    accepted_upload,
    drive_upload,
)
from flack_client.wording import NETWORK, describe_error, share_refused_text

MB = 1024 * 1024
CHUNK = 4 * MB
TIME = "2026-11-25T10:00:00.000Z"


def wire_file(**changes: Any) -> dict[str, Any]:
    file = {
        "id": "f1",
        "name": "photo.png",
        "size": 1536 * 1024,
        "type": "image/png",
        "url": "/files/f1/photo.png",
        "preview": True,
        "expired": False,
    }
    file.update(changes)
    return file


def wire_message(mid: int = 1, channel: str = "general", **file_changes: Any) -> dict[str, Any]:
    return {
        "id": mid,
        "channel": channel,
        "sender": "bob",
        "text": "",
        "time": TIME,
        "file": wire_file(**file_changes),
    }


def file_message(mid: int, channel: str = "general") -> Message:
    message = protocol.read(Message, wire_message(mid, channel, id=f"f{mid}", url=f"/files/f{mid}"))
    assert message is not None
    return message


def text_message(mid: int, channel: str = "general") -> Message:
    return Message(id=mid, channel=channel, sender="bob", text="hi", time=TIME)


def opened(channel: str = "general", history: list[Message] | None = None) -> ChatState:
    state = ChatState()
    state.set_identity("Alice", "tok")
    state.begin_join(channel)
    assert state.finish_join(channel, history or [])
    return state


def info(size: int = 10 * MB, chunk: int = CHUNK, received: int = 0) -> protocol.Upload:
    made = accepted_upload(
        {
            "upload": {
                "id": "u1",
                "url": "/uploads/u1",
                "size": size,
                "chunk_size": chunk,
                "received": received,
            }
        },
        size,
    )
    assert made is not None
    return made


def upload(size: int = 10 * MB, chunk: int = CHUNK, name: str = "big.bin") -> Upload:
    return Upload.begin(1, "general", name, "application/octet-stream", info(size, chunk))


def ok(**data: Any) -> dict[str, Any]:
    return {"ok": True, "data": data}


def err(code: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


def put_ok(
    received: int, complete: bool = False, message: object = None, size: int = 10 * MB
) -> dict[str, Any]:
    """An ``/uploads`` reply (``UploadState``); ``size`` only needs to be at
    least ``received`` here (the client goes by the size it announced)."""
    return ok(received=received, size=max(size, received), complete=complete, message=message)


def check_ok(received: int, size: int = 10 * MB) -> dict[str, Any]:
    """The reply to ``GET /uploads/<id>``: how much the server has."""
    return ok(received=received, size=size, complete=False, message=None)


# --- shared files in messages ---------------------------------------------------


class TestFileMessages:
    def test_file_message_from_wire(self) -> None:
        message = protocol.read(Message, wire_message())
        assert message is not None and message.file is not None
        assert message.text == ""
        assert message.file == File(
            id="f1",
            name="photo.png",
            size=1536 * 1024,
            type="image/png",
            url="/files/f1/photo.png",
            preview=True,
            expired=False,
        )
        assert file_details(message.file) == "1.5 MB · image/png"
        assert file_description(message.file) == "photo.png · 1.5 MB · image/png"
        assert file_downloadable(message.file) and file_previewed(message.file)

    @pytest.mark.parametrize(
        ("name", "badge"),
        [
            ("photo.png", "PNG"),
            ("archive.tar.gz", "GZ"),
            ("notes.markdown", "FILE"),
            ("README", "FILE"),
            ("file.", "FILE"),
            ("x.c++", "FILE"),
            ("photo.JpEg", "JPEG"),
        ],
    )
    def test_badge_is_the_extension(self, name: str, badge: str) -> None:
        message = protocol.read(Message, wire_message(name=name))
        assert message is not None and message.file is not None
        assert file_badge(message.file) == badge

    @pytest.mark.parametrize("file", [None, "missing"])
    def test_text_messages_have_no_file(self, file: object) -> None:
        wire: dict[str, Any] = {"id": 1, "channel": "c", "sender": "s", "text": "hi", "time": TIME}
        if file is None:
            wire["file"] = None
        message = protocol.read(Message, wire)
        assert message is not None and message.file is None

    def test_unknown_type_shows_just_the_size(self) -> None:
        message = protocol.read(Message, wire_message(type="", size=1, preview=False))
        assert message is not None and message.file is not None
        assert file_details(message.file) == "1 byte"
        assert not file_previewed(message.file)

    @pytest.mark.parametrize(
        "url",
        [
            "//evil.example/x.png",
            "https://evil.example/x.png",
            "http:/files/x",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/\\evil.example/x",
            "/\t/evil.example/x",
            "/files/x\n",
            "files/x",
            "",
            None,
            42,
        ],
    )
    def test_links_only_ever_point_to_this_origin(self, url: object) -> None:
        assert not is_local_url(url)
        assert protocol.read(Message, wire_message(url=url)) is None

    @pytest.mark.parametrize("url", ["/files/f1", "/files/f1/photo%20one.png", "/files/é.png"])
    def test_local_urls_are_fine(self, url: str) -> None:
        assert is_local_url(url)
        assert protocol.read(Message, wire_message(url=url)) is not None

    @pytest.mark.parametrize(
        "changes",
        [
            {"id": ""},
            {"id": 7},
            {"name": ""},
            {"name": None},
            {"size": -1},
            {"size": True},
            {"size": 1.5},
            {"size": "10"},
            {"type": None},
            {"preview": "yes"},
            {"preview": None},
            {"expired": 0},
        ],
    )
    def test_a_malformed_file_makes_the_message_malformed(self, changes: dict[str, Any]) -> None:
        assert protocol.read(Message, wire_message(**changes)) is None

    @pytest.mark.parametrize("file", ["photo.png", [], 1, True])
    def test_a_file_that_is_not_an_object_is_malformed(self, file: object) -> None:
        wire = {"id": 1, "channel": "c", "sender": "s", "text": "", "time": TIME, "file": file}
        assert protocol.read(Message, wire) is None

    def test_expired_files_offer_no_link_and_no_preview(self) -> None:
        message = protocol.read(Message, wire_message(expired=True))
        assert message is not None and message.file is not None
        assert not file_downloadable(message.file)
        assert not file_previewed(message.file)

    def test_render_key_changes_when_the_file_expires(self) -> None:
        message = file_message(3)
        expired = message.with_file_expired()
        assert expired.file is not None and expired.file.expired
        assert entry_key(expired) == entry_key(message)
        assert render_key(expired) != render_key(message)
        assert expired.with_file_expired() is expired

    def test_text_messages_never_expire(self) -> None:
        message = text_message(3)
        assert message.with_file_expired() is message
        assert render_key(message) == entry_key(message)

    def test_file_messages_join_the_log_like_any_other(self) -> None:
        state = opened(history=[text_message(1)])
        assert state.add_message(file_message(2))
        assert not state.add_message(file_message(2))  # ack and event: shown once
        assert [entry_key(e) for e in state.log] == ["m1", "m2"]


# --- file_expired ----------------------------------------------------------------


class TestExpireFile:
    def test_expiry_marks_the_message_in_the_open_channel(self) -> None:
        state = opened(history=[file_message(1), file_message(2)])
        before = [render_key(e) for e in state.log]
        assert state.expire_file({"channel": "general", "id": 1})
        first, second = state.log
        assert isinstance(first, Message) and first.file is not None and first.file.expired
        assert isinstance(second, Message) and second.file is not None and not second.file.expired
        assert [render_key(e) for e in state.log] != before
        assert [entry_key(e) for e in state.log] == ["m1", "m2"]

    def test_channel_names_compare_case_insensitively(self) -> None:
        state = opened("General", history=[file_message(1, "General")])
        assert state.expire_file({"channel": "gENERAL", "id": 1})

    def test_expiring_twice_changes_nothing_the_second_time(self) -> None:
        state = opened(history=[file_message(1)])
        assert state.expire_file({"channel": "general", "id": 1})
        assert not state.expire_file({"channel": "general", "id": 1})

    def test_text_message_or_unknown_id_changes_nothing(self) -> None:
        state = opened(history=[text_message(1)])
        assert not state.expire_file({"channel": "general", "id": 1})
        assert not state.expire_file({"channel": "general", "id": 99})

    def test_other_channels_are_ignored(self) -> None:
        state = opened(history=[file_message(1)])
        assert not state.expire_file({"channel": "random", "id": 1})
        only = state.log[0]
        assert isinstance(only, Message) and only.file is not None and not only.file.expired

    @pytest.mark.parametrize(
        "payload",
        [
            None,
            [],
            "general",
            {},
            {"channel": "general"},
            {"id": 1},
            {"channel": "general", "id": "1"},
            {"channel": "general", "id": True},
            {"channel": 1, "id": 1},
        ],
    )
    def test_malformed_events_are_ignored(self, payload: object) -> None:
        state = opened(history=[file_message(1)])
        assert not state.expire_file(payload)
        only = state.log[0]
        assert isinstance(only, Message) and only.file is not None and not only.file.expired

    def test_expiry_during_a_join_applies_to_the_history_read_before_it(self) -> None:
        state = ChatState()
        state.begin_join("general")
        assert not state.expire_file({"channel": "general", "id": 1})
        assert state.finish_join("general", [file_message(1), file_message(2)])
        first, second = state.log
        assert isinstance(first, Message) and first.file is not None and first.file.expired
        assert isinstance(second, Message) and second.file is not None and not second.file.expired

    def test_expiry_during_a_join_applies_to_early_messages_of_that_channel_only(self) -> None:
        state = opened("random")
        state.begin_join("general")
        assert not state.add_message(file_message(5, "general"))  # early: held until the history
        assert not state.expire_file({"channel": "elsewhere", "id": 5})
        assert state.finish_join("general", [])
        only = state.log[0]
        assert isinstance(only, Message) and only.file is not None and not only.file.expired

    def test_a_new_join_forgets_old_expiries(self) -> None:
        state = opened(history=[file_message(1)])
        state.expire_file({"channel": "general", "id": 1})
        state.begin_join("general")
        assert state.finish_join("general", [file_message(1)])
        only = state.log[0]
        # A fresh history is the server's word on it.
        assert isinstance(only, Message) and only.file is not None and not only.file.expired


# --- the server's answer to start_upload ---------------------------------------------


class TestUploadStarted:
    def test_from_wire(self) -> None:
        made = accepted_upload(
            {"upload": {"id": "u1", "url": "/uploads/u1", "size": 5, "chunk_size": 4, "received": 0}}, size=5
        )
        assert made == protocol.Upload(id="u1", url="/uploads/u1", size=5, chunk_size=4, received=0)

    @pytest.mark.parametrize(
        "changes",
        [
            {"id": ""},
            {"id": None},
            {"url": "//evil.example/up"},
            {"url": "https://evil.example/up"},
            {"url": None},
            {"size": -1},
            {"size": True},
            {"chunk_size": 0},
            {"chunk_size": 2.5},
            {"received": 6},
            {"received": None},
        ],
    )
    def test_malformed(self, changes: dict[str, Any]) -> None:
        wire = {"id": "u1", "url": "/uploads/u1", "size": 5, "chunk_size": 4, "received": 0, **changes}
        assert protocol.read(protocol.Upload, wire) is None
        assert accepted_upload({"upload": wire}, size=5) is None

    @pytest.mark.parametrize("wire", [None, [], "u1"])
    def test_not_an_object(self, wire: object) -> None:
        assert accepted_upload({"upload": wire}, size=5) is None
        assert accepted_upload(wire, size=5) is None

    def test_must_be_for_the_size_announced(self) -> None:
        wire = {"id": "u1", "url": "/uploads/u1", "size": 5, "chunk_size": 4, "received": 0}
        assert accepted_upload({"upload": wire}, size=5) is not None
        assert accepted_upload({"upload": wire}, size=6) is None

    def test_refusal_text_states_the_servers_sentence(self) -> None:
        sentence = "Files can be at most 1 MB; this one is 2 MB."
        text = share_refused_text("big.bin", ErrorCode.FILE_TOO_LARGE, sentence)
        assert text == f"Could not share big.bin: {sentence}"

    def test_refusal_text_without_a_sentence_uses_words_for_the_code(self) -> None:
        text = share_refused_text("a/b/big.bin", ErrorCode.FILE_TOO_LARGE)
        assert text == "Could not share big.bin: " + describe_error(ErrorCode.FILE_TOO_LARGE)


# --- the upload state machine ------------------------------------------------------------


class TestUploadShows:
    def test_begin(self) -> None:
        up = upload(name="../../etc/.secret\u202e.txt")
        assert up.name == "secret.txt"  # folders, leading dots, bidi overrides gone
        assert up.url == "/uploads/u1"
        assert up.received == 0 and up.active and up.key == "u1"
        assert up.label == "Uploading secret.txt"

    def test_progress(self) -> None:
        up = upload(size=50 * MB)
        assert (up.percent, up.progress_text) == (0, "0 bytes of 50 MB")
        up.on_put_reply(200, put_ok(4 * MB))
        assert (up.percent, up.progress_text) == (8, "4 MB of 50 MB")
        assert up.status_text == up.progress_text

    def test_percent_reaches_100_only_when_everything_arrived(self) -> None:
        up = upload(size=1000, chunk=999)
        up.on_put_reply(200, put_ok(999))
        assert up.percent == 99
        up.on_put_reply(200, put_ok(1000, complete=True))
        assert up.percent == 100

    def test_empty_file(self) -> None:
        up = upload(size=0)
        assert up.next_chunk() == (0, 0)
        assert up.percent == 0
        assert up.on_put_reply(200, put_ok(0, complete=True)) is Step.DONE
        assert up.percent == 100

    def test_description(self) -> None:
        assert upload(size=3 * MB).description == "big.bin · 3 MB · application/octet-stream"


class TestUploadHappyPath:
    def test_chunks_follow_what_the_server_confirmed(self) -> None:
        up = upload(size=10 * MB)
        assert up.next_chunk() == (0, 4 * MB)
        assert up.on_put_reply(200, put_ok(4 * MB)) is Step.SEND
        assert up.next_chunk() == (4 * MB, 8 * MB)
        assert up.on_put_reply(200, put_ok(8 * MB)) is Step.SEND
        assert up.next_chunk() == (8 * MB, 10 * MB)
        message = wire_message(7)
        assert up.on_put_reply(200, put_ok(10 * MB, complete=True, message=message)) is Step.DONE
        assert up.status is UploadStatus.DONE and up.message == protocol.read(Message, message)
        assert not up.active

    def test_resumes_where_the_server_says_after_a_409(self) -> None:
        up = upload(size=10 * MB)
        up.on_put_reply(200, put_ok(4 * MB))
        # The server already has more than we thought (an earlier reply got lost).
        body = err(ErrorCode.OFFSET_MISMATCH, "Expected offset 8388608.", received=8 * MB)
        assert up.on_put_reply(409, body) is Step.SEND
        assert up.next_chunk() == (8 * MB, 10 * MB)
        assert up.error is None and up.failures == 0

    def test_409_can_also_move_back(self) -> None:
        up = upload(size=10 * MB)
        up.on_put_reply(200, put_ok(8 * MB))
        assert up.on_put_reply(409, err(ErrorCode.OFFSET_MISMATCH, received=4 * MB)) is Step.SEND
        assert up.next_chunk() == (4 * MB, 8 * MB)

    def test_409_without_progress_is_trouble_not_an_endless_loop(self) -> None:
        up = upload(size=10 * MB)
        steps = [up.on_put_reply(409, err(ErrorCode.OFFSET_MISMATCH, received=0)) for _ in RETRY_DELAYS]
        assert steps == [Step.WAIT] * len(RETRY_DELAYS)
        assert up.on_put_reply(409, err(ErrorCode.OFFSET_MISMATCH, received=0)) is Step.STOP
        assert up.failed and up.error == describe_error(ErrorCode.OFFSET_MISMATCH)

    def test_a_200_without_progress_is_trouble_too(self) -> None:
        up = upload(size=10 * MB)
        assert up.on_put_reply(200, put_ok(0)) is Step.WAIT

    def test_replies_after_stopping_change_nothing(self) -> None:
        up = upload()
        up.cancel()
        assert up.on_put_reply(200, put_ok(4 * MB)) is Step.STOP
        assert up.on_check_reply(200, check_ok(4 * MB)) is Step.STOP
        assert up.received == 0 and up.status is UploadStatus.CANCELLED


class TestUploadTrouble:
    def test_network_errors_are_retried_with_growing_delays_then_fail(self) -> None:
        up = upload()
        delays = []
        for _ in RETRY_DELAYS:
            assert up.on_put_reply(None, None) is Step.WAIT
            assert up.active and up.error == describe_error(NETWORK)
            assert "trying again" in up.status_text
            delays.append(up.retry_delay)
        assert delays == list(RETRY_DELAYS)
        assert delays == sorted(delays)
        assert up.on_put_reply(None, None) is Step.STOP
        assert up.failed and up.can_retry
        assert up.failure_text == f"Upload of big.bin failed: {describe_error(NETWORK)}"
        assert up.status_text == f"Failed: {describe_error(NETWORK)}"

    def test_progress_resets_the_count(self) -> None:
        up = upload()
        for _ in range(len(RETRY_DELAYS) - 1):
            up.on_put_reply(None, None)
        assert up.on_check_reply(200, check_ok(0)) is Step.SEND
        assert up.on_put_reply(200, put_ok(4 * MB)) is Step.SEND
        assert up.failures == 0 and up.error is None
        for _ in RETRY_DELAYS:
            assert up.on_put_reply(None, None) is Step.WAIT

    def test_after_trouble_the_check_says_where_to_go_on(self) -> None:
        up = upload()
        assert up.on_put_reply(None, None) is Step.WAIT
        # The chunk did arrive; only its reply was lost.
        assert up.on_check_reply(200, check_ok(4 * MB)) is Step.SEND
        assert up.next_chunk() == (4 * MB, 8 * MB)

    def test_a_failing_check_is_trouble_too(self) -> None:
        up = upload()
        up.on_put_reply(None, None)
        assert up.on_check_reply(None, None) is Step.WAIT
        assert up.failures == 2

    def test_server_errors_are_retried_with_the_servers_words(self) -> None:
        up = upload()
        assert up.on_put_reply(500, err(ErrorCode.INTERNAL, "Disk full.")) is Step.WAIT
        assert up.error == "Disk full."

    def test_a_proxys_html_error_page_is_still_server_trouble(self) -> None:
        up = upload()
        assert up.on_put_reply(502, None) is Step.WAIT
        assert up.error == describe_error(ErrorCode.INTERNAL)


class TestUploadRefused:
    def test_404_means_gone_and_no_retry(self) -> None:
        up = upload()
        assert up.on_put_reply(404, err(ErrorCode.UPLOAD_UNKNOWN, "No such upload.")) is Step.STOP
        assert up.failed and up.gone and not up.can_retry
        assert up.error == "No such upload."
        assert up.retry() is None

    def test_404_without_a_body_still_says_why(self) -> None:
        up = upload()
        assert up.on_check_reply(404, None) is Step.STOP
        assert up.error == describe_error(ErrorCode.UPLOAD_UNKNOWN)

    @pytest.mark.parametrize("code", [ErrorCode.FILE_TOO_LARGE, ErrorCode.CHUNK_TOO_LARGE])
    def test_413_is_a_refusal_for_good(self, code: ErrorCode) -> None:
        up = upload()
        assert up.on_put_reply(413, err(code, "Too big.")) is Step.STOP
        assert up.failed and not up.gone and up.refused
        assert up.failure_text == "Upload of big.bin failed: Too big."
        assert not up.can_retry and up.retry() is None

    @pytest.mark.parametrize("status", [408, 429])
    def test_busy_answers_can_be_retried(self, status: int) -> None:
        up = upload()
        assert up.on_put_reply(status, err("slow_down", "Later.")) is Step.STOP
        assert up.can_retry

    def test_409_with_another_code_is_a_refusal(self) -> None:
        up = upload()
        assert up.on_put_reply(409, err("conflict", "No.")) is Step.STOP
        assert up.error == "No."


class TestUploadMalformedReplies:
    @pytest.mark.parametrize(
        "body",
        [
            None,
            "OK",
            [],
            {"ok": True},  # no data: no received, no complete
            ok(received=4 * MB),
            ok(complete=False),
            ok(received=4 * MB, complete=False),  # no size: not an UploadState
            ok(received="4194304", size=10 * MB, complete=False),
            ok(received=-1, size=10 * MB, complete=False),
            ok(received=True, size=10 * MB, complete=False),
            ok(received=11 * MB, size=10 * MB, complete=False),
            ok(received=11 * MB, size=12 * MB, complete=False),  # more than we announced
            ok(received=4 * MB, size=10 * MB, complete="no"),
        ],
    )
    def test_bad_200_replies_fail_in_words(self, body: object) -> None:
        up = upload()
        assert up.on_put_reply(200, body) is Step.STOP
        assert up.failed and up.error == describe_error(BAD_REPLY)
        assert up.can_retry  # a confused server may come round

    @pytest.mark.parametrize(
        "body",
        [
            None,
            err(ErrorCode.OFFSET_MISMATCH),  # where to resume is missing
            err(ErrorCode.OFFSET_MISMATCH, received="0"),
            err(ErrorCode.OFFSET_MISMATCH, received=11 * MB),
        ],
    )
    def test_bad_409_replies_fail_in_words(self, body: object) -> None:
        up = upload()
        assert up.on_put_reply(409, body) is Step.STOP
        assert up.error == describe_error(BAD_REPLY)

    @pytest.mark.parametrize(
        "body",
        [
            None,
            ok(),
            ok(received=None, size=10 * MB, complete=False),
            check_ok(11 * MB, size=12 * MB),
            check_ok(-5),
            ok(received=4 * MB, size=10 * MB),  # no complete: not an UploadState
        ],
    )
    def test_bad_check_replies_fail_in_words(self, body: object) -> None:
        up = upload()
        assert up.on_check_reply(200, body) is Step.STOP
        assert up.error == describe_error(BAD_REPLY)

    def test_a_success_ack_with_an_error_status_is_a_bad_reply(self) -> None:
        up = upload()
        assert up.on_put_reply(400, ok(received=0, complete=False)) is Step.STOP
        assert up.error == describe_error(BAD_REPLY)

    def test_a_malformed_message_in_the_last_reply_is_dropped(self) -> None:
        up = upload(size=1)
        assert up.on_put_reply(200, put_ok(1, complete=True, message="hi")) is Step.DONE
        assert up.message is None


class TestCancelAndRetry:
    def test_cancel_while_uploading(self) -> None:
        up = upload()
        assert up.cancel()
        assert up.status is UploadStatus.CANCELLED and not up.active
        assert not up.cancel()  # nothing left to stop
        assert up.retry() is None

    def test_a_failed_upload_can_be_cancelled_too(self) -> None:
        up = upload()
        up.on_put_reply(413, err(ErrorCode.FILE_TOO_LARGE))
        assert up.cancel()

    def test_a_finished_upload_cannot_be_cancelled(self) -> None:
        up = upload(size=1)
        up.on_put_reply(200, put_ok(1, complete=True))
        assert not up.cancel()
        assert up.status is UploadStatus.DONE

    def test_retry_asks_the_server_first(self) -> None:
        up = upload()
        for _ in range(len(RETRY_DELAYS) + 1):
            up.on_put_reply(None, None)
        assert up.failed
        assert up.retry() is Step.CHECK
        assert up.active and up.error is None and up.failures == 0
        assert up.on_check_reply(200, check_ok(4 * MB)) is Step.SEND
        assert up.next_chunk() == (4 * MB, 8 * MB)

    def test_retry_only_when_failed(self) -> None:
        assert upload().retry() is None


# --- the loop, against a pretend server -----------------------------------------------------


class FakeServer:
    """The HTTP side of one upload: stores what arrives, answers like Flack.

    ``script`` replaces the next answers (``(status, body)``; ``None`` for a
    network error before the server saw anything, ``"lost"`` for a chunk
    that arrived but whose reply was lost). ``reports``: how many bytes of
    each chunk's body the browser says it has sent before the reply."""

    def __init__(self, size: int, chunk: int) -> None:
        self.size, self.chunk = size, chunk
        self.received = 0
        self.script: list[Any] = []
        self.requests: list[tuple[str, int, int]] = []
        self.reports: list[int] = []

    def _scripted(self) -> Any:
        return self.script.pop(0) if self.script else "normal"

    async def put(self, start: int, end: int, progress: Progress) -> HttpReply:
        self.requests.append(("PUT", start, end))
        assert end - start <= self.chunk
        for loaded in self.reports:
            progress(loaded)
        scripted = self._scripted()
        if scripted is None:
            return None, None
        if scripted not in ("normal", "lost"):
            return scripted
        if start != self.received:
            return 409, err(ErrorCode.OFFSET_MISMATCH, "Wrong offset.", received=self.received)
        self.received = end
        if scripted == "lost":
            return None, None
        complete = self.received == self.size
        message = wire_message(9) if complete else None
        return 200, put_ok(self.received, complete, message, size=self.size)

    async def check(self) -> HttpReply:
        self.requests.append(("GET", self.received, self.size))
        scripted = self._scripted()
        if scripted is None:
            return None, None
        if scripted != "normal":
            return scripted
        return 200, check_ok(self.received, self.size)


class Recorder:
    def __init__(self, up: Upload) -> None:
        self.up = up
        self.percents: list[int] = []
        self.sleeps: list[float] = []

    def changed(self) -> None:
        self.percents.append(self.up.percent)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def run(up: Upload, server: FakeServer, step: Step = Step.SEND) -> tuple[Step, Recorder]:
    seen = Recorder(up)
    return await drive_upload(up, step, server, seen.changed, seen.sleep), seen


class TestDriveUpload:
    async def test_happy_path_sends_every_chunk_once_in_order(self) -> None:
        up, server = upload(size=10 * MB), FakeServer(10 * MB, CHUNK)
        step, seen = await run(up, server)
        assert step is Step.DONE and server.received == 10 * MB
        assert server.requests == [
            ("PUT", 0, 4 * MB),
            ("PUT", 4 * MB, 8 * MB),
            ("PUT", 8 * MB, 10 * MB),
        ]
        assert seen.percents == [40, 80, 100]
        assert seen.sleeps == []
        assert up.message == protocol.read(Message, wire_message(9))

    async def test_a_lost_reply_is_resumed_after_asking_the_server(self) -> None:
        up, server = upload(size=10 * MB), FakeServer(10 * MB, CHUNK)
        server.script = ["normal", "lost"]
        step, seen = await run(up, server)
        assert step is Step.DONE
        assert server.requests == [
            ("PUT", 0, 4 * MB),
            ("PUT", 4 * MB, 8 * MB),
            ("GET", 8 * MB, 10 * MB),
            ("PUT", 8 * MB, 10 * MB),
        ]
        assert seen.sleeps == [RETRY_DELAYS[0]]

    async def test_a_409_moves_on_without_waiting(self) -> None:
        up, server = upload(size=10 * MB), FakeServer(10 * MB, CHUNK)
        server.received = 4 * MB  # say, an earlier tab's upload got this far
        step, seen = await run(up, server)
        assert step is Step.DONE
        assert server.requests[:2] == [("PUT", 0, 4 * MB), ("PUT", 4 * MB, 8 * MB)]
        assert seen.sleeps == []

    async def test_network_down_for_good_fails_after_the_retries(self) -> None:
        up, server = upload(), FakeServer(10 * MB, CHUNK)
        server.script = [None] * 100
        step, seen = await run(up, server)
        assert step is Step.STOP and up.failed
        assert seen.sleeps == list(RETRY_DELAYS)
        # One PUT, then one GET per retry: never a storm of requests.
        assert [r[0] for r in server.requests] == ["PUT"] + ["GET"] * len(RETRY_DELAYS)

    async def test_retry_after_failing_finishes_from_where_the_server_is(self) -> None:
        up, server = upload(size=10 * MB), FakeServer(10 * MB, CHUNK)
        server.script = ["normal", *([None] * (len(RETRY_DELAYS) + 1))]
        step, _ = await run(up, server)
        assert step is Step.STOP and up.percent == 40
        again = up.retry()
        assert again is Step.CHECK
        step, _ = await run(up, server, again)
        assert step is Step.DONE and server.received == 10 * MB

    async def test_gone_stops_at_once(self) -> None:
        up, server = upload(), FakeServer(10 * MB, CHUNK)
        server.script = ["normal", (404, err(ErrorCode.UPLOAD_UNKNOWN, "Gone."))]
        step, seen = await run(up, server)
        assert step is Step.STOP and up.gone
        assert seen.sleeps == []
        assert len(server.requests) == 2

    async def test_cancel_while_waiting_stops_without_another_request(self) -> None:
        up, server = upload(), FakeServer(10 * MB, CHUNK)
        server.script = [None]

        async def cancel_while_asleep(_seconds: float) -> None:
            up.cancel()

        step = await drive_upload(up, Step.SEND, server, lambda: None, cancel_while_asleep)
        assert step is Step.STOP and up.status is UploadStatus.CANCELLED
        assert len(server.requests) == 1

    async def test_cancel_aborting_the_request_in_flight_stops(self) -> None:
        up, server = upload(), FakeServer(10 * MB, CHUNK)

        class Aborted(FakeServer):
            async def put(self, start: int, end: int, progress: Progress) -> HttpReply:
                up.cancel()  # the person clicks Cancel; the glue aborts the fetch
                return None, None

        step = await drive_upload(up, Step.SEND, Aborted(10 * MB, CHUNK), lambda: None)
        assert step is Step.STOP and up.status is UploadStatus.CANCELLED
        assert server.requests == []

    async def test_empty_file(self) -> None:
        up, server = upload(size=0), FakeServer(0, CHUNK)
        step, _ = await run(up, server)
        assert step is Step.DONE and server.requests == [("PUT", 0, 0)]


# --- uploads in the chat state ------------------------------------------------------------------


class TestChatStateUploads:
    def test_rows_come_and_go(self) -> None:
        state = opened()
        first = state.add_upload("general", "a.bin", "", info())
        second = state.add_upload("general", "b.bin", "", info())
        assert first.key != second.key
        assert state.uploads == [first, second]
        sharing = Sharing(Alert(), lambda _message: None)
        first, second = (
            sharing.add("general", "a.bin", "", info()),
            sharing.add("general", "b.bin", "", info()),
        )
        assert sharing.get(second.key) is second
        assert sharing.remove(first.key)
        assert not sharing.remove(first.key)
        assert sharing.rows == [second] and sharing.get(first.key) is None

    def test_done_removes_the_row_and_shows_the_message_once(self) -> None:
        state = opened()
        up = state.add_upload("general", "photo.png", "image/png", info(size=1))
        up.on_put_reply(200, put_ok(1, complete=True, message=wire_message(4)))
        assert state.finish_upload(up).render
        assert state.uploads == [] and state.error is None
        assert [entry_key(e) for e in state.log] == ["m4"]
        # The same message as a socket event: still once.
        event = protocol.read(Message, wire_message(4))
        assert event is not None and not state.add_message(event)

    def test_done_without_a_message_in_the_reply_waits_for_the_event(self) -> None:
        state = opened()
        up = state.add_upload("general", "photo.png", "image/png", info(size=1))
        up.on_put_reply(200, put_ok(1, complete=True))
        assert state.finish_upload(up).render
        assert state.uploads == [] and state.log == []

    def test_failure_shows_the_alert_and_keeps_the_row(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        up.on_put_reply(413, err(ErrorCode.FILE_TOO_LARGE, "Files can be at most 1 MB."))
        assert state.finish_upload(up).render
        assert state.error == "Upload of a.bin failed: Files can be at most 1 MB."
        assert state.uploads == [up]

    def test_cancelled_upload_needs_nothing_more(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        assert state.cancel_upload(up.key) is up  # abort + DELETE
        assert state.uploads == []
        assert not state.finish_upload(up).render
        assert state.cancel_upload(up.key) is None

    def test_dismissing_a_failed_upload_clears_its_alert(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        up.on_put_reply(404, None)
        state.finish_upload(up)
        assert state.error
        assert state.cancel_upload(up.key) is up  # still DELETE: it may linger
        assert state.error is None and state.uploads == []

    def test_dismissing_keeps_an_unrelated_alert(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        up.on_put_reply(404, None)
        state.finish_upload(up)
        state.error = "Something else happened."
        state.cancel_upload(up.key)
        assert state.error == "Something else happened."

    def test_retry_clears_the_alert_and_goes_on(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        for _ in range(len(RETRY_DELAYS) + 1):
            up.on_put_reply(None, None)
        state.finish_upload(up)
        assert state.error == up.failure_text
        assert state.retry_upload(up.key) is up
        assert state.error is None and up.active

    def test_no_retry_for_gone_or_unknown_uploads(self) -> None:
        state = opened()
        up = state.add_upload("general", "a.bin", "", info())
        assert state.retry_upload(up.key) is None  # not failed
        up.on_put_reply(404, None)
        assert state.retry_upload(up.key) is None
        assert state.retry_upload("u999") is None

    def test_sharing_needs_an_open_channel(self) -> None:
        state = ChatState()
        assert not state.can_share
        assert state.drop_hint == "Open a channel to share files"
        state = opened("general")
        assert state.can_share
        assert state.drop_hint == "Drop to share in #general"


def test_every_new_error_code_has_words() -> None:
    for code in (
        ErrorCode.FILE_INVALID,
        ErrorCode.FILE_TOO_LARGE,
        ErrorCode.TOO_MANY_UPLOADS,
        ErrorCode.UPLOAD_UNKNOWN,
        ErrorCode.OFFSET_MISMATCH,
        ErrorCode.CHUNK_TOO_LARGE,
        ErrorCode.FILE_NOT_FOUND,
    ):
        assert describe_error(code) != describe_error("no_such_code")
    assert describe_error(NETWORK) != describe_error("no_such_code")


def test_chunks_never_exceed_the_protocol_chunk_size() -> None:
    up = upload(size=3 * protocol.CHUNK_SIZE, chunk=protocol.CHUNK_SIZE)
    start, end = up.next_chunk()
    assert end - start == protocol.CHUNK_SIZE


def test_ack_of_a_refused_start_upload() -> None:
    ack = Ack.from_wire(err(ErrorCode.FILE_TOO_LARGE, "Files can be at most 1 MB; this one is 2 MB."))
    text = share_refused_text("big.bin", ack.code, ack.message)
    assert "1 MB" in text and "big.bin" in text
