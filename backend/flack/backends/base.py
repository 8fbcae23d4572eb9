"""The interface to wherever chat state lives.

Each method is one atomic step, so that a backend shared by several server
processes (Redis, later) can implement it with one atomic command; the domain
core never holds state of its own between two calls. Time is passed in, never
read here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from flack.core.models import Change, Channel, File, Identity, Message

# How many sends of one identity are remembered by ``client_id`` (five times
# what the browser's outbox can hold waiting), each identity its own: one
# person's sends never push another's out.
SENT_REMEMBERED = 1_000
# How many old names (from renames) one identity keeps reserved at once; an
# older one is freed when a further rename would go past this.
RESERVED_MAX = 3


class StateBackend(ABC):
    """Storage for channels, their newest messages and name bindings.

    Channels and names are unique by two keys (``flack.protocol``): ``fold``
    (letter case and look-alike characters ignored; channels are stored and
    found under it) and ``skeleton`` (what the name looks like as written).
    Two labels that share either cannot both be held (``protocol.confusable``).
    """

    def __init__(self, history_limit: int) -> None:
        self.history_limit = history_limit

    # -- channels ------------------------------------------------------------

    @abstractmethod
    async def add_channel(self, channel: Channel) -> bool:
        """Store ``channel`` unless one it cannot coexist with exists (the
        same ``fold`` key or the same ``skeleton``); True if stored. A
        direct conversation is a channel named by its label
        (``protocol.direct_label``): its members are the ids in it."""

    @abstractmethod
    async def get_channel(self, key: str) -> Channel | None:
        """The channel with this key (``protocol.fold`` of its name), if any."""

    @abstractmethod
    async def list_channels(self) -> list[Channel]:
        """Every channel, in no particular order (direct conversations are not channels)."""

    @abstractmethod
    async def conversations(self) -> list[Channel]:
        """Every conversation: the channels and the direct conversations."""

    # -- membership ----------------------------------------------------------

    @abstractmethod
    async def add_member(self, key: str, person: str) -> bool:
        """Make ``person`` (an id) a member of the channel ``key``; True if
        they were not one. The channel must exist."""

    @abstractmethod
    async def remove_member(self, key: str, person: str) -> bool:
        """``person`` is no longer a member of channel ``key``; True if they were."""

    @abstractmethod
    async def is_member(self, key: str, person: str) -> bool:
        """Whether ``person`` is a member of conversation ``key`` (one step,
        whatever the number of members: every message asks)."""

    @abstractmethod
    async def members(self, key: str) -> list[str]:
        """The person ids of a channel's members, or of a direct conversation's."""

    @abstractmethod
    async def memberships(self, person: str) -> list[Channel]:
        """Every conversation ``person`` is in: channels joined, direct conversations."""

    @abstractmethod
    async def set_read(self, key: str, person: str, message_id: int) -> bool:
        """Move ``person``'s read mark in conversation ``key`` forward to
        ``message_id`` (at most its last message's id); whether it moved
        (never back; only a member has a mark). ``KeyError`` if there is no
        such conversation. Leaving a channel forgets the mark."""

    @abstractmethod
    async def read_mark(self, key: str, person: str) -> int:
        """The id of the last message ``person`` read in ``key`` (0: none)."""

    @abstractmethod
    async def remove_channel(self, key: str) -> bool:
        """Remove the channel with this key if it has no kept messages; True
        if it was removed (one atomic step: a message posted meanwhile keeps it)."""

    # -- messages ------------------------------------------------------------

    @abstractmethod
    async def append_message(
        self,
        key: str,
        sender: str,
        text: str,
        time: str,
        file: File | None = None,
        sent_by: str | None = None,
        client_id: str | None = None,
        sender_id: str = "",
        parent: int | None = None,
    ) -> tuple[Message, Message | None]:
        """Store a message with the channel's next id; keep only the newest
        ``history_limit`` (replies in threads included). ``sender_id``: the
        sender's person id; ``parent``: the message it replies to. Returns
        the stored message and the one that fell out of the history, if any.
        The channel must exist. With ``client_id`` it is remembered for
        :meth:`recall_sent` under ``(sent_by, client_id)``."""

    @abstractmethod
    async def recall_sent(self, sent_by: str, client_id: str) -> Message | None:
        """The message this identity token already sent with this client id
        (as it is now, if it is still kept), if it is still remembered: each
        identity's latest ``SENT_REMEMBERED`` sends, whatever others send;
        forgotten with the identity."""

    @abstractmethod
    async def expire_file(self, key: str, message_id: int) -> Message | None:
        """Mark the file of a kept message expired; the updated message, or
        None if it is no longer kept or has no file."""

    @abstractmethod
    async def history(self, key: str) -> list[Message]:
        """The channel's kept messages, oldest first."""

    @abstractmethod
    async def get_message(self, key: str, message_id: int) -> Message | None:
        """Kept message ``message_id`` of conversation ``key``, if it is kept."""

    @abstractmethod
    async def change_message(self, key: str, message_id: int, change: Change) -> Message | None:
        """Apply ``change`` (``models.apply_change``) to a kept message with
        the conversation's next revision; the changed message, or None if it
        is not kept."""

    # -- names -----------------------------------------------------------------

    @abstractmethod
    async def get_identity(self, token: str) -> Identity | None:
        """The identity holding ``token``, if any."""

    @abstractmethod
    async def person(self, person: str) -> Identity | None:
        """The identity whose public id (``Identity.id``) is ``person``, if any."""

    @abstractmethod
    async def list_identities(self) -> list[Identity]:
        """Every identity (everyone with a name), in no particular order."""

    @abstractmethod
    async def holders_of(self, name: str, now: float) -> list[Identity]:
        """The identities holding a name that ``name`` cannot coexist with
        (``protocol.confusable``): as their name, or as an old name still
        reserved for them at ``now``. At most one per key, so two at most."""

    @abstractmethod
    async def bind_name(
        self, token: str, name: str, now: float, reserve_until: float | None = None
    ) -> Identity | None:
        """Bind ``name`` to ``token`` unless another token holds a name it
        cannot coexist with (see :meth:`holders_of`).

        Creates the identity if the token is new. On a rename the previous
        name stays reserved for this token until ``reserve_until`` (with
        ``None`` it is freed at once), at most ``RESERVED_MAX`` old names, the
        oldest freed first; taking a reserved name back makes it the name
        again. Returns the updated identity, or None if the name is held by
        another token (nothing changes then).
        """

    @abstractmethod
    async def add_connections(self, token: str, delta: int, now: float) -> None:
        """Count ``delta`` more (or fewer) live connections and mark it seen."""

    @abstractmethod
    async def release(self, token: str) -> None:
        """Forget an identity: free its name and its reserved old names, and
        forget the sends remembered for it."""

    @abstractmethod
    async def expire_reservations(self, now: float) -> int:
        """Free the reserved old names whose time is over at ``now`` (they
        no longer count for :meth:`holders_of` anyway); returns how many."""

    @abstractmethod
    async def idle_identities(self, seen_before: float) -> list[Identity]:
        """Identities with no live connection, last seen before ``seen_before``."""
