"""What the glue must do after the state changed: ``Effects``.

The state decides; ``main`` only carries out. A state method that needs
something it cannot do itself (store a value, move the focus, scroll, start
the send loop, open the socket) says so in the ``Effects`` it returns, so the
decision stays where CPython tests reach it. Plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Effects:
    """What the glue must do after a state change, besides drawing it."""

    render: bool = True  # something visible changed
    named: bool = False  # a name claim succeeded
    save_identity: bool = False  # store ``name`` and ``token``
    save_channel: str | None = None  # store this as the channel to reopen (and adopt its outbox)
    forget_channel: bool = False  # store no channel to reopen
    reopen_channel: bool = False  # named at last: reopen the channel of the last visit
    clear_composer: bool = False  # the composer's text is on its way
    focus_composer: bool = False  # if focus is on nothing in particular (or the channel list)
    take_focus: bool = False  # with focus_composer: wherever focus is (a dialog just closed)
    scroll_to_bottom: bool = False
    flush_outbox: bool = False  # start the send loop
    reconnect: bool = False  # open the socket again (nobody else will)


NOTHING: Final = Effects(render=False)
