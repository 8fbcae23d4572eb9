"""Awareness in the client (issue 15), under CPython: presence in the People
list, when this page says it is back, when its typing goes on the wire, who
is shown typing in the open conversation (and when they stop being shown),
and ``notices`` taken like that many ``notice`` events. Time is a number
handed in: no test waits."""

from __future__ import annotations

from typing import Any

import pytest

from flack import protocol
from flack.protocol import (
    AWAY_AFTER_SECONDS,
    TYPING_EVERY_SECONDS,
    TYPING_SHOWN_SECONDS,
    Ack,
    Event,
    PresenceEntry,
    PresenceStatus,
    SetPresence,
    Typing,
)
from flack_client import wording
from flack_client.presence import WAKE_AFTER_SECONDS, PresenceBook, read_status, should_wake
from flack_client.state import ChatState
from flack_client.typing_status import TypingSender, TypingShown

TIME = "2026-11-30T10:00:00.000Z"
MY_TOKEN = "my-secret-token"
ME = protocol.person_id(MY_TOKEN)
BOB = protocol.person_id("bob-token")
CAROL = protocol.person_id("carol-token")
DAN = protocol.person_id("dan-token")
DM = protocol.direct_label([ME, BOB])


def people_ack(presence: list[tuple[str, str]] | None, *names: tuple[str, str]) -> Ack:
    data: dict[str, Any] = {"people": [{"id": pid, "name": name} for pid, name in names]}
    if presence is not None:
        data["presence"] = [{"id": pid, "status": status} for pid, status in presence]
    return Ack(ok=True, data=data)


def named() -> ChatState:
    state = ChatState()
    state.set_identity("Zoë", MY_TOKEN)
    state.people_listed(people_ack(None, (ME, "Zoë"), (BOB, "Bob"), (CAROL, "Carol"), (DAN, "Dan")))
    return state


def opened(channel: str = "general") -> ChatState:
    state = named()
    request = state.begin_join(channel)
    ack = Ack(ok=True, data={"channel": {"name": channel}, "messages": [], "gap": False})
    state.join_answered(request, ack)
    assert state.open_channel == channel
    return state


def typing(pid: str, channel: str = "general", name: str = "") -> dict[str, str]:
    return {"channel": channel, "person": pid, "name": name}


def message(pid: str, mid: int = 1, channel: str = "general") -> dict[str, Any]:
    wire = {"id": mid, "channel": channel, "sender": "x", "sender_id": pid, "text": "hi", "time": TIME}
    return {"message": wire}


# --- presence ------------------------------------------------------------------------


class TestPresence:
    def test_list_people_gives_everyones_presence_in_their_accessible_names(self) -> None:
        state = ChatState()
        state.set_identity("Zoë", MY_TOKEN)
        state.people_listed(
            people_ack([(ME, "online"), (BOB, "away")], (ME, "Zoë"), (BOB, "Bob"), (CAROL, "Carol"))
        )
        labels = [state.presence_label(pid, label) for pid, label in state.people]
        # The name comes first: finding a person by name keeps working.
        assert labels == ["Zoë (you), online", "Bob, away", "Carol, offline"]
        assert state.presence_of(BOB) is PresenceStatus.AWAY

    def test_presence_events_change_only_who_they_name_and_say_whether_anything_changed(self) -> None:
        state = named()
        state.people_listed(people_ack([(BOB, "online"), (CAROL, "online")], (BOB, "Bob"), (CAROL, "Carol")))
        assert state.presence_changed({"people": [{"id": BOB, "status": "away"}]})
        assert state.presence_of(BOB) is PresenceStatus.AWAY
        assert state.presence_of(CAROL) is PresenceStatus.ONLINE
        # The same again (a coalesced event repeating a status): nothing to redraw.
        assert not state.presence_changed({"people": [{"id": BOB, "status": "away"}]})
        assert state.presence_changed({"people": [{"id": BOB, "status": "offline"}]})
        assert state.presence_of(BOB) is PresenceStatus.OFFLINE

    def test_a_new_list_replaces_everyones_presence(self) -> None:
        # A reconnect may have missed presence events: the list is the truth.
        state = named()
        state.presence_changed({"people": [{"id": BOB, "status": "online"}]})
        state.people_listed(people_ack([(CAROL, "away")], (BOB, "Bob"), (CAROL, "Carol")))
        assert state.presence_of(BOB) is PresenceStatus.OFFLINE
        assert state.presence_of(CAROL) is PresenceStatus.AWAY

    def test_unknown_statuses_and_malformed_events_are_harmless(self) -> None:
        assert read_status("busy") is PresenceStatus.OFFLINE  # a newer server's word
        state = named()
        assert not state.presence_changed({"people": "nope"})
        assert not state.presence_changed(None)
        odd = {"people": [{"id": BOB, "status": "dancing"}, {"id": CAROL, "status": "online"}]}
        assert state.presence_changed(odd)
        assert state.presence_of(CAROL) is PresenceStatus.ONLINE
        assert state.presence_of(BOB) is PresenceStatus.OFFLINE
        assert state.presence_label(BOB, "Bob") == "Bob, offline"

    def test_the_book_reports_changes(self) -> None:
        book = PresenceBook()
        assert book.set([PresenceEntry(BOB, "online")])
        assert not book.set([PresenceEntry(BOB, "online")])
        assert book.update([PresenceEntry(CAROL, "away")])
        assert not book.update([PresenceEntry(CAROL, "away")])

    def test_set_presence_is_sent_only_once_named(self) -> None:
        state = ChatState()
        assert state.presence_request(hidden=True) is None
        state.set_identity("Zoë", MY_TOKEN)
        assert state.presence_request(hidden=True) == SetPresence(True)
        assert state.presence_request(hidden=False) == SetPresence(False)

    def test_the_state_asks_to_wake_only_once_named_and_after_a_quiet_while(self) -> None:
        state = ChatState()
        assert state.wake_request(0.0, WAKE_AFTER_SECONDS) is None  # no name: nobody to be present
        state.set_identity("Zoë", MY_TOKEN)
        assert state.wake_request(0.0, WAKE_AFTER_SECONDS - 1) is None
        assert state.wake_request(0.0, WAKE_AFTER_SECONDS) == SetPresence(False)

    def test_input_after_a_quiet_while_says_we_are_back(self) -> None:
        # Half the server's idle rule, so input ends an "away" before it starts.
        assert WAKE_AFTER_SECONDS == AWAY_AFTER_SECONDS / 2
        assert not should_wake(None, 1_000.0)  # nothing sent yet: the session says it
        assert not should_wake(100.0, 100.0 + WAKE_AFTER_SECONDS - 1)
        assert should_wake(100.0, 100.0 + WAKE_AFTER_SECONDS)
        assert should_wake(100.0, 100.0 + 3 * AWAY_AFTER_SECONDS)


