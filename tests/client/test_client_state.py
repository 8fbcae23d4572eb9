"""Unit tests of the browser client's state and its pure parts: checks,
wording, the channel list, joining and the log (run under CPython)."""

from __future__ import annotations

import pytest

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, ErrorCode, Event, Message, Notice, sort_channels
from flack_client.checks import check_channel, check_message, check_name, is_send_key, should_follow
from flack_client.connection import Connection, connection_state
from flack_client.entries import NoticeEntry, entry_key, read_messages
from flack_client.identity import Identity, claim_refused_by_server
from flack_client.state import ChatState
from flack_client.wording import OFFLINE, TIMEOUT, describe_error, missing_channel_text


def msg(mid: int, channel: str = "general", sender: str = "bob", text: str = "hi") -> Message:
    return Message(id=mid, channel=channel, sender=sender, text=text, time="2026-11-25T10:00:00.000Z")


def wire_notice(
    channel: str = "general", kind: str = "join", name: str = "bob", old: str | None = None
) -> dict:
    return {
        "channel": channel,
        "kind": kind,
        "name": name,
        "old_name": old,
        "time": "2026-11-25T10:00:00.000Z",
    }


def opened(channel: str = "general", history: list[Message] | None = None) -> ChatState:
    state = ChatState()
    state.set_identity("Alice", "tok")
    state.begin_join(channel)
    assert state.finish_join(channel, history or [])
    return state


def ids(state: ChatState) -> list[int]:
    return [e.id for e in state.log if isinstance(e, Message)]


# --- follow-the-bottom --------------------------------------------------------


class TestShouldFollow:
    def test_at_the_very_bottom(self) -> None:
        assert should_follow(scroll_top=600, scroll_height=1000, client_height=400)

    def test_near_the_bottom_within_slack(self) -> None:
        assert should_follow(scroll_top=560, scroll_height=1000, client_height=400, slack=48)

    def test_just_beyond_the_slack(self) -> None:
        assert not should_follow(scroll_top=551, scroll_height=1000, client_height=400, slack=48)

    def test_scrolled_up_to_read_history(self) -> None:
        assert not should_follow(scroll_top=0, scroll_height=5000, client_height=400)

    def test_content_shorter_than_the_view(self) -> None:
        assert should_follow(scroll_top=0, scroll_height=300, client_height=400)

    def test_fractional_scroll_positions_from_zoomed_pages(self) -> None:
        assert should_follow(scroll_top=599.5, scroll_height=1000, client_height=400)


# --- keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shift", "composing", "sends"),
    [
        ("Enter", False, False, True),
        ("Enter", True, False, False),  # Shift+Enter: newline
        ("Enter", False, True, False),  # confirming an IME composition
        ("a", False, False, False),
        ("NumpadEnter", False, False, False),
    ],
)
def test_is_send_key(key: str, shift: bool, composing: bool, sends: bool) -> None:
    assert is_send_key(key, shift, composing) is sends


# --- channels --------------------------------------------------------------------


def test_sort_channels_ignores_case() -> None:
    assert sort_channels(["zeta", "Alpha", "beta", "Gamma"]) == ["Alpha", "beta", "Gamma", "zeta"]


def test_sort_channels_is_independent_of_arrival_order() -> None:
    assert sort_channels(["b", "B", "a"]) == sort_channels(["B", "a", "b"]) == ["a", "B", "b"]


def test_channel_list_is_sorted_and_deduplicated_case_insensitively() -> None:
    state = ChatState()
    state.set_channels(["random", "General"])
    assert state.add_channels(["apple"]) is True
    assert state.add_channels(["GENERAL"]) is False
    assert state.channels == ["apple", "General", "random"]


def test_set_channels_replaces_the_list() -> None:
    state = ChatState()
    state.set_channels(["a", "b"])
    state.set_channels(["c"])
    assert state.channels == ["c"]


