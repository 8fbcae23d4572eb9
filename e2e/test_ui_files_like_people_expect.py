"""Files like people expect (issue 12): upload progress that moves within a
4 MiB chunk, an image preview that opens large (mouse and keyboard, focus
back where it was, axe-clean), and an image pasted into the message box
shared with the channel."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from pictures import png
from playwright.sync_api import Page, expect

MB = 1024 * 1024
UPLOAD_TIMEOUT_MS = 120_000
AXE = Path(__file__).resolve().parents[1] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CLIPBOARD = ["clipboard-read", "clipboard-write"]
PASTED = re.compile(r"^pasted-\d{4}-\d{2}-\d{2}-\d{4}\.png$")


def pair(person: Any, names: Any, **options: Any) -> tuple[Any, Any, str]:
    """Alice and Bob in a new channel of Alice's."""
    alice, bob = person(names("Alice"), **options), person(names("Bob"))
    room = names("Files")
    alice.create_channel(room)
    alice.expect_open(room)
    bob.open_channel(room)
    return alice, bob, room


def loaded(page: Page, image: Any, width: int) -> None:
    """Wait until ``image`` has really loaded, ``width`` pixels wide."""
    page.wait_for_function(
        "([img, w]) => img.complete && img.naturalWidth === w", arg=[image.element_handle(), width]
    )


# --- progress within a chunk ---------------------------------------------------------------


def test_progress_moves_within_a_chunk(person, names, tmp_path):
    """A 6 MB upload over a link throttled to 1.5 MB/s (Chromium's own
    network emulation, through the DevTools protocol) shows progress before
    the first 4 MiB chunk is answered: at least two different values between
    0 and 66 % (4 MiB of 6). It only goes forward, the row names bytes, and
    the file arrives intact. (How often the bar is redrawn is the throttle's
    business, tested in tests/client: Chromium's emulated link hands the
    upload its bytes in 100 ms steps, so it cannot tell here.)"""
    alice, bob, _room = pair(person, names)
    devtools = alice.context.new_cdp_session(alice.page)
    devtools.send("Network.enable")
    devtools.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1.5 * MB},
    )
    alice.page.evaluate(
        """() => {
            window.__progress = [];
            new MutationObserver((changes) => {
                for (const change of changes) {
                    const bar = change.target;
                    if (bar.getAttribute('role') !== 'progressbar') continue;
                    window.__progress.push({
                        now: Number(bar.getAttribute('aria-valuenow')),
                        text: bar.getAttribute('aria-valuetext'),
                    });
                }
            }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['aria-valuenow']});
        }"""
    )
    original = tmp_path / "slow-ride.bin"
    original.write_bytes(os.urandom(6 * MB))
    alice.page.get_by_label("Share a file").set_input_files(original)
    bar = alice.page.get_by_role("progressbar", name=f"Uploading {original.name}")
    expect(bar).to_be_visible()
    # Two values inside the first chunk (only progress events can make them),
    # or the upload is over without them.
    alice.page.wait_for_function(
        """() => new Set(window.__progress.map(p => p.now).filter(v => v > 0 && v < 66)).size >= 2
            || !document.querySelector('[role="progressbar"]')""",
        timeout=UPLOAD_TIMEOUT_MS,
    )
    link = bob.log.get_by_role("link", name=original.name, exact=True)
    expect(link).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    expect(bar).to_have_count(0)

    seen: list[dict[str, Any]] = alice.page.evaluate("window.__progress")
    values = [p["now"] for p in seen]
    assert len({v for v in values if 0 < v < 66}) >= 2, f"no progress within the first chunk: {values}"
    assert values == sorted(values), f"progress went backwards: {values}"
    within = [p["text"] for p in seen if 0 < p["now"] < 66]
    assert all(re.fullmatch(r"[\d.]+ (bytes|KB|MB) of 6 MB \(\d+%\)", text) for text in within), within

    with bob.page.expect_download(timeout=UPLOAD_TIMEOUT_MS) as started:
        link.click()
    path = started.value.path()
    assert path is not None
    assert hashlib.sha256(Path(path).read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()


# --- the image viewer --------------------------------------------------------------------------


def axe_severe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is (its
    source is evaluated through DevTools, as in test_accessibility.py)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in frontend/")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(" "))}))"""
    )
    return found


