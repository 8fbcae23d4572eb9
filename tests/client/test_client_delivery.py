"""Never losing a message, client side: last ids, catching up, the outbox.

Plain CPython tests of ``flack_client.state`` and ``flack_client.outbox``: what is remembered per channel,
what a rejoin shows (missed messages once, in order; the gap marker; a channel
whose ids started over), and how a sent message goes from pending to real,
is retried, waits for a rate limit, or fails with Retry/Discard.
"""

from __future__ import annotations

import json
import uuid

import pytest

from flack import protocol
from flack.protocol import BAD_REPLY, CLIENT_ID_MAX, Ack, ErrorCode, Message
from flack_client.connection import Connection, connection_state, too_many_connections_text
from flack_client.entries import GapMarker
from flack_client.outbox import (
    LAST_IDS_MAX,
    MAX_SEND_ATTEMPTS,
    OUTBOX_MAX,
    RETRY_AFTER_MAX,
    LastIds,
    Outgoing,
    SendStatus,
    decide_send,
    new_client_id,
    outbox_from_wire,
)
from flack_client.state import ChatState
from flack_client.wording import GAP_TEXT, OFFLINE, TIMEOUT, first_words

ME = "Alice"


def msg(
    mid: int,
    channel: str = "general",
    sender: str = "bob",
    text: str | None = None,
    client_id: str | None = None,
) -> Message:
    return Message(
        id=mid,
        channel=channel,
        sender=sender,
        text=text if text is not None else f"message {mid}",
        time="2026-11-25T10:00:00.000Z",
        client_id=client_id,
    )


def wire(message: Message) -> dict:
    return {
        "id": message.id,
        "channel": message.channel,
        "sender": message.sender,
        "text": message.text,
        "time": message.time,
        "file": None,
        "client_id": message.client_id,
    }


def sent_ok(message: Message, duplicate: bool = False) -> Ack:
    return Ack(ok=True, data={"message": wire(message), "duplicate": duplicate})


def joined(channel: str = "general", history: list[Message] | None = None, **kwargs: object) -> ChatState:
    state = ChatState()
    state.set_identity(ME, "tok")
    state.begin_join(channel)
    assert state.finish_join(channel, history or [], **kwargs)  # type: ignore[arg-type]
    return state


def rejoin(
    state: ChatState, history: list[Message], gap: bool = False, channel: str = "general"
) -> int | None:
    """Reconnect and rejoin the open channel the way main.py does."""
    state.connection_lost()
    request = state.begin_join(channel)
    assert state.finish_join(channel, history, since=request.since, gap=gap)
    return request.since


def texts(state: ChatState) -> list[str]:
    shown = []
    for entry in state.log:
        if isinstance(entry, Message | Outgoing):
            shown.append(entry.text)
        elif isinstance(entry, GapMarker):
            shown.append(f"[{entry.text}]")
    return shown


def ids(state: ChatState) -> list[int]:
    return [e.id for e in state.log if isinstance(e, Message)]


def pending(state: ChatState) -> list[Outgoing]:
    return [e for e in state.log if isinstance(e, Outgoing)]


def mine(mid: int, item: Outgoing) -> Message:
    """The server's message for an outbox item."""
    return msg(mid, channel=item.channel, sender=ME, text=item.text, client_id=item.client_id)


# --- wire details -------------------------------------------------------------------


