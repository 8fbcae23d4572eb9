"""Unread counts, read marks, "New messages" and notifications in the client
(issue 15, items 3 and 4), under CPython: the rules of ``unread.py``, apart
from the page. Time is a number handed in: no test waits."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flack import protocol
from flack.protocol import Ack, Event, MarkRead, Message
from flack_client import wording
from flack_client.entries import GapMarker
from flack_client.state import ChatState
from flack_client.unread import (
    MARK_EVERY_SECONDS,
    NOTIFICATION_CHARS,
    Counts,
    NewLine,
    ReadMarker,
    UnreadBook,
    first_unread,
    first_words,
    should_notify,
)

TIME = "2026-11-30T10:00:00.000Z"
ME = protocol.person_id("my-token")
BOB = protocol.person_id("bob-token")
DM = protocol.direct_label([ME, BOB])


@dataclass(frozen=True)
class Read:
    """A ``ReadState``'s fields (what the server sends)."""

    channel: str
    read: int = 0
    unread: int = 0
    mentions: int = 0


def msg(mid: int, sender_id: str = BOB, *, deleted: bool = False) -> Message:
    return Message(mid, "general", "x", "hi", TIME, sender_id=sender_id, deleted=deleted)


class TestUnreadBook:
    def test_the_servers_counts_are_taken_as_they_are_by_conversation_key(self) -> None:
        book = UnreadBook()
        assert book.set_all([Read("General", 4, 2, 1), Read(DM, 0, 3, 3)])
        assert book.counts("general") == Counts(4, 2, 1)  # names fold
        assert book.counts(DM) == Counts(0, 3, 3)
        assert book.counts("elsewhere") == Counts()
        assert book.mentions == 4

    def test_set_all_replaces_everything_and_says_whether_anything_shown_changed(self) -> None:
        book = UnreadBook()
        book.set_all([Read("general", 4, 2, 1)])
        assert not book.set_all([Read("general", 4, 2, 1), Read("quiet", 9)])  # nothing shown moved
        assert book.set_all([Read("quiet", 9)])
        assert book.counts("general") == Counts()

    def test_a_message_arriving_counts_if_newer_than_the_mark_and_not_ours(self) -> None:
        book = UnreadBook()
        book.set_all([Read("general", 10)])
        assert not book.arrived("general", 10, mine=False, mention=False)  # read already
        assert not book.arrived("general", 11, mine=True, mention=True)  # ours
        assert book.arrived("general", 12, mine=False, mention=False)
        assert book.arrived("general", 13, mine=False, mention=True)
        assert book.counts("general") == Counts(10, 2, 1)

    def test_each_message_counts_once(self) -> None:
        book = UnreadBook()
        assert book.arrived("general", 1, mine=False, mention=True)
        assert not book.arrived("general", 1, mine=False, mention=True)
        assert book.counts("general") == Counts(0, 1, 1)

    def test_an_unknown_conversation_has_read_nothing(self) -> None:
        # A direct conversation someone just opened with us, or a channel
        # another of our tabs joined: everything after its start is new.
        book = UnreadBook()
        assert book.arrived(DM, 1, mine=False, mention=True)
        assert book.counts(DM) == Counts(0, 1, 1)

    def test_the_servers_answer_replaces_what_was_counted(self) -> None:
        book = UnreadBook()
        book.arrived("general", 5, mine=False, mention=True)
        assert book.set(Read("general", 5, 0, 0))
        assert book.counts("general") == Counts(5, 0, 0)
        assert book.mentions == 0
        assert not book.set(Read("general", 5, 0, 0))
        # Later messages count from the new mark.
        assert not book.arrived("general", 5, mine=False, mention=False)
        assert book.arrived("general", 6, mine=False, mention=False)

    def test_a_mark_behind_what_was_counted_still_counts_each_message_once(self) -> None:
        book = UnreadBook()
        book.arrived("general", 7, mine=False, mention=False)
        book.set(Read("general", 3, 1, 0))  # the answer to an older mark_read
        assert not book.arrived("general", 7, mine=False, mention=False)
        assert book.counts("general") == Counts(3, 1, 0)

    def test_leaving_forgets_the_counts(self) -> None:
        book = UnreadBook()
        book.set_all([Read("general", 1, 2, 0), Read("quiet", 3)])
        assert book.forget("General")
        assert not book.forget("quiet")
        assert book.counts("general") == Counts()


