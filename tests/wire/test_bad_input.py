"""Every malformed payload gets a coded error, and the server keeps working."""

from __future__ import annotations

import pytest

from wire_support import unique

NOT_AN_OBJECT = ["text", 42, 3.5, True, ["a", "b"]]


def cases() -> list[tuple[str, object, str]]:
    out: list[tuple[str, object, str]] = []
    for event in ("claim_name", "create_channel", "join_channel", "send_message"):
        out += [(event, bad, "bad_payload") for bad in [None, *NOT_AN_OBJECT, {}]]
        out.append((event, ("two", "args"), "bad_payload"))
    for event in ("list_channels", "leave_channel"):
        out += [(event, bad, "bad_payload") for bad in NOT_AN_OBJECT]
    out += [
        ("claim_name", {"name": 5}, "bad_payload"),
        ("claim_name", {"name": None}, "bad_payload"),
        ("claim_name", {"name": "ok", "token": 7}, "bad_payload"),
        ("claim_name", {"name": "ok", "token": "t" * 129}, "bad_payload"),
        ("claim_name", {"name": ""}, "name_invalid"),
        ("claim_name", {"name": "x" * 33}, "name_invalid"),
        ("claim_name", {"name": "evil\u202egnp"}, "name_invalid"),
        ("claim_name", {"name": {"nested": [1, 2, {"deep": True}]}}, "bad_payload"),
        ("create_channel", {"channel": ["general"]}, "bad_payload"),
        ("create_channel", {"channel": "../etc"}, "channel_invalid"),
        ("create_channel", {"channel": "x" * 41}, "channel_invalid"),
        ("create_channel", {"channel": "a" * 60_000}, "channel_invalid"),  # just under the packet cap
        ("join_channel", {"channel": 1}, "bad_payload"),
        ("join_channel", {"channel": "general", "since": -1}, "bad_payload"),
        ("join_channel", {"channel": "general", "since": "5"}, "bad_payload"),
        ("join_channel", {"channel": "general", "since": True}, "bad_payload"),
        ("send_message", {"channel": "general", "text": "x", "client_id": 5}, "bad_payload"),
        ("send_message", {"channel": "general", "text": "x", "client_id": ""}, "bad_payload"),
        ("send_message", {"channel": "general", "text": "x", "client_id": "c" * 65}, "bad_payload"),
        ("send_message", {"channel": "general"}, "bad_payload"),
        ("send_message", {"channel": "general", "text": None}, "bad_payload"),
        ("send_message", {"channel": "general", "text": "   "}, "message_invalid"),
        ("send_message", {"channel": "general", "text": "x" * 4001}, "message_too_long"),
        ("no_such_event", {}, "unknown_event"),
        ("message", {"message": {"text": "forged broadcast"}}, "unknown_event"),
        # Socket.IO's lifecycle names sent as events must never reach the
        # connect/disconnect handlers (they used to: "disconnect" made the
        # server forget a live connection, "connect" reset its name).
        ("connect", {}, "unknown_event"),
        ("disconnect", {}, "unknown_event"),
        ("disconnect", "transport close", "unknown_event"),
    ]
    return out


@pytest.fixture
async def ready(peers):
    """A named peer with an open channel, plus the channel's name."""
    channel = unique("bad-input-")
    peer = await (await peers()).named(unique("quinn"))
    await peer.ok("create_channel", {"channel": channel})
    await peer.ok("join_channel", {"channel": channel})
    return peer, channel


@pytest.mark.parametrize(("event", "payload", "code"), cases())
async def test_malformed_payload_gets_coded_error(ready, event: str, payload: object, code: str) -> None:
    peer, channel = ready
    if isinstance(payload, dict) and payload.get("channel") == "general":
        payload = {**payload, "channel": channel}
    ack = await peer.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    # Nothing was stored, and the same connection still works.
    history = (await peer.ok("join_channel", {"channel": channel}))["messages"]
    assert history == []
    sent = await peer.ok("send_message", {"channel": channel, "text": "still fine"})
    assert sent["message"]["text"] == "still fine"