class TestWire:
    def test_rate_limited_ack_carries_retry_after(self) -> None:
        ack = Ack.from_wire(
            {"ok": False, "error": {"code": "rate_limited", "message": "Slow down.", "retry_after": 0.3}}
        )
        assert (ack.code, ack.message, ack.retry_after) == ("rate_limited", "Slow down.", 0.3)

    @pytest.mark.parametrize("value", [None, True, -1, "2", [1]])
    def test_malformed_retry_after_is_ignored(self, value: object) -> None:
        ack = Ack.from_wire(
            {"ok": False, "error": {"code": "rate_limited", "message": "", "retry_after": value}}
        )
        assert ack.retry_after is None

    def test_message_keeps_its_client_id(self) -> None:
        message = protocol.read(Message, wire(msg(3, client_id="abc")))
        assert message is not None and message.client_id == "abc"

    @pytest.mark.parametrize("value", [None, "", 7, ["x"]])
    def test_message_without_a_usable_client_id(self, value: object) -> None:
        message = protocol.read(Message, {**wire(msg(3)), "client_id": value})
        assert message is not None and message.client_id is None

    def test_message_without_the_field_at_all(self) -> None:
        raw = wire(msg(3))
        del raw["client_id"]
        message = protocol.read(Message, raw)
        assert message is not None and message.client_id is None

    def test_new_client_ids_are_uuids_within_the_protocol_limit(self) -> None:
        first, second = new_client_id(), new_client_id()
        assert first != second
        assert uuid.UUID(first).version == 4
        assert 1 <= len(first) <= CLIENT_ID_MAX


# --- status words -------------------------------------------------------------------------


class TestConnectionWords:
    def test_server_closing_says_reconnecting_at_once(self) -> None:
        state = connection_state(
            online=True, connected=True, retrying=True, ever_connected=True, closing=True
        )
        assert state is Connection.RECONNECTING

    def test_browser_offline_still_wins(self) -> None:
        state = connection_state(
            online=False, connected=True, retrying=True, ever_connected=True, closing=True
        )
        assert state is Connection.OFFLINE

    def test_too_many_connections_uses_the_servers_sentence(self) -> None:
        payload = {"message": "Too many connections from 10.0.0.1.", "data": {"code": "too_many_connections"}}
        assert too_many_connections_text(payload) == "Too many connections from 10.0.0.1."

    def test_too_many_connections_without_a_sentence_gets_words(self) -> None:
        text = too_many_connections_text({"message": "", "data": {"code": "too_many_connections"}})
        assert text and "connections" in text

    @pytest.mark.parametrize(
        "payload",
        [None, "xhr poll error", {"message": "websocket error", "data": None}, {"data": {"code": "other"}}],
    )
    def test_other_connect_errors_are_not_alerts(self, payload: object) -> None:
        assert too_many_connections_text(payload) is None


# --- last ids -------------------------------------------------------------------------------


