"""Searching the messages the server keeps: an index of their words.

Why an index: a search looks through every conversation a person is in,
and at the server's limits (1,000 channels × 100 messages) reading 100,000
texts per search is ~0.1 s of Python. The index keeps, for each word (as
``protocol.words_of`` reads words), the messages it stands in, and a sorted
vocabulary, so a query word finds the words it starts by bisection. Each
message has a number in the order of its time, so "newest first" is the
largest numbers first: plain integers, sorted in C, with no key function.
It is derived state, kept up to date by the core as messages come, change
and go. Plain Python, no I/O.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Iterator

from flack.core.models import Message
from flack.protocol import SearchQuery, fold, words_of

Where = tuple[str, int]  # (conversation key, message id)


class SearchIndex:
    """Words of kept, undeleted messages -> where they are."""

    def __init__(self) -> None:
        self._postings: dict[str, set[int]] = {}  # word -> message numbers
        self._vocabulary: list[str] = []  # the words of _postings, sorted
        self._numbers: dict[Where, int] = {}  # a message keeps its number through edits
        self._entries: dict[int, tuple[str, Message]] = {}  # number -> (key, message)
        self._by_conversation: dict[str, set[int]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: str, message: Message) -> None:
        """Index ``message`` of conversation ``key`` as it is now (a deleted
        one is taken out). A new message is numbered after every other, so
        messages must first be put in the order of their time (``build``)."""
        where = (key, message.id)
        number = self._numbers.get(where)
        if number is not None:
            self._unindex(number)
        if message.deleted:
            self._numbers.pop(where, None)
            return
        if number is None:
            number = self._numbers[where] = self._next
            self._next += 1
        self._entries[number] = (key, message)
        self._by_conversation.setdefault(key, set()).add(number)
        for word in _words(message):
            postings = self._postings.get(word)
            if postings is None:
                postings = self._postings[word] = set()
                insort(self._vocabulary, word)
            postings.add(number)

    def remove(self, key: str, message_id: int) -> None:
        """Forget a message (it left the history)."""
        number = self._numbers.pop((key, message_id), None)
        if number is not None:
            self._unindex(number)

    def _unindex(self, number: int) -> None:
        key, message = self._entries.pop(number)
        numbers = self._by_conversation[key]
        numbers.discard(number)
        if not numbers:
            del self._by_conversation[key]
        for word in _words(message):
            postings = self._postings[word]
            postings.discard(number)
            if not postings:
                del self._postings[word]
                del self._vocabulary[bisect_left(self._vocabulary, word)]

    def _starting(self, prefix: str) -> Iterator[str]:
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
        allowed: set[int] | None = None
        if sum(len(self._by_conversation.get(key, ())) for key in keys) < len(self._entries) // 4:
            # Few conversations (an in:, or a person in few): start from theirs.
            allowed = set().union(*(self._by_conversation.get(key, ()) for key in keys))
        found = allowed
        for word in query.words:
            places: set[int] = set().union(*(self._postings[w] for w in self._starting(word)))
            found = places if found is None else found & places
            if not found:
                return [], False
        if found is None:  # only from:, over many conversations
            found = set().union(*(self._by_conversation.get(key, ()) for key in keys))
        sender = fold(query.sender) if query.sender else None
        results: list[Message] = []
        for number in sorted(found, reverse=True):
            key, message = self._entries[number]
            if allowed is None and key not in keys:
                continue
            if sender is not None and message.sender_id not in senders and fold(message.sender) != sender:
                continue
            if len(results) == limit:
                return results, True
            results.append(message)
        return results, False


def _words(message: Message) -> set[str]:
    """What a message is found by: its text's words, and a shared file's name's."""
    words = set(words_of(message.text))
    if message.file is not None:
        words |= set(words_of(message.file.name))
    return words


def in_time_order(histories: Iterable[tuple[str, list[Message]]]) -> list[tuple[str, Message]]:
    """Every message of these conversations' histories, oldest first (the
    order ``SearchIndex.put`` numbers them in)."""
    everything = [(key, message) for key, messages in histories for message in messages]
    everything.sort(key=lambda item: (item[1].time, item[0], item[1].id))
    return everything
