"""Sharing files: picked or dropped, uploaded over HTTP with a progress bar,
downloaded intact by the others, previewed if they are images, refused over
the limit, cancelled, retried, and marked once the server deleted them."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pictures import png
from playwright.sync_api import Page, Request, Route, expect

from flack.testing import running_server

MB = 1024 * 1024
UPLOAD_TIMEOUT_MS = 120_000

# A server whose limits are small enough to reach: files up to 1 MB, and 2 MB
# of files in all (so the oldest are deleted to make room).
SMALL_LIMITS = {"FLACK_LOG_LEVEL": "warning", "FLACK_MAX_FILE_MB": "1", "FLACK_FILES_TOTAL_MB": "2"}


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    """This module's server with small file limits (shared by its tests)."""
    with running_server(SMALL_LIMITS) as url:
        yield url


# --- helpers -------------------------------------------------------------------------


def random_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def share(someone: Any, *files: Path | dict[str, Any]) -> None:
    """Pick files with "Share a file"."""
    someone.page.get_by_label("Share a file").set_input_files(list(files))


def file_link(someone: Any, name: str) -> Any:
    return someone.log.get_by_role("link", name=name, exact=True)


def download(someone: Any, name: str) -> tuple[str, bytes]:
    """Click the file's link: (suggested file name, bytes saved)."""
    with someone.page.expect_download(timeout=UPLOAD_TIMEOUT_MS) as started:
        file_link(someone, name).click()
    saved = started.value
    path = saved.path()
    assert path is not None, saved.failure()
    return saved.suggested_filename, Path(path).read_bytes()


def record_progress(page: Page) -> None:
    """Record every value any progress bar takes (a MutationObserver never
    misses one, however fast the upload)."""
    page.evaluate(
        """() => {
            window.__progress = [];
            new MutationObserver((changes) => {
                for (const change of changes) {
                    if (change.target.getAttribute('role') === 'progressbar') {
                        window.__progress.push(change.target.getAttribute('aria-valuenow'));
                    }
                }
            }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['aria-valuenow']});
        }"""
    )


def requests_to_uploads(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}") if "/uploads/" in r.url else None)
    return seen


def pair(person: Any, names: Any, **kwargs: Any) -> tuple[Any, Any, str]:
    """Alice and Bob in a new channel of Alice's."""
    alice, bob = person(names("Alice"), **kwargs), person(names("Bob"), **kwargs)
    room = names("Files")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)
    return alice, bob, room


# --- tests ------------------------------------------------------------------------------


