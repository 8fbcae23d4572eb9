"""Search in the client (issue 15, item 5), under CPython: which parts of a
result's text are marked (and that the page marks exactly what the server's
index matched), long texts cut around their first match, and the search's
life: a query refused at once in the server's words, the answer's summary,
answers that arrive too late, and the result last opened."""

from __future__ import annotations

import re

import pytest

from flack.core.search import SearchIndex
from flack.protocol import (
    BAD_REPLY,
    SEARCH_QUERY_MAX,
    SEARCH_RESULTS_MAX,
    SEARCH_WORDS_MAX,
    Ack,
    ErrorCode,
    File,
    Message,
    ProtocolError,
    Search,
    parse_query,
)
from flack_client import wording
from flack_client.search import (
    SNIPPET_CHARS,
    Phase,
    Piece,
    SearchState,
    is_search_shortcut,
    marked,
    snippet,
)

TIME = "2026-11-30T10:00:00.000Z"


def message(mid: int, text: str, channel: str = "general", file: File | None = None) -> Message:
    return Message(mid, channel, "Ada", text, TIME, file=file)


def shown(pieces: list[Piece]) -> str:
    """Pieces as text, the marked ones in [brackets]."""
    return "".join(f"[{p.text}]" if p.marked else p.text for p in pieces)


def words(query: str) -> tuple[str, ...]:
    return parse_query(query).words


def results_ack(messages: list[Message], more: bool = False) -> Ack:
    return Ack(ok=True, data={"results": [m.to_wire() for m in messages], "more": more})


# --- marking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("Lunch at noon?", "lunch", "[Lunch] at noon?"),
        ("lunchtime is late", "lunch", "[lunch]time is late"),
        # A word's middle is no match (the server matches starts of words).
        ("after-lunch, unlunched", "lunch", "after-[lunch], unlunched"),
        ("LUNCH and Lunch and lunch", "lunch", "[LUNCH] and [Lunch] and [lunch]"),
        # Unicode case folding, as the server compares: ß folds to ss.
        ("Die Straße ist lang", "STRASSE", "Die [Straße] ist lang"),
        ("Die Straße ist lang", "strass", "Die [Straß]e ist lang"),
        ("Ελληνικά ΣΟΦΙΑ", "σοφ", "Ελληνικά [ΣΟΦ]ΙΑ"),
        # Several words: each marks where it starts a word; the longer one wins.
        ("big meeting at the bigger room", "big bigg", "[big] meeting at the [bigg]er room"),
        ("see you at the café", "cafe", "see you at the café"),  # é is not e
        # from: and in: are no words to mark.
        ("lunch from the kitchen", "from:ada in:general lunch", "[lunch] from the kitchen"),
        ("nothing here", "from:ada", "nothing here"),
        ("under_score and under", "under", "[under]_score and [under]"),
    ],
)
def test_the_start_of_every_word_a_query_word_starts_is_marked(text: str, query: str, expected: str) -> None:
    pieces = marked(text, words(query))
    assert shown(pieces) == expected
    assert "".join(p.text for p in pieces) == text  # nothing lost or added


