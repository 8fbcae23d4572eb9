"""Accessibility: axe-core finds no serious or critical violation on the main
screens, in the light and the dark colour scheme, and (issue 12) on the page
while Python loads and on a 375x667 phone.

axe-core is a pinned dev dependency of the front end (``frontend/package.json``,
installed by ``npm ci``) and is never served: the test evaluates its source in
the page through Playwright (DevTools evaluation is not subject to the page's
Content-Security-Policy, which forbids inline scripts). Violations of lesser
impact are printed, not failed.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from pictures import png
from playwright.sync_api import Page, expect

AXE = Path(__file__).resolve().parents[1] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
UPLOAD_TIMEOUT_MS = 60_000

# What axe found, reduced to what a person fixing it needs.
RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
    }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in frontend/ (axe-core is a dev dependency)")
    return AXE.read_text(encoding="utf-8")


def audit(page: Page, axe_source: str, screen: str) -> list[dict[str, Any]]:
    """Run axe on the page as it is; print every violation, return the serious
    and critical ones."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    assert page.evaluate("() => typeof window.axe?.run === 'function'"), "axe-core did not load"
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    print(f"\naxe on {screen}: {len(violations)} violation(s)")
    for violation in violations:
        print(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            print(f"      {node['target']}")
    return [v for v in violations if v["impact"] in SEVERE]


def remembered(url: str, name: str, channel: str, failed_text: str) -> dict[str, Any]:
    """A browser that has been here before: its name, its channel, and one
    message the server never confirmed (shown as "Not sent")."""
    outbox = [
        {
            "client_id": str(uuid.uuid4()),
            "channel": channel,
            "text": failed_text,
            "failed": "The server did not answer in time.",
        }
    ]
    storage = [
        {"name": "flack.name", "value": name},
        {"name": "flack.channel", "value": channel},
        {"name": "flack.outbox", "value": json.dumps(outbox)},
    ]
    return {"cookies": [], "origins": [{"origin": url.rstrip("/"), "localStorage": storage}]}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_screens_have_no_serious_or_critical_violations(
    person, names, server_url: str, tmp_path: Path, axe_source: str, scheme: str
) -> None:
    severe: dict[str, list[dict[str, Any]]] = {}

    # A first visit: the name dialog is open.
    alice = person(color_scheme=scheme)
    expect(alice.dialog).to_be_visible()
    assert alice.page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    severe["first visit, name dialog"] = audit(alice.page, axe_source, f"the name dialog ({scheme})")
    alice.take_name(names("Alice"))

    # Somebody else's name: the dialog says why, in its alert.
    bob_name = names("Bob")
    taker = person(color_scheme=scheme)
    assert alice.name is not None
    taker.claim(alice.name.upper())
    expect(taker.dialog_alert).to_be_visible()
    severe["name dialog with an error"] = audit(
        taker.page, axe_source, f"the name dialog with an error ({scheme})"
    )
    taker.take_name(names("Taker"))

    # The chat: a channel open, messages from two people, an image, a
    # message that was not sent, and an error alert.
    room = names("Room")
    alice.create_channel(room)
    alice.open_channel(room)
    alice.send("Morning! The sunrise picture is below.")
    picture = tmp_path / "sunrise.png"
    picture.write_bytes(png(96, 64))
    alice.page.get_by_label("Share a file").set_input_files(picture)
    expect(alice.log.get_by_role("img", name="sunrise.png")).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)

    bob = person(color_scheme=scheme, storage_state=remembered(server_url, bob_name, room, "Was this sent?"))
    bob.expect_open(room)
    preview = bob.log.get_by_role("img", name="sunrise.png")
    expect(preview).to_be_visible()
    bob.page.wait_for_function("img => img.complete && img.naturalWidth === 96", arg=preview.element_handle())
    expect(bob.article("Was this sent?")).to_contain_text("Not sent")
    bob.send("Lovely colours.")
    expect(alice.article("Lovely colours.")).to_be_visible()
    bob.create_channel("no <markup> here")
    expect(bob.alert).to_be_visible()

    severe["chat, as the one with an error and a failed message"] = audit(
        bob.page, axe_source, f"the chat with an alert and a failed message ({scheme})"
    )
    severe["chat, as the one who shared the image"] = audit(alice.page, axe_source, f"the chat ({scheme})")

    found = {screen: violations for screen, violations in severe.items() if violations}
    assert found == {}, json.dumps(found, indent=2)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_loading_and_phone_screens_have_no_serious_or_critical_violations(
    person, names, server_url: str, axe_source: str, scheme: str
) -> None:
    """Issue 12's screens: the page while Python loads (every control inert),
    and the chat on a 375x667 phone with several refusals in the alert."""
    severe: dict[str, list[dict[str, Any]]] = {}

    loading = person(boot=False, color_scheme=scheme)
    held: list[Any] = []
    loading.page.route("**/vendor/pyodide/*/pyodide.mjs", lambda route: held.append(route))
    with loading.page.expect_request("**/vendor/pyodide/*/pyodide.mjs"):
        loading.page.goto(loading.url, wait_until="commit")
    expect(loading.page.get_by_role("button", name="Create channel")).to_be_disabled()
    severe["loading"] = audit(loading.page, axe_source, f"the page while loading ({scheme})")

    phone = person(names("Pat"), color_scheme=scheme, viewport={"width": 375, "height": 667})
    rooms = [names("Phone") for _ in range(3)]
    for room in rooms:
        phone.create_channel(room)
        phone.expect_open(room)
    phone.send("Hello from a small screen.")
    for room in rooms[:2]:
        phone.create_channel(room.upper())  # already there: a refusal line each
    expect(phone.alert.locator("p")).to_have_count(2)
    severe["phone, chat with refusals"] = audit(phone.page, axe_source, f"the chat on a phone ({scheme})")

    found = {screen: violations for screen, violations in severe.items() if violations}
    assert found == {}, json.dumps(found, indent=2)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_team_conversation_screens_have_no_serious_or_critical_violations(
    person, names, axe_source: str, scheme: str
) -> None:
    """Issue 14's screens: a direct conversation open (with a reaction, an
    edited message and a thread's reply count), the thread panel, the emoji
    picker, the edit box and the delete dialog; the thread on a phone too."""
    severe: dict[str, list[dict[str, Any]]] = {}
    alice = person(names("Alice"), color_scheme=scheme)
    bob = person(names("Bob"), color_scheme=scheme, viewport={"width": 375, "height": 667})
    assert alice.name is not None and bob.name is not None

    alice.page.get_by_role("navigation", name="People").get_by_role("button", name=bob.name).click()
    expect(alice.heading(bob.name)).to_be_visible()
    alice.send("A question for you, **in private**.")
    alice.send("Second thoughts")
    mine = alice.article("A question for you")
    mine.hover()
    mine.get_by_role("button", name="Add reaction").click()
    picker = alice.page.get_by_role("dialog", name="Pick a reaction")
    expect(picker).to_be_visible()
    severe["picker open"] = audit(alice.page, axe_source, f"the emoji picker ({scheme})")
    picker.get_by_role("button", name="🎉", exact=True).click()
    expect(mine.get_by_role("button", name="🎉 1", exact=True)).to_be_visible()

    later = alice.article("Second thoughts")
    later.hover()
    later.get_by_role("button", name="Edit message").click()
    expect(alice.log.get_by_role("textbox", name="Edit message")).to_be_focused()
    severe["edit box open"] = audit(alice.page, axe_source, f"the edit box ({scheme})")
    alice.log.get_by_role("textbox", name="Edit message").fill("Second thoughts, edited")
    alice.log.get_by_role("textbox", name="Edit message").press("Enter")
    expect(alice.article("Second thoughts, edited")).to_contain_text("edited")

    later = alice.article("Second thoughts, edited")
    later.hover()
    later.get_by_role("button", name="Delete message").click()
    expect(alice.page.get_by_role("dialog", name="Delete this message?")).to_be_visible()
    severe["delete dialog"] = audit(alice.page, axe_source, f"the delete dialog ({scheme})")
    alice.page.get_by_role("button", name="Cancel").click()

    # Bob, on a phone: the conversation, then its thread over it.
    dm = bob.page.get_by_role("navigation", name="Direct messages").get_by_role("link", name=alice.name)
    dm.click()
    expect(bob.article("A question for you")).to_be_visible()
    # Issue 15: Alice types (long enough for a typing event to pass the 3 s
    # limits), so Bob's screen has the typing line beside People's presence.
    alice.composer.press_sequentially("Typing, slowly", delay=250)
    expect(bob.page.get_by_role("main").get_by_role("status")).to_have_text(f"{alice.name} is typing…")
    bob_people = bob.page.get_by_role("navigation", name="People")
    expect(bob_people.get_by_role("button", name=f"{alice.name}, online")).to_have_count(1)
    screen = f"a direct conversation on a phone, with presence and typing ({scheme})"
    severe["direct conversation on a phone"] = audit(bob.page, axe_source, screen)
    bob.article("A question for you").get_by_role("button", name="Reply in thread").click()
    reply = bob.page.get_by_role("textbox", name="Reply", exact=True)
    reply.fill("Sure, ask away.")
    reply.press("Enter")
    thread = bob.page.get_by_role("complementary", name="Thread")
    expect(thread.get_by_role("article")).to_have_count(2)
    # Confirmed (a pending message is drawn faded, as in the log, where the
    # other screens wait for it too).
    expect(thread.get_by_text("Sending…")).to_have_count(0)
    severe["thread on a phone"] = audit(bob.page, axe_source, f"the thread on a phone ({scheme})")

    expect(mine.get_by_role("button", name="1 reply")).to_be_visible()
    mine.get_by_role("button", name="1 reply").click()
    expect(alice.page.get_by_role("complementary", name="Thread").get_by_role("article")).to_have_count(2)
    severe["direct conversation with its thread"] = audit(alice.page, axe_source, f"the thread ({scheme})")

    found = {screen: violations for screen, violations in severe.items() if violations}
    assert found == {}, json.dumps(found, indent=2)
