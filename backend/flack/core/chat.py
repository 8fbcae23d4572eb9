"""The rules of chat: claiming names, channels, joining, posting, history.

No Sanic, no socketio: connections are plain string ids (``sid``) and every
effect the transport must deliver comes back as a result value. Clock and token
source are injected, so tests control time and tokens.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flack.backends.base import StateBackend
from flack.core.errors import (
    ChannelExists,
    NameTaken,
    NoSuchChannel,
    NotInChannel,
    NotNamed,
    TooManyChannels,
    TooManyConnections,
)
from flack.core.limits import CHANNELS, IDENTITIES, MESSAGES, NOTICES, Budgets, Limits
from flack.core.models import Channel, File, Identity, Message, Notice
from flack.protocol import (
    NoticeKind,
    channel_order,
    clean_channel,
    clean_message,
    clean_name,
    confusable,
    fold,
    history_gap,
)

Clock = Callable[[], float]


def iso_utc(seconds: float) -> str:
    """``2026-11-25T10:39:47.123Z``: the protocol's time format."""
    stamp = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def new_token() -> str:
    """A fresh unguessable identity token."""
    return secrets.token_urlsafe(32)


@dataclass(slots=True)
class Session:
    """One live connection: who it is and which channel it has open."""

    sid: str
    token: str | None = None
    name: str | None = None
    channel: Channel | None = None
    address: str = ""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A granted name, and the rename notices to deliver (if it was a rename)."""

    name: str
    token: str
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class JoinResult:
    """An opened channel and the notices the move causes."""

    channel: Channel
    left: Notice | None
    joined: Notice | None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """Messages for a (re)joining client; ``gap``: some it missed are gone."""

    messages: list[Message]
    gap: bool


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored message; ``duplicate`` if it had been stored before (a retry)."""

    message: Message
    duplicate: bool


