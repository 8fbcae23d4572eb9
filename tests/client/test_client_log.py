"""The open channel's log: bounded, each message once, and a journal of
changes that lets the view draw only what changed (run under CPython)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flack.protocol import HISTORY_LIMIT, File, Message, Notice
from flack_client.entries import GapMarker, LogEntry, NoticeEntry
from flack_client.log import JOURNAL_MAX, LOG_MAX, Change, ChangeKind, MessageLog
from flack_client.state import ChatState

TIME = "2026-11-25T10:00:00.000Z"


def msg(mid: int, channel: str = "general", sender: str = "bob") -> Message:
    return Message(id=mid, channel=channel, sender=sender, text=f"message {mid}", time=TIME)


def notice(seq: int, channel: str = "general") -> NoticeEntry:
    return NoticeEntry(seq, Notice(channel=channel, kind="join", name="carol", time=TIME))


def ids(entries: list[LogEntry]) -> list[int]:
    return [e.id for e in entries if isinstance(e, Message)]


def replay(shadow: list[LogEntry], changes: list[Change]) -> list[LogEntry]:
    """What a reader of the journal (the view) makes of ``changes``."""
    for change in changes:
        if change.kind is ChangeKind.INSERT:
            assert change.entry is not None
            shadow.insert(change.index, change.entry)
        elif change.kind is ChangeKind.REPLACE:
            assert change.entry is not None
            shadow[change.index] = change.entry
        else:
            del shadow[change.index]
    return shadow


class TestBound:
    def test_the_bound_is_several_histories(self) -> None:
        assert LOG_MAX >= 3 * HISTORY_LIMIT

    def test_the_oldest_entries_go_first(self) -> None:
        log = MessageLog(limit=5)
        for mid in range(1, 9):
            assert log.insert(msg(mid))
        assert ids(log.entries) == [4, 5, 6, 7, 8]
        assert len(log) == 5

    def test_the_default_bound_holds_under_a_flood(self) -> None:
        log = MessageLog()
        for mid in range(1, 3 * LOG_MAX):
            log.insert(msg(mid))
        assert len(log) == LOG_MAX
        assert ids(log.entries)[-1] == 3 * LOG_MAX - 1

    def test_notices_count_too(self) -> None:
        log = MessageLog(limit=4)
        log.insert(msg(1))
        for seq in range(100):
            log.append(notice(seq))
        assert len(log) == 4
        assert all(isinstance(e, NoticeEntry) for e in log.entries)

    def test_a_dropped_message_never_comes_back_as_new(self) -> None:
        log = MessageLog(limit=3)
        for mid in (1, 2, 3, 4, 5):
            log.insert(msg(mid))
        assert ids(log.entries) == [3, 4, 5]
        # Ids only grow: nothing at or below the newest dropped one is new.
        assert log.has(1) and log.has(2)
        assert not log.insert(msg(2))
        assert not log.insert(msg(1))
        assert ids(log.entries) == [3, 4, 5]
        assert log.insert(msg(6))

    def test_a_late_message_above_the_floor_still_finds_its_place(self) -> None:
        log = MessageLog(limit=4)
        for mid in (1, 2, 4, 5, 6):
            log.insert(msg(mid))
        assert ids(log.entries) == [2, 4, 5, 6]
        assert log.insert(msg(3))  # above the floor (1): new, put in order
        assert ids(log.entries) == [3, 4, 5, 6]

    def test_reset_forgets_the_floor(self) -> None:
        log = MessageLog(limit=2)
        for mid in (1, 2, 3):
            log.insert(msg(mid))
        log.reset()  # another channel, or ids that started over
        assert not log.has(1)
        assert log.insert(msg(1))


class TestJournal:
    def test_one_message_is_one_change(self) -> None:
        log = MessageLog()
        for mid in (1, 2, 3):
            log.insert(msg(mid))
        cursor = log.version
        log.insert(msg(4))
        assert log.changes_since(cursor) == [Change(ChangeKind.INSERT, 3, msg(4))]
        assert log.changes_since(log.version) == []

    def test_an_out_of_order_message_is_inserted_where_it_belongs(self) -> None:
        log = MessageLog()
        log.insert(msg(1))
        log.insert(msg(3))
        cursor = log.version
        log.insert(msg(2))
        assert log.changes_since(cursor) == [Change(ChangeKind.INSERT, 1, msg(2))]

    def test_a_repeat_changes_nothing(self) -> None:
        log = MessageLog()
        log.insert(msg(1))
        cursor = log.version
        assert not log.insert(msg(1))
        assert log.changes_since(cursor) == []

    def test_dropping_the_oldest_is_a_removal_at_the_front(self) -> None:
        log = MessageLog(limit=2)
        log.insert(msg(1))
        log.insert(msg(2))
        cursor = log.version
        log.insert(msg(3))
        assert log.changes_since(cursor) == [
            Change(ChangeKind.INSERT, 2, msg(3)),
            Change(ChangeKind.REMOVE, 0),
        ]

    def test_an_expired_file_is_a_replacement_in_place(self) -> None:
        shared = File(id="f2", name="a.png", size=1, type="image/png", url="/files/f2", preview=True)
        log = MessageLog()
        log.insert(msg(1))
        log.insert(replace(msg(2), text="", file=shared))
        log.append(GapMarker(1))
        cursor = log.version
        assert not log.expire_file(1)  # a text message has no file to lose
        assert not log.expire_file(99)
        assert log.expire_file(2)
        assert not log.expire_file(2)  # once
        changes = log.changes_since(cursor)
        assert changes is not None and [(c.kind, c.index) for c in changes] == [(ChangeKind.REPLACE, 1)]
        gone = changes[0].entry
        assert isinstance(gone, Message) and gone.file is not None and gone.file.expired

    def test_a_reset_sends_readers_back_to_a_full_redraw(self) -> None:
        log = MessageLog()
        log.insert(msg(1))
        cursor, epoch = log.version, log.epoch
        log.reset()
        log.insert(msg(1))
        assert log.changes_since(cursor) is None
        assert log.epoch != epoch
        assert log.changes_since(log.version) == []

    def test_a_reader_behind_the_trimmed_journal_redraws(self) -> None:
        log = MessageLog(limit=10, journal_limit=8)
        cursor = log.version
        for mid in range(1, 20):
            log.insert(msg(mid))
        assert log.changes_since(cursor) is None
        assert log.changes_since(None) is None  # never drew anything
        assert log.changes_since(log.version + 1) is None  # a cursor from elsewhere

    def test_replaying_the_journal_gives_the_log(self) -> None:
        log = MessageLog(limit=7, journal_limit=JOURNAL_MAX)
        shadow: list[LogEntry] = []
        cursor = log.version
        steps: list[Message | NoticeEntry] = [msg(2), msg(1), notice(1), msg(5), msg(3), msg(3), notice(2)]
        steps += [msg(mid) for mid in range(6, 14)] + [msg(4), notice(3), msg(20)]
        for step in steps:
            if isinstance(step, Message):
                log.insert(step)
            else:
                log.append(step)
            changes = log.changes_since(cursor)
            assert changes is not None
            shadow = replay(shadow, changes)
            cursor = log.version
            assert shadow == log.entries


class TestInTheState:
    @staticmethod
    def opened(history: list[Message]) -> ChatState:
        state = ChatState()
        state.set_identity("Alice", "tok")
        state.begin_join("general")
        assert state.finish_join("general", history)
        return state

    def test_a_busy_channel_keeps_only_the_newest(self) -> None:
        state = self.opened([msg(mid) for mid in range(1, 101)])
        for mid in range(101, LOG_MAX + 201):
            assert state.add_message(msg(mid))
        assert len(state.message_log) == LOG_MAX
        assert ids(state.message_log.entries)[0] == 201
        assert state.last_ids.get("general") == LOG_MAX + 200

    def test_a_rejoin_does_not_bring_dropped_messages_back(self) -> None:
        state = self.opened([msg(mid) for mid in range(1, 101)])
        for mid in range(101, LOG_MAX + 101):
            state.add_message(msg(mid))
        oldest = ids(state.message_log.entries)[0]
        state.connection_lost()
        request = state.begin_join("general")
        assert request.since == LOG_MAX + 100  # only newer ids are asked for
        # Even a server that sent old ones again (say, live delivery racing
        # the history) would not get them shown twice or out of place.
        assert state.finish_join(
            "general", [msg(5), msg(oldest - 1), msg(LOG_MAX + 101)], since=request.since
        )
        shown = ids(state.message_log.entries)
        assert 5 not in shown and oldest - 1 not in shown
        assert shown[-1] == LOG_MAX + 101 and len(shown) == LOG_MAX

    def test_one_arriving_message_is_one_change_whatever_the_length(self) -> None:
        state = self.opened([msg(mid) for mid in range(1, 101)])
        cursor = state.message_log.version
        state.add_message(msg(101))
        assert state.message_log.changes_since(cursor) == [Change(ChangeKind.INSERT, 100, msg(101))]

    def test_messages_arriving_during_a_join_are_bounded_too(self) -> None:
        state = self.opened([])
        state.begin_join("random")
        for mid in range(1, LOG_MAX + 50):
            assert not state.add_message(msg(mid, channel="random"))
        assert state.finish_join("random", [])
        assert len(state.message_log) == LOG_MAX
        assert ids(state.message_log.entries)[-1] == LOG_MAX + 49

    @pytest.mark.parametrize("flood", [LOG_MAX, 3 * LOG_MAX])
    def test_a_notice_flood_does_not_grow_the_log(self, flood: int) -> None:
        state = self.opened([msg(1)])
        wire = {"channel": "general", "kind": "join", "name": "x", "old_name": None, "time": TIME}
        for _ in range(flood):
            state.add_notice(wire)
        assert len(state.message_log) == LOG_MAX
