"""Team conversations in the client (issue 14), under CPython: routing by
conversation, messages replaced by id, threads kept out of the log, reaction
buttons, direct conversations' names, membership, and what is done to one
message (edit, delete, react)."""

from __future__ import annotations

from typing import Any

from flack import protocol
from flack.protocol import Ack, Event, JoinChannel, Message
from flack_client.effects import Effects
from flack_client.log import ChangeKind, MessageLog
from flack_client.outbox import Outgoing, SendStatus
from flack_client.people import Directs, People
from flack_client.reactions import CHOICES, chips
from flack_client.state import ChatState

TIME = "2026-11-30T10:00:00.000Z"
MY_TOKEN = "my-secret-token"
ME = protocol.person_id(MY_TOKEN)
BOB = protocol.person_id("bob-token")
CAROL = protocol.person_id("carol-token")
DM = protocol.direct_label([ME, BOB])
GROUP = protocol.direct_label([ME, BOB, CAROL])


def wire(mid: int, channel: str = "general", **changes: Any) -> dict[str, Any]:
    message = {
        "id": mid,
        "channel": channel,
        "sender": "Bob",
        "sender_id": BOB,
        "text": f"m{mid}",
        "time": TIME,
    }
    return {**message, **changes}


def msg(mid: int, channel: str = "general", **changes: Any) -> Message:
    return Message.from_wire(wire(mid, channel, **changes))


def person(pid: str, name: str) -> dict[str, str]:
    return {"id": pid, "name": name}


def direct(label: str, *members: tuple[str, str]) -> dict[str, Any]:
    return {"id": label, "members": [person(pid, name) for pid, name in members]}


def me_state() -> ChatState:
    state = ChatState()
    state.set_identity("Zoë", MY_TOKEN)
    return state


def opened(channel: str = "general", history: list[dict[str, Any]] | None = None) -> ChatState:
    state = me_state()
    request = state.begin_join(channel)
    ack = Ack(ok=True, data={"channel": {"name": channel}, "messages": history or [], "gap": False})
    state.join_answered(request, ack)
    assert state.open_channel == channel
    return state


def log_ids(state: ChatState) -> list[int]:
    return [entry.id for entry in state.message_log.entries if isinstance(entry, Message)]


def updated(message: dict[str, Any]) -> dict[str, Any]:
    return {"message": message}


# --- routing by conversation ---------------------------------------------------------


class TestRouting:
    def test_messages_of_other_conversations_never_reach_the_open_log(self) -> None:
        state = opened("general", [wire(1)])
        # (Shown elsewhere all the same: random's unread count, issue 15.)
        state.messages_arrived(Event.MESSAGE, {"message": wire(1, "random")})
        assert state.messages_arrived(Event.MESSAGE, {"message": wire(2)})
        assert log_ids(state) == [1, 2]

    def test_a_message_in_an_unknown_direct_conversation_lists_it(self) -> None:
        state = opened("general")
        assert state.directs == []
        assert state.messages_arrived(Event.MESSAGE, {"message": wire(1, DM)})
        assert [entry.label for entry in state.directs] == [DM]
        assert log_ids(state) == []  # not on screen: not in the log
        # The second one lists nothing new (its unread count moves: issue 15).
        state.messages_arrived(Event.MESSAGE, {"message": wire(2, DM)})
        assert [entry.label for entry in state.directs] == [DM]

    def test_a_direct_conversation_opens_like_a_channel_and_is_not_a_channel(self) -> None:
        state = opened(DM, [wire(1, DM), wire(2, DM)])
        assert log_ids(state) == [1, 2]
        assert state.open_is_direct
        assert state.channels == []  # never in the channel list
        assert [entry.label for entry in state.directs] == [DM]
        assert not state.can_leave  # a direct conversation cannot be left

    def test_an_updated_message_of_another_conversation_is_ignored(self) -> None:
        state = opened("general", [wire(1)])
        assert not state.message_updated(updated(wire(1, "random", text="other", revision=5)))
        assert state.message_log.entries[0] == msg(1)


# --- message_updated: replaced by id --------------------------------------------------


