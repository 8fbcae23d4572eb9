"""The decisions main.py used to make itself, now state methods that say
what the glue must do (``Effects``): what a failed join, a refused name, a
connect error or an answer means (run under CPython)."""

from __future__ import annotations

from typing import Any

import pytest

from flack import protocol
from flack.protocol import BAD_REPLY, Ack, ClaimName, ErrorCode, Event, JoinChannel, Message
from flack_client.connection import Connection, SocketFacts
from flack_client.creating import CreateAnswer
from flack_client.effects import NOTHING, Effects
from flack_client.outbox import OUTBOX_MAX, SendStatus
from flack_client.state import ChatState
from flack_client.wording import (
    CLIENT_BUG,
    GENERIC_ERROR,
    OFFLINE,
    TIMEOUT,
    describe_error,
    missing_channel_text,
    name_dialog_help,
)

ME = "Alice"
TIME = "2026-11-25T10:00:00.000Z"
UP = SocketFacts(online=True, connected=True, will_retry=True)
RETRYING = SocketFacts(online=True, connected=False, will_retry=True)
GIVEN_UP = SocketFacts(online=True, connected=False, will_retry=False)
NO_NETWORK = SocketFacts(online=False, connected=False, will_retry=True)


def wire_message(mid: int, channel: str = "general", **changes: Any) -> dict[str, Any]:
    message = {"id": mid, "channel": channel, "sender": "bob", "text": f"m{mid}", "time": TIME}
    return {**message, **changes}


def joined_ack(
    channel: str = "general", messages: list[dict[str, Any]] | None = None, gap: bool = False
) -> Ack:
    return Ack(ok=True, data={"channel": {"name": channel}, "messages": messages or [], "gap": gap})


def named(name: str = ME, token: str = "tok") -> ChatState:
    state = ChatState()
    state.set_identity(name, token)
    return state


def join(
    state: ChatState, channel: str = "general", ack: Ack | None = None, restoring: bool = False
) -> Effects:
    request = state.begin_join(channel)
    return state.join_answered(request, ack or joined_ack(channel), restoring=restoring)


# --- joining ----------------------------------------------------------------------