def channel_from_wire(channel: object) -> str | None:
    """The channel a ``channel_created`` event carrying ``channel`` adds, if any."""
    state = ChatState()
    state.channel_created({"channel": channel})
    return state.channels[0] if state.channels else None


def test_channel_from_wire() -> None:
    assert channel_from_wire({"name": "general"}) == "general"
    assert channel_from_wire({"name": ""}) is None
    assert channel_from_wire({"name": 3}) is None
    assert channel_from_wire("general") is None
    assert channel_from_wire(None) is None


def test_the_channel_list_is_read_through_its_shape() -> None:
    state = ChatState()
    listed = Ack(ok=True, data={"channels": [{"name": "b"}, {"name": ""}, "x", {"name": "A"}]})
    state.channels_listed(listed)
    assert state.channels == ["A", "b"]  # the malformed ones are left out
    state.channels_listed(Ack(ok=True, data={"channels": "nope"}))
    assert state.channels == ["A", "b"] and state.error == describe_error(BAD_REPLY)
    state.channels_listed(Ack.failure(ErrorCode.INTERNAL, "Down."))
    assert state.error == "Down."


# --- joining and the log -----------------------------------------------------------


def test_join_opens_the_channel_with_history_in_id_order() -> None:
    state = opened("general", [msg(2), msg(1), msg(3)])
    assert state.open_channel == "general"
    assert state.joining is None
    assert ids(state) == [1, 2, 3]
    assert state.can_compose


def test_stale_join_answer_is_ignored() -> None:
    state = ChatState()
    state.begin_join("general")
    state.begin_join("random")  # clicked again before the first answer came
    assert state.finish_join("general", [msg(1)]) is False
    assert state.open_channel is None
    assert state.finish_join("random", []) is True
    assert state.open_channel == "random"


def test_join_matches_channel_names_case_insensitively() -> None:
    state = ChatState()
    state.begin_join("GENERAL")
    assert state.finish_join("General", [])
    assert state.open_channel == "General"  # as the server spells it
    assert state.is_open("general")


def test_messages_arriving_before_the_history_are_merged_without_doubles() -> None:
    state = ChatState()
    state.begin_join("general")
    assert state.add_message(msg(3)) is False  # buffered, not shown yet
    assert state.add_message(msg(4)) is False
    state.finish_join("general", [msg(1), msg(2), msg(3)])
    assert ids(state) == [1, 2, 3, 4]


def test_duplicate_messages_are_shown_once() -> None:
    # Our own message comes back twice: as the ack and as the event.
    state = opened()
    assert state.add_message(msg(1, sender="Alice")) is True
    assert state.add_message(msg(1, sender="Alice")) is False
    assert ids(state) == [1]


def test_dedupe_key_includes_the_channel() -> None:
    state = opened("general", [msg(1)])
    state.begin_join("random")
    state.finish_join("random", [msg(1, channel="random")])
    assert ids(state) == [1]
    first = state.log[0]
    assert isinstance(first, Message) and first.channel == "random"


def test_rejoining_the_same_channel_redraws_its_history() -> None:
    # After a reconnect the history is fetched again; it must not be dropped
    # as "already seen".
    state = opened("general", [msg(1), msg(2)])
    state.begin_join("general")
    state.finish_join("general", [msg(1), msg(2), msg(3)])
    assert ids(state) == [1, 2, 3]


def test_messages_for_other_channels_are_ignored() -> None:
    state = opened("general")
    assert state.add_message(msg(1, channel="random")) is False
    assert state.log == []


def test_messages_with_no_channel_open_are_ignored() -> None:
    state = ChatState()
    assert state.add_message(msg(1)) is False
    assert state.log == []


def test_channel_comparison_in_messages_ignores_case() -> None:
    state = opened("general")
    assert state.add_message(msg(1, channel="General")) is True


def test_out_of_order_message_is_placed_by_id() -> None:
    state = opened("general", [msg(1), msg(3)])
    assert state.add_message(msg(2)) is True
    assert ids(state) == [1, 2, 3]


