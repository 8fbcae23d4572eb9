"""Read marks, unread counts and mentions in the core (issue 15, items 3
and 4): what a person has not read, what of it mentions them, kept per
person and conversation; and the one rule of what a mention is, under
Unicode case folding."""

from __future__ import annotations

import pytest
from test_chat import make_chat
from test_core_awareness import named

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.core.errors import NotInChannel, NotMember, RateLimited
from flack.core.limits import Limits
from flack.protocol import ReadState, mentions


@pytest.mark.parametrize(
    ("text", "name", "said"),
    [
        ("hi @Ada!", "Ada", True),
        ("hi @ada", "ADA", True),  # letter case is no difference
        ("@ＡＤＡ look", "Ada", True),  # full-width letters fold too
        ("@straße", "STRASSE", True),  # case folding changes the length
        ("@STRASSE", "Straße", True),
        ("@Ada Lovelace, see this", "Ada Lovelace", True),  # a name with a space
        ("@Ada L", "Ada Lovelace", False),
        ("hi @adam", "Ada", False),  # a longer word is someone else
        ("@ada_x", "Ada", False),
        ("@ada.", "Ada", True),  # the sentence's full stop
        ("write to ada@example.org", "Ada", False),  # an address
        ("`@ada` is how you mention", "Ada", False),  # inline code
        ("x\n```\n@ada\n```\n", "Ada", False),  # a fenced block
        ("```\ncode\n```\nthen @ada", "Ada", True),  # after the block
        ("see https://example.org/@ada", "Ada", False),  # a URL
        ("@channel lunch?", "Bob", True),
        ("@Channel.", "Bob", True),
        ("@channels", "Bob", False),
        ("no mention here", "Ada", False),
        ("@", "Ada", False),
        ("@\u0410da", "Ada", True),  # a Cyrillic look-alike is the same name
    ],
)
def test_what_mentions_whom(text: str, name: str, said: bool) -> None:
    assert mentions(text, name) is said


@pytest.fixture
def chat(clock: Clock) -> Chat:
    return make_chat(clock)


async def state(chat: Chat, sid: str, label: str) -> ReadState:
    found = [s for s in await chat.read_states(sid) if s.channel == label]
    assert len(found) == 1
    return found[0]


async def team(chat: Chat) -> tuple[str, str]:
    """Ada and Bob, both in #general."""
    ada = await named(chat, "a", "Ada")
    bob = await named(chat, "b", "Bob")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.join("b", "general")
    return ada, bob


async def test_others_messages_after_the_mark_are_unread(chat: Chat) -> None:
    await team(chat)
    assert await state(chat, "a", "general") == ReadState("general", 0, 0, 0)
    await chat.post("a", "general", "mine is never unread")
    for text in ("one", "hey @ADA", "@channel lunch", "ada@example.org"):
        await chat.post("b", "general", text)
    assert await state(chat, "a", "general") == ReadState("general", 0, 4, 2)
    assert await state(chat, "b", "general") == ReadState("general", 0, 1, 0)


async def test_marks_move_forward_only_and_never_past_the_newest(chat: Chat) -> None:
    await team(chat)
    for n in range(4):
        await chat.post("b", "general", f"m{n}")  # ids 1-4
    read, moved = await chat.mark_read("a", "general", 2)
    assert (read, moved) == (ReadState("general", 2, 2, 0), True)
    read, moved = await chat.mark_read("a", "General", 1)  # any spelling of the channel
    assert (read, moved) == (ReadState("general", 2, 2, 0), False)
    read, moved = await chat.mark_read("a", "general", 99)
    assert (read, moved) == (ReadState("general", 4, 0, 0), True)
    await chat.post("b", "general", "five")
    assert await state(chat, "a", "general") == ReadState("general", 4, 1, 0)


async def test_every_tab_of_a_person_shares_the_mark(chat: Chat) -> None:
    await team(chat)
    chat.connect("a2")
    await chat.claim_name("a2", "Ada", chat.session("a").token)
    await chat.post("b", "general", "hello")
    await chat.mark_read("a", "general", 1)
    assert await state(chat, "a2", "general") == ReadState("general", 1, 0, 0)


async def test_deleted_messages_are_not_unread(chat: Chat) -> None:
    await team(chat)
    await chat.post("b", "general", "@ada oops")
    await chat.post("b", "general", "fine")
    await chat.delete("b", "general", 1)
    assert await state(chat, "a", "general") == ReadState("general", 0, 1, 0)


async def test_thread_replies_count_too(chat: Chat) -> None:
    await team(chat)
    first = await chat.post("a", "general", "a question")
    await chat.post("b", "general", "@Ada an answer", parent=first.message.id)
    assert await state(chat, "a", "general") == ReadState("general", 0, 1, 1)


async def test_every_direct_message_is_a_mention(chat: Chat) -> None:
    _, bob = await team(chat)
    direct, _ = await chat.open_direct("a", [bob])
    await chat.post("b", direct.id, "psst")
    await chat.post("b", direct.id, "still there?")
    await chat.post("a", direct.id, "yes")
    assert await state(chat, "a", direct.id) == ReadState(direct.id, 0, 2, 2)
    read, _ = await chat.mark_read("a", direct.id, 3)
    assert read == ReadState(direct.id, 3, 0, 0)


async def test_a_newcomer_has_read_what_came_before(chat: Chat) -> None:
    await team(chat)
    await chat.post("b", "general", "before Cy came")
    await named(chat, "c", "Cy")
    await chat.join("c", "general")
    await chat.post("b", "general", "@cy welcome")
    assert await state(chat, "c", "general") == ReadState("general", 1, 1, 1)


async def test_leaving_forgets_the_mark_and_coming_back_starts_at_the_newest(chat: Chat) -> None:
    await team(chat)
    await chat.post("b", "general", "one")
    await chat.mark_read("a", "general", 1)
    await chat.leave("a", "general")
    await chat.post("b", "general", "two, said while Ada was away")
    await chat.join("a", "general")
    assert await state(chat, "a", "general") == ReadState("general", 2, 0, 0)


async def test_mentions_follow_the_name_one_has_now(chat: Chat) -> None:
    await team(chat)
    await chat.post("b", "general", "@ada hi")
    await chat.post("b", "general", "@ada_lovelace hi")
    assert (await state(chat, "a", "general")).mentions == 1
    await chat.claim_name("a", "Ada_Lovelace", chat.session("a").token)
    assert (await state(chat, "a", "general")).mentions == 1  # the other one now


async def test_only_members_mark_or_count(chat: Chat) -> None:
    _, bob = await team(chat)
    direct, _ = await chat.open_direct("a", [bob])
    await named(chat, "c", "Cy")
    with pytest.raises(NotInChannel):
        await chat.mark_read("c", "general", 1)
    with pytest.raises(NotMember):
        await chat.mark_read("c", direct.id, 1)
    assert await chat.read_states("c") == []


async def test_searches_are_paid_for(clock: Clock) -> None:
    limits = Limits(search_rate=1, search_burst=2)
    chat = Chat(MemoryBackend(100), name_idle_seconds=60, clock=clock, limits=limits)
    await named(chat, "a", "Ada")
    await chat.search("a", "lunch")
    await chat.search("a", "lunch")
    with pytest.raises(RateLimited, match="too many searches"):
        await chat.search("a", "lunch")
    clock.now += 1
    await chat.search("a", "lunch")
