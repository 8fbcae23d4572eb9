"""The channels this page knows of, in the protocol's list order.

One entry per channel key (``fold``: names are unique by it), spelled as the
server spells it. Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Iterable

from flack import protocol
from flack.protocol import fold


class KnownChannels:
    """Known channels by key; ``names`` in list order."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._sorted: list[str] | None = None  # ``names``, until the next change

    def set(self, names: Iterable[str]) -> None:
        """Replace the list (from ``list_channels``)."""
        self._by_key = {}
        self._sorted = None
        self.add(names)

    def add(self, names: Iterable[str]) -> bool:
        """Add channels; ``True`` if any was new."""
        changed = False
        for name in names:
            if fold(name) not in self._by_key:
                self._by_key[fold(name)] = name
                changed = True
        if changed:
            self._sorted = None
        return changed

    def forget(self, name: str) -> bool:
        """Drop a channel the server no longer has; ``True`` if it was listed."""
        if self._by_key.pop(fold(name), None) is None:
            return False
        self._sorted = None
        return True

    def get(self, name: str) -> str | None:
        """The listed spelling of ``name`` (any spelling that folds alike)."""
        return self._by_key.get(fold(name))

    @property
    def names(self) -> list[str]:
        """Known channels, in the protocol's list order (a copy)."""
        if self._sorted is None:
            # Sorted once per change, not on every render.
            self._sorted = protocol.sort_channels(self._by_key.values())
        return list(self._sorted)
