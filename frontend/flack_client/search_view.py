"""Drawing issue 15's search: the "Search messages" box, the "Search results"
region, and the found message in its conversation.

The box is in the top bar; the results region comes right after it in the
page (so that Tab goes from the box to the results) and sits above the
conversation, which stays in view under it: choosing a result opens its
conversation there. Each result is an ``article`` that is focusable and
chosen with a click, Enter or Space; the arrow keys move between results,
Escape closes the search. Matches are ``<mark>`` elements made with
``createElement`` and filled with ``textContent``: nothing anyone wrote is
parsed as HTML. Every sentence comes from ``wording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from flack.protocol import Message
from flack_client import wording
from flack_client.checks import is_send_key
from flack_client.log_view import element, time_element
from flack_client.search import Piece, SearchState, is_search_shortcut
from flack_client.state import ChatState

# The found message is scrolled to the middle of its log (it has messages
# around it worth reading), and focused without a second jump.
_CENTER = js.JSON.parse('{"block": "center"}')
_NO_SCROLL = js.JSON.parse('{"preventScroll": true}')
_NEAREST = js.JSON.parse('{"block": "nearest"}')
# Where a message found from the search is: the channel's log, or a thread's.
_LOGS = {False: "messages", True: "thread-log"}


class SearchActions(Protocol):
    """What the search asks the application to do."""

    def search(self, raw: str) -> None: ...
    def close_search(self) -> None: ...
    def choose_result(self, index: int) -> None: ...


def _pieces_into(parent: Any, pieces: list[Piece]) -> None:
    for piece in pieces:
        if piece.marked:
            parent.append(element("mark", "", piece.text))
        else:
            parent.append(piece.text)  # a string appended is a text node, never markup


def _result_node(message: Message, index: int, search: SearchState, state: ChatState) -> Any:
    """One result: its conversation, sender and time, then its text (and
    its file's name) with the matches marked."""
    article = element("article", "search-result")
    article.tabIndex = 0
    article.dataset.index = str(index)
    meta = element("header", "search-result__meta")
    where = state.where(message.channel)
    meta.append(element("span", "search-result__where", where))
    meta.append(element("span", "search-result__sender", message.sender))
    when = time_element(message.time)
    meta.append(when)
    article.append(meta)
    article.setAttribute("aria-label", wording.search_result_label(where, message.sender, when.textContent))
    if message.text:
        text = element("p", "search-result__text")
        _pieces_into(text, search.text_of(message))
        article.append(text)
    if message.file is not None:
        file = element("p", "search-result__file")
        _pieces_into(file, search.file_name_of(message))
        article.append(file)
    return article


class SearchView:
    """The search box, the results region and the found message's highlight."""

    def __init__(self) -> None:
        by_id = js.document.getElementById
        self.box = by_id("search-input")
        self.region = by_id("search")
        self.summary = by_id("search-summary")
        self.close_button = by_id("search-close")
        self.list = by_id("search-results")
        self._proxies: list[Any] = []
        self._drawn: list[Message] | None = None  # the results list drawn (by identity)
        self._summary_shown = ""
        self._found: Any = None  # the message highlighted in its log

    def _listen(self, target: Any, event: str, callback: Callable[[Any], None]) -> None:
        # Kept for the page's lifetime, like the rest of the page's handlers.
        proxy = create_proxy(callback)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def bind(self, app: SearchActions) -> None:
        """The box's keys, "Close search", and choosing a result."""

        def on_box_key(event: Any) -> None:
            key = event.key
            if is_send_key(key, bool(event.shiftKey), bool(event.isComposing)):
                event.preventDefault()
                app.search(str(self.box.value))
            elif key == "Escape":
                # Chromium would only empty the box; the search closes too.
                event.preventDefault()
                app.close_search()
            elif key == "ArrowDown" and self.list.firstElementChild:
                event.preventDefault()
                self.list.firstElementChild.focus()

        def on_result_click(event: Any) -> None:
            article = event.target.closest("article[data-index]")
            if article:
                app.choose_result(int(article.dataset.index))

        def on_result_key(event: Any) -> None:
            article = event.target
            if event.key == "Escape":
                event.preventDefault()
                app.close_search()
                return
            if not article.matches("article[data-index]"):
                return
            if event.key in ("Enter", " "):
                event.preventDefault()  # Space would scroll the list
                app.choose_result(int(article.dataset.index))
            elif event.key in ("ArrowDown", "ArrowUp"):
                event.preventDefault()
                near = (
                    article.nextElementSibling if event.key == "ArrowDown" else article.previousElementSibling
                )
                if near:
                    near.focus()
                    near.scrollIntoView(_NEAREST)
                elif event.key == "ArrowUp":
                    self.box.focus()

        def on_close(_event: Any) -> None:
            app.close_search()

        def on_page_key(event: Any) -> None:
            shortcut = is_search_shortcut(
                str(event.key),
                bool(event.ctrlKey),
                bool(event.metaKey),
                bool(event.altKey),
                bool(event.shiftKey),
            )
            if shortcut and not self.box.readOnly:
                event.preventDefault()  # Chromium's own Ctrl+K searches the web
                self.box.focus()
                self.box.select()

        self._listen(self.box, "keydown", on_box_key)
        self._listen(self.list, "click", on_result_click)
        self._listen(self.region, "keydown", on_result_key)
        self._listen(self.close_button, "click", on_close)
        self._listen(js.document, "keydown", on_page_key)

    def set_ready(self) -> None:
        """The client is up: the box can be used (it starts inert, like the
        page's other controls)."""
        self.box.readOnly = False
        self.box.removeAttribute("aria-disabled")
        self.box.placeholder = wording.SEARCH_PLACEHOLDER

    def focus_box(self) -> None:
        """The cursor back in the search box (after "Close search")."""
        self.box.focus()

    def clear_box(self) -> None:
        """Empty the box (the search was closed)."""
        self.box.value = ""

    def render(self, search: SearchState, state: ChatState) -> None:
        """Show ``search``: the region, its summary line and the results."""
        self.region.hidden = not search.open
        if search.error is not None:
            self.box.setAttribute("aria-invalid", "true")
        else:
            self.box.removeAttribute("aria-invalid")
        summary = search.summary
        if summary != self._summary_shown:
            # Only a change is written: each write is announced.
            self._summary_shown = summary
            self.summary.textContent = summary
        if search.results is not self._drawn:
            self._drawn = search.results
            nodes = [_result_node(m, i, search, state) for i, m in enumerate(search.results)]
            self.list.replaceChildren(*nodes)
            self.list.scrollTop = 0
        for node, message in zip(self.list.children, search.results, strict=False):
            if search.is_chosen(message):
                node.setAttribute("aria-current", "true")
            else:
                node.removeAttribute("aria-current")

    def reveal(self, mid: int, in_thread: bool) -> bool:
        """Scroll message ``mid`` into view in its log (the channel's, or
        the open thread's), highlight it and put the focus on it (so the
        keyboard goes on from there). ``False`` if it is not there."""
        self.unmark()
        log = js.document.getElementById(_LOGS[in_thread])
        found = log.querySelector(f'article[data-id="{mid}"]') if log else None
        if not found:
            return False
        found.dataset.found = "true"
        # Focusable from script only: it is not a stop for Tab.
        found.setAttribute("tabindex", "-1")
        found.scrollIntoView(_CENTER)
        found.focus(_NO_SCROLL)
        self._found = found
        return True

    def unmark(self) -> None:
        """No message highlighted any more."""
        if self._found is not None:
            self._found.removeAttribute("data-found")
            self._found = None
