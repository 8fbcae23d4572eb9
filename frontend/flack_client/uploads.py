"""Sharing a file: the upload state machine and its loop, with no browser in sight.

A file is announced over the socket (``start_upload``, answered with a
``protocol.Upload``: where its bytes go), then its bytes go over HTTP in
chunks. ``Upload`` is one file on its way, as its progress row shows it; it
decides what happens after every HTTP reply (read as ``protocol.UploadState``
inside an acknowledgement). ``drive_upload`` runs those decisions against an
``UploadRequests`` (``uploads_http.Transfer`` in the browser, a fake in the
tests), which only does what it is told. While a chunk is on its way the
browser reports how much of it it has sent, so the row moves within a chunk
too (``Upload.chunk_progress``). Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, ErrorCode, Message, UploadStarted, UploadState
from flack_client import wording
from flack_client.progress import bytes_sent
from flack_client.wording import NETWORK, describe_error

# Seconds to wait before each retry after a network error or a 5xx; after the
# last one the upload has failed. Progress resets the count.
RETRY_DELAYS: Final[tuple[float, ...]] = (0.5, 1.0, 2.0, 4.0, 4.0)

HttpReply = tuple[int | None, object]  # (status or None on a network error, parsed JSON body)
Progress = Callable[[int], None]  # bytes of a request's body the browser has sent so far


class UploadStatus(Enum):
    """Where one upload stands."""

    UPLOADING = "uploading"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DONE = "done"


class Step(Enum):
    """What the upload loop does next."""

    SEND = "send"  # PUT the chunk ``Upload.next_chunk()``
    CHECK = "check"  # ask the server (GET) how much arrived, then go on from there
    WAIT = "wait"  # sleep ``Upload.retry_delay`` seconds, then CHECK
    DONE = "done"  # the server has the file; ``Upload.message`` is its message
    STOP = "stop"  # failed or cancelled: send nothing more


def accepted_upload(data: object, size: int) -> protocol.Upload | None:
    """The upload in ``start_upload``'s answer (its ``data``); ``None`` if it
    is malformed, or not for ``size`` bytes (the file we announced): sending
    a different number of bytes than the server expects can only fail, or
    worse, share half a file."""
    started = protocol.read(UploadStarted, data)
    if started is None or started.upload.size != size:
        return None
    return started.upload


def _upload_state(data: dict[str, object]) -> UploadState | None:
    """An ``/uploads`` reply's data. The file's message in the last reply is
    only a shortcut (it also arrives as a socket event), so a malformed one
    is dropped rather than failing an upload the server has completed."""
    state = protocol.read(UploadState, data)
    if state is None and data.get("message") is not None:
        state = protocol.read(UploadState, {**data, "message": None})
    return state


@dataclass
class Upload:
    """One file on its way to the server, as its progress row shows it.

    ``received`` is what the server confirmed; the next chunk starts there.
    ``sent`` is how far the chunk on its way has gone, as the browser reports
    it (``received`` until the first report). ``error`` is the reason of the
    last trouble (shown once it has failed).
    """

    seq: int
    channel: str
    name: str
    size: int
    type: str
    id: str
    url: str
    chunk_size: int
    received: int = 0
    sent: int = 0
    status: UploadStatus = UploadStatus.UPLOADING
    error: str | None = None
    gone: bool = False  # the server forgot it: a retry has to start over
    refused: bool = False  # the server said no for good (413, 400 …): retrying cannot help
    failures: int = 0  # network errors / 5xx in a row
    message: Message | None = None  # the file message, once complete

    @classmethod
    def begin(cls, seq: int, channel: str, name: str, kind: str, info: protocol.Upload) -> Upload:
        """A new upload that the server accepted with ``info``."""
        return cls(
            seq=seq,
            channel=channel,
            name=protocol.clean_file_name(name),
            size=info.size,
            type=kind,
            id=info.id,
            url=info.url,
            chunk_size=info.chunk_size,
            received=info.received,
            sent=info.received,
        )

    # what to show ---------------------------------------------------------------

    @property
    def key(self) -> str:
        """Stable identity of the progress row."""
        return f"u{self.seq}"

    @property
    def shown(self) -> int:
        """Bytes to show as uploaded: what the server confirmed, or further
        while a chunk is on its way (what the browser has sent of it)."""
        return min(self.size, max(self.received, self.sent))

    @property
    def percent(self) -> int:
        """Progress as a whole percentage, 0–100; 100 only once the server
        has the file (a chunk sent in full is not a chunk received)."""
        if self.status is UploadStatus.DONE:
            return 100
        if self.size == 0:
            return 0
        return min(99, self.shown * 100 // self.size)

    @property
    def label(self) -> str:
        """The progress bar's accessible name."""
        return wording.upload_label(self.name)

    @property
    def progress_text(self) -> str:
        """``2 MB of 50 MB``."""
        return wording.upload_progress(self.shown, self.size)

    @property
    def description(self) -> str:
        """``photo.png · 1.5 MB · image/png``."""
        return f"{self.name} · {wording.size_and_type(self.size, self.type)}"

    @property
    def failure_text(self) -> str:
        """The alert once it failed: ``Upload of photo.png failed: …``."""
        return wording.upload_failed_alert(self.name, self.error)

    @property
    def status_text(self) -> str:
        """The line next to the progress bar: how far, or what went wrong."""
        if self.status is UploadStatus.FAILED:
            return wording.upload_failed_status(self.error)
        if self.status is UploadStatus.UPLOADING and self.error:
            # Between retries after a network error or a 5xx.
            return wording.upload_trouble(self.progress_text)
        return self.progress_text

    @property
    def active(self) -> bool:
        """Whether bytes are (or will be) on their way."""
        return self.status is UploadStatus.UPLOADING

    @property
    def failed(self) -> bool:
        """Whether it stopped on an error (the row offers Retry/Dismiss)."""
        return self.status is UploadStatus.FAILED

    @property
    def can_retry(self) -> bool:
        """Whether "Retry" can help: the server still has the upload and
        did not refuse it for good."""
        return self.status is UploadStatus.FAILED and not self.gone and not self.refused

    # the loop's decisions -------------------------------------------------------

    def next_chunk(self) -> tuple[int, int]:
        """The byte range ``[start, end)`` to send next."""
        return self.received, min(self.received + self.chunk_size, self.size)

    def chunk_progress(self, start: int, loaded: int) -> bool:
        """The browser has sent ``loaded`` bytes of the chunk that starts at
        ``start``. ``True`` if the row should move: only forward, only for the
        chunk the upload is on, and only while it is uploading."""
        if not self.active or start != self.received:
            return False
        _start, end = self.next_chunk()
        sent = bytes_sent(start, end, loaded)
        if sent <= self.shown:
            return False
        self.sent = sent
        return True

    @property
    def retry_delay(self) -> float:
        """Seconds to wait before the retry that is due now."""
        return RETRY_DELAYS[min(max(self.failures, 1), len(RETRY_DELAYS)) - 1]

    def on_put_reply(self, status: int | None, body: object) -> Step:
        """Decide after a ``PUT`` chunk: ``status`` is the HTTP status, or
        ``None`` if the request never got an answer (network error);
        ``body`` is the parsed JSON body (anything, if it was not JSON)."""
        if not self.active:
            return Step.STOP
        # The request is over: from here the row shows what the server says.
        self.sent = self.received
        if status is None or status >= 500:
            return self._trouble(status, body)
        ack = Ack.from_wire(body)
        if status == 200 and ack.ok:
            state = _upload_state(ack.data)
            if state is None or state.received > self.size:
                return self._fail(describe_error(BAD_REPLY))
            if state.complete:
                self.received, self.status = self.size, UploadStatus.DONE
                self.message = state.message
                return Step.DONE
            return self._resume_at(state.received)
        if status == 409 and ack.code == ErrorCode.OFFSET_MISMATCH:
            received = ack.details.get("received")
            if not protocol.is_count(received) or received > self.size:
                return self._fail(describe_error(BAD_REPLY))
            return self._resume_at(received)
        return self._refused(status, ack)

    def on_check_reply(self, status: int | None, body: object) -> Step:
        """Decide after ``GET`` asked how much arrived (before resuming)."""
        if not self.active:
            return Step.STOP
        if status is None or status >= 500:
            return self._trouble(status, body)
        ack = Ack.from_wire(body)
        if status == 200 and ack.ok:
            state = _upload_state(ack.data)
            if state is None or state.received > self.size:
                return self._fail(describe_error(BAD_REPLY))
            self.received = self.sent = state.received
            return Step.SEND
        return self._refused(status, ack)

    def _resume_at(self, received: int) -> Step:
        if received > self.received:
            self.failures, self.error = 0, None
        elif received == self.received:
            # The server took nothing and says so: retrying blindly could
            # go on forever, so this counts as trouble.
            return self._trouble(409, None)
        self.received = self.sent = received
        return Step.SEND

    def _trouble(self, status: int | None, body: object) -> Step:
        """A failure that may pass (network, 5xx): wait and retry, a few times."""
        if status is None:
            reason = describe_error(NETWORK)
        elif status == 409:
            reason = describe_error(ErrorCode.OFFSET_MISMATCH)
        else:
            # A proxy's 502 page is no ack: that is still the server failing.
            ack = Ack.from_wire(body)
            failed = not ack.ok and ack.code != BAD_REPLY
            reason = describe_error(ack.code if failed else ErrorCode.INTERNAL, ack.message)
        self.failures += 1
        self.error = reason
        if self.failures > len(RETRY_DELAYS):
            return self._fail(reason)
        return Step.WAIT

    def _refused(self, status: int, ack: Ack) -> Step:
        """A final answer: 404 means the upload is gone, the rest are refusals."""
        if status == 404:
            self.gone = True
            code = ack.code if not ack.ok and ack.code != BAD_REPLY else ErrorCode.UPLOAD_UNKNOWN
            return self._fail(describe_error(code, ack.message))
        if ack.ok or ack.code == BAD_REPLY:
            return self._fail(describe_error(BAD_REPLY))
        # 408 and 429 pass with time; any other 4xx would only be refused again.
        self.refused = 400 <= status < 500 and status not in (408, 429)
        return self._fail(describe_error(ack.code, ack.message))

    def _fail(self, reason: str) -> Step:
        self.status, self.error = UploadStatus.FAILED, reason
        return Step.STOP

    # what the person does -------------------------------------------------------

    def cancel(self) -> bool:
        """Stop for good; ``True`` if there was anything to stop (the glue
        then aborts the request in flight and deletes what arrived)."""
        if self.status in (UploadStatus.UPLOADING, UploadStatus.FAILED):
            self.status = UploadStatus.CANCELLED
            return True
        return False

    def retry(self) -> Step | None:
        """ "Retry" on a failed upload: ask the server where it stands and go
        on from there. ``None`` if that cannot help: the server forgot it
        (share it again) or refused it for good."""
        if not self.can_retry:
            return None
        self.status, self.failures, self.error = UploadStatus.UPLOADING, 0, None
        return Step.CHECK


