"""Every event on the wire, both directions, each with the shapes it carries.

This registry is the contract: the server registers a handler for each
client event and builds each server event from its shape; the client sends
requests and reads replies and events through the same shapes;
``docs/protocol.md`` documents exactly these events (a test compares the two).
Standard library only: the browser loads this file too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from flack.protocol import shapes
from flack.protocol.shapes import Shape


class Event(StrEnum):
    """Event names on the wire. Client-to-server events are acknowledged."""

    # client -> server
    CLAIM_NAME = "claim_name"
    LIST_CHANNELS = "list_channels"
    CREATE_CHANNEL = "create_channel"
    JOIN_CHANNEL = "join_channel"
    LEAVE_CHANNEL = "leave_channel"
    SEND_MESSAGE = "send_message"
    START_UPLOAD = "start_upload"
    LIST_PEOPLE = "list_people"
    LIST_CONVERSATIONS = "list_conversations"
    OPEN_DIRECT = "open_direct"
    EDIT_MESSAGE = "edit_message"
    DELETE_MESSAGE = "delete_message"
    REACT = "react"
    SET_PRESENCE = "set_presence"
    TYPING = "typing"  # both directions: "I am typing" / "they are typing"
    SEARCH = "search"
    MARK_READ = "mark_read"
    # server -> client
    CHANNEL_CREATED = "channel_created"
    MESSAGE = "message"
    MESSAGES = "messages"  # several messages of one channel at once (see docs/protocol.md)
    NOTICE = "notice"
    FILE_EXPIRED = "file_expired"
    MESSAGE_UPDATED = "message_updated"
    PERSON = "person"
    PEOPLE = "people"  # several names at once (see docs/protocol.md)
    DIRECT_OPENED = "direct_opened"
    PRESENCE = "presence"
    NOTICES = "notices"  # several notices of one channel at once (see docs/protocol.md)
    READ = "read"  # to a person's other connections: their read mark moved
    SERVER_CLOSING = "server_closing"


@dataclass(frozen=True, slots=True)
class Request:
    """A client event: the payload it carries and the data of its successful
    acknowledgement (failures are ``errors.ErrorCode``s)."""

    payload: type[Shape]
    reply: type[Shape]


# Client -> server: every one is answered with exactly one acknowledgement.
CLIENT_EVENTS: Final[dict[Event, Request]] = {
    Event.CLAIM_NAME: Request(shapes.ClaimName, shapes.Named),
    Event.LIST_CHANNELS: Request(shapes.Empty, shapes.ChannelList),
    Event.CREATE_CHANNEL: Request(shapes.ChannelRequest, shapes.ChannelCreated),
    Event.JOIN_CHANNEL: Request(shapes.JoinChannel, shapes.Joined),
    Event.LEAVE_CHANNEL: Request(shapes.ChannelRequest, shapes.Empty),
    Event.SEND_MESSAGE: Request(shapes.SendMessage, shapes.Sent),
    Event.START_UPLOAD: Request(shapes.StartUpload, shapes.UploadStarted),
    Event.LIST_PEOPLE: Request(shapes.Empty, shapes.PeopleList),
    Event.LIST_CONVERSATIONS: Request(shapes.Empty, shapes.Conversations),
    Event.OPEN_DIRECT: Request(shapes.OpenDirect, shapes.DirectOpened),
    Event.EDIT_MESSAGE: Request(shapes.EditMessage, shapes.MessageEvent),
    Event.DELETE_MESSAGE: Request(shapes.MessageRef, shapes.MessageEvent),
    Event.REACT: Request(shapes.React, shapes.MessageEvent),
    Event.SET_PRESENCE: Request(shapes.SetPresence, shapes.Empty),
    Event.TYPING: Request(shapes.Typing, shapes.Empty),
    Event.SEARCH: Request(shapes.Search, shapes.SearchResults),
    Event.MARK_READ: Request(shapes.MarkRead, shapes.ReadState),
}

# Server -> client: pushed, never acknowledged.
SERVER_EVENTS: Final[dict[Event, type[Shape]]] = {
    Event.CHANNEL_CREATED: shapes.ChannelCreated,
    Event.MESSAGE: shapes.MessageEvent,
    Event.MESSAGES: shapes.MessagesEvent,
    Event.NOTICE: shapes.Notice,
    Event.FILE_EXPIRED: shapes.FileExpired,
    Event.MESSAGE_UPDATED: shapes.MessageEvent,
    Event.PERSON: shapes.PersonEvent,
    Event.PEOPLE: shapes.PeopleList,
    Event.DIRECT_OPENED: shapes.DirectOpened,
    Event.PRESENCE: shapes.Presence,
    Event.NOTICES: shapes.Notices,
    Event.TYPING: shapes.Typing,
    Event.READ: shapes.ReadState,
    Event.SERVER_CLOSING: shapes.ServerClosing,
}

# Replies that are not socket events: the JSON bodies of ``/uploads/<id>``.
HTTP_REPLIES: Final[tuple[type[Shape], ...]] = (shapes.UploadState,)
