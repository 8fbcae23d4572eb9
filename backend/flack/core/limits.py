"""Abuse limits: budgets per person and per address, counters for connections.

A *person* is an identity token; before a name is claimed, the connection's
address is all there is. Every action that costs others something (a message,
a channel, a notice, an upload, a new identity) is paid for from token buckets
kept here, keyed by token and by address, never by connection: reconnecting
buys nothing. An address's bucket is a person's times ``people_per_address``
(an office or a classroom behind one NAT), except for identities created,
which an address pays for from a small budget of its own. A bucket that has
refilled is forgotten, so memory stays bounded by recent activity.

Pure and clock-injected like the rest of the core. The defaults suit people
typing; tests and benchmarks that act at machine speed raise them through
settings (``FLACK_*``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from flack.core.errors import RateLimited

MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The configurable limits (see ``Settings``; README "Configuration")."""

    # Sustained messages per second per person, and the burst allowed.
    message_rate: float = 5.0
    message_burst: int = 30
    # Channels one person may create: 20 at once (setting up a workspace),
    # then one per 5 s.
    channel_rate: float = 0.2
    channel_burst: int = 20
    max_channels: int = 1000
    # Open socket connections from one address (an office behind NAT is one address).
    connections_per_address: int = 100
    # An address's budget for each action is this many people's.
    people_per_address: int = 10
    # Joins, leaves and renames (each a notice to every member): 20 at once,
    # then one per 2 s per person.
    notice_rate: float = 0.5
    notice_burst: int = 20
    # Identities created (claim_name without a known token) per address:
    # a classroom's 30 at once, then one per 10 s.
    identity_rate: float = 0.1
    identity_burst: int = 30
    # Uploads started per person (size 0 included): 20 at once, one per 2 s.
    upload_rate: float = 0.5
    upload_burst: int = 20
    # Searches per person: 20 at once, then two a second (each one reads
    # the whole index; typing a query sends one per Enter, not per key).
    search_rate: float = 2.0
    search_burst: int = 20
    # Unfinished uploads of one person, and the megabytes they announced
    # (never less than one file of the largest size). An address may hold
    # ``people_per_address`` times as many uploads, announcing at most
    # ``upload_mb_per_address`` (half the default storage bound: no single
    # address can reserve all of it).
    uploads_per_person: int = 4
    upload_mb_per_person: float = 400.0
    upload_mb_per_address: float = 1024.0
    # Unfinished uploads on the whole server.
    max_uploads: int = 1000
    # An upload whose socket is gone is released unless bytes of it arrived
    # within this many seconds (it is being resumed).
    upload_resume_seconds: float = 60.0
    # A channel with no messages, that nobody has open, and without activity
    # for this long is released.
    channel_idle_seconds: float = 86400.0


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; one per action.

    :meth:`force` spends a token even when there is none (an action that
    cannot be refused, such as a closing connection's "left"): the debt is
    paid back before the next action is allowed, down to ``-burst`` at most.
    """

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait(self) -> float:
        """0.0 if a token is available now, else the seconds until one is."""
        self._refill()
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate if self.rate > 0 else math.inf

    def take(self) -> float:
        """Spend a token: 0.0 if allowed, else the seconds until one is available."""
        wait = self.wait()
        if wait == 0.0:
            self._tokens -= 1.0
        return wait

    def spend(self) -> None:
        """Spend the token :meth:`wait` just said is there."""
        self._tokens -= 1.0

    def give_back(self) -> None:
        """Return a token spent on an action that then did not happen."""
        self._tokens = min(float(self.burst), self._tokens + 1.0)

    def force(self) -> None:
        """Spend a token whether or not there is one (into debt, bounded)."""
        self._refill()
        self._tokens = max(-float(self.burst), self._tokens - 1.0)

    def full(self) -> bool:
        """Whether the bucket has refilled completely (it can be forgotten:
        a new one is the same)."""
        self._refill()
        return self._tokens >= self.burst


def retry_after(seconds: float) -> float:
    """Seconds to tell a client, rounded up to a tenth (never 0)."""
    return max(0.1, math.ceil(seconds * 10) / 10)


# The actions paid for, and how a refusal names them.
MESSAGES: Final = "messages"
CHANNELS: Final = "channels"
NOTICES: Final = "notices"
UPLOADS: Final = "uploads"
IDENTITIES: Final = "identities"
SEARCHES: Final = "searches"

_WORDS: Final = {
    MESSAGES: "too many messages",
    CHANNELS: "too many new channels",
    NOTICES: "too many channel switches or renames",
    UPLOADS: "too many files",
    IDENTITIES: "too many new names",
    SEARCHES: "too many searches",
}

# Forget refilled buckets whenever this many exist (and at twice the count
# left after each sweep), besides the janitor's regular sweep.
_SWEEP_FLOOR: Final = 10_000

_PERSON: Final = "person"
_ADDRESS: Final = "address"


class Budgets:
    """Token buckets per person and per address, for each kind of action.

    ``take`` pays for an action from the person's bucket and the address's
    together, or from neither (raising ``RateLimited`` with ``retry_after``);
    ``force`` pays for one that cannot be refused.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self._clock = clock
        person = {
            MESSAGES: (limits.message_rate, limits.message_burst),
            CHANNELS: (limits.channel_rate, limits.channel_burst),
            NOTICES: (limits.notice_rate, limits.notice_burst),
            UPLOADS: (limits.upload_rate, limits.upload_burst),
            SEARCHES: (limits.search_rate, limits.search_burst),
        }
        n = limits.people_per_address
        address = {kind: (rate * n, burst * n) for kind, (rate, burst) in person.items()}
        address[IDENTITIES] = (limits.identity_rate, limits.identity_burst)
        self._rates: dict[str, dict[str, tuple[float, int]]] = {_PERSON: person, _ADDRESS: address}
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._sweep_at = _SWEEP_FLOOR

    def __len__(self) -> int:
        """How many buckets are remembered (the others are full)."""
        return len(self._buckets)

    def _bucket(self, kind: str, whose: str, key: str) -> TokenBucket | None:
        rates = self._rates[whose].get(kind)
        if rates is None:  # this kind is not paid for by this side
            return None
        bucket = self._buckets.get((kind, whose, key))
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self.forget_idle()
                self._sweep_at = max(_SWEEP_FLOOR, 2 * len(self._buckets))
            bucket = self._buckets[(kind, whose, key)] = TokenBucket(*rates, self._clock)
        return bucket

    def _pair(self, kind: str, person: str | None, address: str | None) -> tuple[TokenBucket | None, ...]:
        return (
            None if person is None else self._bucket(kind, _PERSON, person),
            None if address is None else self._bucket(kind, _ADDRESS, address),
        )

    def take(self, kind: str, *, person: str | None = None, address: str | None = None) -> None:
        """Pay for one action of ``kind`` by ``person`` (a token) from
        ``address``; ``RateLimited`` (nothing spent) if either is out of budget."""
        mine, theirs = self._pair(kind, person, address)
        wait = mine.wait() if mine is not None else 0.0
        shared = theirs.wait() if theirs is not None else 0.0
        if wait > 0 or shared > 0:
            seconds = retry_after(max(wait, shared))
            where = " from your network" if shared > wait else ""
            raise RateLimited(
                f"Slow down: {_WORDS[kind]}{where} at once. Try again in {seconds:g} s.",
                retry_after=seconds,
            )
        for bucket in (mine, theirs):
            if bucket is not None:
                bucket.spend()

    def refund(self, kind: str, *, person: str | None = None, address: str | None = None) -> None:
        """Give back what :meth:`take` spent, when the action was then refused
        for another reason (a name already taken): a refusal costs nothing."""
        for bucket in self._pair(kind, person, address):
            if bucket is not None:
                bucket.give_back()

    def force(self, kind: str, *, person: str | None = None, address: str | None = None) -> None:
        """Pay for an action that happens anyway (into debt if need be)."""
        for bucket in self._pair(kind, person, address):
            if bucket is not None:
                bucket.force()

    def forget_idle(self) -> int:
        """Forget every bucket that has refilled; returns how many."""
        full = [key for key, bucket in self._buckets.items() if bucket.full()]
        for key in full:
            del self._buckets[key]
        return len(full)