class TestLastIds:
    def test_note_keeps_the_largest_id_case_insensitively(self) -> None:
        ids_ = LastIds()
        ids_.note("General", 5)
        ids_.note("general", 3)
        ids_.note("GENERAL", 9)
        assert ids_.get("general") == 9
        assert ids_.get("other") is None

    def test_set_may_go_down_and_none_forgets(self) -> None:
        ids_ = LastIds()
        ids_.note("general", 50)
        ids_.set("general", 2)
        assert ids_.get("general") == 2
        ids_.set("general", None)
        assert ids_.get("general") is None

    def test_bounded_forgetting_the_least_recently_seen(self) -> None:
        ids_ = LastIds(limit=3)
        for index, channel in enumerate(["a", "b", "c"], start=1):
            ids_.note(channel, index)
        ids_.note("a", 10)  # a is fresh again
        ids_.note("d", 1)
        assert ids_.get("b") is None
        assert [ids_.get(c) for c in "acd"] == [10, 3, 1]

    def test_default_bound(self) -> None:
        ids_ = LastIds()
        for index in range(LAST_IDS_MAX + 10):
            ids_.note(f"room {index}", index)
        assert len(ids_.to_wire()) == LAST_IDS_MAX
        assert ids_.get("room 0") is None
        assert ids_.get(f"room {LAST_IDS_MAX + 9}") == LAST_IDS_MAX + 9

    def test_storage_shape_round_trips_through_json(self) -> None:
        ids_ = LastIds()
        ids_.note("Dev Ops", 7)
        ids_.note("général", 12)
        stored = json.loads(json.dumps(ids_.to_wire()))
        assert stored == {"Dev Ops": 7, "général": 12}
        back = LastIds.from_wire(stored)
        assert back.get("dev ops") == 7 and back.get("GÉNÉRAL") == 12

    @pytest.mark.parametrize("stored", [None, [], "x", 3, {"": 1}, {"a": -1}, {"a": True}, {"a": "3"}])
    def test_garbled_storage_is_forgotten(self, stored: object) -> None:
        assert LastIds.from_wire(stored).to_wire() == {}

    def test_garbled_entries_are_skipped_the_rest_kept(self) -> None:
        back = LastIds.from_wire({"a": 1, "b": None, "c": 2.5, "d": 4})
        assert back.to_wire() == {"a": 1, "d": 4}

    def test_the_log_notes_what_it_shows(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        assert state.last_ids.get("general") == 2
        state.add_message(msg(3))
        state.add_message(msg(9, channel="elsewhere"))  # not shown, not noted
        assert state.last_ids.get("general") == 3
        assert state.last_ids.get("elsewhere") is None


# --- rejoining: since, repeats, gaps --------------------------------------------------------


class TestCatchingUp:
    def test_resume_point(self) -> None:
        state = ChatState()
        state.set_identity(ME, "tok")
        assert state.resume_point("general") is None  # not on screen: the whole history
        state = joined()
        assert state.resume_point("general") == 0  # there, but no message seen yet
        state.add_message(msg(4))
        assert state.resume_point("General") == 4
        assert state.resume_point("other") is None

    def test_rejoin_shows_exactly_what_was_missed_in_order(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        since = rejoin(state, [msg(3), msg(4), msg(5)])
        assert since == 2
        assert ids(state) == [1, 2, 3, 4, 5]
        assert not any(isinstance(e, GapMarker) for e in state.log)

    def test_repeats_from_live_delivery_and_history_are_dropped(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        state.connection_lost()
        since = state.begin_join("general").since
        # Live delivery starts before the history is read: 4 and 5 come both ways.
        state.add_message(msg(4))
        state.add_message(msg(5))
        assert state.finish_join("general", [msg(3), msg(4), msg(5)], since=since)
        state.add_message(msg(5))
        state.add_message(msg(6))
        assert ids(state) == [1, 2, 3, 4, 5, 6]

    def test_a_rejoin_keeps_the_notices_already_shown(self) -> None:
        state = joined(history=[msg(1)])
        state.add_notice(
            {
                "channel": "general",
                "kind": "join",
                "name": "bob",
                "old_name": None,
                "time": "2026-11-25T10:00:00Z",
            }
        )
        rejoin(state, [msg(2)])
        assert len(state.log) == 3

    def test_gap_puts_a_marker_before_the_kept_messages(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        kept = [msg(i) for i in range(8, 108)]
        rejoin(state, kept, gap=True)
        log = state.log
        marker = next(i for i, e in enumerate(log) if isinstance(e, GapMarker))
        assert [e.id for e in log[:marker] if isinstance(e, Message)] == [1, 2]
        assert [e.id for e in log[marker + 1 :] if isinstance(e, Message)] == list(range(8, 108))
        assert log[marker].text == GAP_TEXT == "Earlier messages unavailable"
        assert state.last_ids.get("general") == 107

    def test_live_messages_go_after_the_kept_history(self) -> None:
        state = joined(history=[msg(1)])
        rejoin(state, [msg(5), msg(6)], gap=True)
        state.add_message(msg(7))
        assert texts(state)[-4:] == ["[Earlier messages unavailable]", "message 5", "message 6", "message 7"]

    def test_two_gaps_make_two_markers_with_their_own_keys(self) -> None:
        state = joined(history=[msg(1)])
        rejoin(state, [msg(5)], gap=True)
        rejoin(state, [msg(9)], gap=True)
        markers = [e for e in state.log if isinstance(e, GapMarker)]
        assert len(markers) == 2 and markers[0].key != markers[1].key
        assert ids(state) == [1, 5, 9]

    def test_ids_that_started_over_replace_the_log(self) -> None:
        state = joined(history=[msg(i) for i in range(40, 51)])
        rejoin(state, [msg(1, text="fresh 1"), msg(2, text="fresh 2")], gap=True)
        assert texts(state) == ["[Earlier messages unavailable]", "fresh 1", "fresh 2"]
        assert state.last_ids.get("general") == 2  # lower than before
        assert state.resume_point("general") == 2

    def test_a_channel_that_started_over_empty(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        rejoin(state, [], gap=True)
        assert texts(state) == ["[Earlier messages unavailable]"]
        assert state.last_ids.get("general") is None
        assert state.resume_point("general") == 0

    def test_opening_afresh_replaces_the_log(self) -> None:
        state = joined(history=[msg(1), msg(2)])
        state.begin_join("other")
        assert state.finish_join("other", [msg(1, channel="other")])
        state.begin_join("general")
        assert state.finish_join("general", [msg(1), msg(2), msg(3)])
        assert ids(state) == [1, 2, 3]

    def test_fresh_open_marks_messages_lost_since_an_earlier_visit(self) -> None:
        state = ChatState()
        state.load_saved({"general": 2}, None)
        state.set_identity(ME, "tok")
        state.begin_join("general")
        assert state.finish_join("general", [msg(i) for i in range(6, 106)])
        assert texts(state)[0] == "[Earlier messages unavailable]"
        assert ids(state) == list(range(6, 106))
        assert state.last_ids.get("general") == 105

    @pytest.mark.parametrize(
        ("remembered", "history", "gap"),
        [
            (None, [5, 6], False),  # never here before
            (4, [5, 6], False),  # nothing missed
            (4, [1, 2, 3, 4, 5], False),
            # The channel is empty now although this browser saw message 4:
            # its ids started over. One rule with the server's
            # (protocol.history_gap), which says so too.
            (4, [], True),
            (4, [6, 7], True),  # 5 is gone
            (40, [1, 2], True),  # ids started over
            (7, [7], False),
        ],
    )
    def test_catch_up_gap(self, remembered: int | None, history: list[int], gap: bool) -> None:
        """After a reload (no ``since``) the remembered id says whether
        messages are missing: the same rule as the server's."""
        state = ChatState()
        state.load_saved(None if remembered is None else {"general": remembered}, None)
        state.begin_join("general")
        assert state.finish_join("general", [msg(i) for i in history])
        assert any(isinstance(e, GapMarker) for e in state.log) is gap
        assert protocol.history_gap(remembered, min(history, default=None), max(history, default=None)) is gap


# --- the outbox -------------------------------------------------------------------------------


class TestOutbox:
    def test_a_sent_message_shows_at_once_as_pending_after_the_log(self) -> None:
        state = joined(history=[msg(1)])
        item = state.queue_message("hello")
        assert item is not None and item.channel == "general" and item.status is SendStatus.QUEUED
        assert texts(state) == ["message 1", "hello"]
        assert item.state_text == "Sending…" and not item.failed
        uuid.UUID(item.client_id)  # a real uuid

    def test_nothing_is_queued_without_an_open_channel(self) -> None:
        state = ChatState()
        state.set_identity(ME, "tok")
        assert state.queue_message("hello") is None
        assert state.outbox == []

    def test_the_outbox_is_bounded(self) -> None:
        state = joined()
        state.connection_lost()
        for index in range(OUTBOX_MAX):
            assert state.queue_message(f"m{index}") is not None
        assert state.queue_message("one too many") is None
        assert state.error and str(OUTBOX_MAX) in state.error
        assert len(state.outbox) == OUTBOX_MAX

    def test_sent_one_at_a_time_in_order(self) -> None:
        state = joined()
        first, second = state.queue_message("one"), state.queue_message("two")
        assert first and second
        assert state.next_to_send() is first
        assert first.status is SendStatus.SENDING
        assert state.next_to_send() is second  # the loop only asks after an answer
        assert state.next_to_send() is None

    def test_the_real_message_replaces_the_pending_one_event_first(self) -> None:
        state = joined(history=[msg(1)])
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        real = mine(2, item)
        assert state.add_message(real)  # the event
        assert pending(state) == []
        state.send_answered(item.client_id, sent_ok(real))  # then the ack
        assert texts(state) == ["message 1", "hello"]
        assert ids(state) == [1, 2]
        assert state.outbox == []

    def test_the_real_message_replaces_the_pending_one_ack_first(self) -> None:
        state = joined()
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        real = mine(1, item)
        decision = state.send_answered(item.client_id, sent_ok(real))
        assert decision.wait == 0 and not decision.stop
        state.add_message(real)
        assert texts(state) == ["hello"] and state.outbox == []

    def test_a_duplicate_ack_shows_the_message_once(self) -> None:
        state = joined()
        item = state.queue_message("hello")
        assert item
        real = mine(1, item)
        state.add_message(real)
        state.send_answered(item.client_id, sent_ok(real, duplicate=True))
        assert texts(state) == ["hello"]

    def test_someone_elses_message_with_our_client_id_does_not_replace_ours(self) -> None:
        state = joined()
        item = state.queue_message("hello")
        assert item
        state.add_message(msg(1, sender="mallory", text="fake", client_id=item.client_id))
        assert [p.client_id for p in pending(state)] == [item.client_id]

    def test_our_message_in_a_rejoin_history_is_not_sent_again(self) -> None:
        """Sent, but the ack was lost with the connection: the history has it."""
        state = joined(history=[msg(1)])
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        state.connection_lost()
        assert item.status is SendStatus.QUEUED
        rejoin(state, [mine(2, item)])
        assert state.outbox == [] and state.next_to_send() is None
        assert texts(state) == ["message 1", "hello"]

    def test_nothing_is_sent_before_the_channel_is_rejoined(self) -> None:
        state = joined()
        state.connection_lost()
        item = state.queue_message("typed while offline")
        assert item and state.live is False and state.next_to_send() is None
        assert [p.text for p in pending(state)] == ["typed while offline"]
        state.begin_join("general")
        assert state.next_to_send() is None  # joining: not yet
        assert state.finish_join("general", [], since=0)
        assert state.next_to_send() is item

    def test_queued_messages_wait_for_their_own_channel(self) -> None:
        state = joined("general")
        item = state.queue_message("for general")
        assert item
        state.begin_join("random")
        assert state.finish_join("random", [])
        assert pending(state) == [] and state.next_to_send() is None
        state.begin_join("general")
        assert state.finish_join("general", [])
        assert pending(state) == [item] and state.next_to_send() is item

    def test_a_sent_message_whose_channel_was_left_leaves_the_outbox(self) -> None:
        state = joined("general")
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        state.begin_join("random")
        assert state.finish_join("random", [])
        state.send_answered(item.client_id, sent_ok(mine(1, item)))
        assert state.outbox == []

    def test_a_successful_send_clears_the_alert(self) -> None:
        state = joined()
        state.error = "Slow down"
        item = state.queue_message("hello")
        assert item
        state.send_answered(item.client_id, sent_ok(mine(1, item)))
        assert state.error is None

    def test_rate_limited_waits_and_says_so_without_failing(self) -> None:
        state = joined()
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        limited = Ack.failure(ErrorCode.RATE_LIMITED, "Slow down: try again in 0.4 s.", retry_after=0.4)
        decision = state.send_answered(item.client_id, limited)
        assert decision.wait == 0.4 and not decision.stop
        assert item.status is SendStatus.QUEUED and item.attempts == 0 and not item.failed
        assert state.error == "Slow down: try again in 0.4 s."
        assert state.next_to_send() is item  # the same one, still first

    def test_a_failed_send_is_announced_and_offers_retry_and_discard(self) -> None:
        state = joined()
        item = state.queue_message("the quick brown fox jumps over the lazy dog")
        assert item and state.next_to_send() is item
        state.send_answered(item.client_id, Ack.failure(ErrorCode.MESSAGE_INVALID, "That message is empty."))
        assert item.failed and item.state_text == "Not sent"
        assert item.failure_text == "That message is empty."
        assert state.error and "not sent" in state.error and "That message is empty." in state.error
        assert pending(state) == [item]
        assert state.next_to_send() is None  # failed ones stay until the person decides
        assert item.preview == "the quick brown fox jumps…"

    def test_retry_queues_it_again_at_the_end(self) -> None:
        state = joined()
        first = state.queue_message("first")
        assert first and state.next_to_send() is first
        state.send_answered(first.client_id, Ack.failure(ErrorCode.CHANNEL_INVALID))
        second = state.queue_message("second")
        assert second
        assert state.retry_send(first.client_id)
        assert state.error is None
        assert [p.text for p in pending(state)] == ["second", "first"]
        assert first.status is SendStatus.QUEUED and first.error is None and first.attempts == 0
        assert state.next_to_send() is second
        assert not state.retry_send(second.client_id)  # only failed ones
        assert not state.retry_send("unknown")

    def test_discard_forgets_it(self) -> None:
        state = joined()
        item = state.queue_message("oops")
        assert item and state.next_to_send() is item
        state.send_answered(item.client_id, Ack.failure(ErrorCode.BAD_PAYLOAD))
        assert state.discard_send(item.client_id)
        assert state.outbox == [] and pending(state) == [] and state.error is None
        assert not state.discard_send(item.client_id)

    def test_a_discarded_message_answered_late_changes_nothing(self) -> None:
        state = joined()
        item = state.queue_message("oops")
        assert item
        item.status = SendStatus.FAILED
        state.discard_send(item.client_id)
        decision = state.send_answered(item.client_id, Ack.failure(TIMEOUT))
        assert decision.wait == 0 and state.outbox == []

    def test_a_failed_message_that_arrives_after_all_is_just_shown(self) -> None:
        state = joined()
        item = state.queue_message("slow")
        assert item
        item.status, item.error = SendStatus.FAILED, "The server did not answer in time."
        state.add_message(mine(1, item))
        assert state.outbox == [] and texts(state) == ["slow"]

    def test_a_vanished_channel_fails_its_queue(self) -> None:
        state = joined()
        state.connection_lost()
        item = state.queue_message("nowhere to go")
        assert item
        state.join_failed("general")
        state.channel_gone("general")
        assert item.failed and item.error and "exist" in item.error

    def test_connection_lost_requeues_what_was_on_its_way(self) -> None:
        state = joined()
        item = state.queue_message("hello")
        assert item and state.next_to_send() is item
        state.connection_lost()
        assert item.status is SendStatus.QUEUED and state.next_to_send() is None
        decision = state.send_answered(item.client_id, Ack.failure(TIMEOUT), dropped=True)
        assert decision.stop and item.attempts == 0 and item.status is SendStatus.QUEUED


# --- what to do after each answer -----------------------------------------------------------


class TestDecideSend:
    def item(self) -> Outgoing:
        return Outgoing("cid", "general", "hello", status=SendStatus.SENDING)

    def test_rate_limited_uses_retry_after_within_bounds(self) -> None:
        item = self.item()
        assert decide_send(item, Ack.failure(ErrorCode.RATE_LIMITED, retry_after=2.5)).wait == 2.5
        assert decide_send(item, Ack.failure(ErrorCode.RATE_LIMITED, retry_after=1e9)).wait == RETRY_AFTER_MAX
        assert 0 < decide_send(item, Ack.failure(ErrorCode.RATE_LIMITED, retry_after=0)).wait < 1
        assert decide_send(item, Ack.failure(ErrorCode.RATE_LIMITED)).wait > 0
        assert item.attempts == 0 and item.status is SendStatus.QUEUED

    def test_offline_waits_for_the_connection_uncounted(self) -> None:
        item = self.item()
        decision = decide_send(item, Ack.failure(OFFLINE))
        assert decision.stop and item.attempts == 0 and item.status is SendStatus.QUEUED

    @pytest.mark.parametrize("code", [TIMEOUT, BAD_REPLY, ErrorCode.INTERNAL, ErrorCode.NOT_IN_CHANNEL])
    def test_no_useful_answer_is_retried_a_bounded_number_of_times(self, code: str) -> None:
        item = self.item()
        waits = []
        for _ in range(MAX_SEND_ATTEMPTS - 1):
            decision = decide_send(item, Ack.failure(code))
            assert item.status is SendStatus.QUEUED and not decision.stop
            waits.append(decision.wait)
        assert all(w > 0 for w in waits) and waits == sorted(waits)
        decide_send(item, Ack.failure(code))
        assert item.failed and item.error

    def test_timeout_failure_says_so_in_words(self) -> None:
        item = self.item()
        for _ in range(MAX_SEND_ATTEMPTS):
            decide_send(item, Ack.failure(TIMEOUT))
        assert item.error == "The server did not answer in time. Please try again."

    @pytest.mark.parametrize(
        "code",
        [
            ErrorCode.MESSAGE_INVALID,
            ErrorCode.MESSAGE_TOO_LONG,
            ErrorCode.NO_SUCH_CHANNEL,
            ErrorCode.BAD_PAYLOAD,
            "?",
        ],
    )
    def test_a_refusal_fails_at_once_with_the_servers_words(self, code: str) -> None:
        item = self.item()
        decide_send(item, Ack.failure(code, "Because."))
        assert item.failed and item.error == "Because."


# --- what is stored -----------------------------------------------------------------------------


class TestStoredOutbox:
    def test_round_trip_through_json(self) -> None:
        state = joined()
        state.connection_lost()
        one, two = state.queue_message("one"), state.queue_message("two\nlines")
        assert one and two
        two.status, two.error = SendStatus.FAILED, "Refused."
        stored = json.loads(json.dumps(state.outbox_wire()))
        assert stored == [
            {"client_id": one.client_id, "channel": "general", "text": "one", "failed": None},
            {"client_id": two.client_id, "channel": "general", "text": "two\nlines", "failed": "Refused."},
        ]
        back = ChatState()
        back.load_saved({"general": 3}, stored)
        assert [(i.client_id, i.text, i.status, i.error) for i in back.outbox] == [
            (one.client_id, "one", SendStatus.QUEUED, None),
            (two.client_id, "two\nlines", SendStatus.FAILED, "Refused."),
        ]
        assert back.last_ids.get("general") == 3

    def test_what_was_on_its_way_is_queued_again(self) -> None:
        item = Outgoing("cid", "general", "hi", status=SendStatus.SENDING)
        back = Outgoing.from_wire(item.to_wire())
        assert back is not None and back.status is SendStatus.QUEUED

    def test_after_a_reload_the_queue_shows_and_goes_once_joined(self) -> None:
        state = ChatState()
        state.load_saved(None, [{"client_id": "c1", "channel": "General", "text": "saved", "failed": None}])
        state.set_identity(ME, "tok")
        assert state.next_to_send() is None
        state.begin_join("general")
        assert state.finish_join("general", [msg(1)])
        assert texts(state) == ["message 1", "saved"]
        item = state.next_to_send()
        assert item is not None and item.client_id == "c1"

    @pytest.mark.parametrize(
        "stored",
        [
            None,
            "x",
            {"client_id": "a"},
            [None, 3, "x"],
            [{"client_id": "", "channel": "g", "text": "t"}],
            [{"client_id": "a", "channel": "g", "text": ""}],
            [{"client_id": "a", "channel": 1, "text": "t"}],
            [{"client_id": "a" * (CLIENT_ID_MAX + 1), "channel": "g", "text": "t"}],
        ],
    )
    def test_garbled_storage_is_skipped(self, stored: object) -> None:
        assert outbox_from_wire(stored) == []

    def test_repeats_are_dropped_and_the_size_bounded(self) -> None:
        items = [{"client_id": f"c{i}", "channel": "g", "text": "t"} for i in range(OUTBOX_MAX + 5)]
        items.insert(1, dict(items[0]))
        back = outbox_from_wire(items)
        assert len(back) == OUTBOX_MAX
        assert [i.client_id for i in back[:2]] == ["c0", "c1"]

    def test_a_failed_item_keeps_its_reason(self) -> None:
        back = Outgoing.from_wire({"client_id": "a", "channel": "g", "text": "t", "failed": "Refused."})
        assert back is not None and back.failed and back.failure_text == "Refused."


class TestOutboxSharedByTabs:
    """Tabs of one browser share localStorage and so the stored outbox: no
    tab's save may drop another's unsent messages, and a closed tab's
    leftovers are sent by the next one that joins."""

    @staticmethod
    def offline_tab(*texts_: str) -> ChatState:
        state = joined()
        state.connection_lost()
        for text in texts_:
            assert state.queue_message(text) is not None
        return state

    def test_a_save_keeps_what_another_tab_stored(self) -> None:
        one, two = self.offline_tab("from tab one"), self.offline_tab("from tab two")
        stored = one.outbox_to_store(None)
        stored = json.loads(json.dumps(two.outbox_to_store(stored)))
        assert [item["text"] for item in stored] == ["from tab one", "from tab two"]
        # Tab one saves again later: still both, each once.
        stored = one.outbox_to_store(stored)
        assert sorted(item["text"] for item in stored) == ["from tab one", "from tab two"]

    def test_what_a_tab_delivered_or_discarded_leaves_the_store(self) -> None:
        one, two = self.offline_tab("sent", "dropped"), self.offline_tab("theirs")
        stored = two.outbox_to_store(one.outbox_to_store(None))
        sent, dropped = one.outbox
        assert one.send_answered(sent.client_id, sent_ok(mine(5, sent))) is not None
        dropped.status, dropped.error = SendStatus.FAILED, "Refused."
        assert one.discard_send(dropped.client_id)
        assert [item["text"] for item in one.outbox_to_store(stored)] == ["theirs"]

    def test_messages_loaded_at_start_count_as_this_tabs_own(self) -> None:
        stored = self.offline_tab("left behind").outbox_to_store(None)
        later = ChatState()
        later.load_saved(None, stored)
        item = later.outbox[0]
        later.set_identity(ME, "tok")
        later.begin_join("general")
        assert later.finish_join("general", [])
        assert later.send_answered(item.client_id, sent_ok(mine(1, item))) is not None
        assert later.outbox_to_store(stored) == []  # not kept as somebody else's

    def test_a_tab_adopts_what_another_left_waiting_and_sends_it(self) -> None:
        closed = self.offline_tab("typed before closing")
        failed = Outgoing("cid-failed", "general", "not sent", status=SendStatus.FAILED, error="Refused.")
        elsewhere = Outgoing("cid-elsewhere", "random", "for another channel")
        stored = [*closed.outbox_to_store(None), failed.to_wire(), elsewhere.to_wire()]
        other = joined()
        # "Not sent" stays with its own tab; another channel's waits for a
        # tab that joins that channel.
        assert other.adopt_outbox(stored, "GENERAL") == 1
        assert other.adopt_outbox(stored, "general") == 0  # once
        assert texts(other) == ["typed before closing"]
        item = other.next_to_send()
        assert item is not None and item.client_id == closed.outbox[0].client_id
        # Delivered from here: it leaves the store; the others stay there.
        assert other.send_answered(item.client_id, sent_ok(mine(1, item))) is not None
        left = [entry["text"] for entry in other.outbox_to_store(stored)]
        assert left == ["not sent", "for another channel"]

    def test_adopting_respects_the_bound(self) -> None:
        stored = [{"client_id": f"c{i}", "channel": "general", "text": "t", "failed": None} for i in range(5)]
        state = joined()
        state.connection_lost()
        for _ in range(OUTBOX_MAX - 2):
            assert state.queue_message("mine") is not None
        assert state.adopt_outbox(stored, "general") == 2
        assert len(state.outbox) == OUTBOX_MAX

    @pytest.mark.parametrize("stored", [None, "x", 3, [None, {"client_id": ""}]])
    def test_garbled_store_is_ignored(self, stored: object) -> None:
        state = self.offline_tab("mine")
        assert [item["text"] for item in state.outbox_to_store(stored)] == ["mine"]
        assert state.adopt_outbox(stored, "general") == 0


# --- small helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("hello", "hello"),
        ("one two three four five", "one two three four five"),
        ("one two three four five six", "one two three four five…"),
        ("  spaced\n\nout   words ", "spaced out words"),
        ("x" * 60, "x" * 40 + "…"),
    ],
)
def test_first_words(text: str, short: str) -> None:
    assert first_words(text) == short


def test_render_keys_change_when_an_entry_must_be_redrawn() -> None:
    item = Outgoing("cid", "general", "hi")
    queued = item.render_key
    item.status = SendStatus.SENDING
    assert item.render_key == queued  # both read "Sending…"
    item.status, item.error = SendStatus.FAILED, "Refused."
    assert item.render_key != queued
    assert GapMarker(1).render_key != GapMarker(2).render_key