def test_new_message_goes_after_a_notice() -> None:
    state = opened("general", [msg(1)])
    state.add_notice(wire_notice(kind="join", name="carol"))
    state.add_message(msg(2))
    kinds = [type(e).__name__ for e in state.log]
    assert kinds == ["Message", "NoticeEntry", "Message"]


def test_notices_only_for_the_open_channel() -> None:
    state = opened("general")
    assert state.add_notice(wire_notice(channel="random")) is None
    assert state.add_notice(wire_notice(channel="GENERAL")) is not None
    assert len(state.log) == 1


def test_malformed_notice_is_dropped() -> None:
    state = opened("general")
    assert state.add_notice({"channel": "general", "kind": "join"}) is None
    assert state.add_notice("nonsense") is None
    assert state.log == []


def test_notice_keys_are_unique() -> None:
    state = opened("general")
    first = state.add_notice(wire_notice())
    second = state.add_notice(wire_notice())
    assert first is not None and second is not None
    assert first.key != second.key
    assert {entry_key(e) for e in state.log} == {first.key, second.key}


def test_failed_rejoin_closes_the_channel() -> None:
    state = opened("general", [msg(1)])
    state.begin_join("general")
    state.join_failed("general")
    assert state.open_channel is None
    assert state.joining is None
    assert state.log == []
    assert not state.can_compose


def test_failed_join_of_another_channel_keeps_the_open_one() -> None:
    state = opened("general", [msg(1)])
    state.begin_join("gone")
    state.join_failed("gone")
    assert state.open_channel == "general"
    assert ids(state) == [1]


def test_log_property_is_a_copy() -> None:
    state = opened("general", [msg(1)])
    state.log.clear()
    assert ids(state) == [1]


# --- identity ------------------------------------------------------------------------


def test_own_messages_compare_names_case_insensitively() -> None:
    state = ChatState()
    assert not state.is_own(msg(1, sender="alice"))  # nobody yet
    state.set_identity("Alice", "tok")
    assert state.is_own(msg(1, sender="ALICE"))
    assert not state.is_own(msg(1, sender="Alicia"))


def test_set_identity_reports_a_changed_name() -> None:
    state = ChatState()
    assert state.set_identity("Alice", "t1") is True
    assert state.set_identity("Alice", "t1") is False
    assert state.set_identity("Alicia", "t1") is True
    assert (state.name, state.token) == ("Alicia", "t1")


def test_dialog_cannot_be_cancelled_before_a_name_exists() -> None:
    state = ChatState()
    assert state.ask_for_name()
    assert state.dialog_open and not state.can_cancel_dialog
    assert not state.ask_for_name()  # open already
    assert not state.cancel_name()
    state.set_identity("Alice", "t")
    assert state.can_cancel_dialog


def test_dialog_error_replaces_the_page_alert() -> None:
    state = ChatState(error="old problem")
    state.claim_answered("Alice", Ack.failure(ErrorCode.NAME_TAKEN, "That name is taken."), quiet=False)
    assert state.name_error == "That name is taken."
    assert state.name_draft == "Alice"
    assert state.error is None
    identity = Identity()
    identity.open_dialog(draft="Alice", error="That name is taken.")
    identity.close_dialog()
    assert not identity.dialog_open and identity.name_error is None


# --- wire parsing (the protocol's readers, as the client uses them) ------------------


def test_ack_success() -> None:
    ack = Ack.from_wire({"ok": True, "data": {"name": "Alice", "token": "t"}})
    assert ack.ok and ack.data == {"name": "Alice", "token": "t"}


def test_ack_failure() -> None:
    ack = Ack.from_wire({"ok": False, "error": {"code": "name_taken", "message": "Taken."}})
    assert not ack.ok
    assert (ack.code, ack.message) == ("name_taken", "Taken.")


