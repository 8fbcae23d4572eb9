"""Issue 12 on the client: inert until ready, a workspace set up in one go
(every refusal in view, one channel opened), and the alert's kept lines
(run under CPython)."""

from __future__ import annotations

import pytest

from flack.protocol import Ack, ErrorCode
from flack_client.alert import KEPT_MAX, MAIN, Alert
from flack_client.creating import CreateAnswer, Creation
from flack_client.state import ChatState
from flack_client.wording import LOADING, NEW_CHANNEL_PLACEHOLDER, channel_exists_text

SLOW_DOWN = "Slow down: too many new channels at once. Try again in 5 s."


def named() -> ChatState:
    state = ChatState()
    state.set_identity("Alice", "tok")
    state.mark_ready()
    return state


def created(channel: str) -> Ack:
    return Ack(ok=True, data={"channel": {"name": channel}})


def refused(message: str = SLOW_DOWN, code: str = ErrorCode.RATE_LIMITED) -> Ack:
    return Ack.failure(code, message)


def begin(state: ChatState, name: str) -> Creation:
    creation = state.channel_typed(name)
    assert creation is not None, state.alert_lines
    return creation


def kept(state: ChatState) -> list[str]:
    return [text for key, text in state.alert_lines if key != MAIN]


# --- inert until ready ---------------------------------------------------------------


def test_the_client_is_not_ready_until_told() -> None:
    state = ChatState()
    assert not state.ready
    assert state.new_channel_placeholder == LOADING == "Loading…"
    assert state.composer_placeholder == LOADING
    assert state.mark_ready() is True
    assert state.ready and state.new_channel_placeholder == NEW_CHANNEL_PLACEHOLDER
    assert state.mark_ready() is False  # only the first time counts


# --- the alert: one main sentence, kept lines ---------------------------------------------


class TestAlert:
    def test_kept_lines_come_first_then_the_main_sentence(self) -> None:
        alert = Alert("Main.")
        alert.keep("a", "A refused.")
        alert.keep("b", "B refused.")
        assert alert.lines == [("kept:a", "A refused."), ("kept:b", "B refused."), (MAIN, "Main.")]

    def test_the_main_sentence_comes_and_goes_without_touching_kept_lines(self) -> None:
        alert = Alert()
        alert.keep("a", "A refused.")
        alert.show("One.")
        alert.show("Two.")  # the newer main sentence replaces the older
        alert.clear_if("One.")  # not what it says any more: stays
        assert alert.text == "Two."
        alert.clear()
        assert alert.lines == [("kept:a", "A refused.")]

    def test_a_key_kept_again_is_replaced_and_moves_to_the_end(self) -> None:
        alert = Alert()
        alert.keep("a", "A first.")
        alert.keep("b", "B.")
        alert.keep("a", "A again.")
        assert alert.lines == [("kept:b", "B."), ("kept:a", "A again.")]

    def test_release_and_dismiss(self) -> None:
        alert = Alert("Main.")
        alert.keep("a", "A.")
        alert.keep("b", "B.")
        alert.release("a")
        alert.release("nothing kept")
        assert alert.lines == [("kept:b", "B."), (MAIN, "Main.")]
        alert.dismiss()
        assert alert.lines == [] and alert.text is None

    def test_kept_lines_are_bounded_oldest_first(self) -> None:
        alert = Alert()
        for index in range(KEPT_MAX + 3):
            alert.keep(str(index), f"line {index}")
        texts = [text for _, text in alert.lines]
        assert len(texts) == KEPT_MAX
        assert texts[0] == "line 3" and texts[-1] == f"line {KEPT_MAX + 2}"


# --- setting up a workspace -----------------------------------------------------------------


