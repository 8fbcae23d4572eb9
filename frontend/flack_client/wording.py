"""Every sentence the page shows, in one place.

Error words for the server's codes come from the protocol (``SENTENCES``,
shared with every other client); the codes the browser makes up itself, for
failures that never reached the server, and their words live here. Plain
Python: imported under CPython by the tests, never touching ``js``.
"""

from __future__ import annotations

from typing import Final

from flack import protocol
from flack.protocol import BAD_REPLY, SENTENCES, ErrorCode, Notice, NoticeKind

# --- Codes of the client's own --------------------------------------------------
# Failures that never reached the server. They share the namespace of
# ``ErrorCode`` (an ``Ack``'s code is a string), so one function puts both in words.

TIMEOUT: Final = "timeout"  # the server did not answer in time
OFFLINE: Final = "offline"  # not connected: nothing was sent
NETWORK: Final = "network"  # an HTTP request got no answer at all
CLIENT_BUG: Final = "client_bug"  # an exception in the client itself

CLIENT_SENTENCES: Final[dict[str, str]] = {
    TIMEOUT: "The server did not answer in time. Please try again.",
    OFFLINE: "You are not connected to the server right now. Please try again once you are back.",
    BAD_REPLY: "The server sent a reply the client does not understand.",
    NETWORK: "The connection to the server failed.",
}

GENERIC_ERROR: Final = "Something went wrong. Please try again."


def describe_error(code: str, message: str = "") -> str:
    """Put a failure in words: the server's own sentence if it sent one,
    else the words for its code, else a generic sentence."""
    if message.strip():
        return message.strip()
    if code in CLIENT_SENTENCES:
        return CLIENT_SENTENCES[code]
    try:
        return SENTENCES[ErrorCode(code)]
    except ValueError:  # a code this client does not know (a newer server)
        return GENERIC_ERROR


# --- Alerts -----------------------------------------------------------------------


def missing_channel_text(channel: str) -> str:
    """The alert shown when the channel we meant to reopen has gone."""
    return f"The channel #{channel} no longer exists. Pick another channel from the list or create a new one."


def outbox_full_text(limit: int) -> str:
    """The alert when ``limit`` messages are already waiting to be sent."""
    return f"{limit} messages are already waiting to be sent. Wait until they are, then try again."


def share_refused_text(name: str, code: str, message: str = "") -> str:
    """The alert when ``start_upload`` is refused, e.g. a file over the limit
    (the server's sentence says the limit)."""
    return f"Could not share {protocol.clean_file_name(name)}: {describe_error(code, message)}"


def first_words(text: str, words: int = 5, limit: int = 40) -> str:
    """``text`` shortened to its first few words (one line, ``…`` if cut), to
    tell several messages apart in buttons' accessible names."""
    parts = text.split()
    short = " ".join(parts[:words])
    if len(short) > limit:
        short = short[:limit].rstrip()
    return short + ("…" if short != " ".join(parts) else "")


# --- Messages that were not sent ------------------------------------------------------

SENDING: Final = "Sending…"
NOT_SENT: Final = "Not sent"
RETRY: Final = "Retry"
DISCARD: Final = "Discard"


def not_sent_alert(preview: str, reason: str) -> str:
    """The alert when one of our messages was given up on."""
    return f"Your message “{preview}” was not sent: {reason}"


def retry_send_label(preview: str) -> str:
    """The Retry button's accessible name: the visible word first (voice
    control), then which message."""
    return f"{RETRY} sending {preview}"


def discard_label(preview: str) -> str:
    """The Discard button's accessible name."""
    return f"{DISCARD} {preview}"


# --- The log ------------------------------------------------------------------------

GAP_TEXT: Final = "Earlier messages unavailable"
FILE_EXPIRED: Final = "file expired"
YOU: Final = "(you)"
YOU_AS_SENDER: Final = "You"  # a pending message's sender before we have a name


def notice_text(notice: Notice) -> str:
    """A join/leave/rename announcement as one short sentence (kinds this
    client does not know still say something)."""
    if notice.kind == NoticeKind.JOIN:
        return f"{notice.name} joined #{notice.channel}"
    if notice.kind == NoticeKind.LEAVE:
        return f"{notice.name} left #{notice.channel}"
    if notice.kind == NoticeKind.RENAME and notice.old_name:
        return f"{notice.old_name} is now known as {notice.name}"
    return f"{notice.name} changed something in #{notice.channel}"


def size_and_type(size: int, kind: str) -> str:
    """``1.5 MB · image/png`` (just the size when the type is unknown)."""
    text = protocol.format_size(size)
    return f"{text} · {kind}" if kind else text