# --- typing: what this page sends ----------------------------------------------------------


class TestTypingSent:
    def test_at_most_one_per_conversation_every_few_seconds(self) -> None:
        sender = TypingSender()
        assert sender.typed("general", "h", 10.0) == Typing("general")
        assert sender.typed("general", "he", 10.5) is None
        assert sender.typed("general", "hel", 10.0 + TYPING_EVERY_SECONDS - 0.01) is None
        assert sender.typed("general", "hell", 10.0 + TYPING_EVERY_SECONDS) == Typing("general")

    def test_another_conversation_or_a_new_connection_goes_at_once(self) -> None:
        sender = TypingSender()
        assert sender.typed("general", "a", 10.0) is not None
        assert sender.typed("random", "a", 10.1) == Typing("random")
        # Same conversation spelled differently: the same key.
        assert sender.typed("RANDOM", "ab", 10.2) is None
        sender.reset()
        assert sender.typed("random", "abc", 10.3) == Typing("random")

    def test_an_empty_draft_or_no_conversation_is_not_typing(self) -> None:
        sender = TypingSender()
        assert sender.typed("general", "  \n", 10.0) is None
        assert sender.typed(None, "hello", 10.0) is None
        assert sender.typed("general", "x", 10.0) is not None

    def test_the_state_sends_only_for_the_conversation_this_connection_is_in(self) -> None:
        state = named()
        assert state.typing_request("hello", 10.0) is None  # nothing open
        state = opened("general")
        assert state.typing_request("hello", 10.0) == Typing("general")
        assert state.typing_request("hello!", 11.0) is None
        state.connection_lost()  # not live: nothing can be sent
        assert state.typing_request("hello!!", 20.0) is None

    def test_the_request_carries_only_the_channel(self) -> None:
        assert Typing("general").to_wire()["channel"] == "general"


# --- typing: who is shown ---------------------------------------------------------------------


