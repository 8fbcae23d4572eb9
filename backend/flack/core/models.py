"""The chat's value objects.

Channels, messages, files and notices are the protocol's shapes
(``flack.protocol.shapes``): what the core stores is exactly what travels, so
there is one definition of each, read by the browser with the same code. Only
what never travels is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flack.protocol import Channel, File, Message, Notice, fold

__all__ = ["Channel", "File", "Identity", "Message", "Notice"]


@dataclass(slots=True)
class Identity:
    """A person: a display name bound to the secret token the server issued.

    ``connections`` counts live connections using the identity; ``last_seen``
    (seconds, from the injected clock) is when it was last used, so that a name
    nobody has used for a while can be released. ``reserved`` holds the names
    it had before a rename, each with the time until which it stays this
    person's (oldest first): nobody else may take them meanwhile, so a
    channel's history cannot mix two people under one name.
    """

    token: str
    name: str
    connections: int = 0
    last_seen: float = 0.0
    reserved: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> str:
        """The name's comparison key (``protocol.fold``)."""
        return fold(self.name)

    def names(self, now: float) -> list[str]:
        """The names this identity holds at ``now``: its own, then its old
        names still reserved."""
        return [self.name, *(name for name, until in self.reserved if until > now)]
