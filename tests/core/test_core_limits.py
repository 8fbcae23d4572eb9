"""Abuse limits in the core, with a fake clock."""

from __future__ import annotations

import itertools

import pytest

from fake_clock import Clock
from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.core.errors import RateLimited, TooManyChannels, TooManyConnections
from flack.core.limits import MESSAGES, Budgets, Limits, TokenBucket, retry_after
from flack.protocol import NoticeKind


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0.0
    clock.now += 100  # refills up to the burst, not beyond
    assert [bucket.take() for _ in range(4)][-1] > 0


def test_retry_after_rounds_up_to_a_tenth() -> None:
    assert retry_after(0.01) == 0.1 and retry_after(0.31) == 0.4 and retry_after(2.0) == 2.0


@pytest.fixture
def chat(clock: Clock) -> Chat:
    limits = Limits(
        message_rate=1,
        message_burst=2,
        channel_rate=0.1,
        channel_burst=1,
        max_channels=2,
        connections_per_address=2,
    )
    return Chat(MemoryBackend(100), name_idle_seconds=60, clock=clock, limits=limits)


async def test_message_rate_per_person(chat: Chat, clock: Clock) -> None:
    for sid in ("a", "b"):
        chat.connect(sid, "10.0.0.1")
        await chat.claim_name(sid, sid.upper(), None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.join("b", "general")
    await chat.post("a", "general", "1")
    await chat.post("a", "general", "2")
    with pytest.raises(RateLimited) as refused:
        await chat.post("a", "general", "3")
    assert refused.value.to_ack()["error"]["retry_after"] == 1.0
    await chat.post("b", "general", "b's own budget")  # another person
    clock.now += 1
    await chat.post("a", "general", "3")
    assert [m.text for m in await chat.backend.history("general")] == [
        "1",
        "2",
        "b's own budget",
        "3",
    ]


async def test_channel_creation_rate_and_count(chat: Chat, clock: Clock) -> None:
    chat.connect("a")
    await chat.claim_name("a", "A", None)
    await chat.create_channel("a", "one")
    with pytest.raises(RateLimited):
        await chat.create_channel("a", "two")
    clock.now += 10
    await chat.create_channel("a", "two")
    clock.now += 10
    with pytest.raises(TooManyChannels):
        await chat.create_channel("a", "three")


async def test_connections_per_address(chat: Chat) -> None:
    chat.connect("a", "10.0.0.1")
    chat.connect("b", "10.0.0.1")
    with pytest.raises(TooManyConnections):
        chat.connect("c", "10.0.0.1")
    chat.connect("d", "10.0.0.2")  # another address
    await chat.disconnect("a")
    chat.connect("c", "10.0.0.1")


# -- budgets per person and per address ------------------------------------------------


def test_a_bucket_can_go_into_debt_for_what_cannot_be_refused() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1.0, burst=2, clock=clock)
    for _ in range(5):
        bucket.force()
    assert bucket.take() == pytest.approx(3.0)  # the debt stops at -burst, and is paid back first
    clock.now += 3
    assert bucket.take() == 0.0
    assert not bucket.full()
    clock.now += 2
    assert bucket.full()


