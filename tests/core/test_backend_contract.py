"""One contract, every backend: each StateBackend must pass these tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flack.backends.base import StateBackend
from flack.backends.memory import MemoryBackend
from flack.core.models import Channel, File

BACKENDS: dict[str, Callable[[int], StateBackend]] = {"memory": MemoryBackend}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> StateBackend:
    return BACKENDS[request.param](3)


class TestBackendContract:
    async def test_channels_are_unique_by_key(self, backend: StateBackend) -> None:
        assert await backend.add_channel(Channel("General"))
        assert not await backend.add_channel(Channel("general"))
        assert await backend.get_channel("general") == Channel("General")
        assert await backend.get_channel("nope") is None
        assert await backend.list_channels() == [Channel("General")]

    async def test_only_a_channel_without_messages_is_removed(self, backend: StateBackend) -> None:
        await backend.add_channel(Channel("Empty"))
        await backend.add_channel(Channel("Talked"))
        await backend.append_message("talked", "Ada", "hello", "t")
        assert await backend.remove_channel("empty")
        assert not await backend.remove_channel("talked")
        assert not await backend.remove_channel("nope")
        assert await backend.list_channels() == [Channel("Talked")]
        assert await backend.add_channel(Channel("empty"))  # the name is free again

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

    async def test_bind_name_is_exclusive(self, backend: StateBackend) -> None:
        ada = await backend.bind_name("t1", "Ada", 1.0)
        assert ada is not None and ada.name == "Ada"
        assert await backend.bind_name("t2", "ADA", 2.0) is None
        holder = await backend.holder_of("ada")
        assert holder is not None and holder.token == "t1"

    async def test_rebinding_moves_the_name(self, backend: StateBackend) -> None:
        await backend.bind_name("t1", "Ada", 1.0)
        await backend.add_connections("t1", 2, 1.0)
        renamed = await backend.bind_name("t1", "Grace", 2.0)
        assert renamed is not None and renamed.connections == 2
        assert await backend.holder_of("ada") is None
        assert await backend.bind_name("t2", "Ada", 3.0) is not None

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
        assert await backend.holder_of("bob") is None
        await backend.release("t2")  # releasing twice is harmless
