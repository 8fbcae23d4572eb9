"""Property-based tests: any JSON payload on any event gets one coded answer, state stays sound.

A quick profile runs with the suite; ``nox -s fuzz`` runs the long one
(``FLACK_FUZZ_EXAMPLES``, 10,000 cases per event). Each case is sent by a real
python-socketio client to a real server; the client runs on its own event loop
thread because Hypothesis drives plain (synchronous) test functions.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flack.protocol import CLIENT_EVENTS, HISTORY_LIMIT, ErrorCode
from wire_support import Peer, unique

T = TypeVar("T")
EXAMPLES = int(os.environ.get("FLACK_FUZZ_EXAMPLES", "40"))
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
def fuzz(server_url: str) -> Iterator[tuple[LoopThread, Peer, Peer, str]]:
    """A fuzzing peer with a channel open, and a healthy bystander in the same channel."""
    loop = LoopThread()

    async def setup() -> tuple[Peer, Peer, str]:
        channel = unique("fuzz-")
        peer = await Peer(server_url).connect()
        await peer.named(unique("fuzzer"))
        await peer.ok("create_channel", {"channel": channel})
        await peer.ok("join_channel", {"channel": channel})
        bystander = await Peer(server_url).connect()
        await bystander.named(unique("bystander"))
        await bystander.ok("join_channel", {"channel": channel})
        return peer, bystander, channel

    peer, bystander, channel = loop.run(setup())
    yield loop, peer, bystander, channel

    async def teardown() -> None:
        await peer.sio.disconnect()
        await bystander.sio.disconnect()

    loop.run(teardown())
    loop.close()


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


@pytest.mark.parametrize("event", sorted([*CLIENT_EVENTS, "not_an_event", "message"]))
@fuzz_settings
@given(payload=payloads())
def test_any_payload_gets_one_coded_answer(fuzz, event: str, payload: Any) -> None:
    loop, peer, bystander, channel = fuzz
    # A few events would change the fuzzer's identity or channel for real;
    # that is allowed, and the invariants put it back.
    ack = loop.run(peer.call(event, payload))
    check_ack(ack)
    loop.run(invariants(peer, bystander, channel))


@fuzz_settings
@given(args=st.lists(JSON, min_size=2, max_size=4))
def test_several_arguments_are_refused(fuzz, args: list[Any]) -> None:
    loop, peer, _, _ = fuzz
    ack = loop.run(peer.call("send_message", tuple(args)))
    check_ack(ack)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_payload"