def test_the_page_marks_exactly_what_the_servers_index_matched() -> None:
    # The server's own index (core/search.py) decides what matches; every
    # result must show each query word marked (in its text or its file's
    # name), and every message left out must lack a mark for one of them.
    texts = [
        "Lunch at noon?",
        "lunchtime is late",
        "the unlunched masses",
        "Die Straße ist lang",
        "STRASSENBAHN fährt",
        "Ελληνικά ΣΟΦΙΑ σοφία",
        "report_final v2",
        "Quarterly report: numbers are in",
        "",
        "números y NÚMEROS",
        "ﬁle ligatures fold to fi",
        "**Lunch** at _noon_, see `report.txt` or https://example.org/lunch",
    ]
    files = [None] * len(texts)
    files[8] = File("f1", "Report-2026.pdf", 10, "application/pdf", "/files/f1/Report-2026.pdf")
    index = SearchIndex()
    messages = [message(i + 1, text, file=files[i]) for i, text in enumerate(texts)]
    for item in messages:
        index.put("general", item)
    queries = [
        "lunch",
        "strasse",
        "straß",
        "σοφ",
        "report",
        "report numbers",
        "núm",
        "fi",
        "2026",
        "la",
        "v2 report",
    ]
    for query in queries:
        found, _ = index.search(parse_query(query), {"general"}, set(), SEARCH_RESULTS_MAX)
        state = SearchState()
        state.typed(query)
        for item in messages:
            marks = []
            for pieces in (state.text_of(item), state.file_name_of(item)):
                before = ""
                for piece in pieces:
                    if piece.marked:
                        # A mark starts a word, and it is a query word's start.
                        assert not re.match(r"\w", before[-1:]), (query, item.text)
                        assert any(piece.text.casefold().startswith(w) for w in state.words)
                        marks.append(piece.text.casefold())
                    before += piece.text
            each = all(any(m.startswith(w) for m in marks) for w in state.words)
            assert each == (item in found), (query, item.text)


def test_a_long_text_is_cut_around_its_first_match() -> None:
    before = " ".join(f"word{i}" for i in range(80))  # ~550 characters
    after = " ".join(f"more{i}" for i in range(80))
    text = f"{before} the Lunch is here {after}"
    pieces = snippet(text, words("lunch"))
    visible = "".join(p.text for p in pieces)
    assert pieces[0] == Piece("…") and pieces[-1] == Piece("…")
    assert "[Lunch]" in shown(pieces)
    assert len(visible) <= SNIPPET_CHARS + 2
    # Cut at spaces: whole words at both ends.
    inner = visible[1:-1]
    assert (
        inner == inner.strip() and inner.split()[0] in before.split() and inner.split()[-1] in after.split()
    )


def test_a_long_text_without_a_match_in_it_shows_its_beginning() -> None:
    text = "x" * 1000  # a from: search: nothing to mark
    pieces = snippet(text, ())
    assert pieces[0].text.startswith("xxx") and pieces[-1] == Piece("…")


def test_a_result_shows_its_text_without_formatting_marks() -> None:
    state = SearchState()
    state.typed("lunch")
    assert shown(state.text_of(message(1, "**Lunch** at `lunch_box()`"))) == "[Lunch] at [lunch]_box()"


def test_a_short_text_is_shown_whole() -> None:
    assert shown(snippet("Lunch?", words("lunch"))) == "[Lunch]?"


# --- the search's life --------------------------------------------------------------------


def test_a_blank_query_does_nothing() -> None:
    state = SearchState()
    assert state.typed("   ") is None
    assert state.phase is Phase.CLOSED and not state.open


@pytest.mark.parametrize(
    "query",
    ["x" * (SEARCH_QUERY_MAX + 1), " ".join(f"w{i}" for i in range(SEARCH_WORDS_MAX + 1)), "!!! ???", "?!"],
)
def test_a_query_the_server_would_refuse_is_refused_at_once_in_its_words(query: str) -> None:
    with pytest.raises(ProtocolError) as server:
        parse_query(query)
    state = SearchState()
    assert state.typed(query) is None
    assert state.phase is Phase.FAILED and state.open
    assert state.summary == state.error == server.value.message


def test_a_search_goes_out_and_its_answer_is_shown() -> None:
    state = SearchState()
    asked = state.typed("lunch from:ada")
    assert asked is not None and asked.request == Search("lunch from:ada")
    assert state.phase is Phase.SEARCHING and state.summary == wording.SEARCHING
    found = [message(3, "lunch?"), message(1, "Lunch!", channel="random")]
    assert state.answered(asked, results_ack(found))
    assert state.phase is Phase.SHOWN and state.results == found
    assert state.summary == "2 messages match."
    assert state.result(1) == found[1] and state.result(2) is None