@pytest.mark.parametrize(
    "reply",
    [None, "ok", {"ok": "yes"}, {"ok": False}, {"ok": False, "error": "boom"}, []],
)
def test_garbled_acks_become_bad_reply(reply: object) -> None:
    ack = Ack.from_wire(reply)
    assert not ack.ok and ack.code == BAD_REPLY


def test_ack_success_without_data_has_empty_data() -> None:
    assert Ack.from_wire({"ok": True}).data == {}


def test_message_from_wire() -> None:
    wire = {"id": 7, "channel": "general", "sender": "bob", "text": "hi", "time": "t", "extra": 1}
    assert protocol.read(Message, wire) == Message(7, "general", "bob", "hi", "t")


@pytest.mark.parametrize(
    "wire",
    [
        {"id": "7", "channel": "general", "sender": "bob", "text": "hi", "time": "t"},
        {"id": True, "channel": "general", "sender": "bob", "text": "hi", "time": "t"},
        {"id": 7, "channel": "general", "sender": None, "text": "hi", "time": "t"},
        {"id": 7, "channel": "general", "sender": "bob", "time": "t"},
        None,
    ],
)
def test_malformed_messages_are_rejected(wire: object) -> None:
    assert protocol.read(Message, wire) is None


def test_one_message_or_a_batch_from_wire() -> None:
    one = {"id": 7, "channel": "general", "sender": "bob", "text": "hi", "time": "t"}
    two = {**one, "id": 8, "text": "again"}
    assert read_messages(Event.MESSAGE, {"message": one}) == [Message(7, "general", "bob", "hi", "t")]
    assert [m.id for m in read_messages(Event.MESSAGES, {"messages": [one, two]})] == [7, 8]
    # A malformed item is left out; the rest of the batch is kept.
    assert [m.id for m in read_messages(Event.MESSAGES, {"messages": [one, {"id": "x"}, two]})] == [7, 8]
    garbled: list[object] = [None, [], {"messages": "x"}, {"messages": None}, {"message": None}, {}]
    for bad in garbled:
        assert read_messages(Event.MESSAGE, bad) == []
        assert read_messages(Event.MESSAGES, bad) == []


def test_a_batch_is_shown_once_in_order_with_the_single_events() -> None:
    state = opened("general", [msg(1)])
    wires = [{"id": i, "channel": "general", "sender": "bob", "text": "m", "time": "t"} for i in (2, 3, 4)]
    assert all(state.add_message(m) for m in read_messages(Event.MESSAGES, {"messages": wires}))
    # The same message again (ack and event both carry our own) changes nothing.
    assert not state.add_message(read_messages(Event.MESSAGE, {"message": wires[1]})[0])
    assert ids(state) == [1, 2, 3, 4]


def test_events_go_through_the_state_in_one_call() -> None:
    state = opened("general", [msg(1)])
    wires = [{"id": i, "channel": "general", "sender": "bob", "text": "m", "time": "t"} for i in (2, 3)]
    assert state.messages_arrived(Event.MESSAGES, {"messages": wires})
    assert not state.messages_arrived(Event.MESSAGE, {"message": wires[0]})  # seen
    assert not state.messages_arrived(Event.MESSAGE, {"message": "garbled"})
    assert ids(state) == [1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "old", "text"),
    [
        ("join", None, "bob joined #general"),
        ("leave", None, "bob left #general"),
        ("rename", "robert", "robert is now known as bob"),
    ],
)
def test_notice_text(kind: str, old: str | None, text: str) -> None:
    read = protocol.read(Notice, wire_notice(kind=kind, name="bob", old=old))
    assert read is not None
    notice = NoticeEntry(1, read)
    assert notice.text == text


# --- errors in words -------------------------------------------------------------------


def test_server_sentence_wins() -> None:
    assert describe_error("channel_exists", "A channel named x exists.") == "A channel named x exists."