class TestEveryRefusalShows:
    def test_fifteen_in_a_row_ten_refused_ten_lines(self) -> None:
        """Issue 12: 15 in a row, the last 10 refused for the rate: each
        refusal is a line naming its channel (it used to be the last one only:
        each new "Create channel" cleared the alert, each refusal replaced it)."""
        state = named()
        names = [f"room-{i:02d}" for i in range(15)]
        for index, name in enumerate(names):
            creation = begin(state, name)
            state.channel_create_answered(creation, created(name) if index < 5 else refused())
        assert state.channels == names[:5]
        assert kept(state) == [f"Could not create #{name}: {SLOW_DOWN}" for name in names[5:]]
        assert state.error is None

    def test_refusals_arriving_while_others_wait_all_stay(self) -> None:
        state = named()
        creations = [begin(state, f"room-{i}") for i in range(4)]
        answers = [refused(), created("room-1"), refused("Nope."), created("room-3")]
        for creation, ack in zip(creations, answers, strict=True):
            state.channel_create_answered(creation, ack)
        assert kept(state) == [f"Could not create #room-0: {SLOW_DOWN}", "Could not create #room-2: Nope."]

    def test_a_channel_the_list_has_is_refused_without_asking(self) -> None:
        state = named()
        state.set_channels(["General"])
        assert state.channel_typed("GENERAL") is None
        assert state.channel_typed("gеneral") is None  # Cyrillic е: the same channel (fold)
        assert state.creating == 0  # nothing went to the server
        assert kept(state) == [f"Could not create #gеneral: {channel_exists_text('General')}"]

    def test_a_name_breaking_the_rules_is_the_main_alert_replaced_by_the_next_try(self) -> None:
        state = named()
        state.channel_create_answered(begin(state, "refused"), refused())
        assert state.channel_typed("bad/name!") is None
        assert state.error is not None and kept(state) == [f"Could not create #refused: {SLOW_DOWN}"]
        begin(state, "fine")
        assert state.error is None  # about the box, and the box holds a new name now
        assert kept(state) == [f"Could not create #refused: {SLOW_DOWN}"]  # still in view

    def test_created_after_all_takes_its_refusal_away(self) -> None:
        state = named()
        state.channel_create_answered(begin(state, "Later"), refused())
        state.channel_create_answered(begin(state, "other"), refused("Nope."))
        state.channel_create_answered(begin(state, "later"), created("later"))
        assert kept(state) == ["Could not create #other: Nope."]

    def test_no_answer_is_a_refusal_in_words_too(self) -> None:
        state = named()
        state.channel_create_answered(begin(state, "lost"), Ack.failure("timeout"))
        assert kept(state) == ["Could not create #lost: The server did not answer in time. Please try again."]

    def test_dismiss_clears_every_line(self) -> None:
        state = named()
        state.channel_create_answered(begin(state, "a"), refused())
        state.channel_typed("bad/name!")
        state.dismiss_error()
        assert state.alert_lines == []

    def test_a_channel_gone_from_the_server_leaves_the_list_and_can_be_created(self) -> None:
        state = named()
        state.set_channels(["general", "gone"])
        request = state.begin_join("gone")
        state.join_answered(request, Ack.failure(ErrorCode.NO_SUCH_CHANNEL))
        assert state.channels == ["general"]
        assert state.channel_typed("gone") is not None


class TestWhichCreatedChannelOpens:
    def test_one_at_a_time_each_opens(self) -> None:
        """At a person's pace every answer is back before the next name: the
        channel just created opens, every time."""
        state = named()
        for name in ("one", "two", "three"):
            answer = state.channel_create_answered(begin(state, name), created(name))
            assert answer == CreateAnswer(created=name, open=name)

    def test_a_burst_opens_only_the_newest_once_all_are_answered(self) -> None:
        state = named()
        creations = [begin(state, f"room-{i}") for i in range(20)]
        assert state.creating == 20
        opened = [state.channel_create_answered(c, created(c.channel)).open for c in creations]
        assert opened == [None] * 19 + ["room-19"]
        assert state.creating == 0 and len(state.channels) == 20

    def test_answers_out_of_order_never_open_an_older_one(self) -> None:
        state = named()
        first, second = begin(state, "first"), begin(state, "second")
        assert state.channel_create_answered(second, created("second")).open == "second"
        assert state.channel_create_answered(first, created("first")).open is None

    def test_the_newest_refused_opens_the_newest_created(self) -> None:
        state = named()
        first, second = begin(state, "first"), begin(state, "second")
        assert state.channel_create_answered(first, created("first")).open is None  # second may win
        assert state.channel_create_answered(second, refused()).open == "first"

    def test_all_refused_opens_nothing(self) -> None:
        state = named()
        first, second = begin(state, "first"), begin(state, "second")
        assert state.channel_create_answered(first, refused()).open is None
        assert state.channel_create_answered(second, refused()).open is None

    @pytest.mark.parametrize("pick", ["general", "first"])
    def test_a_channel_picked_meanwhile_wins(self, pick: str) -> None:
        state = named()
        state.set_channels(["general"])
        first = begin(state, "first")
        state.select_channel(pick)
        answer = state.channel_create_answered(first, created("first"))
        assert answer == CreateAnswer(created="first", open=None)
        # A creation begun after the pick opens as usual.
        assert state.channel_create_answered(begin(state, "later"), created("later")).open == "later"