class TestReadMarker:
    def test_opening_marks_at_once(self) -> None:
        marker = ReadMarker()
        marker.want("general", 7, now=100.0, at_once=True)
        assert marker.take(100.0) == ("general", 7)

    def test_arriving_messages_are_marked_within_a_second_of_the_first(self) -> None:
        marker = ReadMarker()
        marker.want("general", 8, now=100.0)
        assert marker.take(100.0) is None
        assert marker.deadline == 100.0 + MARK_EVERY_SECONDS
        # More arriving do not push it out: a busy conversation is marked
        # once a second, not never; the newest id goes.
        marker.want("general", 9, now=100.6)
        assert marker.deadline == 100.0 + MARK_EVERY_SECONDS
        assert marker.take(100.0 + MARK_EVERY_SECONDS) == ("general", 9)

    def test_one_at_a_time(self) -> None:
        marker = ReadMarker()
        marker.want("general", 1, now=0.0, at_once=True)
        assert marker.take(0.0) == ("general", 1)
        marker.want("general", 2, now=0.0, at_once=True)
        assert marker.take(5.0) is None  # the first is still on its way
        assert marker.deadline is None  # its answer asks again
        marker.answered()
        assert marker.deadline == 0.0
        assert marker.take(5.0) == ("general", 2)

    def test_nothing_is_asked_twice(self) -> None:
        marker = ReadMarker()
        marker.want("general", 5, now=0.0, at_once=True)
        assert marker.take(0.0) == ("general", 5)
        marker.want("General", 5, now=1.0, at_once=True)  # on its way already
        marker.answered()
        assert marker.take(1.0) is None

    def test_a_wanted_mark_comes_forward_when_asked_at_once(self) -> None:
        marker = ReadMarker()
        marker.want("general", 5, now=0.0)
        marker.want("general", 5, now=0.5, at_once=True)  # the page came back to the front
        assert marker.take(0.5) == ("general", 5)

    def test_another_conversation_replaces_what_waited(self) -> None:
        marker = ReadMarker()
        marker.want("general", 5, now=0.0)
        marker.want(DM, 2, now=0.2, at_once=True)
        assert marker.take(0.2) == (DM, 2)
        marker.answered()
        assert marker.take(10.0) is None

    def test_going_to_the_background_sends_what_waited_at_once(self) -> None:
        marker = ReadMarker()
        marker.hurry()  # nothing waits: nothing to send
        assert marker.take(0.0) is None
        marker.want("general", 5, now=0.0)
        marker.hurry()
        assert marker.take(0.1) == ("general", 5)


class TestNewLine:
    def test_first_unread_is_the_first_message_after_the_mark_not_ours_not_deleted(self) -> None:
        entries = [GapMarker(1), msg(3), msg(4, ME), msg(5, deleted=True), msg(6), msg(7)]
        assert first_unread(entries, 3, ME) == 6
        assert first_unread(entries, 1, ME) == 3
        assert first_unread(entries, 7, ME) is None
        assert first_unread([], 0, ME) is None

    def test_placed_on_opening_with_the_page_in_front_and_kept(self) -> None:
        line = NewLine()
        assert line.look("general", True, lambda: 6) == 6
        # Read live from now on: later looks never move it.
        assert line.look("general", True, lambda: 9) == 6
        assert line.look("general", True, lambda: None) == 6

    def test_nothing_unread_no_line(self) -> None:
        line = NewLine()
        assert line.look("general", True, lambda: None) is None
        assert line.look("general", True, lambda: 8) is None  # arrived while read live

    def test_another_conversation_forgets_it(self) -> None:
        line = NewLine()
        line.look("general", True, lambda: 6)
        assert line.look(DM, True, lambda: None) is None
        assert line.look("general", True, lambda: 2) == 2
        assert line.look(None, True, lambda: 1) is None

    def test_opened_in_the_background_it_is_placed_when_the_page_comes_to_the_front(self) -> None:
        line = NewLine()
        assert line.look("general", False, lambda: 4) is None
        assert line.look("general", True, lambda: 4) == 4

    def test_back_from_the_background_it_moves_to_what_arrived_meanwhile(self) -> None:
        line = NewLine()
        line.look("general", True, lambda: 4)
        line.hidden()
        assert line.look("general", False, lambda: 9) == 4
        assert line.look("general", True, lambda: 9) == 9
        line.hidden()
        # Nothing new meanwhile: it stays where it was.
        assert line.look("general", True, lambda: None) == 9