def test_files_are_shared_with_progress_and_downloaded_intact(person, names, tmp_path):
    """A shares a 1 MB and a 50 MB file. The 50 MB upload shows a progress bar
    whose value moves; B sees both as file messages (name, size, A as the
    sender) and downloads each byte for byte under its original name."""
    alice, bob, _room = pair(person, names)
    small = random_file(tmp_path, "quarterly report.bin", 1 * MB)
    big = random_file(tmp_path, "big-data.bin", 50 * MB)

    share(alice, small)
    expect(file_link(bob, small.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    article = bob.article(small.name)
    expect(article).to_contain_text(alice.name)
    expect(article).to_contain_text("1 MB")
    expect(article.locator("time")).to_have_attribute("datetime", re.compile(r"Z$"))
    expect(file_link(alice, small.name)).to_have_count(1)  # reply and event: shown once

    record_progress(alice.page)
    share(alice, big)
    bar = alice.page.get_by_role("progressbar", name=f"Uploading {big.name}")
    expect(bar).to_have_attribute("aria-valuemin", "0")
    expect(bar).to_have_attribute("aria-valuemax", "100")
    expect(alice.page.get_by_role("button", name=re.compile("Cancel"))).to_be_visible()
    expect(file_link(bob, big.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    expect(bar).to_have_count(0)  # the row goes once the file is shared
    values = [int(v) for v in alice.page.evaluate("window.__progress")]
    below_100 = {v for v in values if v < 100}
    assert len(below_100) >= 2, f"the progress bar did not move: {values}"
    assert values == sorted(values), f"progress went backwards: {values}"
    expect(bob.article(big.name)).to_contain_text("50 MB")

    for original in (small, big):
        suggested, data = download(bob, original.name)
        assert suggested == original.name
        assert len(data) == original.stat().st_size
        assert sha256(data) == sha256(original.read_bytes())


def test_images_are_previewed_inline_for_everybody(person, names, tmp_path):
    """A PNG shows an image preview (alt text = its name) that really loaded,
    for B live and for C who opens the channel later (from history). A file
    that merely claims to be an image gets no preview."""
    alice, bob, room = pair(person, names)
    picture = tmp_path / "sunset.png"
    picture.write_bytes(png(96, 64))
    share(alice, picture)

    preview = bob.log.get_by_role("img", name="sunset.png")
    expect(preview).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    bob.page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=preview.element_handle())
    expect(file_link(bob, "sunset.png")).to_be_visible()
    expect(bob.article("sunset.png")).to_contain_text("image/png")

    fake = {"name": "not-really.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)>"}
    share(alice, fake)
    expect(file_link(bob, "not-really.png")).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    expect(bob.article("not-really.png").get_by_role("img")).to_have_count(0)

    carol = person(names("Carol"))
    carol.open_channel(room)
    later = carol.log.get_by_role("img", name="sunset.png")
    expect(later).to_be_visible()
    carol.page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=later.element_handle())


def test_file_names_with_markup_are_shown_literally(person, names):
    """A file name full of markup is its link's text, nothing more."""
    alice, bob, _room = pair(person, names)
    name = "<img src=x onerror=alert(1)><b>x<b>.txt"
    share(alice, {"name": name, "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"})
    for viewer in (alice, bob):
        link = file_link(viewer, name)
        expect(link).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
        expect(link).to_have_text(name)
        expect(viewer.log.locator("img, b, script")).to_have_count(0)
    _, data = download(bob, name)
    assert data == b"<script>alert(1)</script>"


def test_dropping_files_on_the_channel_shares_them(person, names):
    """Dragging files over the channel pane shows the drop highlight; dropping
    shares them like picking them does."""
    alice, bob, room = pair(person, names)
    drag = """([type, name]) => {
        const data = new DataTransfer();
        data.items.add(new File(["dropped " + name], name, {type: "text/plain"}));
        const log = document.querySelector('[role="log"]');
        log.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
    }"""
    alice.page.evaluate(drag, ["dragenter", "dropped.txt"])
    alice.page.evaluate(drag, ["dragover", "dropped.txt"])
    hint = alice.page.get_by_text(f"Drop to share in #{room}")
    expect(hint).to_be_visible()
    alice.page.evaluate(drag, ["drop", "dropped.txt"])
    expect(hint).to_be_hidden()
    expect(file_link(bob, "dropped.txt")).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    _, data = download(bob, "dropped.txt")
    assert data == b"dropped dropped.txt"


def test_cancel_stops_the_upload_and_deletes_it_on_the_server(person, names, tmp_path):
    """While a chunk is on its way, Cancel aborts it, removes the row and
    deletes the upload on the server; nobody gets a file message."""
    alice, bob, _room = pair(person, names)
    held: list[Route] = []
    deleted: list[int] = []

    def hold_puts(route: Route, request: Request) -> None:
        if request.method == "PUT":
            held.append(route)  # never answered: the chunk stays "in flight"
        else:
            response = route.fetch()
            if request.method == "DELETE":
                deleted.append(response.status)
            route.fulfill(response=response)

    alice.page.route("**/uploads/**", hold_puts)
    slow = random_file(tmp_path, "never-arrives.bin", 6 * MB)
    share(alice, slow)
    bar = alice.page.get_by_role("progressbar", name=f"Uploading {slow.name}")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    wait_until(alice.page, lambda: bool(held))  # the first chunk is in flight
    alice.page.get_by_role("button", name=re.compile("^Cancel")).click()
    expect(bar).to_have_count(0)
    wait_until(alice.page, lambda: bool(deleted))
    assert deleted == [200]  # the server still had it, and deleted it
    assert len(held) == 1  # nothing was sent after the Cancel
    alice.send("after the cancel")  # a sync point for Bob
    expect(bob.article("after the cancel")).to_be_visible()
    expect(file_link(bob, slow.name)).to_have_count(0)
    expect(alice.alert).to_have_count(0)


def wait_until(page: Page, condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """Wait for something Playwright's own handlers record (they run while
    the page is waited on)."""
    waited = 0
    while not condition():
        assert waited < timeout_ms, "timed out waiting"
        page.wait_for_timeout(50)
        waited += 50


def test_a_dropped_connection_is_retried_and_the_file_arrives_intact(person, names, tmp_path):
    """The network fails under the second chunk: the client asks the server
    where it stands and carries on; the file arrives byte for byte."""
    alice, bob, _room = pair(person, names)
    failures: list[str] = []

    def flaky(route: Route, request: Request) -> None:
        offset = request.headers.get("upload-offset")
        if request.method == "PUT" and offset not in (None, "0") and not failures:
            failures.append(offset)
            route.abort("connectionreset")
        else:
            route.continue_()

    alice.page.route("**/uploads/**", flaky)
    original = random_file(tmp_path, "bumpy-ride.bin", 9 * MB)
    share(alice, original)
    expect(file_link(bob, original.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    assert failures == [str(4 * MB)]
    _, data = download(bob, original.name)
    assert sha256(data) == sha256(original.read_bytes())


def test_a_failed_upload_can_be_retried_or_dismissed(person, names, tmp_path):
    """With the network down for good the upload fails after a few retries:
    the alert says so and the row offers Retry and Dismiss. Retry, once the
    network is back, finishes the upload. An upload the server forgot offers
    only Dismiss, which removes the row and the alert."""
    alice, bob, _room = pair(person, names)

    def down(route: Route, request: Request) -> None:
        if request.method in ("PUT", "GET"):
            route.abort("internetdisconnected")
        else:
            route.continue_()

    alice.page.route("**/uploads/**", down)
    original = random_file(tmp_path, "patience.bin", 5 * MB)
    share(alice, original)
    expect(alice.alert).to_contain_text(f"Upload of {original.name} failed", timeout=60_000)
    retry = alice.page.get_by_role("button", name=re.compile("^Retry"))
    dismiss = alice.page.get_by_role("button", name=re.compile("^Dismiss upload"))
    expect(retry).to_be_visible()
    expect(dismiss).to_be_visible()

    alice.page.unroute("**/uploads/**")
    retry.click()
    expect(alice.alert).to_have_count(0)
    expect(file_link(bob, original.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    _, data = download(bob, original.name)
    assert sha256(data) == sha256(original.read_bytes())
    expect(alice.page.get_by_role("progressbar")).to_have_count(0)

    # An upload the server forgot cannot be retried, only dismissed.
    def forgotten(route: Route, request: Request) -> None:
        if request.method == "PUT":
            body = '{"ok": false, "error": {"code": "upload_unknown", "message": "This upload is gone."}}'
            route.fulfill(status=404, content_type="application/json", body=body)
        else:
            route.continue_()

    alice.page.route("**/uploads/**", forgotten)
    second = random_file(tmp_path, "given-up.bin", 1 * MB)
    share(alice, second)
    expect(alice.alert).to_have_text(f"Upload of {second.name} failed: This upload is gone.")
    expect(alice.page.get_by_role("button", name=re.compile("^Retry"))).to_have_count(0)
    alice.page.get_by_role("button", name=re.compile("^Dismiss upload")).click()
    expect(alice.page.get_by_role("progressbar")).to_have_count(0)
    expect(alice.alert).to_have_count(0)
    expect(file_link(bob, second.name)).to_have_count(0)


def test_a_file_over_the_limit_is_refused_before_any_byte_is_sent(person, names, tmp_path, small_server):
    """On a server that takes files up to 1 MB, a 2 MB file gets an alert that
    states the limit; no byte goes out and nobody gets a message. A file just
    under the limit is fine."""
    alice, bob, _room = pair(person, names, url=small_server)
    uploads = requests_to_uploads(alice.page)
    big = random_file(tmp_path, "too-big.bin", 2 * MB)
    share(alice, big)
    expect(alice.alert).to_be_visible()
    expect(alice.alert).to_contain_text(big.name)
    expect(alice.alert).to_contain_text("1 MB")
    expect(alice.page.get_by_role("progressbar")).to_have_count(0)
    assert uploads == []

    fits = random_file(tmp_path, "fits.bin", 1 * MB - 1)
    share(alice, fits)
    expect(file_link(bob, fits.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    expect(bob.log).not_to_contain_text(big.name)
    assert any(u.startswith("PUT ") for u in uploads)


def test_the_oldest_files_expire_to_make_room(person, names, tmp_path, small_server):
    """The server keeps 2 MB of files: the third 0.8 MB file pushes out the
    first. Its message stays, marked "file expired", without a link."""
    alice, bob, _room = pair(person, names, url=small_server)
    files = [random_file(tmp_path, f"part-{i}.bin", 800 * 1024) for i in range(3)]
    for file in files[:2]:
        share(alice, file)
        expect(file_link(bob, file.name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    share(alice, files[2])
    expect(file_link(bob, files[2].name)).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)

    gone = bob.article(files[0].name)
    expect(gone).to_contain_text("file expired")
    expect(file_link(bob, files[0].name)).to_have_count(0)
    expect(file_link(alice, files[0].name)).to_have_count(0)
    expect(file_link(bob, files[1].name)).to_be_visible()
