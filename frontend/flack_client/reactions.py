"""Reactions under a message as people see them, and the picker's choices.

A reaction is a toggle: the server keeps, per emoji, who put it there
(``protocol.Reaction``), and ``react`` adds or takes back one's own. What the
page shows is a button per emoji, pressed when one of its people is us,
named by the emoji and the count ("👍 2"), with the names in its tooltip.
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from flack.protocol import Message, Reaction

# The picker: common emoji, each a button named by its character. Ten fit a
# phone's width in two rows of five; each passes ``protocol.clean_emoji``.
CHOICES: Final[tuple[str, ...]] = ("👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "🔥", "✅")


@dataclass(frozen=True, slots=True)
class ReactionChip:
    """One reaction's toggle button under a message."""

    emoji: str
    count: int
    mine: bool  # aria-pressed
    who: str  # the tooltip: who reacted

    @property
    def label(self) -> str:
        """The accessible name: the emoji first, the count last ("👍 2")."""
        return f"{self.emoji} {self.count}"


def chips(message: Message, me: str | None, name_of: Callable[[str], str | None]) -> list[ReactionChip]:
    """The reaction buttons of ``message`` (in first-reacted order), seen by
    person ``me``; ``name_of`` names the people for the tooltip."""
    return [chip(reaction, me, name_of) for reaction in message.reactions if reaction.people]


def chip(reaction: Reaction, me: str | None, name_of: Callable[[str], str | None]) -> ReactionChip:
    """One reaction as a button."""
    names = [("you" if pid == me else name_of(pid) or "someone") for pid in reaction.people]
    return ReactionChip(
        reaction.emoji, len(reaction.people), me is not None and me in reaction.people, ", ".join(names)
    )


def reacted(message: Message, emoji: str, me: str | None) -> bool:
    """Whether ``me`` has put ``emoji`` under ``message`` (a click takes it back)."""
    found = message.reaction(emoji)
    return found is not None and me is not None and me in found.people
