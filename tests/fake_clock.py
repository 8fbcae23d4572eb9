"""A clock the test moves by hand (the core takes its clock as a parameter)."""

from __future__ import annotations


class Clock:
    """Call it for the time; set or advance ``now`` to move time."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
