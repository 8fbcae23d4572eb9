"""Search (issue 15, item 5): the query, its answer, and each result's text
with the matches marked.

The page asks the server (``search``) and shows what it answers, newest
first. The query is read here with the protocol's own ``parse_query``, so a
query the server would refuse is refused at once in the same words, and the
words that are marked in a result are the very words the server matched
(in the text as the log shows it, without formatting marks):
each query word marks the start of every word of the text that begins with
it, compared as ``words_of`` compares them (Unicode case folding, so
``strasse`` marks the ``Straß`` of ``Straße``). One search at a time: an
answer to an older one is dropped. Results are what the server said when
asked (a message edited since shows its old text until the next search).

Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, Message, ProtocolError, Search, SearchResults, parse_query
from flack_client import wording
from flack_client.richtext import parse, visible_text

# A long message is shown as a window of about this many characters around
# its first match (its conversation shows it whole).
SNIPPET_CHARS: Final = 240
# How much of the window goes before the first match.
SNIPPET_LEAD: Final = 60
# Words as ``protocol.words_of`` reads them (runs of letters, digits, "_").
_WORD: Final = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of a result's text: ``marked`` if it is a match."""

    text: str
    marked: bool = False


def _prefix_length(word: str, start: str) -> int:
    """How many characters of ``word`` make up the case-folded ``start``
    (folding may change lengths: ``ß`` folds to ``ss``)."""
    for length in range(1, len(word) + 1):
        if len(word[:length].casefold()) >= len(start):
            return length
    return len(word)


