"""The rules of chat: claiming names, channels, joining, posting, history.

No Sanic, no socketio: connections are plain string ids (``sid``) and every
effect the transport must deliver comes back as a result value. Clock and token
source are injected, so tests control time and tokens.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flack.backends.base import StateBackend
from flack.core.errors import (
    CannotLeave,
    ChannelExists,
    NameTaken,
    NoSuchChannel,
    NoSuchMessage,
    NoSuchPerson,
    NotInChannel,
    NotMember,
    NotNamed,
    NotYours,
    TooManyChannels,
    TooManyConnections,
    TooManyPeople,
    TooManyReactions,
)
from flack.core.limits import CHANNELS, IDENTITIES, MESSAGES, NOTICES, SEARCHES, Budgets, Limits
from flack.core.models import Change, Channel, File, Identity, Message, Notice
from flack.core.search import SearchIndex, in_time_order
from flack.protocol import (
    AWAY_AFTER_SECONDS,
    DIRECT_MAX,
    REACTIONS_MAX,
    REACTIONS_TOTAL_MAX,
    SEARCH_RESULTS_MAX,
    TYPING_EVERY_SECONDS,
    Direct,
    NoticeKind,
    Person,
    PresenceEntry,
    PresenceStatus,
    ReadState,
    Typing,
    channel_order,
    clean_channel,
    clean_emoji,
    clean_message,
    clean_name,
    confusable,
    direct_label,
    direct_members,
    fold,
    history_gap,
    is_direct,
    mentions,
    parse_query,
    person_id,
)

Clock = Callable[[], float]

# How a direct conversation names a member whose name was released.
FORMER_MEMBER = "(former member)"


def iso_utc(seconds: float) -> str:
    """``2026-11-25T10:39:47.123Z``: the protocol's time format."""
    stamp = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def new_token() -> str:
    """A fresh unguessable identity token."""
    return secrets.token_urlsafe(32)


@dataclass(slots=True)
class Session:
    """One live connection: who it is (once named) and where from."""

    sid: str
    token: str | None = None
    name: str | None = None
    address: str = ""
    hidden: bool = False  # the page says it is hidden (set_presence)
    active_at: float = 0.0  # when it last sent anything (injected clock)

    @property
    def person(self) -> str:
        """The person's public id (empty until named)."""
        return person_id(self.token) if self.token else ""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A granted name, the person it is, whether it is new or changed (then
    everybody is told), and the rename notices to deliver."""

    name: str
    token: str
    person: Person
    changed: bool
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class JoinResult:
    """A conversation opened (a channel joined) and the notice it causes."""

    channel: Channel
    joined: Notice | None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """Messages for a (re)joining client; ``gap``: some it missed are gone."""

    messages: list[Message]
    gap: bool


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored message; ``duplicate`` if it had been stored before (a retry).
    ``parent``: the thread's first message, its reply count updated."""

    message: Message
    duplicate: bool
    parent: Message | None = None


