"""The protocol module is the contract: every shape round-trips, every event
is handled and documented, and the readers refuse what is not their shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flack import protocol
from flack.protocol import (
    CLIENT_EVENTS,
    HTTP_REPLIES,
    SERVER_EVENTS,
    Channel,
    ChannelCreated,
    ChannelList,
    ChannelRequest,
    ClaimName,
    Conversations,
    Direct,
    DirectOpened,
    EditMessage,
    Empty,
    ErrorCode,
    File,
    FileExpired,
    JoinChannel,
    Joined,
    MarkRead,
    Message,
    MessageEvent,
    MessageRef,
    MessagesEvent,
    Named,
    Notice,
    NoticeKind,
    Notices,
    OpenDirect,
    PeopleList,
    Person,
    PersonEvent,
    Presence,
    PresenceEntry,
    ProtocolError,
    React,
    Reaction,
    ReadState,
    Search,
    SearchResults,
    SendMessage,
    Sent,
    ServerClosing,
    SetPresence,
    Shape,
    StartUpload,
    Typing,
    Upload,
    UploadStarted,
    UploadState,
)
from flack.transport.sockets import ChatNamespace

DOCS = Path(__file__).parents[1] / "docs" / "protocol.md"
T = "2026-11-25T10:39:47.123Z"
PNG = File("f1", "cat – 😺.png", 3, "image/png", "/files/f1/cat%20.png", preview=True)
TEXT = Message(7, "général", "Zoë", 'says "hi" <b>\n', T, client_id="c-1")
SHARED = Message(8, "général", "Zoë", "", T, file=PNG)
GONE = SHARED.with_file_expired()
ZOE, MAX = Person("0123456789abcdef", "Zoë"), Person("fedcba9876543210", "Max")
DM = "@0123456789abcdef.fedcba9876543210"
REPLY = Message(
    9,
    DM,
    "Max",
    "👍 agreed",
    T,
    sender_id=MAX.id,
    parent=7,
    reactions=(Reaction("🎉", (ZOE.id, MAX.id)), Reaction("❤️", (MAX.id,))),
    edited=True,
    revision=4,
)
PARENT = Message(7, DM, "Zoë", "hi", T, sender_id=ZOE.id, replies=3, revision=5)
TOMBSTONE = Message(10, DM, "Zoë", "", T, sender_id=ZOE.id, deleted=True, revision=6)

# Examples of every shape, edge cases included (None where a field may be null).
SAMPLES: dict[type[Any], list[Shape]] = {
    Empty: [Empty()],
    ClaimName: [ClaimName("Zoë", "tok"), ClaimName("Zoë", None)],
    ChannelRequest: [ChannelRequest("général")],
    JoinChannel: [
        JoinChannel("général", 12),
        JoinChannel("général", None),
        JoinChannel("x", 0),
        JoinChannel(DM, 3, 9),
    ],
    SendMessage: [
        SendMessage("général", "hello", "c-1"),
        SendMessage("général", "hi", None),
        SendMessage(DM, "re", "c-2", parent=7),
    ],
    StartUpload: [StartUpload("général", "a.png", 3, "image/png"), StartUpload("général", "a", 0, "")],
    Named: [Named("Zoë", "tok")],
    ChannelList: [ChannelList([Channel("a"), Channel("Béta")]), ChannelList([])],
    ChannelCreated: [ChannelCreated(Channel("général"))],
    Joined: [Joined(Channel("général"), [TEXT, SHARED, GONE], gap=True), Joined(Channel("x"), [], False)],
    Sent: [Sent(TEXT, duplicate=False), Sent(SHARED, duplicate=True)],
    UploadStarted: [UploadStarted(Upload("u1", "/uploads/u1", 10, 4, 2))],
    MessageEvent: [MessageEvent(TEXT), MessageEvent(GONE), MessageEvent(REPLY), MessageEvent(TOMBSTONE)],
    MessagesEvent: [MessagesEvent([TEXT, SHARED, PARENT, REPLY])],
    Notice: [
        Notice("général", NoticeKind.JOIN, "Zoë", T),
        Notice("général", NoticeKind.RENAME, "Zoë", T, old_name="Zoe"),
    ],
    FileExpired: [FileExpired("général", 8)],
    ServerClosing: [ServerClosing("The server is restarting; reconnecting shortly.")],
    UploadState: [UploadState(5, 10, False, None), UploadState(10, 10, True, SHARED)],
    PeopleList: [
        PeopleList([ZOE, MAX]),
        PeopleList([]),
        PeopleList([ZOE], [PresenceEntry(ZOE.id, "online"), PresenceEntry(MAX.id, "offline")]),
    ],
    Presence: [Presence([PresenceEntry(ZOE.id, "away")]), Presence([])],
    SetPresence: [SetPresence(True), SetPresence(False)],
    Search: [Search("lunch from:ada in:#général")],
    SearchResults: [SearchResults([REPLY, TEXT], more=True), SearchResults([])],
    Typing: [Typing(DM), Typing("général", ZOE.id, "Zoë")],
    Notices: [
        Notices([Notice("général", NoticeKind.JOIN, "Zoë", T), Notice("général", NoticeKind.LEAVE, "Max", T)])
    ],
    PersonEvent: [PersonEvent(ZOE)],
    Conversations: [
        Conversations(
            [Channel("général")],
            [Direct(DM, [ZOE, MAX])],
            [ReadState("général", 7, 2, 1), ReadState(DM, 0, 3, 3)],
        ),
        Conversations([], []),
    ],
    MarkRead: [MarkRead("général", 12), MarkRead(DM, 0)],
    ReadState: [ReadState("général"), ReadState(DM, 4, 1, 1)],
    OpenDirect: [OpenDirect([MAX.id]), OpenDirect([MAX.id, ZOE.id])],
    DirectOpened: [DirectOpened(Direct(DM, [ZOE, MAX]))],
    EditMessage: [EditMessage(DM, 9, "fixed")],
    MessageRef: [MessageRef("général", 7)],
    React: [React(DM, 9, "👍")],
}


def over_the_wire(shape: Shape) -> Any:
    """What the other side gets: the built object, through JSON."""
    return json.loads(json.dumps(shape.to_wire()))


def every_shape() -> set[type[Any]]:
    shapes: set[type[Any]] = set(SERVER_EVENTS.values()) | set(HTTP_REPLIES)
    for request in CLIENT_EVENTS.values():
        shapes |= {request.payload, request.reply}
    return shapes


def test_every_shape_of_the_registry_has_samples() -> None:
    assert every_shape() <= set(SAMPLES), every_shape() - set(SAMPLES)


@pytest.mark.parametrize("sample", [s for samples in SAMPLES.values() for s in samples], ids=repr)
def test_every_shape_reads_back_what_was_built(sample: Shape) -> None:
    assert type(sample).from_wire(over_the_wire(sample)) == sample


@given(
    text=st.text(max_size=50),
    sender=st.text(min_size=0, max_size=20),
    mid=st.integers(min_value=0, max_value=2**53),
    client_id=st.one_of(st.none(), st.text(min_size=1, max_size=64)),
)
def test_any_message_reads_back_what_was_built(
    text: str, sender: str, mid: int, client_id: str | None
) -> None:
    message = Message(mid, "c", sender, text, T, file=None, client_id=client_id)
    assert Message.from_wire(over_the_wire(message)) == message
    batch = MessagesEvent([message, message])
    assert MessagesEvent.from_wire(over_the_wire(batch)) == batch


@pytest.mark.parametrize(
    ("shape", "obj"),
    [
        (Message, None),
        (Message, {"id": True, "channel": "c", "sender": "s", "text": "t", "time": T}),
        (Message, {"id": -1, "channel": "c", "sender": "s", "text": "t", "time": T}),
        (Message, {**TEXT.to_wire(), "text": None}),
        (Message, {**SHARED.to_wire(), "file": {**PNG.to_wire(), "url": "//evil.example/x"}}),
        (Message, {**SHARED.to_wire(), "file": {**PNG.to_wire(), "url": "/\\evil.example"}}),
        (Message, {**SHARED.to_wire(), "file": {**PNG.to_wire(), "size": "3"}}),
        (File, {**PNG.to_wire(), "preview": 1}),
        (Upload, {"id": "u", "url": "/u", "size": 5, "chunk_size": 0, "received": 0}),
        (Upload, {"id": "u", "url": "/u", "size": 5, "chunk_size": 4, "received": 6}),
        (UploadState, {"received": 6, "size": 5, "complete": False, "message": None}),
        (Joined, {"channel": {"name": "x"}, "messages": "no", "gap": False}),
        (Named, {"name": "", "token": "t"}),
        (JoinChannel, {"channel": "x", "since": True}),
        (SendMessage, {"channel": "x", "text": "t", "client_id": ""}),
        (StartUpload, {"channel": "x", "name": "a", "size": 1, "type": None}),
        (ClaimName, {"name": "x", "token": "t" * 129}),
        (Empty, "text"),
    ],
)
def test_readers_refuse_what_is_not_their_shape(shape: type[Any], obj: object) -> None:
    with pytest.raises(ProtocolError) as refused:
        shape.from_wire(obj)
    assert refused.value.code == ErrorCode.BAD_PAYLOAD and refused.value.message


def test_a_list_keeps_the_items_of_its_shape() -> None:
    batch = {"messages": [TEXT.to_wire(), {"id": "broken"}, 5, SHARED.to_wire()]}
    assert MessagesEvent.from_wire(batch).messages == [TEXT, SHARED]


def test_decorations_read_as_none_when_they_are_not_text() -> None:
    assert Message.from_wire({**TEXT.to_wire(), "client_id": 5}).client_id is None
    assert Notice.from_wire({**Notice("c", "join", "n", T).to_wire(), "old_name": ["x"]}).old_name is None


def test_unknown_fields_are_ignored() -> None:
    assert SendMessage.from_wire({"channel": "c", "text": "t", "sender": "Mallory"}) == SendMessage("c", "t")


def test_every_client_event_has_a_handler() -> None:
    for event in CLIENT_EVENTS:
        assert callable(getattr(ChatNamespace, f"on_{event}", None)), event


def test_the_module_exports_what_it_says() -> None:
    for name in protocol.__all__:
        assert hasattr(protocol, name), name


# --- the documentation names exactly the module's events -----------------------------


def documented_events() -> tuple[set[str], set[str]]:
    """Client events (``### `name` — …`` headings) and server events (rows of
    the "Server → client events" table) of docs/protocol.md."""
    text = DOCS.read_text()
    client_part, server_part = text.split("## Server → client events", 1)
    server_part = server_part.split("\n## ", 1)[0]
    client = set(re.findall(r"^### `([a-z_]+)`", client_part, re.MULTILINE))
    server = set(re.findall(r"^\| `([a-z_]+)` \|", server_part, re.MULTILINE))
    return client, server


def test_the_docs_document_every_event_and_no_other() -> None:
    client, server = documented_events()
    assert client == {str(e) for e in CLIENT_EVENTS}
    assert server == {str(e) for e in SERVER_EVENTS}


def test_the_docs_list_every_error_code() -> None:
    text = DOCS.read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text.split("## Error codes", 1)[1], re.MULTILINE))
    assert documented == {str(code) for code in ErrorCode}


# --- Team conversations: ids, labels, emoji ----------------------------------------


def test_a_person_id_is_public_and_stable_and_hides_the_token() -> None:
    pid = protocol.person_id("secret-token")
    assert protocol.is_person_id(pid) and pid == protocol.person_id("secret-token")
    assert pid != protocol.person_id("secret-tokeN") and "secret" not in pid
    assert not protocol.is_person_id(pid.upper()) and not protocol.is_person_id(pid[:-1])


def test_a_direct_label_is_its_members_sorted_and_is_its_own_key() -> None:
    label = protocol.direct_label([MAX.id, ZOE.id, MAX.id])
    assert label == DM == protocol.direct_label([ZOE.id, MAX.id])
    assert protocol.direct_members(label) == [ZOE.id, MAX.id]
    assert protocol.is_direct(label) and not protocol.is_direct("général")
    assert Channel(label).key == label and Channel("Général").key == protocol.fold("général")
    # No channel name can look like one: they start with a letter or digit.
    with pytest.raises(ProtocolError):
        protocol.clean_channel(label)


@pytest.mark.parametrize(
    "label",
    [
        "@" + ZOE.id,  # one person is no conversation
        "@" + MAX.id + "." + ZOE.id,  # not sorted
        "@" + ZOE.id + "." + ZOE.id,
        "@" + ".".join(f"{n:016x}" for n in range(9)),  # too many
        "@" + ZOE.id + ".FEDCBA9876543210",
        "général",
    ],
)
def test_what_is_not_a_direct_label(label: str) -> None:
    assert protocol.direct_members(label) is None


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👍🏽", "👩‍👩‍👧‍👦", "🇫🇷", "✅", "🏳️‍🌈", "©"])
def test_emoji_that_are_reactions(emoji: str) -> None:
    assert protocol.clean_emoji(emoji) == emoji


@pytest.mark.parametrize(
    "emoji",
    [
        "",
        "a",
        "ok",
        " ",
        "👍 ",
        "1",
        "👍\u202e",
        "<b>",
        "👍" * 9,
        "👍👎",
        "🇫",
        "🇫🇷🇫",
        "\u200d",
        "👍\u200d",
        None,
        5,
    ],
)
def test_what_is_not_a_reaction(emoji: object) -> None:
    with pytest.raises(ProtocolError) as refused:
        protocol.clean_emoji(emoji)
    assert refused.value.code == ErrorCode.EMOJI_INVALID


def test_a_message_stored_before_team_conversations_reads_with_defaults() -> None:
    old = {"id": 1, "channel": "c", "sender": "s", "text": "t", "time": T, "file": None, "client_id": None}
    message = Message.from_wire(old)
    assert (message.sender_id, message.parent, message.replies, message.reactions) == ("", None, 0, ())
    assert not message.edited and not message.deleted and message.revision == 0


@pytest.mark.parametrize(
    "obj",
    [
        {"people": []},
        {"people": ["zoe"]},
        {"people": [ZOE.id] * 9},
        {"people": ZOE.id},
    ],
)
def test_open_direct_refuses_what_is_not_a_list_of_ids(obj: object) -> None:
    with pytest.raises(ProtocolError):
        OpenDirect.from_wire(obj)
