"""Property-based tests: any payload on any event gets one coded answer, and
a connection's socket.io rooms always equal the core's idea of where it is.

Two kinds of test, each against a real server with real python-socketio
clients (on an event loop thread of their own, because Hypothesis drives plain
synchronous functions):

* the payload fuzz: any JSON on any event, then the invariants (names unique,
  history capped and ordered, both connections still work, and every
  connection's rooms equal the core's);
* a state machine (``RoomsMachine``): several connections, three of them tabs
  of one person, claim, rename, switch identity, create, join, leave, send,
  resend, disconnect, reconnect with their token and forge "connect" and
  "disconnect" events, in any order. After every step the rooms equal the
  core's idea, the core's idea equals the model's (a tab receives exactly
  its person's channels), every message reached exactly the connections of
  its channel's members when it was sent (no other, none twice), and every
  connection still answers.

The room invariant reads the server's own objects, so those servers run in
this process (``InProcessServer``: the real app under uvicorn, the default
ASGI integration). The payload fuzz also runs against ``flack serve
--integration sanic`` in a child process, with every invariant but the rooms:
Sanic's server wants a process of its own. The rooms are kept by the same
code (``transport/rooms.py``) and python-socketio's same room manager under
either integration, so the ASGI run checks them for both.

A quick profile runs with the suite (the same cases every run); ``nox -s
fuzz`` runs the long one: ``FLACK_FUZZ_EXAMPLES`` (10,000) payloads per event
and a tenth as many state machine runs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from flack.backends.base import RESERVED_MAX
from flack.protocol import CLIENT_EVENTS, HISTORY_LIMIT, ErrorCode, confusable, fold, skeleton
from flack.testing import running_server
from inprocess import InProcessServer
from wire_support import Peer, unique

T = TypeVar("T")
EXAMPLES = int(os.environ.get("FLACK_FUZZ_EXAMPLES", "40"))
# State machine runs: a tenth of the payload cases (each run is many steps).
MACHINE_RUNS = max(20, EXAMPLES // 10)
MACHINE_STEPS = 40 if EXAMPLES <= 100 else 60
CODES = {str(code) for code in ErrorCode}

# Text that has broken chat servers: NUL, bidi overrides, combining marks,
# zero-width characters, lone surrogates' neighbours, very long words.
NASTY = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "\u202eevil",
        "e\u0301\u0301\u0301\u0301",
        "\u200b",
        "\ufeff",
        "\U0001f600" * 50,
        "w" * 5000,
        "ﷺ" * 100,
        "..",
        "/",
        "<img src=x onerror=alert(1)>",
        "",
        " ",
    ]
)
TEXT = st.one_of(st.text(max_size=60), NASTY)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
FIELDS = ("name", "token", "channel", "text", "size", "type")


def payloads() -> st.SearchStrategy[Any]:
    """Anything JSON, and objects with the real field names holding anything."""
    shaped = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=len(FIELDS))
    deep = st.integers(min_value=1, max_value=200).map(lambda n: _nested(n))
    # Huge, yet under the 64 KB packet cap (bigger packets close the connection: test_frames.py).
    huge = st.sampled_from(
        [
            list(range(8000)),
            {"channel": "c" * 50_000},
            {"text": ["x" * 100] * 400},
            {str(n): n for n in range(3000)},
        ]
    )
    return st.one_of(JSON, shaped, deep, huge)


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"channel": value}
    return value


class LoopThread:
    """An event loop on its own thread, so synchronous tests can await."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@dataclass
class Target:
    """A server to fuzz; ``inside`` when it runs in this process (rooms readable)."""

    url: str
    inside: InProcessServer | None

    def assert_rooms_follow_the_core(self) -> None:
        if self.inside is not None:
            assert self.inside.room_mismatches() == {}


@pytest.fixture(scope="module")
def inside() -> Iterator[InProcessServer]:
    """This module's in-process server, shared by the payload fuzz and the
    state machine."""
    with InProcessServer() as server:
        yield server


