"""Team conversations in the core: direct messages, threads, reactions,
edits and deletions, and catching up on changes (plain pytest, a fake clock)."""

from __future__ import annotations

import pytest
from test_chat import make_chat
from test_core_limits import small_chat

from fake_clock import Clock
from flack.core.chat import FORMER_MEMBER, Chat
from flack.core.errors import (
    CannotLeave,
    NoSuchMessage,
    NoSuchPerson,
    NotInChannel,
    NotMember,
    NotYours,
    TooManyPeople,
    TooManyReactions,
)
from flack.core.models import File, Message
from flack.protocol import REACTIONS_MAX, ErrorCode, ProtocolError, direct_label


@pytest.fixture
def chat(clock: Clock) -> Chat:
    return make_chat(clock)


async def person(chat: Chat, sid: str, name: str) -> str:
    """A named connection; returns the person's id."""
    chat.connect(sid)
    await chat.claim_name(sid, name, None)
    return chat.session(sid).person


async def trio(chat: Chat) -> tuple[str, str, str]:
    return await person(chat, "a", "Ada"), await person(chat, "b", "Bea"), await person(chat, "c", "Cy")


# --- direct conversations -----------------------------------------------------------


async def test_a_direct_conversation_reaches_its_members_only(chat: Chat) -> None:
    ada, bea, _ = await trio(chat)
    direct, created = await chat.open_direct("a", [bea])
    assert created and direct.id == direct_label([ada, bea])
    assert [p.name for p in direct.members] == sorted(
        ["Ada", "Bea"], key=lambda n: {"Ada": ada, "Bea": bea}[n]
    )
    again, created = await chat.open_direct("b", [ada, bea])  # the same one, from the other side
    assert again.id == direct.id and not created
    assert direct.id in await chat.conversations_of("a")
    assert direct.id in await chat.conversations_of("b")
    assert direct.id not in await chat.conversations_of("c")
    posted = await chat.post("a", direct.id, "psst")
    assert posted.message.channel == direct.id and posted.message.sender_id == ada
    for refused in (lambda: chat.post("c", direct.id, "me too"), lambda: chat.join("c", direct.id)):
        with pytest.raises(NotMember):
            await refused()


async def test_a_non_member_learns_nothing_about_whether_a_conversation_exists(chat: Chat) -> None:
    ada, bea, cy = await trio(chat)
    direct, _ = await chat.open_direct("a", [bea])
    never = direct_label([ada, cy])  # never opened, and Bea is not in it
    errors = []
    for label in (direct.id, never, "@nonsense"):
        with pytest.raises(NotMember) as refused:
            await chat.post("c" if label == direct.id else "b", label, "hi")
        errors.append((refused.value.code, refused.value.message))
    assert len(set(errors)) == 1


async def test_group_conversations_have_at_most_8_people(chat: Chat) -> None:
    ids = [await person(chat, f"s{n}", f"P{n}") for n in range(9)]
    group, _ = await chat.open_direct("s0", ids[1:8])
    assert len(group.members) == 8
    with pytest.raises(TooManyPeople):
        await chat.open_direct("s0", ids[1:9])


async def test_a_direct_conversation_needs_people_with_names(chat: Chat) -> None:
    ada, _, _ = await trio(chat)
    with pytest.raises(NoSuchPerson):
        await chat.open_direct("a", ["0123456789abcdef"])
    with pytest.raises(NoSuchPerson):
        await chat.open_direct("a", [ada])  # only oneself


async def test_a_renamed_persons_conversations_follow_them(chat: Chat) -> None:
    _, bea, _ = await trio(chat)
    direct, _ = await chat.open_direct("a", [bea])
    await chat.claim_name("b", "Beatrix", chat.session("b").token)
    _, directs = await chat.conversations("a")
    assert [[p.name for p in d.members if p.id == bea] for d in directs] == [["Beatrix"]]
    assert (await chat.post("b", direct.id, "new name, same me")).message.sender == "Beatrix"


async def test_a_person_lists_their_channels_and_directs(chat: Chat) -> None:
    _, bea, cy = await trio(chat)
    await chat.create_channel("a", "general")
    await chat.create_channel("a", "random")
    await chat.join("a", "random")
    await chat.join("a", "general")
    await chat.open_direct("a", [bea])
    await chat.open_direct("a", [bea, cy])
    channels, directs = await chat.conversations("a")
    assert [c.name for c in channels] == ["general", "random"]
    assert len(directs) == 2
    _, directs = await chat.conversations("c")
    assert [len(d.members) for d in directs] == [3]
    with pytest.raises(CannotLeave):
        await chat.leave("c", directs[0].id)


