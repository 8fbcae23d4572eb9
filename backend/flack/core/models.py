"""The chat's value objects.

Channels, messages, files and notices are the protocol's shapes
(``flack.protocol.shapes``): what the core stores is exactly what travels, so
there is one definition of each, read by the browser with the same code. Only
what never travels is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flack.protocol import Channel, File, Message, Notice, Reaction, fold, person_id

__all__ = ["Change", "Channel", "File", "Identity", "Message", "Notice", "apply_change"]

# A change to a kept message, as JSON (backends journal it as it is):
# {"edit": text} | {"toggle": [emoji, person id]} | {"delete": true} | {"replies": +1 or -1}
Change = dict[str, Any]


def apply_change(message: Message, change: Change, revision: int) -> Message:
    """``message`` after ``change``, marked with the conversation's ``revision``.

    One pure function that every backend applies (and a journal replays), so
    a change means the same everywhere. ``ValueError`` for a change that is
    not one of the four kinds.
    """
    if "edit" in change and isinstance(change["edit"], str):
        return replace(message, text=change["edit"], edited=True, revision=revision)
    if "toggle" in change:
        emoji, person = change["toggle"]
        reactions = list(message.reactions)
        found = next((n for n, r in enumerate(reactions) if r.emoji == emoji), None)
        if found is None:
            reactions.append(Reaction(emoji, (person,)))
        elif person in reactions[found].people:
            people = tuple(p for p in reactions[found].people if p != person)
            if people:
                reactions[found] = Reaction(emoji, people)
            else:
                del reactions[found]
        else:
            reactions[found] = Reaction(emoji, (*reactions[found].people, person))
        return replace(message, reactions=tuple(reactions), revision=revision)
    if change.get("delete") is True:
        # Only its place is kept: what it said, its file and reactions go.
        return replace(
            message,
            text="",
            file=None,
            reactions=(),
            replies=0,
            edited=False,
            deleted=True,
            revision=revision,
        )
    if "replies" in change and type(change["replies"]) is int:
        return replace(message, replies=max(0, message.replies + change["replies"]), revision=revision)
    raise ValueError(f"not a message change: {change!r}")


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

    @property
    def id(self) -> str:
        """The person's public id (``protocol.person_id``): stable across renames."""
        return person_id(self.token)

    def names(self, now: float) -> list[str]:
        """The names this identity holds at ``now``: its own, then its old
        names still reserved."""
        return [self.name, *(name for name, until in self.reserved if until > now)]