class TestJoinAnswered:
    def test_joined_opens_remembers_focuses_and_sends(self) -> None:
        state = named()
        effects = join(state, "General", joined_ack("general", [wire_message(1), wire_message(2)]))
        assert effects == Effects(save_channel="general", focus_composer=True, flush_outbox=True)
        assert state.open_channel == "general"  # as the server spells it
        assert [e.id for e in state.log if isinstance(e, Message)] == [1, 2]
        assert state.channel_to_reopen() == "general"

    def test_the_request_carries_since_only_for_a_rejoin(self) -> None:
        state = named()
        assert state.begin_join("general") == JoinChannel("general", None)
        join(state, "general", joined_ack("general", [wire_message(3)]))
        state.connection_lost()
        # A rejoin also says the last change it saw (0: none yet).
        assert state.begin_join("general") == JoinChannel("general", 3, 0)

    def test_a_stale_answer_does_nothing(self) -> None:
        state = named()
        request = state.begin_join("general")
        state.begin_join("random")  # clicked elsewhere meanwhile
        assert state.join_answered(request, joined_ack("general")) is NOTHING
        assert state.open_channel is None and state.joining == "random"

    def test_reopening_a_channel_that_is_gone(self) -> None:
        """After a reconnect the open channel no longer exists: it closes,
        what waits for it is "Not sent", the alert says so, and it is no
        longer the channel to reopen next visit."""
        state = named()
        state.load_saved(None, None, channel="general")
        join(state)
        item = state.queue_message("hello")
        assert item is not None
        state.connection_lost()
        effects = join(state, ack=Ack.failure(ErrorCode.NO_SUCH_CHANNEL), restoring=True)
        assert effects == Effects(forget_channel=True)
        assert state.open_channel is None and state.joining is None and not state.can_compose
        assert item.status is SendStatus.FAILED and item.error == describe_error(ErrorCode.NO_SUCH_CHANNEL)
        assert state.error == missing_channel_text("general")
        assert state.channel_to_reopen() is None

    def test_clicking_a_channel_that_is_gone_keeps_the_open_one(self) -> None:
        state = named()
        join(state)
        effects = join(state, "gone", Ack.failure(ErrorCode.NO_SUCH_CHANNEL, "No channel #gone."))
        assert effects == Effects()
        assert state.open_channel == "general"
        assert state.error == "No channel #gone."
        assert state.channel_to_reopen() == "general"

    @pytest.mark.parametrize("code", [TIMEOUT, OFFLINE])
    def test_a_reopening_join_that_got_no_answer_says_nothing(self, code: str) -> None:
        state = named()
        effects = join(state, ack=Ack.failure(code), restoring=True)
        assert effects == Effects() and state.error is None

    @pytest.mark.parametrize("code", [TIMEOUT, OFFLINE])
    def test_a_click_that_got_no_answer_says_so(self, code: str) -> None:
        state = named()
        join(state, ack=Ack.failure(code))
        assert state.error == describe_error(code)

    def test_a_reopening_join_refused_otherwise_says_why(self) -> None:
        state = named()
        join(state, ack=Ack.failure(ErrorCode.NOT_NAMED), restoring=True)
        assert state.error == describe_error(ErrorCode.NOT_NAMED)

    @pytest.mark.parametrize(
        "data",
        [
            {},
            {"channel": {"name": "general"}, "messages": "x", "gap": False},
            {"channel": None, "messages": []},
        ],
    )
    def test_a_garbled_answer_is_a_failure_in_words(self, data: dict[str, Any]) -> None:
        state = named()
        effects = join(state, ack=Ack(ok=True, data=data))
        assert effects == Effects() and state.joining is None and state.open_channel is None
        assert state.error == describe_error(BAD_REPLY)

    def test_select_an_open_channel_only_focuses(self) -> None:
        state = named()
        join(state)
        state.dismiss_error()
        assert state.select_channel("GENERAL") is False
        state.begin_join("general")  # a rejoin under way: clicking joins again
        assert state.select_channel("general") is True

    def test_select_another_channel_clears_the_alert(self) -> None:
        state = named()
        join(state)
        state.show_failure(Ack.failure(ErrorCode.INTERNAL))
        assert state.select_channel("random") is True and state.error is None

    def test_the_channel_to_reopen(self) -> None:
        state = named()
        assert state.channel_to_reopen() is None
        state.load_saved(None, None, channel="from-last-visit")
        assert state.channel_to_reopen() == "from-last-visit"
        state.begin_join("random")
        assert state.channel_to_reopen() == "random"


# --- the name ---------------------------------------------------------------------


