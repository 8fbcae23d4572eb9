"""Search in the core: words, from:, in:, only the conversations one is in,
and the index following every change (plain pytest, the fake clock)."""

from __future__ import annotations

import asyncio

import pytest
from test_chat import make_chat

from fake_clock import Clock
from flack.core.chat import Chat
from flack.protocol import SEARCH_RESULTS_MAX, ErrorCode, ProtocolError, SearchQuery, parse_query


@pytest.fixture
async def chat(clock: Clock) -> Chat:
    chat = make_chat(clock)
    for sid, name in (("a", "Ada"), ("b", "Bea"), ("c", "Cy")):
        chat.connect(sid)
        await chat.claim_name(sid, name, None)
    await chat.create_channel("a", "general")
    for sid in ("a", "b"):
        await chat.join(sid, "general")
    return chat


def texts(found: tuple[list, bool]) -> list[str]:
    return [m.text for m in found[0]]


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("Lunch  lunch TODAY", SearchQuery(("lunch", "today"))),
        ("from:ada lunch", SearchQuery(("lunch",), sender="ada")),
        ('from:"Ada L" in:#general', SearchQuery((), sender="Ada L", channel="general")),
        ("in:General Straße", SearchQuery(("strasse",), channel="General")),
        ("from:@bea", SearchQuery((), sender="bea")),
    ],
)
def test_a_query_is_read_as_people_type_it(typed: str, query: SearchQuery) -> None:
    assert parse_query(typed) == query


@pytest.mark.parametrize("typed", ["", "   ", "x" * 201, " ".join(f"w{n}" for n in range(11)), 5])
def test_what_is_not_a_query(typed: object) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_query(typed)
    assert refused.value.code in (ErrorCode.SEARCH_INVALID, ErrorCode.BAD_PAYLOAD)


async def test_words_start_words_in_any_case_newest_first(chat: Chat, clock: Clock) -> None:
    for text in ("Lunch at noon?", "lunchtime!", "no lunch today", "dinner"):
        await chat.post("a", "general", text)
        clock.now += 1
    assert texts(await chat.search("b", "LUNCH")) == ["no lunch today", "lunchtime!", "Lunch at noon?"]
    assert texts(await chat.search("b", "lunch today")) == ["no lunch today"]
    assert texts(await chat.search("b", "unch")) == []  # words are found by their start
    assert texts(await chat.search("b", "breakfast")) == []


async def test_only_the_conversations_one_is_in_are_searched(chat: Chat, clock: Clock) -> None:
    await chat.post("a", "general", "secret plan")
    clock.now += 1
    direct, _ = await chat.open_direct("a", [chat.session("b").person])
    await chat.post("a", direct.id, "secret handshake")
    assert texts(await chat.search("b", "secret")) == ["secret handshake", "secret plan"]
    assert texts(await chat.search("c", "secret")) == []  # not in either
    await chat.join("c", "general")
    assert texts(await chat.search("c", "secret")) == ["secret plan"]
    await chat.leave("b", "general")
    assert texts(await chat.search("b", "secret")) == ["secret handshake"]


async def test_from_and_in_narrow_it_down(chat: Chat) -> None:
    await chat.create_channel("a", "random")
    await chat.join("a", "random")
    await chat.post("a", "general", "hello from ada")
    await chat.post("b", "general", "hello from bea")
    await chat.post("a", "random", "hello elsewhere")
    assert texts(await chat.search("a", "hello from:bea")) == ["hello from bea"]
    assert texts(await chat.search("a", "hello in:#random")) == ["hello elsewhere"]
    assert texts(await chat.search("a", "from:ADA in:general")) == ["hello from ada"]
    assert texts(await chat.search("b", "in:random")) == []  # Bea is not in #random


async def test_a_renamed_sender_is_found_by_the_name_they_have_now(chat: Chat) -> None:
    await chat.post("b", "general", "before")
    await chat.claim_name("b", "Beatrix", chat.session("b").token)
    await chat.post("b", "general", "after")
    assert texts(await chat.search("a", "from:beatrix")) == ["after", "before"]


async def test_the_index_follows_edits_deletions_and_the_history(chat: Chat, clock: Clock) -> None:
    first = (await chat.post("a", "general", "typo hapen")).message
    assert texts(await chat.search("b", "hapen")) == ["typo hapen"]  # the index is built now
    await chat.edit("a", "general", first.id, "typo happen")
    assert texts(await chat.search("b", "hapen")) == []
    assert texts(await chat.search("b", "happen")) == ["typo happen"]
    await chat.delete("a", "general", first.id)
    assert texts(await chat.search("b", "typo")) == []
    for n in range(101):  # the history keeps 100: the first of these leaves
        await chat.post("a", "general", f"filler {n}")
    found, more = await chat.search("b", "filler")
    assert len(found) == SEARCH_RESULTS_MAX and more
    assert texts(await chat.search("b", "filler 0")) == []  # "0" left with its message


async def test_changes_made_while_the_index_is_built_are_not_lost(chat: Chat, clock: Clock) -> None:
    """The index is built a slice at a time (the server keeps answering):
    what changes meanwhile is in it, as it is now, and nothing stale."""
    for n in range(25):  # 2,500 messages: the build yields along the way
        await chat.create_channel("a", f"room {n}")
        await chat.join("a", f"room {n}")
        for m in range(100):
            await chat.post("a", f"room {n}", f"word{m} filler")
    building = asyncio.create_task(chat.search("a", "word0"))
    await asyncio.sleep(0)  # the build has read every history and put the first slice
    await chat.edit("a", "room 24", 1, "edited meanwhile")
    for m in range(100):  # pushes room 24's first messages out of its history
        await chat.post("a", "room 24", f"newer{m}")
    found, _ = await building
    assert all(msg.channel != "room 24" for msg in found)  # its word0 left
    assert texts(await chat.search("a", "edited")) == []  # edited, then gone
    assert len((await chat.search("a", "newer99"))[0]) == 1