class TestNotifications:
    @pytest.mark.parametrize(
        ("permitted", "hidden", "mine", "mention", "shown"),
        [
            (True, True, False, True, True),
            (False, True, False, True, False),  # not allowed (yet)
            (True, False, False, True, False),  # the page is in front
            (True, True, True, True, False),  # our own (another tab's)
            (True, True, False, False, False),  # neither a mention nor direct
        ],
    )
    def test_only_mentions_and_direct_messages_while_hidden_once_allowed(
        self, permitted: bool, hidden: bool, mine: bool, mention: bool, shown: bool
    ) -> None:
        assert should_notify(permitted=permitted, hidden=hidden, mine=mine, mention=mention) is shown

    def test_first_words_on_one_line_cut_after_a_word(self) -> None:
        assert first_words("  hello\n\nthere  ") == "hello there"
        long = "word " * 40
        cut = first_words(long)
        assert len(cut) <= NOTIFICATION_CHARS
        assert cut.endswith("word…")
        unbroken = "x" * 300
        assert first_words(unbroken) == "x" * (NOTIFICATION_CHARS - 1) + "…"
        exact = "y" * NOTIFICATION_CHARS
        assert first_words(exact) == exact


class TestWording:
    def test_title(self) -> None:
        assert wording.page_title(0) == "Flack"
        assert wording.page_title(3) == "(3) Flack"

    def test_link_words(self) -> None:
        assert wording.unread_words(0, 0) == ""
        assert wording.unread_words(3, 0) == ", 3 unread"
        assert wording.unread_words(3, 1) == ", 3 unread, 1 mention"
        assert wording.unread_words(2, 2) == ", 2 unread, 2 mentions"


# --- in ChatState ------------------------------------------------------------------------

CAROL = protocol.person_id("carol-token")


def wire(
    mid: int, sender_id: str = BOB, text: str = "hi", channel: str = "general", sender: str = "Bob"
) -> dict:
    return {
        "id": mid,
        "channel": channel,
        "sender": sender,
        "sender_id": sender_id,
        "text": text,
        "time": TIME,
    }


def chat(*reads: Read) -> ChatState:
    """Zoë, named, a member of general and random, with the server's ``reads``."""
    state = ChatState()
    state.set_identity("Zoë", "my-token")
    people = [{"id": ME, "name": "Zoë"}, {"id": BOB, "name": "Bob"}, {"id": CAROL, "name": "Carol"}]
    state.people_listed(Ack(ok=True, data={"people": people}))
    data = {
        "channels": [{"name": "general"}, {"name": "random"}],
        "directs": [],
        "reads": [
            {"channel": r.channel, "read": r.read, "unread": r.unread, "mentions": r.mentions} for r in reads
        ],
    }
    assert state.conversations_listed(Ack(ok=True, data=data))
    return state


def open_with(state: ChatState, channel: str, history: list[dict]) -> None:
    request = state.begin_join(channel)
    state.join_answered(
        request, Ack(ok=True, data={"channel": {"name": channel}, "messages": history, "gap": False})
    )
    assert state.open_channel == channel


def arrive(state: ChatState, *messages: dict) -> bool:
    if len(messages) == 1:
        return state.messages_arrived(Event.MESSAGE, {"message": messages[0]})
    return state.messages_arrived(
        Event.MESSAGES, {"channel": messages[0]["channel"], "messages": list(messages)}
    )