class TestUpsert:
    def test_an_edit_replaces_the_message_in_place(self) -> None:
        state = opened("general", [wire(1), wire(2), wire(3)])
        assert state.message_updated(updated(wire(2, text="fixed", edited=True, revision=4)))
        assert log_ids(state) == [1, 2, 3]
        shown = state.message_log.get(2)
        assert shown is not None and shown.text == "fixed" and shown.edited

    def test_an_older_state_never_replaces_a_newer_one(self) -> None:
        state = opened("general", [wire(1, text="new", revision=7)])
        assert not state.message_updated(updated(wire(1, text="old", revision=3)))
        assert state.message_log.get(1) == msg(1, text="new", revision=7)

    def test_the_same_state_twice_changes_nothing(self) -> None:
        # Our own edit comes back as the answer and as the event.
        state = opened("general", [wire(1)])
        assert state.message_updated(updated(wire(1, text="x", edited=True, revision=2)))
        assert not state.message_updated(updated(wire(1, text="x", edited=True, revision=2)))

    def test_a_deleted_message_leaves_the_log_and_does_not_come_back(self) -> None:
        state = opened("general", [wire(1), wire(2)])
        assert state.message_updated(updated(wire(1, text="", deleted=True, revision=3)))
        assert log_ids(state) == [2]
        # An older copy arriving late (a catch-up overlapping) does not resurrect it.
        assert not state.add_message(msg(1))
        assert log_ids(state) == [2]

    def test_a_deleted_message_in_a_history_is_never_shown(self) -> None:
        state = opened("general", [wire(1, text="", deleted=True, revision=2), wire(2)])
        assert log_ids(state) == [2]
        assert state.last_ids.get("general") == 2

    def test_the_log_journal_says_replace_and_remove(self) -> None:
        log = MessageLog()
        log.insert(msg(1))
        version = log.version
        assert log.upsert(msg(1, text="again", revision=1))
        assert log.upsert(msg(1, deleted=True, text="", revision=2))
        changes = log.changes_since(version)
        assert changes is not None
        assert [change.kind for change in changes] == [ChangeKind.REPLACE, ChangeKind.REMOVE]

    def test_an_update_of_a_message_never_seen_is_taken_as_new(self) -> None:
        state = opened("general", [wire(1)])
        assert state.message_updated(updated(wire(2, replies=1, revision=2)))
        assert log_ids(state) == [1, 2]

    def test_an_expired_file_stays_expired_through_an_update(self) -> None:
        file = {"id": "f", "name": "a.txt", "size": 1, "type": "text/plain", "url": "/files/f/a.txt"}
        file_wire = {**file, "preview": False, "expired": False}
        state = opened("general", [wire(1, text="", file=file_wire)])
        assert state.expire_file({"channel": "general", "id": 1})
        assert state.message_updated(updated(wire(1, text="", file=file_wire, revision=3)))
        shown = state.message_log.get(1)
        assert shown is not None and shown.file is not None and shown.file.expired


# --- catch-up after a reconnect ---------------------------------------------------------


class TestCatchUp:
    def test_a_rejoin_asks_for_what_came_and_what_changed_since(self) -> None:
        state = opened("general", [wire(1, revision=4), wire(2)])
        state.message_updated(updated(wire(2, text="e", edited=True, revision=6)))
        state.connection_lost()
        assert state.begin_join("general") == JoinChannel("general", 2, 6)

    def test_a_fresh_open_asks_for_everything(self) -> None:
        state = opened("general", [wire(1, revision=4)])
        assert state.begin_join("random") == JoinChannel("random", None, None)

    def test_the_catch_up_replaces_changed_messages_and_adds_new_ones(self) -> None:
        state = opened("general", [wire(1), wire(2), wire(3)])
        state.connection_lost()
        request = state.begin_join("general")
        missed = [wire(2, text="edited", edited=True, revision=5), wire(4), wire(5)]
        ack = Ack(ok=True, data={"channel": {"name": "general"}, "messages": missed, "gap": False})
        state.join_answered(request, ack)
        assert log_ids(state) == [1, 2, 3, 4, 5]
        shown = state.message_log.get(2)
        assert shown is not None and shown.text == "edited"
        assert state.begin_join("general").revision == 5

    def test_changed_messages_in_a_catch_up_with_a_gap_are_not_taken_for_a_restart(self) -> None:
        # ids did not start over: the changed message 2 is older than since,
        # but the new ones are newer. The log is kept, with a marker.
        state = opened("general", [wire(1), wire(2), wire(3)])
        state.connection_lost()
        request = state.begin_join("general")
        missed = [wire(2, text="e", edited=True, revision=9), wire(150)]
        ack = Ack(ok=True, data={"channel": {"name": "general"}, "messages": missed, "gap": True})
        state.join_answered(request, ack)
        assert log_ids(state) == [1, 2, 3, 150]


