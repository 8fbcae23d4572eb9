"""One contract, every backend: each StateBackend must pass these tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flack.backends.base import RESERVED_MAX, SENT_REMEMBERED, StateBackend
from flack.backends.durable import DurableBackend
from flack.backends.journal import JournalWriter
from flack.backends.memory import MemoryBackend
from flack.core.models import Channel, File
from flack.protocol import direct_label, fold, person_id


def durable(history_limit: int, folder: Path) -> StateBackend:
    """The data folder's backend, journaling every change into ``folder``."""
    backend = DurableBackend(history_limit)
    backend.journal = JournalWriter(folder / "journal.1")
    return backend


BACKENDS: dict[str, Callable[[int, Path], StateBackend]] = {
    "memory": lambda limit, _: MemoryBackend(limit),
    "durable": durable,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> StateBackend:
    return BACKENDS[request.param](3, tmp_path)


class TestBackendContract:
    async def test_channels_are_unique_by_key(self, backend: StateBackend) -> None:
        assert await backend.add_channel(Channel("General"))
        assert not await backend.add_channel(Channel("general"))
        assert await backend.get_channel("general") == Channel("General")
        assert await backend.get_channel("nope") is None
        assert await backend.list_channels() == [Channel("General")]

    async def test_channels_are_unique_by_look_too(self, backend: StateBackend) -> None:
        assert await backend.add_channel(Channel("General"))
        assert not await backend.add_channel(Channel("gеneral"))  # Cyrillic е: the same key
        assert not await backend.add_channel(Channel("GeneraI"))  # capital I: the same look
        assert await backend.get_channel(fold("gеneral")) == Channel("General")
        assert await backend.add_channel(Channel("Generals"))
        assert len(await backend.list_channels()) == 2

    async def test_only_a_channel_without_messages_is_removed(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("Empty"))
        await backend.add_channel(Channel("Talked"))
        await backend.append_message("talked", "Ada", "hello", "t")
        assert await backend.remove_channel(Channel("Empty").key)
        assert not await backend.remove_channel("talked")
        assert not await backend.remove_channel("nope")
        assert await backend.list_channels() == [Channel("Talked")]
        assert await backend.add_channel(Channel("EMPTY"))  # the name is free again, in any spelling

    async def test_messages_get_increasing_ids_and_are_capped(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("a"))
        await backend.add_channel(Channel("b"))
        dropped = []
        for n in range(5):
            _, gone = await backend.append_message("a", "Ada", f"m{n}", "t")
            dropped.append(gone.text if gone else None)
        other, _ = await backend.append_message("b", "Ada", "x", "t")
        history = await backend.history("a")
        assert [(m.id, m.text) for m in history] == [(3, "m2"), (4, "m3"), (5, "m4")]
        assert dropped == [None, None, None, "m0", "m1"]  # what fell out, and when
        assert other.id == 1  # ids are per channel
        assert await backend.history("nope") == []

    async def test_expire_file_marks_only_kept_file_messages(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("a"))
        info = File("f1", "cat.png", 3, "image/png", "/files/f1/cat.png", preview=True)
        shared, _ = await backend.append_message("a", "Ada", "", "t", info)
        text, _ = await backend.append_message("a", "Ada", "hi", "t")
        updated = await backend.expire_file("a", shared.id)
        assert updated is not None and updated.file == File(
            "f1", "cat.png", 3, "image/png", "/files/f1/cat.png", True, True
        )
        assert (await backend.history("a"))[0] == updated
        assert await backend.expire_file("a", text.id) is None  # no file
        assert await backend.expire_file("a", 99) is None
        assert await backend.expire_file("nope", shared.id) is None

    async def test_sent_messages_are_recalled_by_token_and_client_id(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("general"))
        sent, _ = await backend.append_message("general", "Ada", "hi", "t", sent_by="tok", client_id="c1")
        assert sent.client_id == "c1"
        assert await backend.recall_sent("tok", "c1") == sent
        assert await backend.recall_sent("tok", "c2") is None
        assert await backend.recall_sent("other", "c1") is None  # ids are per identity
        plain, _ = await backend.append_message("general", "Ada", "no id", "t")
        assert plain.client_id is None

    async def test_one_identity_sending_a_lot_never_pushes_out_anothers_sends(
        self, backend: StateBackend
    ) -> None:
        await backend.add_channel(Channel("general"))
        mine, _ = await backend.append_message("general", "Ada", "hi", "t", sent_by="ada", client_id="c1")
        for n in range(SENT_REMEMBERED + 1):
            await backend.append_message("general", "Bob", "x", "t", sent_by="bob", client_id=f"b{n}")
        assert await backend.recall_sent("ada", "c1") == mine
        # Each identity's own memory is bounded: Bob's oldest send is forgotten.
        assert await backend.recall_sent("bob", "b0") is None
        assert await backend.recall_sent("bob", f"b{SENT_REMEMBERED}") is not None

    async def test_releasing_an_identity_forgets_its_sends(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("general"))
        await backend.bind_name("ada", "Ada", 1.0)
        await backend.append_message("general", "Ada", "hi", "t", sent_by="ada", client_id="c1")
        await backend.release("ada")
        assert await backend.recall_sent("ada", "c1") is None

    async def test_bind_name_is_exclusive(self, backend: StateBackend) -> None:
        ada = await backend.bind_name("t1", "Ada", 1.0)
        assert ada is not None and ada.name == "Ada"
        assert await backend.bind_name("t2", "ADA", 2.0) is None
        assert [h.token for h in await backend.holders_of("ada", 2.0)] == ["t1"]

    async def test_look_alike_names_are_held_too(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Alice", 1.0)
        for lookalike in ("Аlice", "ＡＬＩＣＥ", "AIice", "A1ice"):
            assert await backend.bind_name("t2", lookalike, 2.0) is None, lookalike
            assert [h.token for h in await backend.holders_of(lookalike, 2.0)] == ["t1"], lookalike
        assert await backend.bind_name("t2", "Alicia", 2.0) is not None
        assert await backend.holders_of("Bob", 2.0) == []

    async def test_rebinding_moves_the_name(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        await backend.add_connections("t1", 2, 1.0)
        renamed = await backend.bind_name("t1", "Grace", 2.0)
        assert renamed is not None and renamed.connections == 2
        assert await backend.holders_of("ada", 2.0) == []  # no reservation asked for
        assert await backend.bind_name("t2", "Ada", 3.0) is not None

    async def test_a_rename_keeps_the_old_name_reserved_until_then(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        renamed = await backend.bind_name("t1", "Grace", 2.0, reserve_until=10.0)
        assert renamed is not None and renamed.reserved == (("Ada", 10.0),)
        assert await backend.bind_name("t2", "ada", 5.0) is None  # still Ada's (t1's)
        assert [h.token for h in await backend.holders_of("Аda", 5.0)] == ["t1"]
        # Its owner may take it back at any time; then the other name is the reserved one.
        back = await backend.bind_name("t1", "Ada", 6.0, reserve_until=20.0)
        assert back is not None and back.name == "Ada" and back.reserved == (("Grace", 20.0),)
        assert await backend.bind_name("t2", "Grace", 7.0) is None
        # Once the time is over, anybody may have it.
        assert await backend.holders_of("Grace", 20.5) == []
        assert await backend.bind_name("t2", "Grace", 20.5) is not None
        assert await backend.expire_reservations(21.0) == 1
        ada = await backend.get_identity("t1")
        assert ada is not None and ada.reserved == ()

    async def test_only_the_latest_old_names_stay_reserved(self, backend: StateBackend) -> None:
        names = [f"Name{chr(ord('A') + n)}" for n in range(RESERVED_MAX + 2)]
        for n, name in enumerate(names):
            await backend.bind_name("t1", name, float(n), reserve_until=100.0)
        identity = await backend.get_identity("t1")
        assert identity is not None
        assert [name for name, _ in identity.reserved] == names[-RESERVED_MAX - 1 : -1]
        assert await backend.bind_name("t2", names[0], 50.0) is not None  # freed early
        assert await backend.bind_name("t2", names[-2], 50.0) is None

    async def test_releasing_frees_the_reserved_names_too(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        await backend.bind_name("t1", "Grace", 2.0, reserve_until=100.0)
        await backend.release("t1")
        assert await backend.holders_of("Ada", 3.0) == []
        assert await backend.bind_name("t2", "Ada", 3.0) is not None
        assert await backend.bind_name("t3", "Grace", 3.0) is not None

    async def test_returned_identities_are_copies(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        copy = await backend.get_identity("t1")
        assert copy is not None
        copy.connections = 99
        stored = await backend.get_identity("t1")
        assert stored is not None and stored.connections == 0

    async def test_presence_and_idle_release(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        await backend.bind_name("t2", "Bob", 1.0)
        await backend.add_connections("t1", 1, 5.0)
        await backend.add_connections("t2", 1, 5.0)
        await backend.add_connections("t2", -1, 6.0)
        await backend.add_connections("t2", -1, 6.0)  # never below zero
        idle = await backend.idle_identities(seen_before=10.0)
        assert [(i.token, i.connections) for i in idle] == [("t2", 0)]
        assert await backend.idle_identities(seen_before=6.0) == []
        await backend.release("t2")
        assert await backend.get_identity("t2") is None
        assert await backend.holders_of("bob", 6.0) == []
        await backend.release("t2")  # releasing twice is harmless


ADA, BOB, CY = (person_id(t) for t in ("tok-ada", "tok-bob", "tok-cy"))


class TestConversationContract:
    """Memberships, direct conversations, changes to kept messages, people by id."""

    async def test_channel_members_come_and_go(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("General"))
        assert await backend.add_member("general", ADA)
        assert not await backend.add_member("general", ADA)  # once
        assert await backend.add_member("general", BOB)
        assert await backend.members("general") == sorted([ADA, BOB])
        assert await backend.is_member("general", ADA) and not await backend.is_member("general", CY)
        assert not await backend.is_member("nope", ADA)
        assert await backend.memberships(ADA) == [Channel("General")]
        assert await backend.remove_member("general", BOB)
        assert not await backend.remove_member("general", BOB)
        assert not await backend.remove_member("nope", BOB)
        assert await backend.memberships(BOB) == []
        with pytest.raises(KeyError):
            await backend.add_member("nope", ADA)

    async def test_a_direct_conversation_is_its_members_and_no_channel(self, backend: StateBackend) -> None:
        label = direct_label([BOB, ADA])
        assert await backend.add_channel(Channel(label))
        assert not await backend.add_channel(Channel(label))
        assert await backend.list_channels() == []  # not a channel anyone can list
        assert await backend.get_channel(label) == Channel(label)
        assert await backend.members(label) == sorted([ADA, BOB])
        assert await backend.is_member(label, BOB) and not await backend.is_member(label, CY)
        assert await backend.memberships(ADA) == [Channel(label)]
        assert await backend.memberships(CY) == []
        assert not await backend.add_member(label, CY)  # its members are fixed
        assert not await backend.remove_member(label, ADA)
        message, _ = await backend.append_message(label, "Ada", "psst", "t", sender_id=ADA)
        assert (message.channel, message.sender_id) == (label, ADA)

    async def test_read_marks_only_move_forward_and_go_with_leaving(self, backend: StateBackend) -> None:
        label = direct_label([ADA, BOB])
        await backend.add_channel(Channel("General"))
        await backend.add_channel(Channel(label))
        await backend.add_member("general", ADA)
        for n in range(4):
            await backend.append_message("general", "Bob", f"m{n}", "t", sender_id=BOB)
        await backend.append_message(label, "Bob", "psst", "t", sender_id=BOB)
        assert await backend.read_mark("general", ADA) == 0  # none yet
        assert not await backend.set_read("general", BOB, 1)  # not a member
        assert await backend.set_read("general", ADA, 3)
        assert not await backend.set_read("general", ADA, 3)  # no move, no change
        assert not await backend.set_read("general", ADA, 2)  # never back
        assert await backend.set_read(label, ADA, 7)  # as far as its newest message
        assert (await backend.read_mark("general", ADA), await backend.read_mark(label, ADA)) == (3, 1)
        assert await backend.read_mark("general", BOB) == 0  # per person
        assert await backend.read_mark("nope", ADA) == 0
        await backend.remove_member("general", ADA)
        assert await backend.read_mark("general", ADA) == 0  # leaving forgets it
        with pytest.raises(KeyError):
            await backend.set_read("nope", ADA, 1)

    async def test_removing_a_channel_ends_its_memberships(self, backend: StateBackend) -> None:
        empty = Channel("Empty")
        await backend.add_channel(empty)
        await backend.add_member(empty.key, ADA)
        assert await backend.remove_channel(empty.key)
        assert await backend.memberships(ADA) == []

    async def test_changes_take_the_next_revision(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("General"))
        first, _ = await backend.append_message("general", "Ada", "hello", "t", sender_id=ADA)
        reply, _ = await backend.append_message("general", "Bob", "hi", "t", sender_id=BOB, parent=first.id)
        assert reply.parent == first.id and first.revision == 0
        counted = await backend.change_message("general", first.id, {"replies": 1})
        assert counted is not None and (counted.replies, counted.revision) == (1, 1)
        edited = await backend.change_message("general", reply.id, {"edit": "hi there"})
        assert edited is not None and (edited.text, edited.edited, edited.revision) == ("hi there", True, 2)
        liked = await backend.change_message("general", first.id, {"toggle": ["👍", BOB]})
        liked = await backend.change_message("general", first.id, {"toggle": ["👍", ADA]})
        assert liked is not None and [(r.emoji, r.people) for r in liked.reactions] == [("👍", (BOB, ADA))]
        unliked = await backend.change_message("general", first.id, {"toggle": ["👍", BOB]})
        assert unliked is not None and [(r.emoji, r.people) for r in unliked.reactions] == [("👍", (ADA,))]
        gone = await backend.change_message("general", first.id, {"delete": True})
        assert gone is not None and gone.deleted and (gone.text, gone.reactions, gone.replies) == ("", (), 0)
        assert await backend.get_message("general", first.id) == gone
        assert [m.revision for m in await backend.history("general")] == [6, 2]
        assert await backend.change_message("general", 99, {"edit": "x"}) is None
        assert await backend.get_message("nope", 1) is None

    async def test_a_message_out_of_the_history_cannot_be_changed(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("General"))
        for n in range(4):  # the history keeps 3
            await backend.append_message("general", "Ada", f"m{n}", "t")
        assert await backend.get_message("general", 1) is None
        assert await backend.change_message("general", 1, {"edit": "x"}) is None
        assert (await backend.get_message("general", 2)) is not None

    async def test_a_recalled_send_is_the_message_as_it_is_now(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("General"))
        await backend.bind_name("tok-ada", "Ada", 0.0)
        sent, _ = await backend.append_message(
            "general", "Ada", "helo", "t", sent_by="tok-ada", client_id="c1"
        )
        edited = await backend.change_message("general", sent.id, {"edit": "hello"})
        assert await backend.recall_sent("tok-ada", "c1") == edited

    async def test_people_are_found_by_their_public_id(self, backend: StateBackend) -> None:
        await backend.bind_name("tok-ada", "Ada", 0.0)
        await backend.bind_name("tok-bob", "Bob", 0.0)
        ada = await backend.person(ADA)
        assert ada is not None and (ada.token, ada.name, ada.id) == ("tok-ada", "Ada", ADA)
        assert await backend.person(CY) is None
        assert sorted(i.name for i in await backend.list_identities()) == ["Ada", "Bob"]
        await backend.bind_name("tok-ada", "Ada L", 1.0)  # a rename keeps the id
        assert (await backend.person(ADA)).name == "Ada L"  # type: ignore[union-attr]
        await backend.release("tok-ada")
        assert await backend.person(ADA) is None
