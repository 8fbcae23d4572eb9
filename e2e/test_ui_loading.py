"""No lost input while loading (issue 12): until the Python client is ready
every control is inert and says so, and no form ever submits natively.

Pressing Enter in "New channel" while Pyodide was still loading used to
submit the form natively (``GET /?channel=…``): the page reloaded and the
text was gone. The interpreter is held back here with a Playwright route, so
"while loading" lasts exactly as long as the test needs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Request, Route, expect

INTERPRETER = "**/vendor/pyodide/*/pyodide.mjs"
LOADING = "Loading…"

# Every form of the page submitted natively, bypassing any submit listener
# (``form.submit()`` fires no "submit" event): what Enter or a click on a
# submit button does when nothing prevents it.
SUBMIT_EVERY_FORM = """() => {
    for (const form of document.forms) form.submit();
    return document.forms.length;
}"""
# The page's forms: the name dialog, "New channel", the composer, and since
# issue 14 the thread's "Reply", the delete dialog and the "New group" dialog.
FORMS = 6


def test_enter_while_loading_neither_reloads_nor_loses_anything(person, names):
    someone = person(boot=False)
    page = someone.page
    held: list[Route] = []
    page.route(INTERPRETER, lambda route: held.append(route))
    asked: list[str] = []  # every request that carried a query (a native GET submission would)

    def on_request(request: Request) -> None:
        if urlsplit(request.url).query and request.resource_type == "document":
            asked.append(request.url)

    page.on("request", on_request)
    with page.expect_request(INTERPRETER):
        page.goto(someone.url, wait_until="commit")
    # The same document from here on: a reload or a navigation would lose this.
    page.wait_for_function("() => document.readyState !== 'loading'")
    page.evaluate("() => { window.flackTestMarker = 'same page'; }")

    # While loading: every control inert, and saying so.
    new_channel = page.get_by_role("textbox", name="New channel")
    composer = someone.composer
    expect(someone.status).to_have_text(LOADING)
    search = page.get_by_role("searchbox", name="Search messages")  # issue 15
    for box in (new_channel, composer, search):
        expect(box).to_be_disabled()  # aria-disabled: announced as unavailable
        expect(box).to_have_attribute("placeholder", LOADING)
        expect(box).to_have_attribute("readonly", "")
    for button in ("Create channel", "Send", "Change name"):
        expect(page.get_by_role("button", name=button)).to_be_disabled()

    # Typing and Enter: refused (nothing typed), and nothing submitted.
    new_channel.focus()
    page.keyboard.type("before-ready")
    page.keyboard.press("Enter")
    expect(new_channel).to_have_value("")
    composer.focus()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(composer).to_have_value("")
    assert page.evaluate(SUBMIT_EVERY_FORM) == FORMS

    # Python may start now. Once it is ready (seconds later, a barrier behind
    # any navigation those key presses or submissions could have started),
    # this is still the same page, at the same address, and nothing asked
    # for /?channel=…
    assert len(held) == 1  # the interpreter, held all along
    held[0].continue_()
    page.unroute(INTERPRETER)
    someone.wait_ready()
    assert page.evaluate("() => window.flackTestMarker") == "same page"
    assert page.url.rstrip("/") == someone.url.rstrip("/")
    assert asked == []

    # Ready: alive, with the usual hints, and the refused text did not sneak in.
    someone.take_name(names("Early"))
    expect(new_channel).to_be_enabled()
    expect(new_channel).to_have_attribute("placeholder", "e.g. random")
    expect(new_channel).to_have_value("")
    expect(page.get_by_role("button", name="Change name")).to_be_enabled()
    expect(page.get_by_role("button", name="Create channel")).to_be_enabled()
    expect(search).to_be_enabled()
    expect(search).to_have_attribute("placeholder", "Search messages")


def test_no_form_submits_natively_once_ready_either(person, names, seeder, server_url):
    """Even with the client running, a native submission (one that bypasses
    its listeners) goes nowhere and keeps what was typed."""
    alice = person(names("Alice"))
    room = names("Kept")
    alice.create_channel(room)
    alice.expect_open(room)
    page = alice.page
    page.evaluate("() => { window.flackTestMarker = 'same page'; }")
    new_channel = page.get_by_role("textbox", name="New channel")
    new_channel.fill("typed-not-sent")
    alice.composer.fill("a draft")

    assert page.evaluate(SUBMIT_EVERY_FORM) == FORMS

    # A channel created by someone else, shown live, is the barrier: a
    # navigation begun by the submissions would have replaced the page by then.
    later = names("Later")
    seeder(server_url, names("Seeder"), later, [])
    expect(alice.channel_button(later)).to_be_visible()
    assert page.evaluate("() => window.flackTestMarker") == "same page"
    expect(new_channel).to_have_value("typed-not-sent")
    expect(alice.composer).to_have_value("a draft")
    alice.expect_open(room)