def test_a_preview_opens_large_and_closes_by_mouse_and_keyboard(person, names, tmp_path):
    """Bob clicks Alice's picture: a dialog "Image: harbour.png" shows it
    larger than the preview, with Close focused and a Download link to the
    original bytes. Escape closes it and focus is back on the preview; Enter
    and Space on the preview open it, Close and a click beside the image
    close it. axe finds nothing serious with it open, light or dark."""
    alice, bob, _room = pair(person, names)
    picture = tmp_path / "harbour.png"
    picture.write_bytes(png(640, 400))
    alice.page.get_by_label("Share a file").set_input_files(picture)

    preview = bob.log.get_by_role("button", name="View harbour.png larger")
    expect(preview).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    inline = bob.log.get_by_role("img", name="harbour.png")  # the image keeps its own name
    loaded(bob.page, inline, 640)
    viewer = bob.page.get_by_role("dialog", name="Image: harbour.png")
    close = viewer.get_by_role("button", name="Close")
    expect(viewer).to_have_count(0)

    preview.click()
    expect(viewer).to_be_visible()
    expect(close).to_be_focused()
    large = viewer.get_by_role("img", name="harbour.png")
    loaded(bob.page, large, 640)
    large_box, small_box = large.bounding_box(), inline.bounding_box()
    assert large_box is not None and small_box is not None
    assert large_box["width"] > small_box["width"], (large_box, small_box)
    expect(viewer.get_by_role("heading", name="harbour.png")).to_be_visible()
    bob.page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(preview).to_be_focused()

    bob.page.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    expect(close).to_be_focused()
    close.click()
    expect(viewer).to_be_hidden()
    expect(preview).to_be_focused()

    bob.page.keyboard.press(" ")
    expect(viewer).to_be_visible()
    severe = {"light": axe_severe(bob.page)}
    bob.page.emulate_media(color_scheme="dark")
    severe["dark"] = axe_severe(bob.page)
    assert severe == {"light": [], "dark": []}, json.dumps(severe, indent=2)
    with bob.page.expect_download(timeout=UPLOAD_TIMEOUT_MS) as started:
        viewer.get_by_role("link", name="Download harbour.png").click()
    saved = started.value
    path = saved.path()
    assert path is not None and saved.suggested_filename == "harbour.png"
    assert Path(path).read_bytes() == picture.read_bytes()
    expect(viewer).to_be_visible()  # downloading leaves it open

    box = viewer.bounding_box()
    assert box is not None
    bob.page.mouse.click(box["x"] + 8, box["y"] + box["height"] - 8)  # beside the image
    expect(viewer).to_be_hidden()
    expect(preview).to_be_focused()


# --- pasting into the message box ------------------------------------------------------------


PASTE = """([kind, name, b64, text]) => {
    const data = new DataTransfer();
    if (b64 !== null) {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        data.items.add(new File([bytes], name, {type: kind}));
    }
    if (text !== null) data.setData("text/plain", text);
    const box = document.querySelector("#message-input");
    const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
    box.dispatchEvent(event);
    return event.defaultPrevented;
}"""


# Records every text the page sends to the server (socket.io over a
# websocket or long-polling), in order: what was announced, and when.
RECORD_SENT = """() => {
    window.__sent = [];
    const record = (data) => { if (typeof data === "string") window.__sent.push(data); };
    const ws = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) { record(data); return ws.call(this, data); };
    const xhr = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (data) { record(data); return xhr.call(this, data); };
    const fetch = window.fetch;
    window.fetch = function (url, options) {
        record(options && options.body);
        return fetch.apply(this, arguments);
    };
}"""


def test_pasting_an_image_into_the_message_box_shares_it(person, names):
    """Alice copies a picture and presses Ctrl+V in the message box: Bob gets
    it as a file named pasted-<date>-<time>.png, previewed, and the text
    Alice had typed stays. A pasted file with a name keeps it. Text pastes
    as text, even with a picture next to it, and shares nothing."""
    alice, bob, _room = pair(person, names, permissions=CLIPBOARD)
    alice.page.evaluate(RECORD_SENT)
    picture = base64.b64encode(png(120, 80)).decode()
    alice.page.evaluate(
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const blob = new Blob([bytes], {type: "image/png"});
            await navigator.clipboard.write([new ClipboardItem({"image/png": blob})]);
        }""",
        picture,
    )
    alice.composer.fill("draft, not sent yet")
    alice.composer.press("ControlOrMeta+V")

    pasted = bob.log.get_by_role("link", name=PASTED)
    expect(pasted).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    name = pasted.text_content()
    assert name is not None
    loaded(bob.page, bob.log.get_by_role("img", name=name), 120)
    expect(bob.article(name)).to_contain_text(alice.name)
    expect(alice.composer).to_have_value("draft, not sent yet")

    # A pasted file that has a name of its own keeps it.
    prevented = alice.page.evaluate(PASTE, ["image/png", "whiteboard.png", picture, None])
    assert prevented is True
    expect(bob.log.get_by_role("link", name="whiteboard.png", exact=True)).to_be_visible(
        timeout=UPLOAD_TIMEOUT_MS
    )

    # Text with a picture beside it (a spreadsheet's cells) is left to the
    # browser: nothing prevented, nothing shared.
    prevented = alice.page.evaluate(PASTE, ["image/png", "cells.png", picture, "A1\tB1"])
    assert prevented is False
    # And a real paste of text inserts it, as ever.
    alice.composer.fill("")
    alice.page.evaluate("() => navigator.clipboard.writeText('pasted words')")
    alice.composer.press("ControlOrMeta+V")
    expect(alice.composer).to_have_value("pasted words")
    alice.composer.press("Enter")
    expect(bob.article("pasted words")).to_be_visible()
    # The message is a barrier: a share starts with start_upload, which the
    # page would have sent before it.
    sent: list[str] = alice.page.evaluate("window.__sent")
    announced = [frame for frame in sent if '"start_upload"' in frame]
    assert len(announced) == 2, announced
    assert "whiteboard.png" in announced[1]
    assert any('"pasted words"' in frame for frame in sent)
    assert not any("cells.png" in frame for frame in sent)
    expect(bob.log.get_by_role("link", name="cells.png")).to_have_count(0)