class Chat:
    """The chat's use cases, over a ``StateBackend``."""

    def __init__(
        self,
        backend: StateBackend,
        *,
        name_idle_seconds: float,
        clock: Clock = time.time,
        token_factory: Callable[[], str] = new_token,
        limits: Limits | None = None,
        leave_grace_seconds: float = 0.0,
    ) -> None:
        self.backend = backend
        self.name_idle_seconds = name_idle_seconds
        # A closed connection's "left" waits this long, and is never said if
        # the person is back in the channel by then (a page reload).
        self.leave_grace_seconds = leave_grace_seconds
        # (token, channel key) -> (leave notice, when it is due, the address
        # it was said from).
        self._departing: dict[tuple[str, str], tuple[Notice, float, str]] = {}
        self.limits = limits or Limits()
        self._per_address: dict[str, int] = {}
        # What people and addresses may still do (keyed by token and
        # address, so that reconnecting buys nothing).
        self.budgets = Budgets(self.limits, clock)
        # channel key -> when something last happened there (created,
        # opened, left, posted to), for releasing unused channels.
        self._channel_seen: dict[str, float] = {}
        self._clock = clock
        self._new_token = token_factory
        self._sessions: dict[str, Session] = {}
        # token -> the sessions holding it (a person's tabs), for notices.
        self._by_token: dict[str, set[str]] = {}
        # Called with each message that falls out of a channel's history
        # (file sharing deletes the message's file then).
        self.on_dropped: Callable[[Message], None] | None = None

    # -- connections -------------------------------------------------------

    def connect(self, sid: str, address: str = "") -> Session:
        """Register a new connection from ``address`` (refused past the per-address limit)."""
        open_here = self._per_address.get(address, 0)
        if open_here >= self.limits.connections_per_address:
            raise TooManyConnections(f"Too many connections from {address or 'this address'}.")
        self._per_address[address] = open_here + 1
        session = self._sessions[sid] = Session(sid, address=address)
        return session

    def session(self, sid: str) -> Session:
        """The live session ``sid`` (KeyError if it is not connected)."""
        return self._sessions[sid]

    def connections(self) -> list[str]:
        """The ids of every live connection."""
        return list(self._sessions)

    def conversations_of(self, sid: str) -> frozenset[str]:
        """The keys of the channels whose traffic connection ``sid`` receives
        (empty once it is gone). The transport keeps the connection's
        socket.io rooms equal to exactly this after every change, so what a
        connection receives never depends on whether a notice was said."""
        session = self._sessions.get(sid)
        if session is None or session.channel is None:
            return frozenset()
        return frozenset((session.channel.key,))

    def sessions_in(self, channel_key: str) -> list[Session]:
        """Live sessions with this channel open."""
        return [s for s in self._sessions.values() if s.channel and s.channel.key == channel_key]

    async def disconnect(self, sid: str) -> Notice | None:
        """Forget a connection; returns the leave notice for its channel, if
        any. With a leave grace period the notice is held instead (see
        :meth:`due_departures`) and ``None`` is returned."""
        session = self._sessions.pop(sid, None)
        if session is None:
            return None
        self._untrack(session)
        left = self._per_address.get(session.address, 1) - 1
        if left > 0:
            self._per_address[session.address] = left
        else:
            self._per_address.pop(session.address, None)
        if session.token is not None:
            await self.backend.add_connections(session.token, -1, self._clock())
        if session.channel is not None:
            self._touch(session.channel.key)
        notice = self._leave_notice(session)
        if notice is None or self.leave_grace_seconds <= 0 or session.token is None:
            if notice is not None:  # said now: paid for (it cannot be refused)
                self.budgets.force(NOTICES, person=session.token, address=session.address)
            return notice
        assert session.channel is not None
        due = self._clock() + self.leave_grace_seconds
        self._departing[(session.token, session.channel.key)] = (notice, due, session.address)
        return None

    def due_departures(self) -> list[Notice]:
        """The held leave notices whose grace period is over (each once):
        those people did not come back to the channel in time. Each is paid
        for from its person's notice budget when it is said."""
        now = self._clock()
        due = [key for key, (_, when, _) in self._departing.items() if when <= now]
        said = []
        for token, channel_key in due:
            notice, _, address = self._departing.pop((token, channel_key))
            self.budgets.force(NOTICES, person=token, address=address)
            said.append(notice)
        return said

    # -- names -----------------------------------------------------------------

    async def claim_name(self, sid: str, raw_name: str, token: str | None) -> ClaimResult:
        """Give the connection a display name, bound to ``token``.

        A known token keeps or renames its identity; an unknown or missing one
        gets a new identity. A name held by someone else is refused, unless its
        holder has been idle longer than ``name_idle_seconds``.
        """
        await self._pay_for_claim(sid, raw_name, token)
        session = self._sessions[sid]
        name = clean_name(raw_name)
        now = self._clock()
        identity = await self.backend.get_identity(token) if token else None
        if identity is None:
            token = self._new_token()
        assert token is not None
        # Held by someone else (as their name or an old one still reserved
        # for them, in any letter case or look-alike spelling): refused,
        # unless they have been idle long enough to be forgotten.
        for holder in await self.backend.holders_of(name, now):
            if holder.token != token and self._is_idle(holder, now):
                await self.backend.release(holder.token)
        # A rename keeps the old name this person's for the idle period, so
        # nobody else can post under it while the history still shows it.
        bound = await self.backend.bind_name(token, name, now, reserve_until=now + self.name_idle_seconds)
        if bound is None:
            raise NameTaken(await self._taken_sentence(name, token, now))
        if session.token != token:
            if session.token is not None:
                await self.backend.add_connections(session.token, -1, now)
            await self.backend.add_connections(token, 1, now)
            self._untrack(session)
            session.token = token
            self._by_token.setdefault(token, set()).add(sid)
        old_name = identity.name if identity is not None and identity.name != name else None
        notices: list[Notice] = []
        for other in self._sessions.values():
            if other.token == token:
                other.name = name
                if old_name is not None and other.channel is not None:
                    notice = Notice(other.channel.name, NoticeKind.RENAME, name, iso_utc(now), old_name)
                    if notice.channel not in {n.channel for n in notices}:
                        notices.append(notice)
        session.name = name
        return ClaimResult(name, token, notices)

    async def _pay_for_claim(self, sid: str, raw_name: str, token: str | None) -> None:
        """Before a claim changes anything: a new identity is paid for from
        the address's identity budget, a rename from the person's notice
        budget (``RateLimited`` if there is none left). A claim refused
        later (the name is taken) has still paid: trying names costs too."""
        session = self._sessions[sid]
        name = clean_name(raw_name)
        identity = await self.backend.get_identity(token) if token else None
        if identity is None:
            self.budgets.take(IDENTITIES, address=session.address)
        elif identity.name != name:
            self.budgets.take(NOTICES, person=identity.token, address=session.address)

    async def _taken_sentence(self, name: str, token: str, now: float) -> str:
        """Why ``name`` cannot be had, naming what it clashes with when that
        is spelled differently (a look-alike, another letter case)."""
        for holder in await self.backend.holders_of(name, now):
            if holder.token == token:
                continue
            held = next((h for h in holder.names(now) if confusable(h, name)), name)
            if held.casefold() == name.casefold() and held != name:
                return f"The name {name!r} is taken (as {held!r}). Please choose another."
            if held != name:
                return (
                    f"The name {name!r} looks too much like {held!r}, which someone else has. "
                    "Please choose another."
                )
        return f"The name {name!r} is taken. Please choose another."

    def _is_idle(self, identity: Identity, now: float) -> bool:
        return identity.connections == 0 and now - identity.last_seen > self.name_idle_seconds

    async def release_idle_names(self) -> int:
        """Release every name idle longer than the limit, with the old names
        reserved for it, and free old names whose reservation is over;
        returns how many people were forgotten."""
        now = self._clock()
        idle = await self.backend.idle_identities(now - self.name_idle_seconds)
        for identity in idle:
            await self.backend.release(identity.token)
        await self.backend.expire_reservations(now)
        return len(idle)

    def named(self, sid: str) -> Session:
        """The session ``sid``, which must have claimed a name."""
        session = self._sessions[sid]
        if session.name is None:
            raise NotNamed("Choose a display name first.")
        return session

    # -- channels ----------------------------------------------------------------

    async def create_channel(self, sid: str, raw_name: str) -> Channel:
        """Create a channel whose name nobody has taken (in any letter case)."""
        session = self.named(sid)
        channel = Channel(clean_channel(raw_name))
        if len(await self.backend.list_channels()) >= self.limits.max_channels:
            raise TooManyChannels(f"This server allows at most {self.limits.max_channels:,} channels.")
        self.budgets.take(CHANNELS, person=session.token, address=session.address)
        if not await self.backend.add_channel(channel):
            # Paid before the atomic add (which is the only honest check of
            # the name), given back when it refuses: a refused duplicate
            # costs nothing of the person's 20.
            self.budgets.refund(CHANNELS, person=session.token, address=session.address)
            raise ChannelExists(f"A channel named {channel.name!r} already exists.")
        self._touch(channel.key)
        return channel

    async def release_idle_channels(self, keep: Collection[str] = ()) -> list[Channel]:
        """Release every channel that has no messages, that no connection
        has open, and where nothing happened for ``channel_idle_seconds``
        (until administrators exist, nobody else can remove one). ``keep``:
        keys of channels in use elsewhere (files being uploaded there).
        Nobody is told; the channel is gone from ``list_channels``. A channel
        never seen since this server started counts as seen now."""
        now = self._clock()
        open_here = {s.channel.key for s in self._sessions.values() if s.channel is not None}
        released = []
        for channel in await self.backend.list_channels():
            key = channel.key
            seen = self._channel_seen.setdefault(key, now)
            if key in open_here or key in keep or now - seen < self.limits.channel_idle_seconds:
                continue
            if await self.backend.remove_channel(key):
                del self._channel_seen[key]
                released.append(channel)
        return released

    def _touch(self, channel_key: str) -> None:
        self._channel_seen[channel_key] = self._clock()

    async def list_channels(self) -> list[Channel]:
        """All channels, sorted case-insensitively."""
        return sorted(await self.backend.list_channels(), key=lambda c: channel_order(c.name))

    async def channel(self, raw_name: str) -> Channel:
        """The existing channel with this name (any letter case)."""
        name = clean_channel(raw_name)
        channel = await self.backend.get_channel(fold(name))
        if channel is None:
            raise NoSuchChannel(f"There is no channel named {name!r}.")
        return channel

    async def join(self, sid: str, raw_name: str) -> JoinResult:
        """Open a channel, leaving the open one.

        The history is a separate call (:meth:`history`) so the transport can
        start live delivery *before* reading it: a message posted in between
        then arrives twice (clients drop repeats by id) instead of never.
        """
        session = self.named(sid)
        channel = await self.channel(raw_name)
        left = joined = None
        if session.channel is None or session.channel.key != channel.key:
            left = self._leave_notice(session)
            # Back before their "left" was said (a reload), or already here
            # in another tab: no news.
            back_key = (session.token or "", channel.key)
            announce = back_key not in self._departing and not self._also_there(session, channel)
            # Notices are paid for: a join that announces one may be refused
            # (before anything changes); a move that only says "left" is not.
            if announce:
                self.budgets.take(NOTICES, person=session.token, address=session.address)
            elif left is not None:
                self.budgets.force(NOTICES, person=session.token, address=session.address)
            if session.channel is not None:
                self._touch(session.channel.key)
            session.channel = channel
            self._touch(channel.key)
            self._departing.pop(back_key, None)
            if announce:
                joined = Notice(channel.name, NoticeKind.JOIN, session.name or "", iso_utc(self._clock()))
        return JoinResult(channel, left, joined)

    async def history(self, channel: Channel) -> list[Message]:
        """The channel's kept messages, oldest first (at most the history limit)."""
        return await self.backend.history(channel.key)

    async def catch_up(self, channel: Channel, since: int | None) -> CatchUp:
        """What a client that last saw message ``since`` has missed.

        Exactly the newer messages, in order; if some of them already left
        the history (or the channel's ids started over: a ``--memory``
        server restarted), the whole kept history with ``gap`` set.
        """
        kept = await self.backend.history(channel.key)
        first, last = (kept[0].id, kept[-1].id) if kept else (None, None)
        if not history_gap(since, first, last):
            return CatchUp([m for m in kept if since is None or m.id > since], gap=False)
        # Some are gone (or the ids started over): all that is kept is new.
        return CatchUp(kept, gap=True)

    def leave(self, sid: str) -> Notice | None:
        """Close the open channel; returns the leave notice, if one was open."""
        session = self._sessions[sid]
        notice = self._leave_notice(session)
        if notice is not None:  # leaving is never refused, but it is paid for
            self.budgets.force(NOTICES, person=session.token, address=session.address)
        if session.channel is not None:
            self._touch(session.channel.key)
        session.channel = None
        return notice

    def _leave_notice(self, session: Session) -> Notice | None:
        if session.channel is None or session.name is None or self._also_there(session, session.channel):
            return None
        return Notice(session.channel.name, NoticeKind.LEAVE, session.name, iso_utc(self._clock()))

    def _also_there(self, session: Session, channel: Channel) -> bool:
        """Whether another connection of the same person (a second tab) has
        ``channel`` open: then this one joining or leaving it is no news, and
        "left" would be untrue."""
        if session.token is None:
            return False
        for sid in self._by_token.get(session.token, ()):
            other = self._sessions.get(sid)
            if other is not None and other is not session and other.channel is not None:
                if other.channel.key == channel.key:
                    return True
        return False

    def _untrack(self, session: Session) -> None:
        if session.token is None:
            return
        tabs = self._by_token.get(session.token)
        if tabs is not None:
            tabs.discard(session.sid)
            if not tabs:
                del self._by_token[session.token]

    # -- messages --------------------------------------------------------------

    async def post(self, sid: str, raw_channel: str, raw_text: str, client_id: str | None = None) -> Posted:
        """Store a message from this connection's identity in its open channel.

        A retry (same identity, same ``client_id``) stores nothing and returns
        the first one with ``duplicate`` set: each message appears once.
        """
        session = self.named(sid)
        if client_id is not None and session.token is not None:
            earlier = await self.backend.recall_sent(session.token, client_id)
            if earlier is not None:
                return Posted(earlier, duplicate=True)
        text = clean_message(raw_text)
        self.budgets.take(MESSAGES, person=session.token, address=session.address)
        channel = await self.channel(raw_channel)
        if session.channel is None or session.channel.key != channel.key:
            raise NotInChannel(f"Open #{channel.name} before posting to it.")
        assert session.name is not None
        message = await self.append(channel, session.name, text, sent_by=session.token, client_id=client_id)
        return Posted(message, duplicate=False)

    async def append(
        self,
        channel: Channel,
        sender: str,
        text: str,
        file: File | None = None,
        *,
        sent_by: str | None = None,
        client_id: str | None = None,
    ) -> Message:
        """Store a message as given (callers decide sender and checks)."""
        message, dropped = await self.backend.append_message(
            channel.key, sender, text, iso_utc(self._clock()), file, sent_by, client_id
        )
        self._touch(channel.key)
        if dropped is not None and self.on_dropped is not None:
            self.on_dropped(dropped)
        return message
