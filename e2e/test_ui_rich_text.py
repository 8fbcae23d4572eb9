"""Rich text (issue 14, item 5): formatting people expect from a team chat,
built from DOM nodes by the client (flack_client/richtext.py, log_view.py),
and no way for anyone's text to become markup, a script or a link to
anything but http(s)."""

from __future__ import annotations

from playwright.sync_api import expect

RICH = (
    "**Deploy** is *done*, see `make ship` and https://example.org/notes.\n"
    "> quoted _line_\n"
    "```\n"
    "<img src=x onerror=alert(1)> **not bold**\n"
    "```\n"
    "ping @channel — javascript:alert(2) stays text"
)


def test_formatting_is_shown_to_everyone_and_nothing_becomes_markup(person, names):
    ada, bob = person(names("Ada")), person(names("Bob"))
    room = names("Rich")
    ada.create_channel(room)
    ada.expect_open(room)
    bob.open_channel(room)
    ada.send(RICH)
    for viewer in (ada, bob):
        article = viewer.log.get_by_role("article").filter(has_text="Deploy")
        expect(article).to_have_count(1)
        expect(article.locator("strong")).to_have_text("Deploy")
        expect(article.locator("em").first).to_have_text("done")
        expect(article.locator("p code")).to_have_text("make ship")
        expect(article.locator("blockquote")).to_contain_text("quoted line")
        expect(article.locator("blockquote em")).to_have_text("line")
        # The code block keeps its text exactly, markers and tags included.
        expect(article.locator("pre code")).to_have_text("<img src=x onerror=alert(1)> **not bold**")
        expect(article.locator(".mention")).to_have_text("@channel")
        # One link, to the http(s) address only, opening safely in a new tab.
        link = article.get_by_role("link")
        expect(link).to_have_count(1)
        expect(link).to_have_text("https://example.org/notes")
        expect(link).to_have_attribute("href", "https://example.org/notes")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(article).to_contain_text("javascript:alert(2) stays text")
        expect(viewer.log.locator("img, script, b")).to_have_count(0)
        expect(viewer.page.locator("img")).to_have_count(0)
    # The test's watcher fails it on any JS dialog or page error; say it too.
    assert ada.watch.dialogs == [] and bob.watch.dialogs == []


def test_a_pending_message_is_formatted_as_it_will_be(person, names):
    """The sender's copy looks the same before the server confirms it."""
    ada = person(names("Ada"))
    room = names("Pending")
    ada.create_channel(room)
    ada.expect_open(room)
    ada.send("plain then **strong**")
    expect(ada.log.locator("article strong")).to_have_text("strong")