class TestCountsInTheState:
    def test_list_conversations_gives_every_links_words_and_the_title(self) -> None:
        state = chat(Read("general", 3, 2, 1), Read("random", 5))
        assert state.unread_words("General") == ", 2 unread, 1 mention"
        assert state.unread_words("random") == ""
        assert state.page_title == "(1) Flack"

    def test_messages_elsewhere_count_and_mentions_of_me_as_names_compare(self) -> None:
        state = chat(Read("general", 3), Read("random", 5))
        open_with(state, "random", [])
        assert arrive(state, wire(4, text="plain"))
        assert arrive(state, wire(5, text="hey @ZOË look"))  # case-insensitively
        assert arrive(state, wire(6, text="@channel meeting"))
        assert not arrive(state, wire(7, ME, text="@zoë note to self", sender="Zoë"))  # ours
        arrive(state, wire(8, text="`@zoë` in code"), wire(9, text="mail zoë@example.org"))
        assert state.unread_counts("general") == Counts(3, 5, 2)
        assert state.page_title == "(2) Flack"

    def test_every_direct_message_is_a_mention(self) -> None:
        dm = protocol.direct_label([ME, BOB])
        state = chat()
        assert arrive(state, wire(1, channel=dm, text="psst"))
        assert state.unread_words(dm) == ", 1 unread, 1 mention"
        assert state.page_title == "(1) Flack"

    def test_the_conversation_being_read_does_not_count_unless_the_page_is_hidden(self) -> None:
        state = chat(Read("general", 3))
        open_with(state, "general", [wire(3)])
        arrive(state, wire(4, text="@zoë seen"))
        assert state.unread_counts("general") == Counts(3, 0, 0)
        state.visibility_set(True)
        assert arrive(state, wire(5, text="@zoë unseen"))
        assert state.unread_counts("general") == Counts(3, 1, 1)

    def test_the_read_event_and_the_mark_answer_replace_the_counts(self) -> None:
        state = chat(Read("general", 3, 4, 2))
        assert state.read_heard({"channel": "general", "read": 7, "unread": 0, "mentions": 0})
        assert state.page_title == "Flack"
        assert not state.read_heard({"channel": 5})  # malformed: nothing
        assert not state.mark_answered(Ack.failure(protocol.ErrorCode.NOT_MEMBER))

    def test_leaving_forgets_the_counts(self) -> None:
        state = chat(Read("general", 3, 4, 2))
        state.leave_answered("general", Ack(ok=True, data={}))
        assert state.unread_words("general") == ""

    def test_a_deleted_unread_message_is_recounted_by_the_server(self) -> None:
        state = chat(Read("general", 3, 2, 1), Read("random", 5))
        gone = {**wire(4), "text": "", "deleted": True}
        assert state.recount_wanted({"message": gone})
        assert state.recount_wanted({"message": {**gone, "id": 5}})  # its thread's reply: one recount
        assert state.take_recounts() == [MarkRead("general", 3)]  # at the mark: it moves nothing
        assert state.take_recounts() == []
        answer = Ack(ok=True, data={"channel": "general", "read": 3, "unread": 0, "mentions": 0})
        assert state.recount_answered(answer)
        assert state.unread_words("general") == ""
        assert state.page_title == "Flack"

    @pytest.mark.parametrize(
        "why",
        ["already read", "mine", "edited, not deleted", "nothing unread there", "not a message"],
    )
    def test_other_changes_ask_for_no_recount(self, why: str) -> None:
        state = chat(Read("general", 3, 2, 1), Read("random", 5))
        gone = {**wire(4), "text": "", "deleted": True}
        payload: object = {
            "already read": {"message": {**gone, "id": 2}},
            "mine": {"message": {**gone, "sender_id": ME}},
            "edited, not deleted": {"message": {**wire(4), "edited": True}},
            "nothing unread there": {"message": {**gone, "channel": "random", "id": 9}},
            "not a message": {"message": "?"},
        }[why]
        assert not state.recount_wanted(payload)
        assert state.take_recounts() == []

    def test_articles_that_mention_me(self) -> None:
        state = chat()
        assert state.mentions_me(Message(1, "general", "Bob", "hi @zoë", TIME, sender_id=BOB))
        assert not state.mentions_me(Message(2, "general", "Zoë", "hi @zoë", TIME, sender_id=ME))
        assert not state.mentions_me(Message(3, "general", "Bob", "hi zoë", TIME, sender_id=BOB))


class TestMarkingRead:
    def test_opening_marks_the_newest_at_once_then_waits_for_the_answer(self) -> None:
        state = chat(Read("general", 2, 3, 0))
        open_with(state, "general", [wire(1), wire(2), wire(3), wire(4), wire(5)])
        assert state.mark_due(100.0) == MarkRead("general", 5)
        assert state.mark_due(100.0) is None  # one at a time
        assert state.mark_answered(
            Ack(ok=True, data={"channel": "general", "read": 5, "unread": 0, "mentions": 0})
        )
        assert state.mark_due(100.0) is None  # all read
        assert state.unread_words("general") == ""

    def test_arrivals_while_read_are_marked_within_the_interval(self) -> None:
        state = chat(Read("general", 1))
        open_with(state, "general", [wire(1)])
        assert state.mark_due(0.0) is None  # nothing new
        arrive(state, wire(2))
        arrive(state, wire(3))
        assert state.mark_due(0.5) is None
        assert state.mark_deadline == 0.5 + MARK_EVERY_SECONDS
        assert state.mark_due(0.5 + MARK_EVERY_SECONDS - 0.1) is None
        assert state.mark_due(0.5 + MARK_EVERY_SECONDS) == MarkRead("general", 3)

    def test_what_was_read_is_marked_on_hiding_then_nothing_until_back(self) -> None:
        state = chat(Read("general", 1))
        open_with(state, "general", [wire(1)])
        state.mark_due(0.0)
        arrive(state, wire(2))  # read: the page is in front
        assert state.mark_due(0.1) is None  # (drawn) marked within the interval...
        state.visibility_set(True)
        # ...or at once, once the page goes to the background...
        assert state.mark_due(0.2) == MarkRead("general", 2)
        state.mark_answered(Ack(ok=True, data={"channel": "general", "read": 2, "unread": 0, "mentions": 0}))
        # ...and what arrives while hidden is not read.
        arrive(state, wire(3))
        assert state.mark_due(5.0) is None
        assert state.mark_deadline is None
        assert state.unread_words("general") == ", 1 unread"
        state.visibility_set(False)
        assert state.mark_due(6.0) == MarkRead("general", 3)

    def test_nothing_is_marked_without_the_connection(self) -> None:
        state = chat(Read("general", 1))
        open_with(state, "general", [wire(1), wire(2)])
        state.connection_lost()
        assert state.mark_due(0.0) is None