# --- threads ------------------------------------------------------------------------------


class TestThreads:
    def test_replies_never_show_in_the_log(self) -> None:
        state = opened("general", [wire(1, replies=2), wire(2, parent=1), wire(3, parent=1), wire(4)])
        assert log_ids(state) == [1, 4]
        assert state.open_thread(1)
        assert state.thread == msg(1, replies=2)
        assert [reply.id for reply in state.thread_replies] == [2, 3]
        assert not state.thread_missing

    def test_a_live_reply_joins_its_thread_and_the_count_comes_with_the_parent(self) -> None:
        state = opened("general", [wire(1)])
        assert state.open_thread(1)
        assert state.messages_arrived(Event.MESSAGE, {"message": wire(2, parent=1)})
        assert state.message_updated(updated(wire(1, replies=1, revision=2)))
        parent = state.thread
        assert parent is not None and state.replies_shown(parent) == 1
        assert [reply.id for reply in state.thread_replies] == [2]
        assert log_ids(state) == [1]

    def test_a_marker_when_fewer_replies_are_kept_than_counted(self) -> None:
        state = opened("general", [wire(1, replies=3), wire(5, parent=1)])
        assert state.open_thread(1)
        assert state.thread_missing

    def test_a_thread_whose_first_message_is_deleted_closes(self) -> None:
        state = opened("general", [wire(1, replies=1), wire(2, parent=1)])
        assert state.open_thread(1)
        state.message_updated(updated(wire(2, parent=1, deleted=True, text="", revision=3)))
        assert state.thread_replies == []
        state.message_updated(updated(wire(1, deleted=True, text="", revision=4)))
        assert state.thread is None and state.thread_parent is None

    def test_reply_in_thread_on_a_reply_opens_its_parents_thread(self) -> None:
        state = opened("general", [wire(1, replies=1), wire(2, parent=1)])
        assert state.open_thread(2)
        assert state.thread_parent == 1

    def test_a_reply_goes_through_the_outbox_with_its_parent_and_only_in_the_thread(self) -> None:
        state = opened("general", [wire(1)])
        assert state.open_thread(1)
        effects = state.compose_reply("an answer")
        assert effects == Effects(clear_composer=True, flush_outbox=True)
        assert state.pending_in("general") == []  # not in the channel's log
        [pending] = state.thread_pending
        assert pending.parent == 1
        assert pending.request().parent == 1

    def test_a_stored_reply_keeps_its_parent(self) -> None:
        item = Outgoing("c1", "general", "hi", parent=7)
        again = Outgoing.from_wire(item.to_wire())
        assert again is not None and again.parent == 7 and again.status is SendStatus.QUEUED
        plain = Outgoing("c2", "general", "hi").to_wire()
        assert "parent" not in plain  # the shape of a plain message is as it was

    def test_switching_conversation_closes_the_thread(self) -> None:
        state = opened("general", [wire(1)])
        assert state.open_thread(1)
        request = state.begin_join("random")
        ack = Ack(ok=True, data={"channel": {"name": "random"}, "messages": [], "gap": False})
        state.join_answered(request, ack)
        assert state.thread_parent is None


# --- reactions ------------------------------------------------------------------------------


