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
    nobody has used for a while can be released.
    """

    token: str
    name: str
    connections: int = 0
    last_seen: float = 0.0

    @property
    def key(self) -> str:
        """Case-insensitive identity of the name."""
        return fold(self.name)