class TestTypingShown:
    def test_one_two_and_several_typists_in_words(self) -> None:
        state = opened()
        assert state.typing_text == ""
        assert state.typing_heard(typing(BOB, name="Bob"), 100.0)
        assert state.typing_text == "Bob is typing…"
        assert state.typing_heard(typing(CAROL, name="Carol"), 100.5)
        assert state.typing_text == "Bob and Carol are typing…"
        assert state.typing_heard(typing(DAN, name="Dan"), 101.0)
        assert state.typing_text == "Several people are typing…"

    def test_names_are_the_people_lists_and_the_events_otherwise(self) -> None:
        state = opened()
        state.typing_heard(typing(BOB, name="Robert"), 100.0)  # the list knows him as Bob
        assert state.typing_text == "Bob is typing…"
        stranger = protocol.person_id("stranger")
        state.typing_heard(typing(stranger, name="Eve"), 100.0)
        assert state.typing_text == "Bob and Eve are typing…"

    def test_shown_until_five_seconds_after_their_last_event(self) -> None:
        state = opened()
        state.typing_heard(typing(BOB), 100.0)
        assert state.typing_deadline == 100.0 + TYPING_SHOWN_SECONDS
        # Still typing: the next event (every TYPING_EVERY_SECONDS) moves it on.
        assert not state.typing_heard(typing(BOB), 100.0 + TYPING_EVERY_SECONDS)
        assert state.typing_deadline == 100.0 + TYPING_EVERY_SECONDS + TYPING_SHOWN_SECONDS
        assert not state.typing_expired(100.0 + TYPING_SHOWN_SECONDS)
        assert state.typing_text == "Bob is typing…"
        assert state.typing_expired(100.0 + TYPING_EVERY_SECONDS + TYPING_SHOWN_SECONDS)
        assert state.typing_text == ""
        assert state.typing_deadline is None

    def test_each_typist_expires_on_their_own(self) -> None:
        state = opened()
        state.typing_heard(typing(BOB), 100.0)
        state.typing_heard(typing(CAROL), 102.0)
        assert state.typing_expired(100.0 + TYPING_SHOWN_SECONDS)
        assert state.typing_text == "Carol is typing…"
        assert state.typing_deadline == 102.0 + TYPING_SHOWN_SECONDS

    def test_a_message_from_them_ends_it_at_once(self) -> None:
        state = opened()
        state.typing_heard(typing(BOB), 100.0)
        state.typing_heard(typing(CAROL), 100.0)
        assert state.messages_arrived(Event.MESSAGE, message(BOB))
        assert state.typing_text == "Carol is typing…"
        # A busy channel's batch too.
        state.messages_arrived(Event.MESSAGES, {"messages": [message(CAROL, 2)["message"]]})
        assert state.typing_text == ""

    def test_a_message_from_someone_else_or_elsewhere_does_not(self) -> None:
        state = opened()
        state.typing_heard(typing(BOB), 100.0)
        state.messages_arrived(Event.MESSAGE, message(CAROL))
        state.messages_arrived(Event.MESSAGE, message(BOB, 2, channel="random"))
        assert state.typing_text == "Bob is typing…"

    def test_only_the_open_conversation_and_cleared_when_another_opens(self) -> None:
        state = opened("general")
        assert not state.typing_heard(typing(BOB, channel="random"), 100.0)
        assert state.typing_text == ""
        assert state.typing_heard(typing(BOB, channel="GENERAL"), 100.0)  # same conversation
        assert state.typing_text == "Bob is typing…"
        request = state.begin_join(DM)
        ack = Ack(ok=True, data={"channel": {"name": DM}, "messages": [], "gap": False})
        state.join_answered(request, ack)
        assert state.typing_text == ""
        # Back in general, Bob's old typing is not shown again.
        request = state.begin_join("general")
        ack = Ack(ok=True, data={"channel": {"name": "general"}, "messages": [], "gap": False})
        state.join_answered(request, ack)
        assert state.typing_text == ""

    def test_our_own_typing_and_malformed_events_are_ignored(self) -> None:
        state = opened()
        assert not state.typing_heard(typing(ME), 100.0)
        assert not state.typing_heard({"channel": "general"}, 100.0)  # nobody named
        assert not state.typing_heard({"person": BOB}, 100.0)
        assert not state.typing_heard("typing", 100.0)
        assert state.typing_text == ""

    def test_nothing_open_shows_nobody(self) -> None:
        shown = TypingShown()
        assert not shown.heard("general", BOB, "Bob", None, 1.0)
        assert shown.names(None) == []
        assert not shown.stopped("general", BOB)


# --- wording ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "text"),
    [
        ([], ""),
        (["Zoë"], "Zoë is typing…"),
        (["A", "B"], "A and B are typing…"),
        (["A", "B", "C"], "Several people are typing…"),
        (["A", "B", "C", "D"], "Several people are typing…"),
    ],
)
def test_typing_words(names: list[str], text: str) -> None:
    assert wording.typing_text(names) == text


# --- notices -------------------------------------------------------------------------------------


def notice(kind: str, name: str, channel: str = "general") -> dict[str, Any]:
    return {"kind": kind, "channel": channel, "name": name, "time": TIME}


class TestNotices:
    def test_several_notices_are_that_many_notice_events(self) -> None:
        one_by_one = opened()
        for kind, name in (("join", "Bob"), ("join", "Carol"), ("leave", "Bob")):
            one_by_one.add_notice(notice(kind, name))
        at_once = opened()
        assert at_once.add_notices(
            {"notices": [notice("join", "Bob"), notice("join", "Carol"), notice("leave", "Bob")]}
        )
        assert [str(e) for e in at_once.log] == [str(e) for e in one_by_one.log]
        assert len(at_once.log) == 3

    def test_a_batch_leaves_out_notices_about_ourselves(self) -> None:
        # The server sends a batch to the joiner's own connection too; a
        # single notice never reaches it.
        state = opened()
        assert state.add_notices({"notices": [notice("join", "ZOË"), notice("join", "Bob")]})
        assert len(state.log) == 1
        assert not state.add_notices({"notices": [notice("leave", "Zoë")]})
        assert len(state.log) == 1

    def test_notices_of_another_channel_or_malformed_show_nothing(self) -> None:
        state = opened()
        assert not state.add_notices({"notices": [notice("join", "Bob", channel="random")]})
        assert not state.add_notices({"notices": "nope"})
        assert not state.add_notices(None)
        assert state.log == []
