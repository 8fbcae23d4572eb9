"""The page's one alert: what went wrong, until it is dismissed or over.

The alert has a *main* sentence and *kept* lines. The main sentence is what
went wrong last (a refused name in the "New channel" box, a message that was
not sent …): one at a time, shared by every part of the state that has
something to say, each clearing it only if it still says that part's
sentence (a newer one from elsewhere stays). Kept lines are refusals that
must each stay in view (issue 12: creating 15 channels in a row showed only
the last refusal): one per key (a channel's ``fold``), kept until that key is
released (the thing succeeded after all) or the person dismisses the alert.
Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Kept lines at most (the oldest go first): enough for a whole workspace's
# refusals, and the alert scrolls rather than taking over the page.
KEPT_MAX: Final = 50

MAIN: Final = "main"  # the main sentence's key in ``lines``


@dataclass
class Alert:
    """The sentence in the page's alert (``None`` when there is none), and
    the kept lines by key, oldest first."""

    text: str | None = None
    kept: dict[str, str] = field(default_factory=dict)

    def show(self, text: str | None) -> None:
        """Say ``text`` (``None`` clears the main sentence)."""
        self.text = text

    def clear(self) -> None:
        """No main sentence (kept lines stay)."""
        self.text = None

    def clear_if(self, text: str) -> None:
        """Clear the main sentence if it still says ``text`` (not a newer one)."""
        if self.text == text:
            self.text = None

    def keep(self, key: str, text: str) -> None:
        """Add a line that stays until ``release(key)`` or ``dismiss``; a
        line already kept for ``key`` is replaced (and moves to the end)."""
        self.kept.pop(key, None)
        self.kept[key] = text
        while len(self.kept) > KEPT_MAX:
            del self.kept[next(iter(self.kept))]

    def release(self, key: str) -> None:
        """Forget the kept line for ``key``, if any."""
        self.kept.pop(key, None)

    def dismiss(self) -> None:
        """The person dismissed the alert: nothing is left in it."""
        self.text = None
        self.kept.clear()

    @property
    def lines(self) -> list[tuple[str, str]]:
        """What the alert shows, as ``(key, sentence)``: the kept lines,
        oldest first, then the main sentence."""
        lines = [(f"kept:{key}", text) for key, text in self.kept.items()]
        if self.text:
            lines.append((MAIN, self.text))
        return lines
