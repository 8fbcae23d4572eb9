"""Abuse limits: token buckets for rates, counters for connections per address.

Pure and clock-injected like the rest of the core. The defaults suit people
typing; tests and benchmarks that post at machine speed raise them through
settings (``FLACK_*``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """The configurable limits (see ``Settings``)."""

    # Sustained messages per second per connection, and the burst allowed.
    message_rate: float = 5.0
    message_burst: int = 30
    # Channels one connection may create: one per 5 s sustained, 5 at once.
    channel_rate: float = 0.2
    channel_burst: int = 5
    max_channels: int = 1000
    # Open socket connections from one address (an office behind NAT is one address).
    connections_per_address: int = 100


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; one per action."""

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> float:
        """Spend a token: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate if self.rate > 0 else math.inf


def retry_after(seconds: float) -> float:
    """Seconds to tell a client, rounded up to a tenth (never 0)."""
    return max(0.1, math.ceil(seconds * 10) / 10)