class TestReactions:
    def test_chips_are_named_by_emoji_then_count_and_pressed_when_mine(self) -> None:
        message = msg(1, reactions=[{"emoji": "👍", "people": [BOB, ME]}, {"emoji": "🎉", "people": [BOB]}])
        names = {BOB: "Bob"}.get
        thumbs, party = chips(message, ME, names)
        assert (thumbs.label, thumbs.mine) == ("👍 2", True)
        assert (party.label, party.mine) == ("🎉 1", False)
        assert thumbs.who == "Bob, you"

    def test_the_picker_offers_at_least_eight_emoji_the_protocol_accepts(self) -> None:
        assert len(CHOICES) >= 8 and len(set(CHOICES)) == len(CHOICES)
        assert all(protocol.clean_emoji(emoji) == emoji for emoji in CHOICES)

    def test_picking_sends_a_toggle_and_closes_the_picker(self) -> None:
        state = opened("general", [wire(1)])
        assert state.open_picker(1)
        request = state.react_request(1, "👍")
        assert request == protocol.React("general", 1, "👍")
        assert state.picking is None

    def test_a_second_press_of_add_reaction_closes_the_picker(self) -> None:
        state = opened("general", [wire(1)])
        assert state.open_picker(1)
        assert not state.open_picker(1)

    def test_the_answer_shows_the_reactions(self) -> None:
        state = opened("general", [wire(1)])
        after = wire(1, reactions=[{"emoji": "👍", "people": [ME]}], revision=2)
        state.react_answered(Ack(ok=True, data={"message": after}))
        assert state.has_reacted(1, "👍")
        assert not state.has_reacted(1, "🎉")

    def test_a_refused_reaction_is_said(self) -> None:
        state = opened("general", [wire(1)])
        state.react_answered(Ack.failure("too_many_reactions"))
        assert state.error is not None and "20" in state.error


# --- edit and delete ---------------------------------------------------------------------------