def empty_log_text(channel: str | None) -> str:
    """What to say when the open channel has no messages yet."""
    if channel is None:
        return "Pick a channel from the list, or create one, to start chatting."
    return f"No messages in #{channel} yet. Say hello!"


# --- The rest of the page ----------------------------------------------------------------

# The status area, by ``connection.Connection`` value.
STATUS_WORDS: Final[dict[str, str]] = {
    "loading": "Loading…",
    "connecting": "Connecting…",
    "connected": "Connected",
    "reconnecting": "Reconnecting…",
    "offline": "Offline",
}

NO_NAME: Final = "not chosen yet"
NO_CHANNEL_OPEN: Final = "No channel open"
NO_CHANNELS: Final = "No channels yet. Create the first one above."

# Until the client is ready every control is inert, and its placeholder
# (read out with it) says why: the status line says "Loading…" too.
LOADING: Final = "Loading…"
NEW_CHANNEL_PLACEHOLDER: Final = "e.g. random"


def create_refused_text(channel: str, reason: str) -> str:
    """One refused "Create channel" (a line of its own in the alert, so that
    several refusals in a row each stay in view)."""
    return f"Could not create #{channel}: {reason}"


def channel_exists_text(existing: str) -> str:
    """Why a channel the list already has is not created again."""
    return f"#{existing} already exists."


def name_dialog_help() -> str:
    """The name dialog's description, with the rules of the protocol."""
    return f"This is how others in Flack will see you. {protocol.name_hint()}"


def composer_placeholder(channel: str | None, ready: bool = True) -> str:
    """The hint inside the empty composer (``ready``: the client has booted)."""
    if channel is None:
        return "Open a channel to write" if ready else LOADING
    return f"Message #{channel}"


def drop_hint(channel: str | None) -> str:
    """What the drop highlight says while files are dragged over the pane."""
    if channel is None:
        return "Open a channel to share files"
    return f"Drop to share in #{channel}"


# --- Uploads ------------------------------------------------------------------------------

CANCEL: Final = "Cancel"
DISMISS: Final = "Dismiss"


def upload_label(name: str) -> str:
    """An upload's progress bar's accessible name."""
    return f"Uploading {name}"


def upload_button_label(verb: str, name: str) -> str:
    """An upload row's button: the visible word first, so voice control
    ("click Cancel") works; the file's name tells several rows apart."""
    return f"{verb} upload of {name}"


def upload_progress(received: int, size: int) -> str:
    """``2 MB of 50 MB``."""
    return f"{protocol.format_size(received)} of {protocol.format_size(size)}"


def upload_trouble(progress: str) -> str:
    """The status line between retries after a network error or a 5xx."""
    return f"{progress} · connection trouble, trying again…"


def upload_failed_status(reason: str | None) -> str:
    """The status line of an upload that stopped on an error."""
    return f"Failed: {reason or GENERIC_ERROR}"


def upload_failed_alert(name: str, reason: str | None) -> str:
    """The alert once an upload failed: ``Upload of photo.png failed: …``."""
    return f"Upload of {name} failed: {reason or GENERIC_ERROR}"


# --- The image viewer -------------------------------------------------------------------

CLOSE: Final = "Close"
DOWNLOAD: Final = "Download"


def view_image_label(name: str) -> str:
    """A preview's button, which shows the image large."""
    return f"View {name} larger"


def viewer_label(name: str) -> str:
    """The image viewer's accessible name (it is a dialog)."""
    return f"Image: {name}"


def download_label(name: str) -> str:
    """The viewer's download link: the visible word first (voice control)."""
    return f"{DOWNLOAD} {name}"


# --- Team conversations (issue 14) ------------------------------------------------------

SOMEONE: Final = "Someone"  # a person whose name this page does not know (yet)
LEAVE_CHANNEL: Final = "Leave channel"
NOT_JOINED: Final = "not joined"  # said after a channel's name in the list
REPLY_IN_THREAD: Final = "Reply in thread"
ADD_REACTION: Final = "Add reaction"
EDIT_MESSAGE: Final = "Edit message"
DELETE_MESSAGE: Final = "Delete message"
SAVE: Final = "Save"
DELETE: Final = "Delete"
EDITED: Final = "edited"
THREAD: Final = "Thread"
CLOSE_THREAD: Final = "Close thread"
REPLY: Final = "Reply"
PICK_REACTION: Final = "Pick a reaction"
DELETE_QUESTION: Final = "Delete this message?"
DELETE_EXPLAINED: Final = "It disappears for everyone, with its reactions, its thread and its file."
REPLIES_GONE: Final = "Earlier replies are no longer kept"
# Above a reply shown in the log because its thread's first message is gone.
ORPHAN_REPLY: Final = "A reply in a thread whose first message is no longer kept"
THREAD_GONE: Final = "That message is not there any more, and neither is its thread."
NO_PEOPLE: Final = "Nobody else has a name yet."
NO_DIRECTS: Final = "No direct messages yet. Pick someone under People."
EDIT_HINT: Final = "Enter saves, Escape cancels"