class UploadRequests(Protocol):
    """The HTTP side of one upload, as the browser glue provides it."""

    async def put(self, start: int, end: int, progress: Progress) -> HttpReply:
        """``PUT`` bytes ``[start, end)`` with the offset header set to
        ``start``, calling ``progress(bytes of the body sent so far)`` as
        they go."""
        ...

    async def check(self) -> HttpReply:
        """``GET`` how much the server has."""
        ...


async def drive_upload(
    upload: Upload,
    step: Step,
    requests: UploadRequests,
    changed: Callable[[], None],
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    moved: Callable[[], None] | None = None,
) -> Step:
    """Do what ``upload`` decides, request after request, until it is done
    (``Step.DONE``) or stops (``Step.STOP``: failed or cancelled).

    ``changed()`` is called whenever the progress row should be redrawn
    after a request; ``moved()`` (``changed`` if not given) whenever it
    moved while a chunk is on its way, which may be many times a second.
    Cancelling is ``upload.cancel()`` plus aborting the request in flight;
    this loop then notices and returns ``Step.STOP``.
    """
    on_move = moved or changed
    while True:
        if step is Step.SEND:
            start, end = upload.next_chunk()

            def progress(loaded: int, start: int = start) -> None:
                if upload.chunk_progress(start, loaded):
                    on_move()

            step = upload.on_put_reply(*await requests.put(start, end, progress))
        elif step is Step.CHECK:
            step = upload.on_check_reply(*await requests.check())
        elif step is Step.WAIT:
            changed()  # "trying again…"
            await sleep(upload.retry_delay)
            step = Step.CHECK if upload.active else Step.STOP
            continue
        else:
            return step
        changed()