class TestEditDelete:
    def test_only_my_text_messages_can_be_edited(self) -> None:
        mine = wire(2, sender="Zoë", sender_id=ME)
        state = opened("general", [wire(1), mine])
        assert not state.start_edit(1)
        assert state.start_edit(2)
        assert state.editing == 2

    def test_mine_by_person_id_even_after_a_rename(self) -> None:
        state = opened("general", [wire(1, sender="Old name", sender_id=ME)])
        message = state.message_log.get(1)
        assert message is not None and state.is_mine(message)

    def test_saving_sends_the_new_text_and_the_answer_closes_the_box(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.start_edit(1)
        request = state.edit_request("  better  ")
        assert request == protocol.EditMessage("general", 1, "better")
        answer = wire(1, sender="Zoë", sender_id=ME, text="better", edited=True, revision=3)
        assert state.edit_answered(request, Ack(ok=True, data={"message": answer}))
        assert state.editing is None
        shown = state.message_log.get(1)
        assert shown is not None and shown.edited

    def test_saving_the_same_text_just_closes_and_empty_text_is_refused(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.start_edit(1)
        assert state.edit_request("   ") is None
        assert state.edit_error is not None and state.editing == 1
        assert state.edit_request("m1") is None
        assert state.editing is None

    def test_a_refused_edit_keeps_the_box_and_says_why(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.start_edit(1)
        request = state.edit_request("new")
        assert request is not None
        assert not state.edit_answered(request, Ack.failure("not_yours"))
        assert state.editing == 1 and state.edit_error == protocol.SENTENCES[protocol.ErrorCode.NOT_YOURS]

    def test_cancel_closes_the_box(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.start_edit(1)
        assert state.cancel_edit()
        assert state.editing is None and not state.cancel_edit()

    def test_delete_asks_first_then_sends(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME), wire(2)])
        assert not state.ask_delete(2)  # not mine
        assert state.ask_delete(1)
        assert state.deleting == 1
        assert state.delete_request() == protocol.MessageRef("general", 1)
        assert state.deleting is None
        state.delete_answered(Ack(ok=True, data={"message": wire(1, text="", deleted=True, revision=2)}))
        assert log_ids(state) == [2]

    def test_cancel_deletes_nothing(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.ask_delete(1)
        assert state.cancel_delete()
        assert state.delete_request() is None

    def test_an_edit_box_closes_when_its_message_is_deleted_elsewhere(self) -> None:
        state = opened("general", [wire(1, sender="Zoë", sender_id=ME)])
        assert state.start_edit(1)
        state.message_updated(updated(wire(1, text="", deleted=True, revision=2)))
        assert state.editing is None


# --- people, direct conversations, membership ---------------------------------------------------


class TestPeopleAndDirects:
    def test_people_are_listed_me_first_and_marked(self) -> None:
        state = me_state()
        people = [person(BOB, "Bob"), person(ME, "Zoë"), person(CAROL, "ada")]
        assert state.people_listed(Ack(ok=True, data={"people": people}))
        assert state.people == [(ME, "Zoë (you)"), (CAROL, "ada"), (BOB, "Bob")]

    def test_a_direct_conversation_is_named_by_the_others_and_follows_renames(self) -> None:
        state = me_state()
        listed = {"channels": [], "directs": [direct(DM, (ME, "Zoë"), (BOB, "Bob"))]}
        assert state.conversations_listed(Ack(ok=True, data=listed))
        assert [(entry.label, entry.name) for entry in state.directs] == [(DM, "Bob")]
        assert state.person_changed({"person": person(BOB, "Robert")})
        assert [entry.name for entry in state.directs] == ["Robert"]
        assert not state.person_changed({"person": person(BOB, "Robert")})

    def test_a_group_is_named_by_the_others_joined_with_commas(self) -> None:
        people = People()
        people.set_me(MY_TOKEN)
        directs = Directs(people)
        opened_ = protocol.Direct.from_wire(direct(GROUP, (ME, "Zoë"), (BOB, "Bob"), (CAROL, "Carol")))
        assert directs.add(opened_)
        assert directs.name(GROUP) == "Bob, Carol"

    def test_someone_not_known_yet_is_someone(self) -> None:
        people = People()
        people.set_me(MY_TOKEN)
        directs = Directs(people)
        assert directs.note(DM)
        assert directs.name(DM) == "Someone"
        assert not directs.note("general")  # not a direct label

    def test_direct_opened_lists_the_conversation(self) -> None:
        state = me_state()
        assert state.direct_opened({"direct": direct(DM, (ME, "Zoë"), (BOB, "Bob"))})
        assert not state.direct_opened({"direct": direct(DM, (ME, "Zoë"), (BOB, "Bob"))})
        assert not state.direct_opened({"direct": "garbled"})

    def test_open_direct_answered_gives_the_label_to_open(self) -> None:
        state = me_state()
        assert state.direct_request(BOB) == protocol.OpenDirect([BOB])
        answer = {"direct": direct(DM, (ME, "Zoë"), (BOB, "Bob"))}
        assert state.direct_answered(Ack(ok=True, data=answer)) == DM
        assert state.direct_answered(Ack.failure("no_such_person")) is None
        assert state.error is not None

    def test_the_heading_and_the_composer_name_the_other_people(self) -> None:
        state = me_state()
        state.direct_opened({"direct": direct(DM, (ME, "Zoë"), (BOB, "Bob"))})
        request = state.begin_join(DM)
        joined = {"channel": {"name": DM}, "messages": [], "gap": False}
        state.join_answered(request, Ack(ok=True, data=joined))
        assert state.open_title == "Bob"
        assert state.composer_placeholder == "Message Bob"
        assert "#" not in state.empty_log_text()


class TestMembership:
    def test_the_list_says_which_channels_are_mine(self) -> None:
        state = me_state()
        state.set_channels(["general", "random", "news"])
        listed = {"channels": [{"name": "general"}], "directs": []}
        assert state.conversations_listed(Ack(ok=True, data=listed))
        assert [state.is_member(name) for name in state.channels] == [True, False, False]

    def test_opening_a_channel_joins_it(self) -> None:
        state = opened("random")
        assert state.is_member("random") and state.can_leave

    def test_leaving_closes_the_channel_and_forgets_it_for_the_next_visit(self) -> None:
        state = opened("random", [wire(1, "random")])
        effects = state.leave_answered("random", Ack(ok=True, data={}))
        assert effects == Effects(forget_channel=True)
        assert state.open_channel is None and not state.is_member("random")
        assert state.channel_to_reopen() is None
        assert "random" in state.channels  # still there to join again

    def test_a_refused_leave_keeps_everything(self) -> None:
        state = opened("random")
        state.leave_answered("random", Ack.failure("not_in_channel"))
        assert state.open_channel == "random" and state.is_member("random")
        assert state.error is not None


class TestGroups:
    def test_a_group_is_asked_for_with_the_people_ticked(self) -> None:
        state = me_state()
        people = [person(BOB, "Bob"), person(ME, "Zoë"), person(CAROL, "Carol")]
        state.people_listed(Ack(ok=True, data={"people": people}))
        assert state.open_group()
        assert state.group_choices == [(BOB, "Bob"), (CAROL, "Carol")]  # not us
        assert state.group_request([]) is None
        assert state.group_error is not None and state.group_open
        request = state.group_request([CAROL, BOB, ME])
        assert request == protocol.OpenDirect(sorted([BOB, CAROL]))
        assert not state.group_open

    def test_a_group_too_big_is_said_before_asking(self) -> None:
        state = me_state()
        assert state.open_group()
        ids = [protocol.person_id(f"t{n}") for n in range(protocol.DIRECT_MAX)]
        assert state.group_request(ids) is None
        assert state.group_error is not None and str(protocol.DIRECT_MAX) in state.group_error

    def test_a_conversation_in_a_few_words(self) -> None:
        state = me_state()
        state.direct_opened({"direct": direct(GROUP, (ME, "Zoë"), (BOB, "Bob"), (CAROL, "Carol"))})
        assert state.where(GROUP) == "Bob, Carol"
        assert state.where("general") == "#general"


class TestNameEvents:
    def test_a_burst_of_names_arrives_as_one_people_event(self) -> None:
        state = me_state()
        state.people_listed(Ack(ok=True, data={"people": [person(ME, "Zoë")]}))
        assert state.people_changed({"people": [person(BOB, "Bob"), person(CAROL, "Carol")]})
        assert [label for _pid, label in state.people] == ["Zoë (you)", "Bob", "Carol"]
        assert not state.people_changed({"people": [person(BOB, "Bob")]})
        assert not state.people_changed({"garbled": True})

    def test_a_former_member_names_the_conversation_but_is_not_in_people(self) -> None:
        state = me_state()
        state.people_listed(Ack(ok=True, data={"people": [person(ME, "Zoë")]}))
        state.direct_opened({"direct": direct(DM, (ME, "Zoë"), (BOB, "(former member)"))})
        assert [entry.name for entry in state.directs] == ["(former member)"]
        assert [label for _pid, label in state.people] == ["Zoë (you)"]


# --- replies whose thread is gone -------------------------------------------------------


class TestOrphanReplies:
    def test_a_reply_whose_first_message_is_not_kept_is_shown_in_the_log(self) -> None:
        """The server's history lost the thread's first message (it is older
        than its replies, so it goes first): the reply is not hidden."""
        state = opened("general", [wire(5, parent=4), wire(6)])
        assert log_ids(state) == [5, 6]
        assert state.message_log.get(5) is not None
        # A later change of it lands there too, and a deletion takes it away.
        assert state.message_updated(updated(wire(5, parent=4, text="fixed", edited=True, revision=9)))
        shown = state.message_log.get(5)
        assert shown is not None and shown.text == "fixed"
        assert state.message_updated(updated(wire(5, parent=4, text="", deleted=True, revision=10)))
        assert log_ids(state) == [6]

    def test_a_reply_whose_first_message_is_kept_stays_in_its_thread(self) -> None:
        state = opened("general", [wire(4, replies=1), wire(5, parent=4), wire(6)])
        assert log_ids(state) == [4, 6]
        assert state.messages_arrived(Event.MESSAGE, {"message": wire(7, parent=4)})
        assert log_ids(state) == [4, 6]