class TestClaim:
    def test_the_session_claims_what_the_last_visit_stored(self) -> None:
        state = ChatState()
        assert state.session_claim() is None  # first visit: the dialog asks
        state.load_saved(None, None, name="Alice", token="secret")
        assert state.session_claim() == ClaimName("Alice", "secret")
        state.set_identity("Alicia", "newer")
        assert state.session_claim() == ClaimName("Alicia", "newer")
        assert state.claim_for("Bob") == ClaimName("Bob", "newer")

    def test_a_quiet_claim_granted(self) -> None:
        state = ChatState()
        state.load_saved(None, None, name="Alice", token="secret")
        effects = state.claim_answered(
            "Alice", Ack(ok=True, data={"name": "Alice", "token": "t2"}), quiet=True
        )
        assert effects == Effects(named=True, save_identity=True)
        assert (state.name, state.token) == ("Alice", "t2")

    def test_a_quiet_claim_refused_asks_for_another_name(self) -> None:
        """The server no longer lets us be this person: no name until a new
        one is saved, and the dialog (which cannot be dismissed) says why."""
        state = named()
        state.show_failure(Ack.failure(ErrorCode.INTERNAL))
        effects = state.claim_answered("Alice", Ack.failure(ErrorCode.NAME_TAKEN, "Taken."), quiet=True)
        assert effects == Effects() and not effects.named
        assert state.name is None and state.dialog_open and not state.can_cancel_dialog
        assert (state.name_draft, state.name_error) == ("Alice", "Taken.")
        assert state.error is None  # one alert at a time

    @pytest.mark.parametrize("code", [TIMEOUT, OFFLINE, BAD_REPLY, ErrorCode.INTERNAL])
    def test_a_quiet_claim_without_an_answer_is_only_an_alert(self, code: str) -> None:
        state = named()
        state.claim_answered("Alice", Ack.failure(code), quiet=True)
        assert state.name == ME and not state.dialog_open
        assert state.error == describe_error(code)

    def test_a_claim_from_the_dialog_without_an_answer_says_so_in_the_dialog(self) -> None:
        state = ChatState()
        assert state.ask_for_name()
        state.claim_answered("Alice", Ack.failure(TIMEOUT), quiet=False)
        assert state.dialog_open and state.name_error == describe_error(TIMEOUT)
        assert state.error is None

    def test_the_first_name_from_the_dialog_lets_the_session_go_on(self) -> None:
        state = ChatState()
        assert state.ask_for_name()
        effects = state.claim_answered(
            "Alice", Ack(ok=True, data={"name": "Alice", "token": "t"}), quiet=False
        )
        # The dialog closes and the message box takes the focus (issue 12:
        # it was left on <body>).
        focus = {"focus_composer": True, "take_focus": True}
        assert effects == Effects(named=True, save_identity=True, reopen_channel=True, **focus)
        assert not state.dialog_open

    def test_a_new_name_from_the_dialog_closes_it(self) -> None:
        state = named()
        state.change_name()
        assert state.dialog_open and state.name_draft == ME
        effects = state.claim_answered(
            "Alicia", Ack(ok=True, data={"name": "Alicia", "token": "t"}), quiet=False
        )
        assert effects == Effects(named=True, save_identity=True, focus_composer=True, take_focus=True)
        assert not state.dialog_open and state.name == "Alicia"

    @pytest.mark.parametrize(
        "data", [{}, {"name": "Alice"}, {"name": "", "token": "t"}, {"name": 1, "token": "t"}]
    )
    def test_a_garbled_grant_is_an_alert(self, data: dict[str, Any]) -> None:
        state = ChatState()
        effects = state.claim_answered("Alice", Ack(ok=True, data=data), quiet=True)
        assert not effects.named and state.name is None
        assert state.error == describe_error(BAD_REPLY)

    def test_a_typed_name_is_checked_before_it_is_claimed(self) -> None:
        state = ChatState()
        assert state.name_typed("  Ada   Lovelace ") == "Ada Lovelace"
        assert state.name_typed("   ") is None and state.name_error
        assert state.name_typed("x" * (protocol.NAME_MAX + 1)) is None
        assert state.name_error and str(protocol.NAME_MAX) in state.name_error

    def test_the_browser_closing_the_dialog(self) -> None:
        state = ChatState()
        assert not state.name_dialog_closed()  # it was not open
        state.ask_for_name()
        assert state.name_dialog_closed() and state.dialog_open  # no name yet: it comes back
        state.set_identity(ME, "t")
        assert state.name_dialog_closed() and not state.dialog_open

    def test_the_dialog_says_the_protocols_limit(self) -> None:
        assert protocol.name_hint() in name_dialog_help()
        assert str(protocol.NAME_MAX) in name_dialog_help()


# --- the connection ---------------------------------------------------------------------


