"""The domain core under plain pytest: no server, no sockets, a fake clock."""

from __future__ import annotations

import itertools

import pytest

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat, iso_utc
from flack.core.errors import ChannelExists, NameTaken, NoSuchChannel, NotInChannel, NotNamed
from flack.core.models import Channel
from flack.protocol import ErrorCode, NoticeKind, ProtocolError
from flack.testing import UNLIMITED

# The rules under test here, not the abuse limits (see test_core_limits.py):
# flack.testing.UNLIMITED.


def make_chat(clock: Clock) -> Chat:
    tokens = (f"token-{n}" for n in itertools.count(1))
    return Chat(
        MemoryBackend(100),
        name_idle_seconds=60,
        clock=clock,
        token_factory=lambda: next(tokens),
        limits=UNLIMITED,
    )


@pytest.fixture
def chat(clock: Clock) -> Chat:
    return make_chat(clock)


async def named(chat: Chat, sid: str, name: str, token: str | None = None) -> str:
    chat.connect(sid)
    return (await chat.claim_name(sid, name, token)).token


def test_iso_utc_is_utc_with_milliseconds_and_z() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1.5) == "1970-01-01T00:00:01.500Z"


async def test_claim_issues_token_and_cleans_name(chat: Chat) -> None:
    chat.connect("a")
    result = await chat.claim_name("a", "  Ada   Lovelace ", None)
    assert (result.name, result.token, result.notices) == ("Ada Lovelace", "token-1", [])
    assert chat.session("a").name == "Ada Lovelace"


