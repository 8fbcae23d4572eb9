"""Presence and typing in the core, with the fake clock: away after ten idle
minutes, hidden pages, offline when the last connection closes, and typing
passed on at most once every few seconds per person and conversation."""

from __future__ import annotations

import pytest
from test_chat import make_chat

from fake_clock import Clock
from flack.core.chat import Chat
from flack.core.errors import NotInChannel, NotMember
from flack.protocol import AWAY_AFTER_SECONDS, TYPING_EVERY_SECONDS, PresenceEntry, PresenceStatus

ONLINE, AWAY, OFFLINE = PresenceStatus.ONLINE, PresenceStatus.AWAY, PresenceStatus.OFFLINE


@pytest.fixture
def chat(clock: Clock) -> Chat:
    return make_chat(clock)


async def named(chat: Chat, sid: str, name: str, token: str | None = None) -> str:
    chat.connect(sid)
    await chat.claim_name(sid, name, token)
    return chat.session(sid).person


async def test_online_while_in_use_away_after_ten_idle_minutes(chat: Chat, clock: Clock) -> None:
    ada = await named(chat, "a", "Ada")
    assert chat.presence_changes([ada]) == [PresenceEntry(ada, ONLINE)]
    assert chat.presence_changes([ada]) == []  # told once
    clock.now += AWAY_AFTER_SECONDS - 1
    assert chat.presence_sweep() == []
    clock.now += 1
    assert chat.presence_sweep() == [PresenceEntry(ada, AWAY)]
    chat.active("a")  # any event: back
    assert chat.presence_changes([ada]) == [PresenceEntry(ada, ONLINE)]


async def test_away_when_every_page_is_hidden(chat: Chat) -> None:
    ada = await named(chat, "a", "Ada")
    chat.connect("b")
    await chat.claim_name("b", "Ada", chat.session("a").token)
    chat.presence_changes([ada])
    chat.set_hidden("a", True)
    assert chat.status_of(ada) == ONLINE  # the other tab is shown
    chat.set_hidden("b", True)
    assert chat.presence_changes([ada]) == [PresenceEntry(ada, AWAY)]
    chat.set_hidden("b", False)
    assert chat.presence_changes([ada]) == [PresenceEntry(ada, ONLINE)]


async def test_offline_when_the_last_connection_closes(chat: Chat) -> None:
    ada = await named(chat, "a", "Ada")
    chat.connect("b")
    await chat.claim_name("b", "Ada", chat.session("a").token)
    chat.presence_changes([ada])
    await chat.disconnect("a")
    assert chat.presence_changes([ada]) == []  # a tab is still open
    await chat.disconnect("b")
    assert chat.presence_changes([ada]) == [PresenceEntry(ada, OFFLINE)]
    assert chat.presence_sweep() == []  # offline people are not swept
    assert [(p.id, p.status) for p in await chat.presence()] == [(ada, OFFLINE)]


async def test_typing_is_passed_on_at_most_once_every_few_seconds(chat: Chat, clock: Clock) -> None:
    ada = await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    first = await chat.typing("a", "General")
    assert first is not None and (first.channel, first.person, first.name) == ("general", ada, "Ada")
    clock.now += TYPING_EVERY_SECONDS - 0.5
    assert await chat.typing("a", "general") is None
    clock.now += 0.5
    assert await chat.typing("a", "general") is not None
    await chat.create_channel("a", "random")
    await chat.join("a", "random")
    assert await chat.typing("a", "random") is not None  # per conversation


async def test_only_members_type(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await named(chat, "b", "Bea")
    await chat.create_channel("a", "general")
    with pytest.raises(NotInChannel):
        await chat.typing("a", "general")
    direct, _ = await chat.open_direct("b", [chat.session("a").person])
    await named(chat, "c", "Cy")
    with pytest.raises(NotMember):
        await chat.typing("c", direct.id)