class TestConnection:
    def test_status_from_the_socket_facts(self) -> None:
        state = ChatState()
        state.start_connecting()
        assert state.connection is Connection.CONNECTING
        state.connection_changed(RETRYING)
        assert state.connection is Connection.CONNECTING  # never connected yet
        state.socket_connected(UP)
        assert state.connection is Connection.CONNECTED
        state.socket_dropped(RETRYING)
        assert state.connection is Connection.RECONNECTING
        state.connection_changed(NO_NETWORK)
        assert state.connection is Connection.OFFLINE

    def test_a_refused_connection_is_retried_by_the_client_and_said_once(self) -> None:
        state = ChatState()
        payload = {"message": "Too many connections from 10.0.0.1.", "data": {"code": "too_many_connections"}}
        assert state.connect_failed(payload, GIVEN_UP) is True
        assert state.error == "Too many connections from 10.0.0.1."
        # socket.io will not retry, but the client will: not "Offline".
        assert state.connection is Connection.CONNECTING
        state.socket_connected(UP)
        assert state.error is None  # that alert is over

    def test_a_new_connection_keeps_other_alerts(self) -> None:
        state = ChatState()
        state.connect_failed({"message": "", "data": {"code": "too_many_connections"}}, GIVEN_UP)
        state.show_failure(Ack.failure(ErrorCode.INTERNAL, "Something else."))
        state.socket_connected(UP)
        assert state.error == "Something else."

    @pytest.mark.parametrize(
        "payload", [None, "xhr poll error", {"message": "websocket error", "data": None}]
    )
    def test_other_connect_errors_are_left_to_socketio(self, payload: object) -> None:
        state = named()
        state.socket_connected(UP)
        assert state.connect_failed(payload, RETRYING) is False
        assert state.error is None and state.connection is Connection.RECONNECTING

    def test_a_connect_error_is_a_drop(self) -> None:
        state = named()
        state.begin_join("general")
        state.join_answered(JoinChannel("general"), joined_ack())
        assert state.live
        state.connect_failed(None, RETRYING)
        assert not state.live

    @pytest.mark.parametrize("payload", [{"message": "Restarting."}, None, "garbled"])
    def test_server_closing_says_reconnecting_at_once(self, payload: object) -> None:
        state = ChatState()
        state.socket_connected(UP)
        state.server_closing(payload, UP)
        assert state.connection is Connection.RECONNECTING
        state.socket_connected(UP)
        assert state.connection is Connection.CONNECTED

    def test_socketio_giving_up_is_offline(self) -> None:
        state = ChatState()
        state.socket_connected(UP)
        state.reconnect_gave_up(RETRYING)
        assert state.connection is Connection.OFFLINE

    def test_back_online(self) -> None:
        state = ChatState()
        state.socket_connected(UP)
        assert state.network_changed(True, UP) == Effects(flush_outbox=True)
        assert state.network_changed(True, GIVEN_UP) == Effects(reconnect=True, flush_outbox=True)
        assert state.network_changed(False, GIVEN_UP) == Effects()
        state.reconnect_gave_up(RETRYING)
        assert state.network_changed(True, RETRYING).reconnect


# --- what the person does ----------------------------------------------------------------


