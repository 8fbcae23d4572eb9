"""Where the connection stands, from the facts the socket and the browser give.

``Link`` remembers what happened to the connection so far (ever connected?
did socket.io give up? is the server closing? did it refuse us?) and turns
that plus the socket's facts of the moment into the one word the status area
shows. Plain Python: the tests run it under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from flack.protocol import ErrorCode
from flack_client.wording import describe_error


class Connection(Enum):
    """Where the socket stands, as far as the person in front of it cares
    (its words: ``wording.STATUS_WORDS``, by value)."""

    LOADING = "loading"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


# Seconds before connecting again after the server refused the connection.
REFUSED_RETRY_SECONDS: Final = 5


def connection_state(
    *, online: bool, connected: bool, retrying: bool, ever_connected: bool, closing: bool = False
) -> Connection:
    """What the status area should say.

    The browser's own offline flag wins: the socket may not have noticed yet
    that the network is gone. Otherwise socket.io keeps retrying by itself
    unless the drop was final (we closed it, the server sent us away, or it
    gave up); only then is the client really offline. ``closing``: the server
    said it is shutting down (``server_closing``), so the connection is as
    good as gone and we are about to reconnect.
    """
    if not online:
        return Connection.OFFLINE
    if closing:
        return Connection.RECONNECTING
    if connected:
        return Connection.CONNECTED
    if not retrying:
        return Connection.OFFLINE
    return Connection.RECONNECTING if ever_connected else Connection.CONNECTING


def too_many_connections_text(payload: object) -> str | None:
    """The alert for a ``connect_error`` that refused us for having too many
    connections open (its ``data.code``); ``None`` for any other failure."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or data.get("code") != ErrorCode.TOO_MANY_CONNECTIONS:
        return None
    message = payload.get("message")
    return describe_error(ErrorCode.TOO_MANY_CONNECTIONS, message if isinstance(message, str) else "")


@dataclass(frozen=True, slots=True)
class SocketFacts:
    """What the socket and the browser say right now."""

    online: bool  # the browser's idea of whether there is a network at all
    connected: bool  # the socket is connected
    will_retry: bool  # socket.io will try to reconnect by itself


@dataclass
class Link:
    """The connection's history, as far as the status word depends on it."""

    ever_connected: bool = False
    gave_up: bool = False  # socket.io stopped retrying (only with finite attempts)
    closing: bool = False  # the server said it is shutting down
    # The alert of a refused connection (too many from this address):
    # socket.io does not retry that by itself, the client does, a little later.
    refused: str | None = None

    def connected(self) -> str | None:
        """A connection is up. Returns the refusal alert that is now stale
        (to be cleared if it is still shown)."""
        stale, self.refused = self.refused, None
        self.ever_connected, self.gave_up, self.closing = True, False, False
        return stale

    def refuse(self, payload: object) -> str | None:
        """A ``connect_error``: the alert if the server refused us (then the
        client connects again after ``REFUSED_RETRY_SECONDS``), else ``None``
        (socket.io retries by itself)."""
        text = too_many_connections_text(payload)
        if text is not None:
            self.refused = text
        return text

    def state(self, facts: SocketFacts) -> Connection:
        """The status word for ``facts``."""
        return connection_state(
            online=facts.online,
            connected=facts.connected,
            retrying=(facts.will_retry and not self.gave_up) or self.refused is not None,
            ever_connected=self.ever_connected,
            closing=self.closing,
        )

    def must_reconnect(self, online: bool, facts: SocketFacts) -> bool:
        """The browser went ``online`` again with nobody trying to reconnect
        (socket.io gave up, or the drop was final): the client has to start
        over itself."""
        return online and not facts.connected and (self.gave_up or not facts.will_retry)