def test_budgets_pay_from_person_and_address_together_or_not_at_all() -> None:
    clock = Clock()
    budgets = Budgets(Limits(message_rate=1, message_burst=2, people_per_address=2), clock)
    for person in ("p1", "p1", "p2", "p2"):  # the address's budget: 2 people's
        budgets.take(MESSAGES, person=person, address="10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        budgets.take(MESSAGES, person="p3", address="10.0.0.1")
    assert "from your network" in refused.value.message
    with pytest.raises(RateLimited) as refused:
        budgets.take(MESSAGES, person="p1", address="10.0.0.2")
    assert "from your network" not in refused.value.message
    # p3's refusal spent nothing of p3's own: elsewhere it still has its burst.
    budgets.take(MESSAGES, person="p3", address="10.0.0.3")
    budgets.take(MESSAGES, person="p3", address="10.0.0.3")


def test_refilled_buckets_are_forgotten() -> None:
    clock = Clock()
    budgets = Budgets(Limits(message_rate=1, message_burst=2), clock)
    budgets.take(MESSAGES, person="p1", address="a")
    budgets.take(MESSAGES, person="p2", address="a")
    budgets.take(MESSAGES, person="p2", address="a")
    assert len(budgets) == 3 and budgets.forget_idle() == 0
    clock.now += 1
    # p1 and the address (ten people's budget) are full again; p2 is not.
    assert budgets.forget_idle() == 2 and len(budgets) == 1
    clock.now += 1
    assert budgets.forget_idle() == 1 and len(budgets) == 0


def test_memory_stays_bounded_between_sweeps() -> None:
    clock = Clock()
    budgets = Budgets(Limits(message_rate=1000, message_burst=1), clock)
    for n in range(30_000):
        budgets.take(MESSAGES, person=f"p{n}")
        clock.now += 0.001  # each bucket refills a moment after its action
    assert len(budgets) <= 10_001


def small_chat(clock: Clock, **limits: float) -> Chat:
    tokens = (f"token-{n}" for n in itertools.count(1))
    return Chat(
        MemoryBackend(100),
        name_idle_seconds=60,
        clock=clock,
        token_factory=lambda: next(tokens),
        limits=Limits(**limits),  # type: ignore[arg-type]
    )


async def reconnect(chat: Chat, sid: str, name: str, token: str | None, address: str = "10.0.0.1") -> str:
    """A new connection claiming ``name`` with ``token``; returns the token."""
    chat.connect(sid, address)
    return (await chat.claim_name(sid, name, token)).token


async def test_reconnecting_does_not_refill_a_persons_message_budget(clock: Clock) -> None:
    chat = small_chat(clock, message_rate=1, message_burst=3)
    token = await reconnect(chat, "s0", "Ada", None)
    await chat.create_channel("s0", "general")
    sent = refused = 0
    for n in range(4):
        sid = f"s{n}" if n else "s0"
        if n:
            await reconnect(chat, sid, "Ada", token)
        await chat.join(sid, "general")
        for _ in range(3):
            try:
                await chat.post(sid, "general", "hi")
                sent += 1
            except RateLimited as refusal:
                refused += 1
                assert refusal.details["retry_after"] > 0
        await chat.disconnect(sid)
    assert (sent, refused) == (3, 9)


async def test_reconnecting_does_not_refill_a_persons_channel_budget(clock: Clock) -> None:
    chat = small_chat(clock, channel_rate=0.01, channel_burst=2)
    token = await reconnect(chat, "s0", "Ada", None)
    await chat.create_channel("s0", "one")
    await chat.create_channel("s0", "two")
    await chat.disconnect("s0")
    await reconnect(chat, "s1", "Ada", token)
    with pytest.raises(RateLimited):
        await chat.create_channel("s1", "three")
    await reconnect(chat, "s2", "Bob", None)
    await chat.create_channel("s2", "three")  # somebody else's budget


async def test_setting_up_a_workspace_works_with_the_defaults(clock: Clock) -> None:
    chat = small_chat(clock)
    await reconnect(chat, "s0", "Ada", None)
    for n in range(20):  # 20 channels in a minute, most of them at once
        await chat.create_channel("s0", f"channel {n}")
        clock.now += 1
    clock.now += 40
    assert len(await chat.list_channels()) == 20


async def test_identities_created_per_address_have_their_own_budget(clock: Clock) -> None:
    chat = small_chat(clock, identity_rate=0.1, identity_burst=3)
    tokens = [await reconnect(chat, f"s{n}", f"P{n}", None) for n in range(3)]
    chat.connect("s3", "10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        await chat.claim_name("s3", "P3", None)
    assert refused.value.details["retry_after"] == 10.0
    assert "new names from your network" in refused.value.message
    with pytest.raises(RateLimited):  # a token the server does not know makes a new identity too
        await chat.claim_name("s3", "P3", "made-up")
    await chat.claim_name("s3", "P0", tokens[0])  # coming back as oneself is free
    await reconnect(chat, "s4", "Q", None, address="10.0.0.2")  # another address
    clock.now += 10
    await chat.claim_name("s3", "P3", None)


async def test_a_member_hears_at_most_a_persons_notice_budget(clock: Clock) -> None:
    """Joins and leaves are paid for from the person's budget, across
    reconnects: joins are refused once it is spent; leaves are never refused
    but paid for (into debt), so they cannot be used to say more."""
    chat = small_chat(clock, notice_rate=0.01, notice_burst=4)
    await reconnect(chat, "member", "Member", None)
    await chat.create_channel("member", "general")
    await chat.join("member", "general")
    token = await reconnect(chat, "m0", "Mallory", None)
    heard = []
    for n in range(6):
        sid = f"m{n}"
        if n:
            await reconnect(chat, sid, "Mallory", token)
        try:
            joined = await chat.join(sid, "general")
            heard.append(joined.joined)
            heard.append(await chat.leave(sid, "general"))
        except RateLimited:
            pass
        await chat.disconnect(sid)
    said = [n for n in heard if n is not None and n.channel == "general"]
    assert len(said) == 4
    assert {n.kind for n in said} == {NoticeKind.JOIN, NoticeKind.LEAVE}


async def test_leaving_is_never_refused(clock: Clock) -> None:
    chat = small_chat(clock, notice_rate=0.01, notice_burst=1)
    await reconnect(chat, "a", "Ada", None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    assert await chat.leave("a", "general") is not None  # the budget is spent: still said
    with pytest.raises(RateLimited):
        await chat.join("a", "general")
    assert await chat.conversations_of("a") == frozenset()  # a refused join changes nothing


async def test_a_reload_costs_no_notice(clock: Clock) -> None:
    chat = small_chat(clock, notice_rate=0.01, notice_burst=1)
    token = await reconnect(chat, "a", "Ada", None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    for n in range(5):  # a member coming back: nobody is told anything, nothing is paid
        await chat.disconnect(f"r{n}" if n else "a")
        await reconnect(chat, f"r{n + 1}", "Ada", token)
        assert (await chat.join(f"r{n + 1}", "general")).joined is None
    assert await chat.leave("r5", "general") is not None  # paid for into debt
    with pytest.raises(RateLimited):
        await chat.join("r5", "general")


async def test_renames_are_paid_for_from_the_notice_budget(clock: Clock) -> None:
    chat = small_chat(clock, notice_rate=0.01, notice_burst=2)
    token = await reconnect(chat, "a", "Ada", None)
    await chat.claim_name("a", "Ada2", token)
    await chat.disconnect("a")
    await reconnect(chat, "b", "Ada2", token)  # reclaiming one's own name is no rename
    await chat.claim_name("b", "Ada3", token)
    with pytest.raises(RateLimited) as refused:
        await chat.claim_name("b", "Ada4", token)
    assert "renames" in refused.value.message
    assert chat.session("b").name == "Ada3"


async def test_people_behind_one_address_share_a_scaled_budget(clock: Clock) -> None:
    chat = small_chat(clock, message_rate=0.01, message_burst=2, people_per_address=2)
    for n in range(3):
        await reconnect(chat, f"s{n}", f"P{n}", None)
    await chat.create_channel("s0", "general")
    for n in range(3):
        await chat.join(f"s{n}", "general")
    for sid in ("s0", "s0", "s1", "s1"):
        await chat.post(sid, "general", "hi")
    with pytest.raises(RateLimited) as refused:
        await chat.post("s2", "general", "hi")
    assert "from your network" in refused.value.message
    await reconnect(chat, "elsewhere", "Far", None, address="10.0.0.9")
    await chat.join("elsewhere", "general")
    await chat.post("elsewhere", "general", "another address, another budget")


async def test_buckets_live_in_the_core_not_on_the_connection(clock: Clock) -> None:
    chat = small_chat(clock, message_rate=1, message_burst=1)
    token = await reconnect(chat, "a", "Ada", None)
    await chat.create_channel("a", "general")
    await chat.join("a", "general")
    await chat.post("a", "general", "one")
    assert len(chat.budgets) > 0
    await chat.disconnect("a")
    clock.now += 60
    assert chat.budgets.forget_idle() > 0 and len(chat.budgets) == 0
    await reconnect(chat, "b", "Ada", token)
    await chat.join("b", "general")
    await chat.post("b", "general", "two")  # a forgotten bucket is a full one
    with pytest.raises(RateLimited):
        await chat.post("b", "general", "three")
