"""Files being shared from this page: their rows, and what each answer and
click means for them.

A row appears once the server accepted the announcement (``start_upload``)
and goes when the file is in the channel, or when the person cancels or
dismisses it; a failed one stays, offering Retry and Dismiss. The bytes are
moved by ``uploads.drive_upload``; this module decides what people see, and
what pasting into the message box shares (``paste_shares``, ``pasted_name``).
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, Message
from flack_client import wording
from flack_client.alert import Alert
from flack_client.uploads import Upload, UploadStatus, accepted_upload

# The file name extension for a pasted file's type, when its name says nothing.
PASTED_EXTENSIONS: Final[dict[str, str]] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/avif": "avif",
    "image/svg+xml": "svg",
    "text/plain": "txt",
    "application/pdf": "pdf",
}
# Names browsers give what has none: Chromium, Firefox and Safari call a
# picture from the clipboard "image.png"; a Blob made into a File is "blob".
PLACEHOLDER_STEMS: Final = frozenset({"", "image", "blob"})


def paste_shares(types: Iterable[str], files: int) -> bool:
    """Whether a paste into the message box shares its files instead of
    pasting text. ``types`` are the clipboard's (``DataTransfer.types``),
    ``files`` how many files it holds.

    Files without text: a screenshot, or "Copy image" in a browser (which
    adds ``text/html`` but no plain text). With plain text next to them it is
    text: a spreadsheet's cells or a word processor's paragraph come with a
    picture of themselves, and people pasting them mean the words.
    """
    return files > 0 and "text/plain" not in types


def pasted_name(name: str, kind: str, when: datetime, index: int = 0) -> str:
    """The name a pasted file is shared under: its own, unless it has none
    a person gave it (``""``, or a browser's placeholder such as
    ``image.png``); then ``pasted-2026-11-29-1530.png``, from the time of the
    paste (the viewer's clock) and the file's type. ``index`` tells several
    files of one paste apart (``…-1530-2.png``)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.strip().lower() not in PLACEHOLDER_STEMS:
        return name
    extension = PASTED_EXTENSIONS.get(kind.lower(), extension.lower() or "bin")
    number = f"-{index + 1}" if index else ""
    return f"pasted-{when:%Y-%m-%d-%H%M}{number}.{extension}"


class Sharing:
    """The upload rows of this page, oldest first (whatever their channel).

    ``show(message)`` puts a finished file's message in the log (it also
    arrives as a ``message`` event; the log shows it once).
    """

    def __init__(self, alert: Alert, show: Callable[[Message], object]) -> None:
        self._alert = alert
        self._show = show
        self._rows: list[Upload] = []
        self._seq = 0

    @property
    def rows(self) -> list[Upload]:
        """Uploads in progress or failed (a copy)."""
        return list(self._rows)

    def get(self, key: str) -> Upload | None:
        """The upload with ``key``, if it is still shown."""
        return next((u for u in self._rows if u.key == key), None)

    def add(self, channel: str, name: str, kind: str, info: protocol.Upload) -> Upload:
        """Start showing an upload the server accepted."""
        self._seq += 1
        upload = Upload.begin(self._seq, channel, name, kind, info)
        self._rows.append(upload)
        return upload

    def remove(self, key: str) -> bool:
        """Stop showing an upload (done, cancelled or dismissed)."""
        before = len(self._rows)
        self._rows = [u for u in self._rows if u.key != key]
        return len(self._rows) != before

    # what happens --------------------------------------------------------------------

    def target(self, channel: str | None) -> str | None:
        """Files picked or dropped with ``channel`` open: where they go, or
        ``None`` (and the alert says to open a channel)."""
        if channel is None:
            self._alert.show(wording.drop_hint(None) + ".")
            return None
        self._alert.clear()
        return channel

    def started(self, channel: str, name: str, size: int, kind: str, ack: Ack) -> Upload | None:
        """The answer to announcing a file of ``size`` bytes: its row, or
        ``None`` and an alert (e.g. a file over the limit, refused before any
        byte went; or an answer for another size, which could only fail)."""
        info = accepted_upload(ack.data, size) if ack.ok else None
        if info is None:
            code, message = (ack.code, ack.message) if not ack.ok else (BAD_REPLY, "")
            self._alert.show(wording.share_refused_text(name, code, message))
            return None
        return self.add(channel, name, kind, info)

    def cancel(self, key: str) -> Upload | None:
        """ "Cancel" (while uploading) or "Dismiss" (once failed): the row
        goes, and so does the alert about it. Returns the upload if the glue
        has something to stop: abort the request in flight and ``DELETE``
        what arrived."""
        upload = self.get(key)
        if upload is None:
            return None
        if upload.failed:
            self._alert.clear_if(upload.failure_text)
        self.remove(key)
        return upload if upload.cancel() else None

    def retry(self, key: str) -> Upload | None:
        """ "Retry" on a failed upload: the upload to drive on from
        ``Step.CHECK``, or ``None`` if retrying cannot help."""
        upload = self.get(key)
        if upload is None or not upload.can_retry:
            return None
        self._alert.clear_if(upload.failure_text)
        upload.retry()
        return upload

    def finished(self, upload: Upload) -> bool:
        """The upload loop ended. Done: the row goes and the file message
        joins the log. Failed: the alert says why and the row stays, offering
        Retry/Dismiss. ``True`` if something visible changed."""
        if upload.status is UploadStatus.DONE:
            self.remove(upload.key)
            if upload.message is not None:
                self._show(upload.message)
            return True
        if upload.failed:
            self._alert.show(upload.failure_text)
            return True
        return False