async def test_people_are_everyone_with_a_name(chat: Chat) -> None:
    await trio(chat)
    chat.connect("nameless")
    assert sorted(p.name for p in await chat.people()) == ["Ada", "Bea", "Cy"]


# --- threads ---------------------------------------------------------------------------


async def joined(chat: Chat, *sids: str, channel: str = "general") -> None:
    if not await chat.backend.get_channel(channel):
        await chat.create_channel(sids[0], channel)
    for sid in sids:
        await chat.join(sid, channel)


async def test_a_reply_counts_on_its_parent(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    parent = (await chat.post("a", "general", "lunch?")).message
    reply = await chat.post("b", "general", "yes", parent=parent.id)
    assert reply.message.parent == parent.id
    assert reply.parent is not None and (reply.parent.id, reply.parent.replies) == (parent.id, 1)
    second = await chat.post("a", "general", "at noon", parent=parent.id)
    assert second.parent is not None and second.parent.replies == 2
    assert second.parent.revision > reply.parent.revision


@pytest.mark.parametrize("case", ["unknown", "a reply", "deleted", "elsewhere"])
async def test_replies_go_to_kept_top_level_messages_only(chat: Chat, case: str) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    await joined(chat, "a", channel="other")
    parent = (await chat.post("a", "general", "lunch?")).message
    target = {"unknown": 99, "a reply": 0, "deleted": parent.id, "elsewhere": 0}[case]
    if case == "a reply":
        target = (await chat.post("b", "general", "yes", parent=parent.id)).message.id
    if case == "deleted":
        await chat.delete("a", "general", parent.id)
    if case == "elsewhere":
        target = (await chat.post("a", "other", "over here")).message.id + 100
    with pytest.raises(NoSuchMessage):
        await chat.post("b", "general", "re", parent=target)


async def test_a_reply_into_a_conversation_one_is_not_in_is_refused(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a")
    parent = (await chat.post("a", "general", "lunch?")).message
    with pytest.raises(NotInChannel):
        await chat.post("c", "general", "me!", parent=parent.id)


# --- reactions ---------------------------------------------------------------------------


async def test_reactions_toggle_and_say_who(chat: Chat) -> None:
    ada, bea, _ = await trio(chat)
    await joined(chat, "a", "b")
    message = (await chat.post("a", "general", "shipped")).message
    await chat.react("b", "general", message.id, "🎉")
    liked = await chat.react("a", "general", message.id, "🎉")
    assert [(r.emoji, r.people) for r in liked.reactions] == [("🎉", (bea, ada))]
    back = await chat.react("b", "general", message.id, "🎉")
    assert [(r.emoji, r.people) for r in back.reactions] == [("🎉", (ada,))]
    gone = await chat.react("a", "general", message.id, "🎉")
    assert gone.reactions == ()


async def test_reactions_are_limited_and_checked(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    message = (await chat.post("a", "general", "vote")).message
    emoji = [chr(0x1F600 + n) for n in range(REACTIONS_MAX + 1)]
    for e in emoji[:REACTIONS_MAX]:
        await chat.react("b", "general", message.id, e)
    with pytest.raises(TooManyReactions):
        await chat.react("a", "general", message.id, emoji[-1])
    await chat.react("a", "general", message.id, emoji[0])  # an existing one is fine
    with pytest.raises(ProtocolError) as refused:
        await chat.react("a", "general", message.id, "lol")
    assert refused.value.code == ErrorCode.EMOJI_INVALID


async def test_reacting_to_what_one_cannot_see_is_refused_alike(chat: Chat) -> None:
    _, bea, _ = await trio(chat)
    direct, _ = await chat.open_direct("a", [bea])
    message = (await chat.post("a", direct.id, "psst")).message
    for mid in (message.id, 99):
        with pytest.raises(NotMember):
            await chat.react("c", direct.id, mid, "👀")


# --- edit and delete -------------------------------------------------------------------------


async def test_one_edits_ones_own_messages_only(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    message = (await chat.post("a", "general", "helo")).message
    edited = await chat.edit("a", "general", message.id, "hello")
    assert (edited.text, edited.edited, edited.id) == ("hello", True, message.id)
    with pytest.raises(NotYours):
        await chat.edit("b", "general", message.id, "hijacked")
    with pytest.raises(NotYours):
        await chat.delete("b", "general", message.id)
    with pytest.raises(NoSuchMessage):
        await chat.edit("a", "general", 99, "x")
    with pytest.raises(ProtocolError) as refused:
        await chat.edit("a", "general", message.id, "x" * 4001)
    assert refused.value.code == ErrorCode.MESSAGE_TOO_LONG


async def test_deleting_takes_the_thread_reactions_and_file_along(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    dropped: list[Message] = []
    chat.on_dropped = dropped.append
    parent = (await chat.post("a", "general", "lunch?")).message
    await chat.post("b", "general", "yes", parent=parent.id)
    await chat.react("b", "general", parent.id, "👍")
    picture = File("f1", "a.png", 3, "image/png", "/files/f1/a.png")
    shared = await chat.append(
        await chat.channel("general"), "Ada", "", picture, sent_by=chat.session("a").token
    )
    changed = await chat.delete("a", "general", parent.id)
    assert [m.id for m in changed] == [parent.id, parent.id + 1]
    assert all(m.deleted and m.text == "" and m.reactions == () for m in changed)
    gone = await chat.delete("a", "general", shared.id)
    assert gone[0].file is None and [m.id for m in dropped] == [shared.id]  # its bytes go
    with pytest.raises(NoSuchMessage):  # once
        await chat.delete("a", "general", parent.id)
    with pytest.raises(NoSuchMessage):
        await chat.react("b", "general", parent.id, "👍")


async def test_deleting_a_reply_counts_down_its_parent(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    parent = (await chat.post("a", "general", "lunch?")).message
    reply = (await chat.post("b", "general", "yes", parent=parent.id)).message
    changed = await chat.delete("b", "general", reply.id)
    assert [(m.id, m.deleted, m.replies) for m in changed] == [(reply.id, True, 0), (parent.id, False, 0)]


async def test_a_file_message_cannot_be_edited(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a")
    picture = File("f1", "a.png", 3, "image/png", "/files/f1/a.png")
    shared = await chat.append(
        await chat.channel("general"), "Ada", "", picture, sent_by=chat.session("a").token
    )
    with pytest.raises(NoSuchMessage):
        await chat.edit("a", "general", shared.id, "caption")


# --- catching up on changes --------------------------------------------------------------------


async def test_catch_up_brings_what_changed_since_the_last_revision(chat: Chat) -> None:
    await trio(chat)
    await joined(chat, "a", "b")
    first = (await chat.post("a", "general", "one")).message
    second = (await chat.post("a", "general", "two")).message
    channel = await chat.channel("general")
    seen = await chat.catch_up(channel, since=second.id, revision=0)
    assert seen.messages == [] and not seen.gap
    edited = await chat.edit("a", "general", first.id, "uno")
    third = (await chat.post("b", "general", "three")).message
    caught = await chat.catch_up(channel, since=second.id, revision=0)
    assert [m.id for m in caught.messages] == [first.id, third.id] and caught.messages[0] == edited
    after = await chat.catch_up(channel, since=third.id, revision=edited.revision)
    assert after.messages == []


async def test_changes_are_paid_for_from_the_message_budget(clock: Clock) -> None:
    chat = small_chat(clock, message_rate=0.01, message_burst=3)
    await trio(chat)
    await joined(chat, "a", "b")
    message = (await chat.post("a", "general", "one")).message
    await chat.react("a", "general", message.id, "👍")
    await chat.edit("a", "general", message.id, "uno")
    with pytest.raises(ProtocolError) as refused:
        await chat.react("a", "general", message.id, "🎉")
    assert refused.value.code == ErrorCode.RATE_LIMITED
    await chat.delete("a", "general", message.id)  # taking back is never refused


async def test_a_member_whose_name_was_released_is_still_in_the_conversation(
    chat: Chat, clock: Clock
) -> None:
    ada, bea, cy = await trio(chat)
    direct, _ = await chat.open_direct("a", [bea])
    await chat.disconnect("b")
    clock.now += 61  # past the idle time: Bea's name is released
    await chat.release_idle_names()
    _, [listed] = await chat.conversations("a")
    assert listed.id == direct.id
    assert {(p.id, p.name) for p in listed.members} == {(ada, "Ada"), (bea, FORMER_MEMBER)}
    with pytest.raises(NoSuchPerson):  # nobody new can be talked to under that id
        await chat.open_direct("a", [bea, cy])