def you_label(name: str) -> str:
    """Our own entry in the People list: ``Zoë (you)``."""
    return f"{name} {YOU}"


def replies_text(count: int) -> str:
    """The thread button under a message: ``1 reply``, ``3 replies``."""
    return f"{count} {'reply' if count == 1 else 'replies'}"


def direct_title(names: str) -> str:
    """The composer's hint in a direct conversation."""
    return f"Message {names}"


def reaction_tooltip(who: str, emoji: str) -> str:
    """Who put ``emoji`` under a message (the chip's tooltip)."""
    return f"{who} reacted with {emoji}"


def thread_placeholder(ready: bool = True) -> str:
    """The hint inside the empty "Reply" box."""
    return "Reply in the thread" if ready else LOADING


NEW_GROUP: Final = "New group"
GROUP_EMPTY: Final = "Pick at least one person."


def group_help() -> str:
    """What the "Start a group conversation" dialog says under its title."""
    return f"Pick up to {protocol.DIRECT_MAX - 1} people to talk with."


def group_too_big() -> str:
    """Too many people ticked for one conversation."""
    return f"A conversation has at most {protocol.DIRECT_MAX} people, you included."


# --- Awareness (issue 15): presence and typing ---------------------------------------

# What a People entry says after the name, for screen readers and as its
# tooltip (the dot beside the name shows it, by shape as well as colour).
PRESENCE_WORDS: Final[dict[str, str]] = {"online": "online", "away": "away", "offline": "offline"}


def presence_label(label: str, status: str) -> str:
    """A People entry's accessible name: ``Zoë (you), online``; the name
    comes first, so finding a person by name keeps working."""
    return f"{label}, {PRESENCE_WORDS.get(status, PRESENCE_WORDS['offline'])}"


def typing_text(names: list[str]) -> str:
    """Who is typing in the open conversation, in the order they began:
    nobody (empty), ``Bob is typing…``, ``Bob and Carol are typing…``, and
    from three on ``Several people are typing…`` (a list of names that
    long would not be read to the end)."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing…"
    return "Several people are typing…"


# --- Search (issue 15, item 5) -----------------------------------------------------------

SEARCH_PLACEHOLDER: Final = "Search messages"
SEARCHING: Final = "Searching…"
NO_MATCHES: Final = "No messages match."
# Said when a result is opened and its message is no longer there.
SEARCH_RESULT_GONE: Final = "That message is no longer there (deleted, or no longer kept)."


def search_summary(count: int, more: bool) -> str:
    """The line above the results: how many messages matched (``more``:
    the server found more than it sends, the newest ``count`` are shown)."""
    if more:
        return f"Showing the newest {count} matches."
    if count == 0:
        return NO_MATCHES
    return "1 message matches." if count == 1 else f"{count} messages match."


def search_result_label(where: str, sender: str, when: str) -> str:
    """A result's accessible name: its conversation, sender and time (its
    text follows as its content)."""
    return f"{where}, {sender}, {when}"


# --- Awareness (issue 15): unread, mentions, notifications ---------------------------

APP_TITLE: Final = "Flack"
NEW_MESSAGES: Final = "New messages"
# What stands where "Enable notifications" was once the browser has answered.
NOTIFY_STATUS: Final[dict[str, str]] = {
    "granted": "Notifications on",
    "denied": "Notifications blocked",
}
NOTIFY_STATUS_HINT: Final[dict[str, str]] = {
    "granted": "Mentions of you and direct messages show on your desktop while Flack is in the background",
    "denied": "This browser blocks Flack's notifications: allow them in the site's settings",
}


def page_title(mentions: int) -> str:
    """The tab's title: ``(3) Flack`` with unread mentions and direct messages."""
    return f"({mentions}) {APP_TITLE}" if mentions > 0 else APP_TITLE


def unread_words(unread: int, mentions: int) -> str:
    """What a conversation's link says after its name: ``, 3 unread, 1
    mention`` (empty when nothing is unread)."""
    words = []
    if unread > 0:
        words.append(f"{unread} unread")
    if mentions > 0:
        words.append(f"{mentions} mention" if mentions == 1 else f"{mentions} mentions")
    return "".join(f", {word}" for word in words)


def shared_file_text(name: str) -> str:
    """A notification's body for a shared file (a message without text)."""
    return f"Shared a file: {name}"