class TestCompose:
    def test_nothing_without_an_open_channel_or_text(self) -> None:
        state = named()
        assert state.compose("hello") is NOTHING
        join(state)
        assert state.compose("   \n") is NOTHING
        assert state.outbox == []

    def test_a_message_goes_out_through_the_outbox(self) -> None:
        state = named()
        join(state)
        effects = state.compose("  hello\r\nthere ")
        assert effects == Effects(clear_composer=True, scroll_to_bottom=True, flush_outbox=True)
        assert [item.text for item in state.outbox] == ["hello\nthere"]

    def test_a_mistake_is_an_alert_and_the_text_stays(self) -> None:
        state = named()
        join(state)
        effects = state.compose("x" * (protocol.MESSAGE_MAX + 1))
        assert effects == Effects() and not effects.clear_composer
        assert state.error and "4,000" in state.error and state.outbox == []

    def test_a_full_outbox_is_an_alert(self) -> None:
        state = named()
        join(state)
        state.connection_lost()
        for index in range(OUTBOX_MAX):
            state.compose(f"m{index}")
        effects = state.compose("one too many")
        assert effects == Effects() and state.error and str(OUTBOX_MAX) in state.error

    def test_the_log_follows_a_confirmed_message_even_if_its_event_came_first(self) -> None:
        state = named()
        join(state)
        state.compose("hello")
        item = state.next_to_send()
        assert item is not None
        real = wire_message(1, sender=ME, text="hello", client_id=item.client_id)
        assert state.messages_arrived(Event.MESSAGE, {"message": real})
        decision = state.send_answered(
            item.client_id, Ack(ok=True, data={"message": real, "duplicate": False})
        )
        assert decision.scroll and state.outbox == []

    def test_a_message_confirmed_after_leaving_its_channel_does_not_scroll(self) -> None:
        state = named()
        join(state)
        state.compose("hello")
        item = state.next_to_send()
        assert item is not None
        join(state, "random")
        real = wire_message(1, sender=ME, text="hello", client_id=item.client_id)
        assert not state.send_answered(item.client_id, Ack(ok=True, data={"message": real})).scroll


class TestChannels:
    def test_a_typed_channel_is_checked_first(self) -> None:
        state = ChatState()
        assert state.channel_typed("-nope") is None and state.error
        creation = state.channel_typed(" dev-ops ")
        assert creation is not None and creation.channel == "dev-ops" and creation.raw == " dev-ops "
        assert state.error is None

    def test_created_joins_as_the_server_spells_it(self) -> None:
        state = named()
        creation = state.channel_typed("dev-ops")
        assert creation is not None
        answer = Ack(ok=True, data={"channel": {"name": "Dev-Ops"}})
        assert state.channel_create_answered(creation, answer) == CreateAnswer("Dev-Ops", "Dev-Ops")
        assert state.channels == ["Dev-Ops"]

    def test_refused_is_an_alert(self) -> None:
        state = named()
        creation = state.channel_typed("dev")
        assert creation is not None
        answer = Ack.failure(ErrorCode.CHANNEL_EXISTS, "A channel named dev exists.")
        assert state.channel_create_answered(creation, answer) == CreateAnswer()
        assert state.alert_lines == [("kept:dev", "Could not create #dev: A channel named dev exists.")]


class TestSharing:
    def test_files_need_an_open_channel(self) -> None:
        state = named()
        assert state.share_target() is None
        assert state.error == "Open a channel to share files."
        join(state)
        assert state.share_target() == "general" and state.error is None

    def test_an_accepted_upload_becomes_a_row(self) -> None:
        state = named()
        join(state)
        upload = {"id": "u1", "url": "/uploads/u1", "size": 5, "chunk_size": 4, "received": 0}
        row = state.upload_started("general", "a.txt", 5, "text/plain", Ack(ok=True, data={"upload": upload}))
        assert row is not None and state.uploads == [row] and row.url == "/uploads/u1"

    @pytest.mark.parametrize(
        ("ack", "reason"),
        [
            (Ack.failure(ErrorCode.FILE_TOO_LARGE, "Too big."), "Too big."),
            (Ack(ok=True, data={}), describe_error(BAD_REPLY)),
            # An upload for another size than announced can only fail.
            (
                Ack(
                    ok=True,
                    data={"upload": {"id": "u", "url": "/u", "size": 6, "chunk_size": 4, "received": 0}},
                ),
                describe_error(BAD_REPLY),
            ),
        ],
    )
    def test_a_refused_or_garbled_start_is_an_alert(self, ack: Ack, reason: str) -> None:
        state = named()
        join(state)
        assert state.upload_started("general", "a.txt", 5, "", ack) is None
        assert state.error == f"Could not share a.txt: {reason}" and state.uploads == []


def test_a_bug_in_the_client_is_said_in_words() -> None:
    state = ChatState()
    state.client_bug()
    assert state.error == describe_error(CLIENT_BUG) == GENERIC_ERROR
    state.dismiss_error()
    assert state.error is None