class TestNewLineInTheState:
    def test_before_the_first_unread_message_not_mine_and_kept_once_read(self) -> None:
        state = chat(Read("general", 2, 2, 0))
        open_with(state, "general", [wire(1), wire(2), wire(3, ME, sender="Zoë"), wire(4), wire(5)])
        assert state.new_line_before() == 4
        state.mark_due(0.0)
        state.mark_answered(Ack(ok=True, data={"channel": "general", "read": 5, "unread": 0, "mentions": 0}))
        arrive(state, wire(6))
        assert state.new_line_before() == 4

    def test_gone_once_another_conversation_opens(self) -> None:
        state = chat(Read("general", 0, 1, 0), Read("random", 9))
        open_with(state, "general", [wire(1)])
        assert state.new_line_before() == 1
        open_with(state, "random", [wire(9, channel="random")])
        assert state.new_line_before() is None

    def test_all_read_no_line(self) -> None:
        state = chat(Read("general", 5))
        open_with(state, "general", [wire(4), wire(5)])
        assert state.new_line_before() is None


class TestNotificationsInTheState:
    def hidden_chat(self, permission: str = "granted") -> ChatState:
        state = chat(Read("general", 3))
        assert state.permission_set(permission)
        state.visibility_set(True)
        return state

    def test_a_mention_while_hidden_is_notified_once_with_sender_and_first_words(self) -> None:
        state = self.hidden_chat()
        arrive(state, wire(4, text="@zoë can you   look\nat this " + "word " * 40))
        [note] = state.take_notifications()
        assert note.title == "Bob"
        assert note.body.startswith("@zoë can you look at this word")
        assert len(note.body) <= NOTIFICATION_CHARS
        assert note.channel == note.tag == "general"
        assert state.take_notifications() == []
        arrive(state, wire(4, text="@zoë again"))  # the same message again: nothing new
        assert state.take_notifications() == []

    def test_a_direct_file_is_notified_with_its_name(self) -> None:
        state = self.hidden_chat()
        dm = protocol.direct_label([ME, BOB])
        file = {
            "id": "f1",
            "name": "plan.pdf",
            "size": 3,
            "type": "application/pdf",
            "url": "/files/f1/plan.pdf",
        }
        file.update(preview=False, expired=False)
        message = wire(1, channel=dm, text="")
        message["file"] = file
        arrive(state, message)
        [note] = state.take_notifications()
        assert note.body == "Shared a file: plan.pdf"

    @pytest.mark.parametrize("case", ["plain", "visible", "not allowed", "mine"])
    def test_nothing_else_is_notified(self, case: str) -> None:
        state = self.hidden_chat("default" if case == "not allowed" else "granted")
        if case == "visible":
            state.visibility_set(False)
        text = "no mention" if case == "plain" else "@zoë hi"
        arrive(state, wire(4, ME if case == "mine" else BOB, text=text))
        assert state.take_notifications() == []

    def test_the_button_is_offered_until_the_browser_has_answered(self) -> None:
        state = ChatState()
        assert not state.can_enable_notifications  # unsupported until the page says
        assert state.notify_status == ("", "")
        state.permission_set("default")
        assert state.can_enable_notifications
        state.permission_set("granted")
        assert not state.can_enable_notifications
        assert state.notify_status[0] == "Notifications on"
        state.permission_set("denied")
        assert state.notify_status[0] == "Notifications blocked"
        assert not state.permission_set("denied")
