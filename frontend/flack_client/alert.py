"""The page's one alert: what went wrong last, until it is dismissed or over.

One alert at a time, shared by every part of the state that has something to
say; each clears it only if it still says that part's sentence (a newer alert
from elsewhere stays). Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Alert:
    """The sentence in the page's alert, or ``None`` when there is none."""

    text: str | None = None

    def show(self, text: str | None) -> None:
        """Say ``text`` (``None`` clears the alert)."""
        self.text = text

    def clear(self) -> None:
        """No alert."""
        self.text = None

    def clear_if(self, text: str) -> None:
        """Clear the alert if it still says ``text`` (not a newer one)."""
        if self.text == text:
            self.text = None
