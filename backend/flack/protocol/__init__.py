"""The Flack wire protocol, both directions, in one place.

Imported by the server *and* loaded unchanged into the browser, where the
PyScript client imports it too; so it uses the standard library only and
never touches the network, the clock or the file system. Its parts:

* ``limits`` — every number both sides agree on (name lengths, history, chunk size …);
* ``rules`` — the text rules (clean a name, a channel, a message), the keys
  that names and channels are unique by (``fold``, ``skeleton``), sort order,
  gap detection, sizes for people: each written once;
* ``confusables`` — Unicode's look-alike characters, the data of those keys;
* ``errors`` — error codes, the acknowledgement envelope (:class:`Ack`) and a
  sentence for every code;
* ``shapes`` — every payload as a typed shape with its builder (``to_wire``)
  and its reader (``from_wire``);
* ``events`` — every event, both directions, with the shapes it carries.

``docs/protocol.md`` documents the same for people writing other clients; a
test keeps the two in step. Everything public is importable from here.
"""

from __future__ import annotations

from flack.protocol.errors import BAD_REPLY, SENTENCES, Ack, ErrorCode, ProtocolError, error_ack, ok_ack
from flack.protocol.events import CLIENT_EVENTS, HTTP_REPLIES, SERVER_EVENTS, Event, Request
from flack.protocol.limits import (
    CHANNEL_MAX,
    CHUNK_SIZE,
    CLIENT_ID_MAX,
    FILE_NAME_MAX,
    FILE_TYPE_MAX,
    HISTORY_LIMIT,
    MESSAGE_MAX,
    NAME_MAX,
    OFFSET_HEADER,
    PREVIEW_TYPES,
    PROTOCOL_VERSION,
    SOCKET_PAYLOAD_MAX,
    TOKEN_MAX,
)
from flack.protocol.rules import (
    channel_order,
    check_file_size,
    clean_channel,
    clean_file_name,
    clean_message,
    clean_name,
    confusable,
    drop_controls,
    fold,
    format_size,
    history_gap,
    is_count,
    is_integer,
    is_local_url,
    name_hint,
    skeleton,
    sort_channels,
)
from flack.protocol.shapes import (
    Channel,
    ChannelCreated,
    ChannelList,
    ChannelRequest,
    ClaimName,
    Empty,
    File,
    FileExpired,
    JoinChannel,
    Joined,
    Message,
    MessageEvent,
    MessagesEvent,
    Named,
    Notice,
    NoticeKind,
    SendMessage,
    Sent,
    ServerClosing,
    Shape,
    StartUpload,
    Upload,
    UploadStarted,
    UploadState,
    read,
    read_all,
)

__all__ = [
    "BAD_REPLY",
    "CHANNEL_MAX",
    "CHUNK_SIZE",
    "CLIENT_EVENTS",
    "CLIENT_ID_MAX",
    "FILE_NAME_MAX",
    "FILE_TYPE_MAX",
    "HISTORY_LIMIT",
    "HTTP_REPLIES",
    "MESSAGE_MAX",
    "NAME_MAX",
    "OFFSET_HEADER",
    "PREVIEW_TYPES",
    "PROTOCOL_VERSION",
    "SENTENCES",
    "SERVER_EVENTS",
    "SOCKET_PAYLOAD_MAX",
    "TOKEN_MAX",
    "Ack",
    "Channel",
    "ChannelCreated",
    "ChannelList",
    "ChannelRequest",
    "ClaimName",
    "Empty",
    "ErrorCode",
    "Event",
    "File",
    "FileExpired",
    "JoinChannel",
    "Joined",
    "Message",
    "MessageEvent",
    "MessagesEvent",
    "Named",
    "Notice",
    "NoticeKind",
    "ProtocolError",
    "Request",
    "SendMessage",
    "Sent",
    "ServerClosing",
    "Shape",
    "StartUpload",
    "Upload",
    "UploadStarted",
    "UploadState",
    "channel_order",
    "check_file_size",
    "clean_channel",
    "clean_file_name",
    "clean_message",
    "clean_name",
    "confusable",
    "drop_controls",
    "error_ack",
    "fold",
    "format_size",
    "history_gap",
    "is_count",
    "is_integer",
    "is_local_url",
    "name_hint",
    "ok_ack",
    "read",
    "read_all",
    "skeleton",
    "sort_channels",
]