def test_every_protocol_code_has_its_own_words() -> None:
    texts = {describe_error(code) for code in ErrorCode}
    assert len(texts) == len(ErrorCode)
    assert all(text.endswith(".") for text in texts)


def test_client_side_codes_have_words() -> None:
    assert "did not answer" in describe_error(TIMEOUT)
    assert "not connected" in describe_error(OFFLINE)


def test_unknown_code_gets_a_generic_sentence() -> None:
    assert describe_error("brand_new_code", "   ") == "Something went wrong. Please try again."


def test_missing_channel_text_names_the_channel() -> None:
    text = missing_channel_text("old-stuff")
    assert text.startswith("The channel #old-stuff no longer exists")


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        (ErrorCode.NAME_TAKEN, True),
        (ErrorCode.NAME_INVALID, True),
        (TIMEOUT, False),
        (OFFLINE, False),
        (ErrorCode.INTERNAL, False),
    ],
)
def test_claim_refused_by_server(code: str, refused: bool) -> None:
    assert claim_refused_by_server(code) is refused


# --- input checks -----------------------------------------------------------------------


def test_check_name_cleans_like_the_server() -> None:
    assert check_name("  Ada   Lovelace ").value == "Ada Lovelace"


def test_check_name_refuses_invisible_characters() -> None:
    checked = check_name("bad\u202ename")
    assert checked.value is None and checked.error and "not allowed" in checked.error


def test_check_name_too_long() -> None:
    checked = check_name("x" * (protocol.NAME_MAX + 1))
    assert checked.error and str(protocol.NAME_MAX) in checked.error


def test_check_channel() -> None:
    assert check_channel(" dev-ops ").value == "dev-ops"
    assert check_channel("-nope").error
    assert check_channel("a/b").error


def test_blank_composer_is_ignored_silently() -> None:
    assert check_message("  \n ") == check_message("")
    assert check_message("").value is None and check_message("").error is None


def test_too_long_message_is_caught_before_sending() -> None:
    checked = check_message("x" * (protocol.MESSAGE_MAX + 1))
    assert checked.value is None
    assert checked.error and "4,000" in checked.error


def test_message_keeps_inner_newlines() -> None:
    assert check_message("one\r\ntwo\n").value == "one\ntwo"


# --- connection words ---------------------------------------------------------------------


def test_connection_labels() -> None:
    state = ChatState()
    assert state.connection_label == "Loading…"
    labels = {c: ChatState(connection=c).connection_label for c in Connection}
    assert len(set(labels.values())) == len(Connection)  # every state has words of its own
    assert labels[Connection.CONNECTED] == "Connected"
    assert labels[Connection.RECONNECTING] == "Reconnecting…"
    assert labels[Connection.OFFLINE] == "Offline"


@pytest.mark.parametrize(
    ("online", "connected", "retrying", "ever", "expected"),
    [
        (True, True, True, True, Connection.CONNECTED),
        (True, False, True, True, Connection.RECONNECTING),
        (True, False, True, False, Connection.CONNECTING),  # first attempt
        (True, False, False, True, Connection.OFFLINE),  # socket.io gave up
        # The browser knows before the socket does.
        (False, True, True, True, Connection.OFFLINE),
        (False, False, True, True, Connection.OFFLINE),
    ],
)
def test_connection_state(
    online: bool, connected: bool, retrying: bool, ever: bool, expected: Connection
) -> None:
    assert (
        connection_state(online=online, connected=connected, retrying=retrying, ever_connected=ever)
        is expected
    )


def test_empty_log_text() -> None:
    state = ChatState()
    assert "Pick a channel" in state.empty_log_text()
    state = opened("general")
    assert "#general" in state.empty_log_text()


def test_composer_placeholder_names_the_open_channel() -> None:
    state = ChatState()
    assert state.composer_placeholder == "Loading…"  # the client is not ready yet
    state.mark_ready()
    assert state.composer_placeholder == "Open a channel to write"
    assert opened("dev ops").composer_placeholder == "Message #dev ops"
