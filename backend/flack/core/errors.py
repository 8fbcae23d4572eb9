"""Domain errors. Each carries the wire code the transport sends back."""

from __future__ import annotations

from flack.protocol import ErrorCode, ProtocolError


class FlackError(ProtocolError):
    """Base class of every refusal raised by the domain core."""


class NameTaken(FlackError):
    """Somebody else holds that display name."""

    code = ErrorCode.NAME_TAKEN


class NotNamed(FlackError):
    """The connection has not claimed a display name yet."""

    code = ErrorCode.NOT_NAMED


class ChannelExists(FlackError):
    """A channel with that name, in any letter case, already exists."""

    code = ErrorCode.CHANNEL_EXISTS


class NoSuchChannel(FlackError):
    """The channel does not exist (any more)."""

    code = ErrorCode.NO_SUCH_CHANNEL


class NotInChannel(FlackError):
    """The connection posted to a channel it has not joined."""

    code = ErrorCode.NOT_IN_CHANNEL


class RateLimited(FlackError):
    """Too many actions too fast; ``retry_after`` says when to try again."""

    code = ErrorCode.RATE_LIMITED


class TooManyChannels(FlackError):
    """The server holds as many channels as it allows."""

    code = ErrorCode.TOO_MANY_CHANNELS


class TooManyConnections(FlackError):
    """Too many open connections from one address (the handshake is refused)."""

    code = ErrorCode.TOO_MANY_CONNECTIONS


class TooManyUploads(FlackError):
    """Too many unfinished uploads (of a person, an address or the server)."""

    code = ErrorCode.TOO_MANY_UPLOADS


class NotMember(FlackError):
    """The person is not in that conversation (or it does not exist: a
    non-member is told nothing about it)."""

    code = ErrorCode.NOT_MEMBER


class NotYours(FlackError):
    """Only a message's sender may edit or delete it."""

    code = ErrorCode.NOT_YOURS


class NoSuchMessage(FlackError):
    """The message is not kept (or not one that can be used this way)."""

    code = ErrorCode.NO_SUCH_MESSAGE


class NoSuchPerson(FlackError):
    """Nobody has that person id."""

    code = ErrorCode.NO_SUCH_PERSON


class TooManyPeople(FlackError):
    """A direct conversation of more people than allowed."""

    code = ErrorCode.TOO_MANY_PEOPLE


class TooManyReactions(FlackError):
    """A message with as many different reactions as allowed."""

    code = ErrorCode.TOO_MANY_REACTIONS


class CannotLeave(FlackError):
    """Direct conversations cannot be left."""

    code = ErrorCode.CANNOT_LEAVE
