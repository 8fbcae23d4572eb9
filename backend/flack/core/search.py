"""Searching the messages the server keeps: an index of their words.

Why an index: a search looks through every conversation a person is in,
and at the server's limits (1,000 channels × 100 messages) reading 100,000
texts per search is ~0.1 s of Python. The index keeps, for each word (as
``protocol.words_of`` reads words), where it stands, and a sorted vocabulary,
so a query word finds the words it starts by bisection. It is derived state:
built from the backend's histories at the first search, then kept up to date
by the core as messages come, change and go. Plain Python, no I/O.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Collection, Iterable

from flack.core.models import Message
from flack.protocol import SearchQuery, fold, words_of

Where = tuple[str, int]  # (conversation key, message id)


class SearchIndex:
    """Words of kept, undeleted messages -> where they are."""

    def __init__(self) -> None:
        self._postings: dict[str, set[Where]] = {}
        self._vocabulary: list[str] = []  # the words of _postings, sorted
        self._messages: dict[Where, Message] = {}
        self._by_conversation: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._messages)

    def put(self, key: str, message: Message) -> None:
        """Index ``message`` of conversation ``key`` as it is now (a deleted
        one is taken out)."""
        self.remove(key, message.id)
        if message.deleted:
            return
        where = (key, message.id)
        self._messages[where] = message
        self._by_conversation.setdefault(key, set()).add(message.id)
        for word in set(words_of(message.text)) | self._file_words(message):
            postings = self._postings.get(word)
            if postings is None:
                postings = self._postings[word] = set()
                insort(self._vocabulary, word)
            postings.add(where)

    def remove(self, key: str, message_id: int) -> None:
        """Forget a message (it left the history, or was deleted)."""
        where = (key, message_id)
        message = self._messages.pop(where, None)
        if message is None:
            return
        ids = self._by_conversation.get(key)
        if ids is not None:
            ids.discard(message_id)
            if not ids:
                del self._by_conversation[key]
        for word in set(words_of(message.text)) | self._file_words(message):
            postings = self._postings.get(word)
            if postings is None:
                continue
            postings.discard(where)
            if not postings:
                del self._postings[word]
                del self._vocabulary[bisect_left(self._vocabulary, word)]

    @staticmethod
    def _file_words(message: Message) -> set[str]:
        # A shared file is found by its name.
        return set(words_of(message.file.name)) if message.file is not None else set()

    def _starting(self, prefix: str) -> Iterable[str]:
        """The indexed words that start with ``prefix``."""
        at = bisect_left(self._vocabulary, prefix)
        while at < len(self._vocabulary) and self._vocabulary[at].startswith(prefix):
            yield self._vocabulary[at]
            at += 1

    def search(
        self, query: SearchQuery, keys: Collection[str], senders: Collection[str], limit: int
    ) -> tuple[list[Message], bool]:
        """The newest ``limit`` messages of the conversations ``keys`` that
        match ``query`` — every word starts a word of the message; the
        sender, if asked, is one of ``senders`` (person ids) or has that
        name — and whether there were more."""
        found: set[Where] | None = None
        for word in query.words:
            places: set[Where] = set()
            for indexed in self._starting(word):
                places |= self._postings[indexed]
            found = places if found is None else found & places
            if not found:
                return [], False
        if found is None:  # only from: and in:
            found = {(key, mid) for key in keys for mid in self._by_conversation.get(key, ())}
        sender = fold(query.sender) if query.sender else None
        matching = (
            self._messages[where]
            for where in found
            if where[0] in keys
            and (
                sender is None
                or self._messages[where].sender_id in senders
                or fold(self._messages[where].sender) == sender
            )
        )
        newest = heapq.nlargest(limit + 1, matching, key=lambda m: (m.time, m.id))
        return newest[:limit], len(newest) > limit
