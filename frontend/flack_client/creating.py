"""Channels being created from this page: what each answer says, and which
created channel opens afterwards.

Every refusal is a line of its own in the alert (``Alert.keep``), kept until
the person dismisses it or that channel is created after all: someone
setting up a workspace types name after name, and a refusal must not vanish
behind the next answer (issue 12: 15 in a row showed only the last one). A
name that breaks the rules is different: that is about what is in the box,
so it is the main alert, replaced by the next attempt. A channel the list
already has is refused here, without asking the server: that could only be
refused, and would still cost a creation from the person's budget.

Whoever creates a channel wants to talk in it, so a created channel opens.
Several creations can be on their way at once (names typed faster than the
answers come back): then only the newest one that was created opens, once
no newer creation is still waiting. One join instead of one per channel:
each join is a notice the server charges to the person's budget
(``core/limits.py``), and each would flash another log past. A channel the
person opens from the list meanwhile wins over every creation begun before.
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flack import protocol
from flack.protocol import Ack, ChannelCreated, ErrorCode, fold
from flack_client import wording
from flack_client.alert import Alert
from flack_client.checks import check_channel
from flack_client.wording import describe_error


@dataclass(frozen=True, slots=True)
class Creation:
    """One "Create channel" on its way to the server."""

    seq: int  # in the order the person asked
    channel: str  # the name, cleaned by the protocol's rules
    raw: str  # as typed: the box is emptied after a success only if it still holds this


@dataclass(frozen=True, slots=True)
class CreateAnswer:
    """What the glue does once the server answered a creation."""

    created: str | None = None  # the new channel as the server spells it (``None``: refused)
    open: str | None = None  # the channel to open now, if any


class Creations:
    """The creations on their way, what their answers say, and which created
    channel opens. ``listed(name)`` is the list's spelling of a channel it
    already has (any spelling that folds alike), else ``None``."""

    def __init__(self, alert: Alert, listed: Callable[[str], str | None]) -> None:
        self._alert = alert
        self._listed = listed
        self._seq = 0
        self._waiting: set[int] = set()
        self._newest: tuple[int, str] | None = None  # the newest created, not opened yet
        self._settled = 0  # creations up to this one never open (a newer one did, or a pick)

    @property
    def waiting(self) -> int:
        """How many creations have not been answered yet."""
        return len(self._waiting)

    def typed(self, raw: str) -> Creation | None:
        """ "Create channel" with ``raw`` in the box: the creation to send,
        or ``None`` (the alert says why)."""
        checked = check_channel(raw)
        if checked.error or not checked.value:
            self._alert.show(checked.error or describe_error(ErrorCode.CHANNEL_INVALID))
            return None
        self._alert.clear()
        channel = checked.value
        existing = self._listed(channel)
        if existing is not None:
            self._refuse(channel, wording.channel_exists_text(existing))
            return None
        self._seq += 1
        self._waiting.add(self._seq)
        return Creation(self._seq, channel, raw)

    def answered(self, creation: Creation, ack: Ack) -> CreateAnswer:
        """The server's answer to ``creation``. Created: a refusal of the same
        name earlier is over. Refused (or no answer): a kept line says which
        channel and why."""
        read = protocol.read(ChannelCreated, ack.data) if ack.ok else None
        if not ack.ok:
            self._refuse(creation.channel, describe_error(ack.code, ack.message))
            return CreateAnswer(open=self._to_open(creation, None))
        created = read.channel.name if read is not None else creation.channel
        self._alert.release(fold(created))
        return CreateAnswer(created=created, open=self._to_open(creation, created))

    def picked(self) -> None:
        """The person opened a channel themselves: no creation begun so far
        opens its channel."""
        self._settled = self._seq
        self._newest = None

    def _refuse(self, channel: str, reason: str) -> None:
        self._alert.keep(fold(channel), wording.create_refused_text(channel, reason))

    def _to_open(self, creation: Creation, created: str | None) -> str | None:
        """The channel to open now: the newest created one, once nothing
        newer is waiting."""
        self._waiting.discard(creation.seq)
        newer = self._newest is None or creation.seq > self._newest[0]
        if created is not None and creation.seq > self._settled and newer:
            self._newest = (creation.seq, created)
        if self._newest is None or any(seq > self._newest[0] for seq in self._waiting):
            return None
        self._settled, channel = self._newest
        self._newest = None
        return channel