class Chat:
    """The chat's use cases, over a ``StateBackend``.

    Membership, not viewing: a person joins a channel once and is a member
    until they leave it, and is a member of their direct conversations.
    Every connection of a member receives a conversation's traffic
    (``conversations_of``); opening a conversation on screen is the client's
    business and never news. Only membership changes are announced.
    """

    def __init__(
        self,
        backend: StateBackend,
        *,
        name_idle_seconds: float,
        clock: Clock = time.time,
        token_factory: Callable[[], str] = new_token,
        limits: Limits | None = None,
    ) -> None:
        self.backend = backend
        self.name_idle_seconds = name_idle_seconds
        self.limits = limits or Limits()
        self._per_address: dict[str, int] = {}
        # What people and addresses may still do (keyed by token and
        # address, so that reconnecting buys nothing).
        self.budgets = Budgets(self.limits, clock)
        # channel key -> when something last happened there (created,
        # joined, left, posted to), for releasing unused channels.
        self._channel_seen: dict[str, float] = {}
        self._clock = clock
        self._new_token = token_factory
        self._sessions: dict[str, Session] = {}
        # person id -> the sessions of that person (their tabs and browsers).
        self._by_person: dict[str, set[str]] = {}
        # Called with each message that falls out of a channel's history, or
        # is deleted (file sharing deletes the message's file then).
        self.on_dropped: Callable[[Message], None] | None = None
        # person id -> the presence last told to everyone (offline: absent).
        self._told: dict[str, str] = {}
        # (person id, conversation key) -> when their typing was last passed on.
        self._typing: dict[tuple[str, str], float] = {}
        # The words of kept messages, built at the first search (search.py);
        # while it is being built, what changed meanwhile (the build skips it).
        self._index: SearchIndex | None = None
        self._index_built = asyncio.Event()
        self._building: set[tuple[str, int]] | None = None

    # -- connections -------------------------------------------------------

    def connect(self, sid: str, address: str = "") -> Session:
        """Register a new connection from ``address`` (refused past the per-address limit)."""
        open_here = self._per_address.get(address, 0)
        if open_here >= self.limits.connections_per_address:
            raise TooManyConnections(f"Too many connections from {address or 'this address'}.")
        self._per_address[address] = open_here + 1
        session = self._sessions[sid] = Session(sid, address=address, active_at=self._clock())
        return session

    def session(self, sid: str) -> Session:
        """The live session ``sid`` (KeyError if it is not connected)."""
        return self._sessions[sid]

    def person_of(self, sid: str) -> str:
        """The person id of connection ``sid`` ("" unnamed or gone)."""
        session = self._sessions.get(sid)
        return session.person if session is not None else ""

    def connections(self) -> list[str]:
        """The ids of every live connection."""
        return list(self._sessions)

    def sids_of(self, person: str) -> list[str]:
        """The live connections of ``person`` (an id)."""
        return list(self._by_person.get(person, ()))

    async def conversations_of(self, sid: str) -> frozenset[str]:
        """The keys of the conversations whose traffic connection ``sid``
        receives: every one its person is a member of (empty until named,
        and once gone). The transport keeps the connection's socket.io rooms
        equal to exactly this after every change, so what a connection
        receives never depends on whether a notice was said."""
        session = self._sessions.get(sid)
        if session is None or not session.token:
            return frozenset()
        return frozenset(c.key for c in await self.backend.memberships(session.person))

    async def disconnect(self, sid: str) -> None:
        """Forget a connection. Closing a connection is not leaving anything:
        the person stays a member of their conversations (no notice)."""
        session = self._sessions.pop(sid, None)
        if session is None:
            return
        self._untrack(session)
        left = self._per_address.get(session.address, 1) - 1
        if left > 0:
            self._per_address[session.address] = left
        else:
            self._per_address.pop(session.address, None)
        if session.token is not None:
            await self.backend.add_connections(session.token, -1, self._clock())

    def _untrack(self, session: Session) -> None:
        if not session.token:
            return
        tabs = self._by_person.get(session.person)
        if tabs is not None:
            tabs.discard(session.sid)
            if not tabs:
                del self._by_person[session.person]

    # -- names -----------------------------------------------------------------

    async def claim_name(self, sid: str, raw_name: str, token: str | None) -> ClaimResult:
        """Give the connection a display name, bound to ``token``.

        A known token keeps or renames its identity; an unknown or missing one
        gets a new identity. A name held by someone else is refused, unless its
        holder has been idle longer than ``name_idle_seconds``. A rename is
        announced in every channel the person is a member of.
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
            self._by_person.setdefault(session.person, set()).add(sid)
        old_name = identity.name if identity is not None and identity.name != name else None
        for other in self._sessions.values():
            if other.token == token:
                other.name = name
        session.name = name
        notices: list[Notice] = []
        if old_name is not None:
            for channel in await self.backend.memberships(session.person):
                if not is_direct(channel.name):
                    notices.append(Notice(channel.name, NoticeKind.RENAME, name, iso_utc(now), old_name))
        return ClaimResult(
            name, token, Person(session.person, name), identity is None or old_name is not None, notices
        )

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

    async def people(self) -> list[Person]:
        """Everyone with a name."""
        return [Person(i.id, i.name) for i in await self.backend.list_identities()]

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
        """Release every channel that has no messages and no members, where
        nothing happened for ``channel_idle_seconds`` (until administrators
        exist, nobody else can remove one). ``keep``: keys of channels in use
        elsewhere (files being uploaded there). Nobody is told; the channel is
        gone from ``list_channels``. A channel never seen since this server
        started counts as seen now."""
        now = self._clock()
        released = []
        for channel in await self.backend.list_channels():
            key = channel.key
            seen = self._channel_seen.setdefault(key, now)
            if key in keep or now - seen < self.limits.channel_idle_seconds:
                continue
            if await self.backend.members(key):
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

    async def conversation(self, sid: str, label: str) -> Channel:
        """The conversation ``label`` names, which this connection's person
        must be in: a channel they joined (``NotInChannel``), or a direct
        conversation of theirs (``NotMember``, whether it exists or not)."""
        session = self.named(sid)
        if is_direct(label):
            members = direct_members(label)
            found = await self.backend.get_channel(label) if members and session.person in members else None
            if found is None:
                raise NotMember("You are not in that conversation.")
            return found
        channel = await self.channel(label)
        if not await self.backend.is_member(channel.key, session.person):
            raise NotInChannel(f"Join #{channel.name} before posting to it.")
        return channel

    async def join(self, sid: str, label: str) -> JoinResult:
        """Join a channel (a member from now on; announced only if new), or
        open a direct conversation one is in (nothing to announce).

        The history is a separate call (:meth:`catch_up`) so the transport can
        start live delivery *before* reading it: a message posted in between
        then arrives twice (clients drop repeats by id) instead of never.
        """
        session = self.named(sid)
        if is_direct(label):
            return JoinResult(await self.conversation(sid, label), None)
        channel = await self.channel(label)
        if await self.backend.is_member(channel.key, session.person):
            return JoinResult(channel, None)
        # Notices are paid for: a join that announces one may be refused
        # (before anything changes).
        self.budgets.take(NOTICES, person=session.token, address=session.address)
        await self.backend.add_member(channel.key, session.person)
        # A newcomer has read everything before they came: nothing old is unread.
        kept = await self.backend.history(channel.key)
        if kept:
            await self.backend.set_read(channel.key, session.person, kept[-1].id)
        self._touch(channel.key)
        joined = Notice(channel.name, NoticeKind.JOIN, session.name or "", iso_utc(self._clock()))
        return JoinResult(channel, joined)

    async def leave(self, sid: str, label: str) -> Notice | None:
        """Stop being a member of a channel; the leave notice if one was."""
        session = self.named(sid)
        if is_direct(label):
            raise CannotLeave("A direct conversation cannot be left.")
        channel = await self.channel(label)
        if not await self.backend.remove_member(channel.key, session.person):
            return None
        # Leaving is never refused, but it is paid for.
        self.budgets.force(NOTICES, person=session.token, address=session.address)
        self._touch(channel.key)
        return Notice(channel.name, NoticeKind.LEAVE, session.name or "", iso_utc(self._clock()))

    async def conversations(self, sid: str) -> tuple[list[Channel], list[Direct]]:
        """The channels this connection's person is in (list order) and their
        direct conversations (with their members' current names)."""
        session = self.named(sid)
        channels, directs = [], []
        names = {p.id: p for p in await self.people()}
        for conversation in await self.backend.memberships(session.person):
            if is_direct(conversation.name):
                ids = direct_members(conversation.name) or []
                # Someone whose name was released (idle for a day) is still
                # in the conversation: named as such, never left out.
                members = [names.get(i) or Person(i, FORMER_MEMBER) for i in ids]
                directs.append(Direct(conversation.name, members))
            else:
                channels.append(conversation)
        channels.sort(key=lambda c: channel_order(c.name))
        directs.sort(key=lambda d: d.id)
        return channels, directs

    async def open_direct(self, sid: str, people: list[str]) -> tuple[Direct, bool]:
        """The direct conversation of this person and ``people`` (ids),
        created if new (``True`` then). Everyone in it must have a name."""
        session = self.named(sid)
        ids = sorted({session.person, *people})
        if len(ids) > DIRECT_MAX:
            raise TooManyPeople(f"A direct conversation can have at most {DIRECT_MAX} people.")
        if len(ids) < 2:
            raise NoSuchPerson("Choose someone else to talk to.")
        members = []
        for person in ids:
            identity = await self.backend.person(person)
            if identity is None:
                raise NoSuchPerson("There is nobody with that id here.")
            members.append(Person(identity.id, identity.name))
        label = direct_label(ids)
        created = False
        if await self.backend.get_channel(label) is None:
            # A new conversation costs what a new channel costs.
            self.budgets.take(CHANNELS, person=session.token, address=session.address)
            created = await self.backend.add_channel(Channel(label))
        return Direct(label, members), created

    async def history(self, channel: Channel) -> list[Message]:
        """The channel's kept messages, oldest first (at most the history limit)."""
        return await self.backend.history(channel.key)

    async def catch_up(self, channel: Channel, since: int | None, revision: int | None = None) -> CatchUp:
        """What a client that last saw message ``since`` (and change
        ``revision``) has missed.

        Exactly the newer messages, in order, and the older ones changed
        since (edited, reacted to, replied to, deleted); if some newer ones
        already left the history (or the channel's ids started over: a
        ``--memory`` server restarted), the whole kept history with ``gap`` set.
        """
        kept = await self.backend.history(channel.key)
        first, last = (kept[0].id, kept[-1].id) if kept else (None, None)
        if not history_gap(since, first, last):
            changed = revision or 0
            return CatchUp(
                [m for m in kept if since is None or m.id > since or m.revision > changed], gap=False
            )
        # Some are gone (or the ids started over): all that is kept is new.
        return CatchUp(kept, gap=True)

    # -- messages --------------------------------------------------------------

    async def post(
        self,
        sid: str,
        raw_channel: str,
        raw_text: str,
        client_id: str | None = None,
        parent: int | None = None,
    ) -> Posted:
        """Store a message from this connection's person in a conversation
        they are in; with ``parent``, a reply in that message's thread.

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
        channel = await self.conversation(sid, raw_channel)
        if parent is not None:
            first = await self.backend.get_message(channel.key, parent)
            if first is None or first.deleted or first.parent is not None:
                raise NoSuchMessage("That message is not there any more, so it cannot be replied to.")
        assert session.name is not None
        message = await self.append(
            channel, session.name, text, sent_by=session.token, client_id=client_id, parent=parent
        )
        counted = None
        if parent is not None:
            counted = await self.backend.change_message(channel.key, parent, {"replies": 1})
            self.changed(channel.key, counted)
        return Posted(message, duplicate=False, parent=counted)

    async def append(
        self,
        channel: Channel,
        sender: str,
        text: str,
        file: File | None = None,
        *,
        sent_by: str | None = None,
        client_id: str | None = None,
        parent: int | None = None,
    ) -> Message:
        """Store a message as given (callers decide sender and checks)."""
        sender_id = person_id(sent_by) if sent_by else ""
        message, dropped = await self.backend.append_message(
            channel.key, sender, text, iso_utc(self._clock()), file, sent_by, client_id, sender_id, parent
        )
        self._touch(channel.key)
        self.changed(channel.key, message)
        if dropped is not None and self._index is not None:
            self._index.remove(channel.key, dropped.id)
            if self._building is not None:
                self._building.add((channel.key, dropped.id))
        if dropped is not None and self.on_dropped is not None:
            self.on_dropped(dropped)
        return message

    async def _own(self, sid: str, label: str, message_id: int) -> tuple[Channel, Message]:
        """A kept, undeleted message of this person's, in a conversation they are in."""
        session = self.named(sid)
        channel, message = await self._visible(sid, label, message_id)
        if message.sender_id != session.person:
            raise NotYours("You can only change your own messages.")
        return channel, message

    async def _visible(self, sid: str, label: str, message_id: int) -> tuple[Channel, Message]:
        """A kept, undeleted message of a conversation this person is in.
        Whoever is not in it hears ``not_member`` / ``not_in_channel``,
        whether the message exists or not."""
        channel = await self.conversation(sid, label)
        message = await self.backend.get_message(channel.key, message_id)
        if message is None or message.deleted:
            raise NoSuchMessage("That message is not there any more.")
        return channel, message

    async def edit(self, sid: str, label: str, message_id: int, raw_text: str) -> Message:
        """New text for one's own message (not a shared file): marked edited."""
        session = self.named(sid)
        text = clean_message(raw_text)
        channel, message = await self._own(sid, label, message_id)
        if message.file is not None:
            raise NoSuchMessage("A shared file cannot be edited; delete it instead.")
        self.budgets.take(MESSAGES, person=session.token, address=session.address)
        return await self._change(channel, message_id, {"edit": text})

    async def delete(self, sid: str, label: str, message_id: int) -> list[Message]:
        """Delete one's own message, and its thread's replies: what changed,
        the message first. Their files' bytes go too (``on_dropped``)."""
        session = self.named(sid)
        channel, message = await self._own(sid, label, message_id)
        self.budgets.force(MESSAGES, person=session.token, address=session.address)
        doomed = [message]
        if message.parent is None and message.replies:
            doomed += [
                m for m in await self.backend.history(channel.key) if m.parent == message_id and not m.deleted
            ]
        changed = [await self._change(channel, m.id, {"delete": True}) for m in doomed]
        if message.parent is not None:
            parent = await self.backend.change_message(channel.key, message.parent, {"replies": -1})
            self.changed(channel.key, parent)
            if parent is not None:
                changed.append(parent)
        if self.on_dropped is not None:
            for gone in doomed:
                if gone.file is not None:
                    self.on_dropped(gone)
        return changed

    async def react(self, sid: str, label: str, message_id: int, raw_emoji: str) -> Message:
        """Toggle this person's reaction ``emoji`` on a message they can see."""
        session = self.named(sid)
        emoji = clean_emoji(raw_emoji)
        channel, message = await self._visible(sid, label, message_id)
        mine = message.reaction(emoji)
        if mine is None and len(message.reactions) >= REACTIONS_MAX:
            raise TooManyReactions(f"A message can have at most {REACTIONS_MAX} different reactions.")
        adding = mine is None or session.person not in mine.people
        if adding and sum(len(r.people) for r in message.reactions) >= REACTIONS_TOTAL_MAX:
            raise TooManyReactions(f"A message can have at most {REACTIONS_TOTAL_MAX} reactions.")
        self.budgets.take(MESSAGES, person=session.token, address=session.address)
        return await self._change(channel, message_id, {"toggle": [emoji, session.person]})

    async def _change(self, channel: Channel, message_id: int, change: Change) -> Message:
        changed = await self.backend.change_message(channel.key, message_id, change)
        if changed is None:  # it left the history in between
            raise NoSuchMessage("That message is not there any more.")
        self._touch(channel.key)
        self.changed(channel.key, changed)
        return changed

    def changed(self, key: str, message: Message | None) -> None:
        """A kept message of conversation ``key`` changed (here, or a file
        expired in sharing): what is searched follows."""
        if self._index is not None and message is not None:
            self._index.put(key, message)
            if self._building is not None:
                self._building.add((key, message.id))

    # -- read marks ----------------------------------------------------------------

    async def mark_read(self, sid: str, label: str, message_id: int) -> tuple[ReadState, bool]:
        """This connection's person has read conversation ``label`` up to
        ``message_id`` (never past its newest message; a mark only moves
        forward): where they stand now, and whether the mark moved."""
        session = self.named(sid)
        channel = await self.conversation(sid, label)
        moved = await self.backend.set_read(channel.key, session.person, message_id)  # clamped there
        return await self._read_state(channel, session, await self.backend.history(channel.key)), moved

    async def read_states(self, sid: str) -> list[ReadState]:
        """Where this connection's person stands in each of their conversations."""
        session = self.named(sid)
        states = []
        for n, conversation in enumerate(await self.backend.memberships(session.person)):
            states.append(
                await self._read_state(conversation, session, await self.backend.history(conversation.key))
            )
            if n % 100 == 99:  # ~5 ms a slice at worst: others go on being served
                await asyncio.sleep(0)
        return states

    async def _read_state(self, channel: Channel, session: Session, kept: list[Message]) -> ReadState:
        """Counts over the kept messages after the person's mark: others',
        not deleted; mentions are the direct ones and those naming them
        (``protocol.mentions``, by the name they have now)."""
        person, name = session.person, session.name or ""
        mark = await self.backend.read_mark(channel.key, person)
        direct = is_direct(channel.name)
        unread = mentioned = 0
        for message in reversed(kept):
            if message.id <= mark:
                break
            if message.deleted or message.sender_id == person:
                continue
            unread += 1
            # ("@" first: most messages mention nobody, and this runs for every unread one.)
            if direct or ("@" in message.text and mentions(message.text, name)):
                mentioned += 1
        return ReadState(channel.name, mark, unread, mentioned)

    # -- presence ------------------------------------------------------------------

    def active(self, sid: str) -> None:
        """Connection ``sid`` did something (any event): it is in use."""
        session = self._sessions.get(sid)
        if session is not None:
            session.active_at = self._clock()

    def set_hidden(self, sid: str, hidden: bool) -> None:
        """The page of ``sid`` is hidden, or shown again."""
        session = self._sessions.get(sid)
        if session is not None:
            session.hidden = hidden
            session.active_at = self._clock()

    def status_of(self, person: str) -> PresenceStatus:
        """Online: a connection of theirs shown and used in the last
        ``AWAY_AFTER_SECONDS``; away: connections, none of them so; offline:
        none."""
        sids = self._by_person.get(person)
        if not sids:
            return PresenceStatus.OFFLINE
        now = self._clock()
        for sid in sids:
            session = self._sessions[sid]
            if not session.hidden and now - session.active_at < AWAY_AFTER_SECONDS:
                return PresenceStatus.ONLINE
        return PresenceStatus.AWAY

    def presence_changes(self, people: Collection[str]) -> list[PresenceEntry]:
        """The presence of ``people`` (ids) that differs from what everyone
        was last told; from now on what they were told is this."""
        changed = []
        for person in people:
            if not person:
                continue
            status = self.status_of(person)
            if self._told.get(person, PresenceStatus.OFFLINE) == status:
                continue
            if status == PresenceStatus.OFFLINE:
                del self._told[person]
            else:
                self._told[person] = status
            changed.append(PresenceEntry(person, status))
        return changed

    def presence_sweep(self) -> list[PresenceEntry]:
        """Changes time alone makes (idle long enough: away), for everyone
        who is not offline."""
        return self.presence_changes(list(self._told))

    async def presence(self) -> list[PresenceEntry]:
        """Everyone with a name and their presence now."""
        return [PresenceEntry(i.id, self.status_of(i.id)) for i in await self.backend.list_identities()]

    # -- typing --------------------------------------------------------------------

    async def typing(self, sid: str, label: str) -> Typing | None:
        """This connection's person is typing in conversation ``label`` (one
        they are in): what to tell its members, or ``None`` when they were
        told less than ``TYPING_EVERY_SECONDS`` ago (at most one on the wire
        per person and conversation that often)."""
        session = self.named(sid)
        channel = await self.conversation(sid, label)
        now = self._clock()
        key = (session.person, channel.key)
        if now - self._typing.get(key, -TYPING_EVERY_SECONDS) < TYPING_EVERY_SECONDS:
            return None
        if len(self._typing) > 10_000:  # bounded: forget what is over anyway
            self._typing = {k: t for k, t in self._typing.items() if now - t < TYPING_EVERY_SECONDS}
        self._typing[key] = now
        return Typing(channel.name, session.person, session.name or "")

    # -- search --------------------------------------------------------------------

    async def search(self, sid: str, raw_query: str) -> tuple[list[Message], bool]:
        """The newest messages matching a query (``protocol.parse_query``)
        in the conversations this connection's person is in, and no other
        (``in:`` narrows them to one channel); whether there were more."""
        session = self.named(sid)
        query = parse_query(raw_query)
        self.budgets.take(SEARCHES, person=session.token, address=session.address)
        mine = {c.key for c in await self.backend.memberships(session.person)}
        keys = mine & {fold(query.channel)} if query.channel else mine
        senders: set[str] = set()
        if query.sender:  # whoever holds that name now, and whoever sent under it
            senders = {i.id for i in await self.backend.holders_of(query.sender, self._clock())}
        index = await self._search_index()
        return index.search(query, keys, senders, SEARCH_RESULTS_MAX)

    async def _search_index(self) -> SearchIndex:
        """The index, built at the first search: every kept message, in the
        order of its time, a slice at a time so that the server keeps
        answering meanwhile. What changes meanwhile goes into the index as
        usual and is skipped by the build (which read it before)."""
        if self._index is None:
            self._index = SearchIndex()
            self._building = set()
            built = self._index_built = asyncio.Event()
            try:
                conversations = await self.backend.conversations()
                histories = [(c.key, await self.backend.history(c.key)) for c in conversations]
                for n, (key, message) in enumerate(in_time_order(histories)):
                    if (key, message.id) not in self._building:
                        self._index.put(key, message)
                    if n % 2_000 == 1_999:
                        await asyncio.sleep(0)
            except BaseException:
                self._index = None  # the next search starts over
                raise
            finally:
                self._building = None
                built.set()
        await self._index_built.wait()
        if self._index is None:  # the build this search waited for failed
            raise RuntimeError("the search index could not be built")
        return self._index