async def test_names_are_unique_case_insensitively(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    chat.connect("b")
    with pytest.raises(NameTaken) as refused:
        await chat.claim_name("b", "ADA", None)
    assert refused.value.code == ErrorCode.NAME_TAKEN
    assert chat.session("b").name is None


@pytest.mark.parametrize("bad", ["", "   ", "x" * 33, "a\u202eb", "tab\x00"])
async def test_invalid_names_are_refused(chat: Chat, bad: str) -> None:
    chat.connect("a")
    with pytest.raises(ProtocolError) as refused:
        await chat.claim_name("a", bad, None)
    assert refused.value.code == ErrorCode.NAME_INVALID


async def test_token_reclaims_name_on_a_new_connection(chat: Chat) -> None:
    token = await named(chat, "a", "Ada")
    await chat.disconnect("a")
    chat.connect("b")
    with pytest.raises(NameTaken):
        await chat.claim_name("b", "Ada", None)  # somebody else, without the token
    chat.connect("c")
    assert (await chat.claim_name("c", "Ada", token)).token == token


async def test_unknown_token_gets_a_new_identity(chat: Chat) -> None:
    chat.connect("a")
    result = await chat.claim_name("a", "Ada", "forged-token")
    assert result.token == "token-1"


async def test_name_is_released_after_idle_time_only(chat: Chat, clock: Clock) -> None:
    first = await named(chat, "a", "Ada")
    await chat.disconnect("a")
    clock.now += 59
    chat.connect("b")
    with pytest.raises(NameTaken):
        await chat.claim_name("b", "Ada", None)
    clock.now += 2
    taken = await chat.claim_name("b", "Ada", None)
    assert taken.name == "Ada" and taken.token != first
    assert await chat.backend.get_identity(first) is None  # the idle identity is gone


async def test_connected_names_are_never_released(chat: Chat, clock: Clock) -> None:
    await named(chat, "a", "Ada")
    clock.now += 3600
    assert await chat.release_idle_names() == 0
    chat.connect("b")
    with pytest.raises(NameTaken):
        await chat.claim_name("b", "Ada", None)


async def test_sweep_releases_idle_names(chat: Chat, clock: Clock) -> None:
    token = await named(chat, "a", "Ada")
    await chat.disconnect("a")
    clock.now += 61
    assert await chat.release_idle_names() == 1
    assert await chat.backend.get_identity(token) is None
    assert await chat.backend.holders_of("ada", clock.now) == []


async def test_rename_keeps_old_name_and_announces_in_open_channels(chat: Chat, clock: Clock) -> None:
    token = await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    chat.connect("a2")  # a second tab of the same person
    await chat.claim_name("a2", "Ada", token)
    result = await chat.claim_name("a", "Grace", token)
    assert [(n.kind, n.channel, n.name, n.old_name) for n in result.notices] == [
        (NoticeKind.RENAME, "general", "Grace", "Ada")
    ]
    assert chat.session("a2").name == "Grace"
    # Issue 11: the old name stays this person's for the idle period (before,
    # it was free at once and someone else could post as "Ada" under the
    # same history), then it is free again.
    chat.connect("b")
    with pytest.raises(NameTaken):
        await chat.claim_name("b", "Ada", None)
    clock.now += 61
    assert await named(chat, "c", "Ada")


async def test_channels_unique_case_insensitively_and_sorted(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "random")
    await chat.create_channel("a", "General")
    with pytest.raises(ChannelExists):
        await chat.create_channel("a", " general ")
    assert [c.name for c in await chat.list_channels()] == ["General", "random"]


@pytest.mark.parametrize("bad", ["", "-dash-first", "a/b", "x" * 41, "<script>"])
async def test_invalid_channel_names(chat: Chat, bad: str) -> None:
    await named(chat, "a", "Ada")
    with pytest.raises(ProtocolError) as refused:
        await chat.create_channel("a", bad)
    assert refused.value.code == ErrorCode.CHANNEL_INVALID


async def test_actions_need_a_name(chat: Chat) -> None:
    chat.connect("a")
    with pytest.raises(NotNamed):
        await chat.create_channel("a", "general")
    with pytest.raises(NotNamed):
        await chat.join("a", "general")
    with pytest.raises(NotNamed):
        await chat.post("a", "general", "hi")


async def test_join_makes_a_member_announced_once(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "one")
    await chat.create_channel("a", "two")
    first = await chat.join("a", "ONE")
    assert first.channel.name == "one"
    assert first.joined is not None and first.joined.kind == NoticeKind.JOIN
    await chat.post("a", "one", "hello")
    second = await chat.join("a", "two")  # joining another channel leaves nothing
    assert second.joined is not None
    assert await chat.conversations_of("a") == {"one", "two"}
    again = await chat.join("a", "one")  # already a member: no news
    assert again.joined is None
    assert [m.text for m in await chat.history(again.channel)] == ["hello"]


async def test_a_second_tab_of_the_same_person_announces_nothing(chat: Chat) -> None:
    """Two connections with one token (two tabs) are one member: "Ada
    joined" once; both tabs receive the channel."""
    token = await named(chat, "tab1", "Ada")
    await named(chat, "tab2", "Ada", token)
    await named(chat, "other", "Bea")
    await chat.create_channel("tab1", "one")
    assert (await chat.join("tab1", "one")).joined is not None
    assert (await chat.join("tab2", "one")).joined is None
    assert (await chat.join("other", "one")).joined is not None
    assert await chat.conversations_of("tab2") == {"one"}


async def test_closing_a_connection_is_no_leave(chat: Chat) -> None:
    """Membership outlives connections: a reload or a closed tab says
    nothing, and the person is still a member when they come back."""
    token = await named(chat, "tab1", "Ada")
    await chat.create_channel("tab1", "one")
    await chat.join("tab1", "one")
    await chat.disconnect("tab1")
    assert await chat.conversations_of("tab1") == frozenset()
    await named(chat, "back", "Ada", token)
    assert await chat.conversations_of("back") == {"one"}
    assert (await chat.join("back", "one")).joined is None


async def test_leaving_is_explicit_and_announced_once(chat: Chat) -> None:
    token = await named(chat, "tab1", "Ada")
    await named(chat, "tab2", "Ada", token)
    await chat.create_channel("tab1", "one")
    await chat.join("tab1", "one")
    notice = await chat.leave("tab2", "One")  # any tab of the person
    assert notice is not None and (notice.kind, notice.name, notice.channel) == (
        NoticeKind.LEAVE,
        "Ada",
        "one",
    )
    assert await chat.leave("tab1", "one") is None  # not a member any more
    assert await chat.conversations_of("tab1") == frozenset()
    with pytest.raises(NotInChannel):
        await chat.post("tab1", "one", "hi")


async def test_a_tab_that_becomes_someone_else_no_longer_counts(chat: Chat) -> None:
    token = await named(chat, "tab1", "Ada")
    await named(chat, "tab2", "Ada", token)
    await chat.create_channel("tab1", "one")
    await chat.join("tab1", "one")
    await chat.claim_name("tab2", "Cleo", None)  # a new identity in that tab
    assert await chat.conversations_of("tab2") == frozenset()
    assert chat.sids_of(chat.session("tab1").person) == ["tab1"]


async def test_join_unknown_channel(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    with pytest.raises(NoSuchChannel):
        await chat.join("a", "nowhere")


async def test_post_sets_sender_time_and_increasing_ids(chat: Chat, clock: Clock) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    first = (await chat.post("a", "general", "  hi \r\nthere\x07 ")).message
    clock.now += 1
    second = (await chat.post("a", "General", "again")).message
    assert (first.sender, first.text, first.time) == ("Ada", "hi \nthere", iso_utc(1_800_000_000.0))
    assert second.id == first.id + 1


async def test_post_requires_membership(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    with pytest.raises(NotInChannel):
        await chat.post("a", "general", "hi")
    with pytest.raises(NoSuchChannel):
        await chat.post("a", "nowhere", "hi")


@pytest.mark.parametrize(
    ("text", "code"), [("", ErrorCode.MESSAGE_INVALID), ("x" * 4001, ErrorCode.MESSAGE_TOO_LONG)]
)
async def test_post_refuses_bad_text(chat: Chat, text: str, code: ErrorCode) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    with pytest.raises(ProtocolError) as refused:
        await chat.post("a", "general", text)
    assert refused.value.code == code
    assert await chat.backend.history("general") == []


async def test_history_keeps_newest_100(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    for n in range(105):
        await chat.post("a", "general", f"m{n}")
    history = await chat.history((await chat.join("a", "general")).channel)
    assert [m.text for m in history] == [f"m{n}" for n in range(5, 105)]
    assert [m.id for m in history] == list(range(6, 106))


async def test_disconnect_frees_the_connection_not_the_membership(chat: Chat, clock: Clock) -> None:
    token = await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.disconnect("a")
    identity = await chat.backend.get_identity(token)
    assert identity is not None and identity.connections == 0
    assert await chat.backend.members("general") == [identity.id]
    assert chat.sids_of(identity.id) == []
    await chat.disconnect("a")  # twice is harmless


async def test_retried_send_with_client_id_is_stored_once(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    first = await chat.post("a", "general", "hello", "cid-1")
    again = await chat.post("a", "general", "hello", "cid-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.message == first.message and first.message.client_id == "cid-1"
    other = await chat.post("a", "general", "hello", "cid-2")
    assert other.message.id == first.message.id + 1
    assert [m.text for m in await chat.backend.history("general")] == ["hello", "hello"]


async def test_retry_after_reconnect_is_recognised_by_identity(chat: Chat) -> None:
    token = await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    first = await chat.post("a", "general", "hello", "cid-1")
    await chat.disconnect("a")
    await named(chat, "a2", "Ada", token)  # the same person, a new connection
    await chat.join("a2", "general")
    assert (await chat.post("a2", "general", "hello", "cid-1")).message == first.message


async def test_catch_up_returns_exactly_what_was_missed(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    channel = await chat.create_channel("a", "general")
    await chat.join("a", "general")
    for n in range(1, 11):
        await chat.post("a", "general", f"m{n}")
    assert [m.id for m in (await chat.catch_up(channel, None)).messages] == list(range(1, 11))
    caught = await chat.catch_up(channel, 7)
    assert ([m.id for m in caught.messages], caught.gap) == ([8, 9, 10], False)
    caught = await chat.catch_up(channel, 10)
    assert (caught.messages, caught.gap) == ([], False)
    caught = await chat.catch_up(channel, 0)
    assert (len(caught.messages), caught.gap) == (10, False)


async def test_catch_up_reports_a_gap_older_than_the_history(chat: Chat) -> None:
    await named(chat, "a", "Ada")
    channel = await chat.create_channel("a", "general")
    await chat.join("a", "general")
    for n in range(1, 131):
        await chat.post("a", "general", f"m{n}")
    caught = await chat.catch_up(channel, 20)  # 21..30 are gone
    assert caught.gap and [m.id for m in caught.messages] == list(range(31, 131))
    caught = await chat.catch_up(channel, 30)  # exactly at the edge: nothing lost
    assert not caught.gap and len(caught.messages) == 100
    caught = await chat.catch_up(channel, 500)  # ids started over (restart without state)
    assert caught.gap and len(caught.messages) == 100


# -- releasing unused channels -------------------------------------------------------------

DAY = 86400


async def test_channels_without_messages_or_members_are_released_after_a_day(
    chat: Chat, clock: Clock
) -> None:
    await named(chat, "a", "Ada")
    for name in ("empty", "talked", "open", "uploading"):
        await chat.create_channel("a", name)
    await chat.join("a", "talked")
    await chat.post("a", "talked", "hello")
    await chat.join("a", "open")
    clock.now += DAY - 1
    assert await chat.release_idle_channels() == []
    clock.now += 2
    released = await chat.release_idle_channels(keep={"uploading"})
    assert [c.name for c in released] == ["empty"]
    assert [c.name for c in await chat.list_channels()] == ["open", "talked", "uploading"]
    with pytest.raises(NoSuchChannel):
        await chat.join("a", "empty")
    # Leaving is activity: a day from the last member leaving.
    await chat.leave("a", "open")
    clock.now += DAY - 1
    assert [c.name for c in await chat.release_idle_channels()] == ["uploading"]
    clock.now += 2
    assert [c.name for c in await chat.release_idle_channels()] == ["open"]
    assert [c.name for c in await chat.list_channels()] == ["talked"]  # a message keeps it
    await chat.create_channel("a", "empty")  # the name is free again


async def test_a_channel_from_before_a_restart_gets_a_full_day(chat: Chat, clock: Clock) -> None:
    await chat.backend.add_channel(Channel("restored"))  # as if read from a state file
    assert await chat.release_idle_channels() == []
    clock.now += DAY + 1
    assert [c.name for c in await chat.release_idle_channels()] == ["restored"]


async def test_a_channel_with_members_is_kept_with_nobody_connected(chat: Chat, clock: Clock) -> None:
    await named(chat, "a", "Ada")
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.disconnect("a")
    clock.now += 10 * DAY
    assert await chat.release_idle_channels() == []
