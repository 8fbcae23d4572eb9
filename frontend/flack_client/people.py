"""Everyone with a name, and the direct conversations this person is in.

People are known by their public id (``protocol.person_id``), which stays
the same when they rename, so a direct conversation keeps its members while
their names change: ``People`` maps ids to the names shown now (from
``list_people``, ``person`` events and the members a ``Direct`` carries),
and ``Directs`` keeps this person's direct conversations by label, named
from ``People`` every time they are drawn. Plain Python: the tests run it
under CPython.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flack import protocol
from flack.protocol import Direct, Person, fold
from flack_client import wording


class People:
    """Names by person id, and which id is this browser's person."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        # Who has a name now (``list_people`` and its events): the People
        # list. A direct conversation's members may include someone whose
        # name was released ("(former member)"): named, not listed.
        self._present: set[str] = set()
        self.me: str | None = None  # our own id, from our token

    def set_me(self, token: str | None) -> None:
        """We are the person of ``token`` (``None``: nobody yet)."""
        self.me = protocol.person_id(token) if token else None

    def set(self, people: Iterable[Person]) -> None:
        """Replace everyone (``list_people``)."""
        self._present = set()
        self.add(people)

    def add(self, people: Iterable[Person]) -> bool:
        """Someone took a name or renamed (``person``, ``people`` events);
        ``True`` if anything shown changed."""
        changed = False
        for person in people:
            changed = self.learn([person]) or changed
            if person.id not in self._present:
                self._present.add(person.id)
                changed = True
        return changed

    def learn(self, people: Iterable[Person]) -> bool:
        """Names to show, not a People entry (a ``Direct``'s members);
        ``True`` if any name changed."""
        changed = False
        for person in people:
            if self._names.get(person.id) != person.name:
                self._names[person.id] = person.name
                changed = True
        return changed

    def name(self, pid: str) -> str | None:
        """The name of ``pid`` now, if known."""
        return self._names.get(pid)

    def is_me(self, pid: str) -> bool:
        """Whether ``pid`` is us."""
        return self.me is not None and pid == self.me

    @property
    def everyone(self) -> list[Person]:
        """Everyone, ourselves first, then by name (as the People list shows them)."""
        return sorted(
            (Person(pid, name) for pid, name in self._names.items() if pid in self._present),
            key=lambda p: (not self.is_me(p.id), fold(p.name), p.name, p.id),
        )

    def label(self, person: Person) -> str:
        """A person's entry in the People list: their name, marked when it is us."""
        return wording.you_label(person.name) if self.is_me(person.id) else person.name

    def names_of(self, ids: Iterable[str]) -> list[str]:
        """The names of ``ids`` (without ours), sorted the way the list is;
        an id whose name is not known yet is "Someone"."""
        others = [pid for pid in ids if not self.is_me(pid)]
        names = [self._names.get(pid) or wording.SOMEONE for pid in others]
        return sorted(names, key=lambda name: (fold(name), name))


@dataclass(frozen=True, slots=True)
class DirectEntry:
    """One direct conversation in the "Direct messages" list."""

    label: str  # what its messages name as their channel
    name: str  # the other people's names, joined with ", "


class Directs:
    """This person's direct conversations, by label (the order they became known)."""

    def __init__(self, people: People) -> None:
        self._people = people
        self._labels: dict[str, list[str]] = {}  # label -> member ids

    def set(self, directs: Iterable[Direct]) -> None:
        """Replace the list (``list_conversations``)."""
        self._labels = {}
        for direct in directs:
            self.add(direct)

    def add(self, direct: Direct) -> bool:
        """A direct conversation (``open_direct``'s answer, ``direct_opened``);
        its members' names are learnt too. ``True`` if it was new."""
        learnt = self._people.learn(direct.members)
        return self.note(direct.id, [member.id for member in direct.members]) or learnt

    def note(self, label: str, members: list[str] | None = None) -> bool:
        """``label`` is one of ours (a message arrived there): listed if it is
        a direct label and not listed yet. ``True`` if it was new."""
        if label in self._labels:
            return False
        ids = members if members else protocol.direct_members(label)
        if ids is None or not protocol.is_direct(label):
            return False
        self._labels[label] = list(ids)
        return True

    def has(self, label: str) -> bool:
        """Whether ``label`` is one of our direct conversations."""
        return label in self._labels

    def name(self, label: str) -> str:
        """The other people's names, joined with ", " (ourselves alone: our own name)."""
        ids = self._labels.get(label) or protocol.direct_members(label) or []
        names = self._people.names_of(ids)
        if not names:
            return self._people.name(self._people.me or "") or wording.SOMEONE
        return ", ".join(names)

    @property
    def entries(self) -> list[DirectEntry]:
        """Every direct conversation, named, sorted by name."""
        entries = [DirectEntry(label, self.name(label)) for label in self._labels]
        return sorted(entries, key=lambda entry: (fold(entry.name), entry.name, entry.label))