@pytest.fixture(scope="module", params=["asgi-in-process", "sanic"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "sanic":
        with running_server({"FLACK_INTEGRATION": "sanic", "FLACK_LOG_LEVEL": "warning"}) as url:
            yield Target(url, None)
    else:
        server: InProcessServer = request.getfixturevalue("inside")
        yield Target(server.url, server)


@pytest.fixture(scope="module")
def fuzz(target: Target, loop: LoopThread) -> Iterator[tuple[LoopThread, Peer, Peer, str, Target]]:
    """A fuzzing peer with a channel open, and a healthy bystander in the same channel."""

    async def setup() -> tuple[Peer, Peer, str]:
        channel = unique("fuzz-")
        peer = await Peer(target.url).connect()
        await peer.named(unique("fuzzer"))
        await peer.ok("create_channel", {"channel": channel})
        await peer.ok("join_channel", {"channel": channel})
        bystander = await Peer(target.url).connect()
        await bystander.named(unique("bystander"))
        await bystander.ok("join_channel", {"channel": channel})
        return peer, bystander, channel

    peer, bystander, channel = loop.run(setup())
    yield loop, peer, bystander, channel, target

    async def teardown() -> None:
        await peer.sio.disconnect()
        await bystander.sio.disconnect()

    loop.run(teardown())


def check_ack(ack: Any) -> None:
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if ack["ok"]:
        assert isinstance(ack["data"], dict)
    else:
        assert ack["error"]["code"] in CODES, ack
        assert ack["error"]["code"] != ErrorCode.INTERNAL, ack  # never a crash
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]


async def invariants(peer: Peer, bystander: Peer, channel: str) -> None:
    """Names unique, history capped and ordered, and both connections still work."""
    channels = (await bystander.ok("list_channels"))["channels"]
    keys = [c["name"].casefold() for c in channels]
    assert len(keys) == len(set(keys))
    joined = await bystander.ok("join_channel", {"channel": channel})
    ids = [m["id"] for m in joined["messages"]]
    assert len(ids) <= HISTORY_LIMIT and ids == sorted(set(ids))
    # The fuzzer may have renamed itself or moved; put it back and prove it still works.
    await peer.ok("join_channel", {"channel": channel})
    await peer.ok("send_message", {"channel": channel, "text": "alive"})


fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # the quick profile is the same every run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# "connect" and "disconnect" sent as events must never reach the lifecycle handlers.
FUZZED_EVENTS = sorted([*CLIENT_EVENTS, "not_an_event", "message", "connect", "disconnect"])


@pytest.mark.parametrize("event", FUZZED_EVENTS)
@fuzz_settings
@given(payload=payloads())
def test_any_payload_gets_one_coded_answer(fuzz, event: str, payload: Any) -> None:
    loop, peer, bystander, channel, target = fuzz
    # A few events would change the fuzzer's identity or channel for real;
    # that is allowed, and the invariants put it back.
    ack = loop.run(peer.call(event, payload))
    check_ack(ack)
    target.assert_rooms_follow_the_core()  # right after the event, before anything is put back
    loop.run(invariants(peer, bystander, channel))
    target.assert_rooms_follow_the_core()


@fuzz_settings
@given(args=st.lists(JSON, min_size=2, max_size=4))
def test_several_arguments_are_refused(fuzz, args: list[Any]) -> None:
    loop, peer, _, _, target = fuzz
    ack = loop.run(peer.call("send_message", tuple(args)))
    check_ack(ack)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_payload"
    target.assert_rooms_follow_the_core()


# --- the state machine -----------------------------------------------------------------


@dataclass
class Person:
    """An identity as the model knows it: the name it holds and its token."""

    name: str
    token: str | None = None
    sent: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (payload, message)
    # Names it had before renaming, still its own (for a day; at most RESERVED_MAX, the latest).
    old_names: list[str] = field(default_factory=list)
    # The folded keys of the channels it is a member of (membership is the person's).
    channels: set[str] = field(default_factory=set)


@dataclass
class Tab:
    """One connection slot. ``allowed``: the messages, as ``key(message)``,
    sent to a channel while this connection was in it (what it may receive)."""

    peer: Peer | None = None
    person: int | None = None  # index into the machine's people; None: no name claimed
    allowed: set[tuple[str, int]] = field(default_factory=set)

    @property
    def sid(self) -> str:
        assert self.peer is not None
        sid = self.peer.sio.get_sid("/")
        assert sid is not None
        return str(sid)


_runs = itertools.count(1)
SLOTS = 5  # tabs 0-2 start as one person, 3 and 4 as two others
POOL = 3  # channel names and spare display names each machine run may use


def key(message: dict[str, Any]) -> tuple[str, int]:
    """What identifies a message: ids count per channel."""
    return fold(message["channel"]), message["id"]


def expect_error(ack: dict[str, Any], code: ErrorCode) -> None:
    assert ack["ok"] is False and ack["error"]["code"] == code, (code, ack)


class RoomsMachine(RuleBasedStateMachine):
    """Connections that move around while the model keeps track of where
    each one is; see the module docstring for what is checked."""

    def __init__(self, server: InProcessServer, loop: LoopThread) -> None:
        super().__init__()
        self.server, self.loop = server, loop
        run = f"m{next(_runs)}"  # names no other run on this server uses
        self.channel_names = [f"{run}-c{n}" for n in range(POOL)]
        self.spare_names = [f"{run}n{n}" for n in range(POOL)]
        self.created: set[str] = set()  # folded keys
        self.people = [Person(f"{run}p{n}") for n in range(3)]
        self.tabs = [Tab() for _ in range(SLOTS)]
        self.texts = itertools.count(1)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(coroutine)

    def live(self) -> list[int]:
        return [n for n, tab in enumerate(self.tabs) if tab.peer is not None]

    def named(self) -> list[int]:
        return [n for n in self.live() if self.tabs[n].person is not None]

    def channels_of(self, tab: Tab) -> set[str]:
        """Where a tab receives: its person's channels (nothing unnamed)."""
        return self.people[tab.person].channels if tab.person is not None else set()

    def holder(self, name: str) -> int | None:
        """Which person holds ``name``, or a name it cannot coexist with, as
        their name or an old one kept after a rename (names are reserved for
        a day: nobody here lets one go)."""
        return next(
            (
                n
                for n, p in enumerate(self.people)
                if any(confusable(h, name) for h in [p.name, *p.old_names])
            ),
            None,
        )

    def spelled(self, name: str, upper: bool) -> str:
        return name.upper() if upper else name

    # -- setup and teardown --------------------------------------------------------------

    @initialize()
    def connect_everyone(self) -> None:
        for slot, person in enumerate([0, 0, 0, 1, 2]):
            self.reconnect_as(slot, person)
        # Two channels from the start (the third is the rules' to create):
        # the first person (three tabs) in both, with somebody else in the
        # first; the third person nowhere.
        first, second = self.channel_names[:2]
        for name in (first, second):
            self.must(0, "create_channel", {"channel": name})
            self.created.add(fold(name))
        for slot, name in ((0, first), (3, first), (2, second)):
            self.must(slot, "join_channel", {"channel": name})
            self.people[self.tabs[slot].person or 0].channels.add(fold(name))

    def must(self, slot: int, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        """``slot`` sends an event that must succeed; the ack's data."""
        peer = self.tabs[slot].peer
        assert peer is not None
        return self.run(peer.ok(event, payload))

    def reconnect_as(self, slot: int, person: int | None) -> None:
        self.tabs[slot] = Tab(peer=self.run(Peer(self.server.url).connect()))
        if person is not None:
            self.claim(slot, self.people[person].name, self.people[person].token, expect_person=person)

    def teardown(self) -> None:
        async def close() -> None:
            for tab in self.tabs:
                if tab.peer is not None:
                    await tab.peer.sio.disconnect()

        self.run(close())

    # -- names -------------------------------------------------------------------------------

    def claim(self, slot: int, name: str, token: str | None, expect_person: int | None) -> None:
        """``slot`` claims ``name`` with ``token`` (``expect_person``: whose token it is)."""
        tab = self.tabs[slot]
        assert tab.peer is not None
        ack = self.run(tab.peer.call("claim_name", {"name": name, "token": token}))
        holder = self.holder(name)
        if holder is not None and holder != expect_person:
            expect_error(ack, ErrorCode.NAME_TAKEN)
            return
        assert ack["ok"] is True, ack
        assert ack["data"]["name"] == name
        if expect_person is None:  # a new identity
            self.people.append(Person(name, ack["data"]["token"]))
            expect_person = len(self.people) - 1
        person = self.people[expect_person]
        if person.token is not None:
            assert ack["data"]["token"] == person.token
            # A rename keeps the old name this person's (the latest RESERVED_MAX).
            same = lambda a, b: fold(a) == fold(b) and skeleton(a) == skeleton(b)  # noqa: E731
            kept = [n for n in person.old_names if not same(n, name)]
            if not same(person.name, name):
                kept = [n for n in kept if not same(n, person.name)] + [person.name]
            person.old_names = kept[-RESERVED_MAX:]
        person.name, person.token = name, ack["data"]["token"]
        tab.person = expect_person  # the tab now receives this person's conversations

    @precondition(lambda self: self.live())
    @rule(
        data=st.data(),
        whose=st.sampled_from(["own", "other", "none"]),
        name=st.integers(0, 2 * POOL - 1),
        upper=st.booleans(),
    )
    def claim_name(self, data: st.DataObject, whose: str, name: int, upper: bool) -> None:
        """Rename (own token), switch to another person (their token), or a
        new identity (no token), with one of the people's or a spare name."""
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab = self.tabs[slot]
        if whose == "other":
            person: int | None = data.draw(st.integers(0, len(self.people) - 1), label="person")
        else:
            person = tab.person if whose == "own" else None
        if name < POOL:
            wanted = self.people[name % len(self.people)].name
        else:
            wanted = self.spare_names[name - POOL]
        token = self.people[person].token if person is not None else None
        self.claim(slot, self.spelled(wanted, upper), token, expect_person=person)

    # -- channels --------------------------------------------------------------------------

    @precondition(lambda self: self.live())
    @rule(data=st.data(), pick=st.integers(0, POOL - 1), upper=st.booleans())
    def create_channel(self, data: st.DataObject, pick: int, upper: bool) -> None:
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab, name = self.tabs[slot], self.spelled(self.channel_names[pick], upper)
        assert tab.peer is not None
        ack = self.run(tab.peer.call("create_channel", {"channel": name}))
        if tab.person is None:
            expect_error(ack, ErrorCode.NOT_NAMED)
        elif fold(name) in self.created:
            expect_error(ack, ErrorCode.CHANNEL_EXISTS)
        else:
            assert ack["ok"] is True and ack["data"]["channel"]["name"] == name, ack
            self.created.add(fold(name))

    @precondition(lambda self: self.live())
    @rule(data=st.data(), pick=st.integers(0, POOL - 1), upper=st.booleans())
    def join_channel(self, data: st.DataObject, pick: int, upper: bool) -> None:
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab, name = self.tabs[slot], self.spelled(self.channel_names[pick], upper)
        assert tab.peer is not None
        ack = self.run(tab.peer.call("join_channel", {"channel": name}))
        if tab.person is None:
            expect_error(ack, ErrorCode.NOT_NAMED)
        elif fold(name) not in self.created:
            expect_error(ack, ErrorCode.NO_SUCH_CHANNEL)
        else:
            assert ack["ok"] is True and fold(ack["data"]["channel"]["name"]) == fold(name), ack
            self.channels_of(tab).add(fold(name))

    @precondition(lambda self: self.live())
    @rule(data=st.data(), pick=st.integers(0, POOL - 1))
    def leave_channel(self, data: st.DataObject, pick: int) -> None:
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab, name = self.tabs[slot], self.channel_names[pick]
        assert tab.peer is not None
        ack = self.run(tab.peer.call("leave_channel", {"channel": name}))
        if tab.person is None:
            expect_error(ack, ErrorCode.NOT_NAMED)
        elif fold(name) not in self.created:
            expect_error(ack, ErrorCode.NO_SUCH_CHANNEL)
        else:
            assert ack["ok"] is True, ack
            self.channels_of(tab).discard(fold(name))

    # -- messages ---------------------------------------------------------------------------

    @precondition(lambda self: self.live())
    @rule(data=st.data(), where=st.one_of(st.none(), st.integers(0, POOL - 1)))
    def send_message(self, data: st.DataObject, where: int | None) -> None:
        """Send to one of the tab's channels (``where`` None) or a named one;
        every connection of every member then receives it."""
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab = self.tabs[slot]
        assert tab.peer is not None
        mine = sorted(self.channels_of(tab))
        channel = (mine[0] if mine else None) if where is None else fold(self.channel_names[where])
        if channel is None:
            channel = fold(self.channel_names[0])
        payload = {"channel": channel, "text": f"t{next(self.texts)}", "client_id": unique("cid-")}
        ack = self.run(tab.peer.call("send_message", payload))
        if tab.person is None:
            expect_error(ack, ErrorCode.NOT_NAMED)
        elif channel not in self.created:
            expect_error(ack, ErrorCode.NO_SUCH_CHANNEL)
        elif channel not in self.channels_of(tab):
            expect_error(ack, ErrorCode.NOT_IN_CHANNEL)
        else:
            assert ack["ok"] is True and ack["data"]["duplicate"] is False, ack
            message = ack["data"]["message"]
            self.people[tab.person].sent.append((payload, message))
            self.delivered(channel, message)

    def delivered(self, channel: str, message: dict[str, Any]) -> None:
        """Everybody in ``channel`` now may, and must, receive ``message``."""
        members = [self.tabs[n] for n in self.live() if channel in self.channels_of(self.tabs[n])]
        for member in members:
            member.allowed.add(key(message))

        async def arrive() -> None:
            await asyncio.gather(
                *(
                    m.peer.wait_for("message", lambda d: key(d["message"]) == key(message))
                    for m in members
                    if m.peer
                )
            )

        self.run(arrive())

    @precondition(lambda self: any(self.people[self.tabs[n].person].sent for n in self.named()))
    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        """A retry of a sent message (same ``client_id``), from any tab of its
        sender, wherever that tab is now: the first message, delivered once."""
        slots = [n for n in self.named() if self.people[self.tabs[n].person].sent]
        slot = data.draw(st.sampled_from(slots), label="tab")
        tab = self.tabs[slot]
        assert tab.peer is not None and tab.person is not None
        payload, message = data.draw(st.sampled_from(self.people[tab.person].sent), label="message")
        ack = self.run(tab.peer.call("send_message", payload))
        assert ack["ok"] is True and ack["data"] == {"message": message, "duplicate": True}, ack

    # -- connections -----------------------------------------------------------------------

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        """A tab closes; the server forgets it (bounded wait)."""
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab = self.tabs[slot]
        assert tab.peer is not None
        sid = tab.sid
        self.run(tab.peer.sio.disconnect())
        self.tabs[slot] = Tab()
        chat = self.server.app.ctx.chat
        deadline = time.monotonic() + 5
        while sid in self.server.call(chat.connections):
            assert time.monotonic() < deadline, f"the server still counts {sid} as connected"
            time.sleep(0.01)

    @precondition(lambda self: len(self.live()) < SLOTS)
    @rule(data=st.data(), claim=st.booleans())
    def reconnect(self, data: st.DataObject, claim: bool) -> None:
        """A closed slot opens again: as one of the people, with their token
        (a reload, or another tab), or without claiming a name yet."""
        slot = data.draw(
            st.sampled_from([n for n in range(SLOTS) if self.tabs[n].peer is None]), label="slot"
        )
        person = data.draw(st.integers(0, len(self.people) - 1), label="person") if claim else None
        self.reconnect_as(slot, person)

    @precondition(lambda self: self.live())
    @rule(
        data=st.data(),
        event=st.sampled_from(["connect", "disconnect"]),
        payload=st.sampled_from([None, {}, "transport close", "client namespace disconnect", "other"]),
    )
    def forge_lifecycle_event(self, data: st.DataObject, event: str, payload: Any) -> None:
        """A client sends "connect" or "disconnect" as an event: refused, nothing changes."""
        slot = data.draw(st.sampled_from(self.live()), label="tab")
        tab = self.tabs[slot]
        assert tab.peer is not None
        if payload == "other":  # somebody else's sid
            payload = {"sid": self.tabs[data.draw(st.sampled_from(self.live()), label="other")].sid}
        expect_error(self.run(tab.peer.call(event, payload)), ErrorCode.UNKNOWN_EVENT)

    # -- after every step ------------------------------------------------------------------

    @invariant()
    def rooms_equal_the_core(self) -> None:
        assert self.server.room_mismatches() == {}

    @invariant()
    def the_core_agrees_with_the_model(self) -> None:
        chat = self.server.app.ctx.chat
        tabs = {self.tabs[n].sid: self.tabs[n] for n in self.live()}

        async def read() -> tuple[set[str], dict[str, frozenset[str]]]:
            return set(chat.connections()), {sid: await chat.conversations_of(sid) for sid in tabs}

        connected, where = self.server.call_async(read)
        assert set(tabs) <= connected, "a live connection was forgotten"
        for sid, tab in tabs.items():
            assert where[sid] == frozenset(self.channels_of(tab)), sid

    @invariant()
    def each_message_reached_exactly_its_channel_once(self) -> None:
        for n in self.live():
            tab = self.tabs[n]
            assert tab.peer is not None
            got = [key(d["message"]) for d in list(tab.peer.events("message"))]
            assert len(got) == len(set(got)), f"tab {n} received a message twice: {got}"
            assert set(got) <= tab.allowed, f"tab {n} received {set(got) - tab.allowed} from elsewhere"

    @invariant()
    def every_connection_answers(self) -> None:
        async def ask() -> list[dict[str, Any]]:
            return await asyncio.gather(*(self.tabs[n].peer.call("list_channels") for n in self.live()))

        for ack in self.run(ask()):
            assert ack["ok"] is True, ack


def test_rooms_follow_the_core_whatever_connections_do(inside: InProcessServer, loop: LoopThread) -> None:
    run_state_machine_as_test(
        lambda: RoomsMachine(inside, loop),
        settings=settings(
            max_examples=MACHINE_RUNS,
            stateful_step_count=MACHINE_STEPS,
            deadline=None,
            derandomize=EXAMPLES <= 100,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