@pytest.mark.parametrize(
    ("count", "more", "summary"),
    [
        (0, False, "No messages match."),
        (1, False, "1 message matches."),
        (7, False, "7 messages match."),
        (SEARCH_RESULTS_MAX, True, f"Showing the newest {SEARCH_RESULTS_MAX} matches."),
    ],
)
def test_the_summary_says_how_many_matched(count: int, more: bool, summary: str) -> None:
    state = SearchState()
    asked = state.typed("lunch")
    assert asked is not None
    state.answered(asked, results_ack([message(i + 1, "lunch") for i in range(count)], more))
    assert state.summary == summary


def test_only_the_latest_search_is_answered() -> None:
    state = SearchState()
    first = state.typed("lunch")
    second = state.typed("dinner")
    assert first is not None and second is not None
    assert not state.answered(first, results_ack([message(1, "lunch")]))
    assert state.phase is Phase.SEARCHING
    assert state.answered(second, results_ack([message(2, "dinner")]))
    assert [m.text for m in state.results] == ["dinner"] and state.words == ("dinner",)


def test_an_answer_after_closing_is_dropped() -> None:
    state = SearchState()
    asked = state.typed("lunch")
    assert asked is not None
    assert state.close()
    assert not state.answered(asked, results_ack([message(1, "lunch")]))
    assert not state.open and state.results == [] and state.summary == ""
    assert not state.close()  # closed already


@pytest.mark.parametrize(
    ("ack", "said"),
    [
        (
            Ack.failure(ErrorCode.SEARCH_INVALID, "Search for at most 10 words at once."),
            "Search for at most 10 words at once.",
        ),
        (Ack.failure(ErrorCode.NOT_NAMED), wording.describe_error(ErrorCode.NOT_NAMED)),
        (Ack.failure(wording.TIMEOUT), wording.CLIENT_SENTENCES[wording.TIMEOUT]),
        (Ack(ok=True, data={"results": "nope"}), wording.CLIENT_SENTENCES[BAD_REPLY]),
    ],
)
def test_a_failed_search_says_why_in_words(ack: Ack, said: str) -> None:
    state = SearchState()
    asked = state.typed("lunch")
    assert asked is not None
    assert state.answered(asked, ack)
    assert state.phase is Phase.FAILED and state.summary == said and said


def test_the_result_opened_last_is_the_chosen_one_until_the_next_search() -> None:
    state = SearchState()
    asked = state.typed("lunch")
    assert asked is not None
    found = [message(3, "lunch?"), message(3, "lunch!", channel="random")]  # same id, two conversations
    state.answered(asked, results_ack(found))
    assert state.choose(1) == found[1]
    assert state.is_chosen(found[1]) and not state.is_chosen(found[0])
    assert state.choose(5) is None and state.is_chosen(found[1])
    # Opened, and not there any more (deleted since): the summary says so.
    assert state.not_found(found[1])
    assert state.summary == f"2 messages match. {wording.SEARCH_RESULT_GONE}"
    assert not state.not_found(found[0])  # not the chosen one: nothing to say
    state.typed("dinner")
    assert not state.is_chosen(found[1]) and not state.gone


def test_results_mark_file_names_too() -> None:
    file = File("f1", "Lunch-menu.pdf", 10, "application/pdf", "/files/f1/Lunch-menu.pdf")
    state = SearchState()
    state.typed("menu")
    assert shown(state.file_name_of(message(1, "", file=file))) == "Lunch-[menu].pdf"
    assert state.file_name_of(message(2, "no file")) == []


@pytest.mark.parametrize(
    ("key", "ctrl", "meta", "alt", "shift", "goes"),
    [
        ("k", True, False, False, False, True),  # Ctrl+K
        ("K", True, False, False, False, True),  # with Caps Lock
        ("k", False, True, False, False, True),  # Cmd+K on a Mac
        ("k", False, False, False, False, False),  # typing a "k"
        ("k", True, False, True, False, False),  # Ctrl+Alt+K: AltGr on some layouts
        ("k", True, False, False, True, False),
        ("j", True, False, False, False, False),
    ],
)
def test_ctrl_k_goes_to_the_search_box(
    key: str, ctrl: bool, meta: bool, alt: bool, shift: bool, goes: bool
) -> None:
    assert is_search_shortcut(key, ctrl, meta, alt, shift) is goes