def match_spans(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``text`` matches: for every word of it that begins with one of
    ``words`` (case-folded, as ``parse_query`` gives them), the span of that
    beginning; the longest one when several words match it."""
    spans = []
    for found in _WORD.finditer(text):
        folded = found.group().casefold()
        starts = [w for w in words if w and folded.startswith(w)]
        if starts:
            length = max(_prefix_length(found.group(), w) for w in starts)
            spans.append((found.start(), found.start() + length))
    return spans


def marked(text: str, words: Sequence[str]) -> list[Piece]:
    """``text`` as pieces, its matches marked (see ``match_spans``)."""
    return _pieces(text, match_spans(text, words), 0, len(text))


def _pieces(text: str, spans: list[tuple[int, int]], begin: int, end: int) -> list[Piece]:
    pieces = []
    at = begin
    for start, stop in spans:
        start, stop = max(start, begin), min(stop, end)
        if stop <= start:
            continue
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:stop], marked=True))
        at = stop
    if at < end:
        pieces.append(Piece(text[at:end]))
    return pieces


def snippet(text: str, words: Sequence[str], limit: int = SNIPPET_CHARS) -> list[Piece]:
    """``text`` marked as ``marked`` does; a text longer than ``limit`` is
    cut to a window around its first match, at spaces where it can be,
    with ``…`` where it was cut."""
    spans = match_spans(text, words)
    if len(text) <= limit:
        return _pieces(text, spans, 0, len(text))
    first = spans[0][0] if spans else 0
    begin = max(0, first - SNIPPET_LEAD)
    if begin:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and first - space < limit else begin
    end = min(len(text), begin + limit)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > first else end
    pieces = _pieces(text, spans, begin, end)
    if begin:
        pieces.insert(0, Piece("…"))
    if end < len(text):
        pieces.append(Piece("…"))
    return pieces


def is_search_shortcut(key: str, ctrl: bool, meta: bool, alt: bool, shift: bool) -> bool:
    """Whether a key press is "go to the search box": Ctrl+K (Cmd+K on a
    Mac), as in Slack; from anywhere in the page, the composer included."""
    return key.lower() == "k" and (ctrl or meta) and not alt and not shift


class Phase(Enum):
    """Where the search is: closed, waiting for an answer, showing one, or
    saying why there is none."""

    CLOSED = "closed"
    SEARCHING = "searching"
    SHOWN = "shown"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Asked:
    """A search on its way: its number (only the latest answer counts) and its request."""

    number: int
    request: Search


class SearchState:
    """The search the page shows. What it holds is for reading; only its
    methods change it."""

    def __init__(self) -> None:
        self.phase = Phase.CLOSED
        self.query = ""
        self.words: tuple[str, ...] = ()  # the query's words, as the server reads them
        self.results: list[Message] = []
        self.more = False
        self.error: str | None = None
        # The message last opened from the results, as (conversation, id).
        self.chosen: tuple[str, int] | None = None
        # Set when the chosen message is no longer where the results said.
        self.gone = False
        self._asked = 0

    @property
    def open(self) -> bool:
        """Whether the results region is shown."""
        return self.phase is not Phase.CLOSED

    def typed(self, raw: str) -> Asked | None:
        """Enter in the search box: the request to send, or ``None`` when the
        query is one the server would refuse (``error`` says why, in its
        words) or blank (nothing happens)."""
        if not raw.strip():
            return None
        self._asked += 1
        self.query, self.results, self.more, self.chosen, self.gone = raw, [], False, None, False
        try:
            self.words = parse_query(raw).words
        except ProtocolError as refused:
            self.words, self.phase, self.error = (), Phase.FAILED, refused.message
            return None
        self.phase, self.error = Phase.SEARCHING, None
        return Asked(self._asked, Search(raw))

    def answered(self, asked: Asked, ack: Ack) -> bool:
        """The server's answer to ``asked``; ``False`` if it is stale (a newer
        search was made, or the search was closed, meanwhile)."""
        if asked.number != self._asked or self.phase is not Phase.SEARCHING:
            return False
        found = protocol.read(SearchResults, ack.data) if ack.ok else None
        if found is None:
            failure = ack if not ack.ok else Ack.failure(BAD_REPLY)
            self.phase, self.error = Phase.FAILED, wording.describe_error(failure.code, failure.message)
            return True
        self.phase, self.results, self.more = Phase.SHOWN, list(found.results), found.more
        return True

    def close(self) -> bool:
        """ "Close search" or Escape: ``True`` if it was open. An answer still
        on its way is dropped."""
        was = self.open
        self._asked += 1
        self.phase, self.query, self.words, self.results = Phase.CLOSED, "", (), []
        self.more, self.error, self.chosen, self.gone = False, None, None, False
        return was

    @property
    def summary(self) -> str:
        """The line above the results: searching, how many matched, or why
        nothing is shown."""
        if self.phase is Phase.SEARCHING:
            return wording.SEARCHING
        if self.phase is Phase.FAILED:
            return self.error or wording.GENERIC_ERROR
        if self.phase is Phase.CLOSED:
            return ""
        text = wording.search_summary(len(self.results), self.more)
        return f"{text} {wording.SEARCH_RESULT_GONE}" if self.gone else text

    def result(self, index: int) -> Message | None:
        """Result ``index`` (0: the newest), if shown."""
        return self.results[index] if self.open and 0 <= index < len(self.results) else None

    def choose(self, index: int) -> Message | None:
        """A result chosen (click, Enter or Space): the message to open, and
        from now on the one the results show as chosen."""
        message = self.result(index)
        if message is not None:
            self.chosen, self.gone = (message.channel, message.id), False
        return message

    def is_chosen(self, message: Message) -> bool:
        """Whether ``message`` is the result opened last."""
        return self.chosen == (message.channel, message.id)

    def not_found(self, message: Message) -> bool:
        """The conversation opened without ``message`` in it (deleted since):
        the summary says so. ``True`` if it is still the chosen one."""
        if not self.is_chosen(message):
            return False
        self.gone = True
        return True

    def text_of(self, message: Message) -> list[Piece]:
        """A result's text as a reader sees it (without the ``**`` and
        backticks of its formatting, which are no words), matches marked, a
        long one cut around its first."""
        return snippet(visible_text(parse(message.text)), self.words)

    def file_name_of(self, message: Message) -> list[Piece]:
        """A result's file name, matches marked (``[]`` without a file): a
        file's name is searched too."""
        return [] if message.file is None else marked(message.file.name, self.words)
