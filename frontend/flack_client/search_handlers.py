"""Search (issue 15, item 5), for ``main.App``.

Enter in "Search messages" sends ``search`` (unless the query is one the
server would refuse: ``search.SearchState`` says why at once); its answer
fills "Search results". Choosing a result opens its conversation (joining
it, as a click in the list would, unless it is open already), then its
thread if the message is a reply there, and shows the message: scrolled
to, highlighted and focused. The results stay until "Close search",
Escape, or the next search. A mixin of ``App`` (``main.py``), kept apart
so that neither module grows too long to read.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from flack.protocol import Event, Message
from flack_client.net import Socket
from flack_client.search import Asked, SearchState
from flack_client.search_view import SearchView
from flack_client.state import ChatState
from flack_client.view import View


class SearchHandlers:
    """The search box and its results (mixed into ``App``)."""

    state: ChatState
    view: View
    socket: Socket
    search_state: SearchState
    search_view: SearchView
    # Bumped on every result chosen: opening an older one stops quietly.
    _choice = 0

    if TYPE_CHECKING:  # App's own

        def render(self) -> None: ...
        def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None: ...
        async def _join(self, channel: str, restoring: bool = False) -> None: ...

    def bind_search(self) -> None:
        """Make the search's state and view and bind the page's controls."""
        self.search_state = SearchState()
        self.search_view = SearchView()
        self.search_view.bind(self)

    def search_ready(self) -> None:
        """The client is up: the search box comes alive."""
        self.search_view.set_ready()

    def _draw_search(self) -> None:
        self.search_view.render(self.search_state, self.state)

    def search(self, raw: str) -> None:
        """Enter in "Search messages"."""
        asked = self.search_state.typed(raw)
        self.search_view.unmark()
        self._draw_search()
        if asked is not None:
            self._spawn(self._search(asked))

    async def _search(self, asked: Asked) -> None:
        ack = await self.socket.call(Event.SEARCH, asked.request)
        if self.search_state.answered(asked, ack):
            self._draw_search()

    def close_search(self) -> None:
        """ "Close search", or Escape in the box or the results: the cursor
        goes back to the (emptied) box."""
        self._choice += 1
        self.search_state.close()
        self.search_view.unmark()
        self.search_view.clear_box()
        self._draw_search()
        self.search_view.focus_box()

    def choose_result(self, index: int) -> None:
        """A result clicked, or Enter or Space on it."""
        message = self.search_state.choose(index)
        if message is None:
            return
        self._choice += 1
        self._draw_search()
        self._spawn(self._open_result(message, self._choice))

    async def _open_result(self, message: Message, choice: int) -> None:
        channel = message.channel
        if (not self.state.is_open(channel) or self.state.joining is not None) and self.state.select_channel(
            channel
        ):
            self.render()
            await self._join(channel)
        if choice != self._choice or not self.state.is_open(channel):
            return  # another result was chosen meanwhile, or the join failed (the alert says why)
        in_thread = False
        if self.state.message_log.get(message.id) is None and self.state.open_thread(message.id):
            # A reply: its thread opens, and it is shown there.
            self.render()
            in_thread = True
        if not self.search_view.reveal(message.id, in_thread):
            if self.search_state.not_found(message):
                self._draw_search()
        elif not in_thread:
            # Read where it is now, not when the scroll event comes: a preview
            # loading meanwhile must not pull the log back to the newest.
            self.view.log_view.at_bottom = self.view.log_view.reading_newest()
