"""Every number and name of the protocol that both sides must agree on.

Standard library only: the browser loads this file too.
"""

from __future__ import annotations

from typing import Final

PROTOCOL_VERSION: Final = 1

# --- Limits ---------------------------------------------------------------

NAME_MAX: Final = 32
CHANNEL_MAX: Final = 40
MESSAGE_MAX: Final = 4000
HISTORY_LIMIT: Final = 100
TOKEN_MAX: Final = 128
# A client's own id for a message, so a retried send is stored only once.
CLIENT_ID_MAX: Final = 64
# Largest socket.io packet the server reads (bytes). Files go over HTTP, so
# the socket only carries small JSON: a 4,000-character message is at most
# ~24 KB even with every character escaped. Bigger packets close the connection.
SOCKET_PAYLOAD_MAX: Final = 64 * 1024
FILE_NAME_MAX: Final = 120
FILE_TYPE_MAX: Final = 100
# Uploads travel over HTTP in chunks of at most this many bytes (files never
# go through the socket). Big enough that per-request overhead is negligible,
# small enough that a dropped connection loses little and progress moves.
CHUNK_SIZE: Final = 4 * 1024 * 1024
# The HTTP header that says where an upload chunk starts (see docs/protocol.md).
OFFSET_HEADER: Final = "Upload-Offset"
# Image types shown inline as a preview (after the server checks the bytes);
# everything else is only ever downloaded.
PREVIEW_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# --- Team conversations (direct messages, threads, reactions) ---------------

# People in one direct conversation, oneself included (a one-to-one is 2).
DIRECT_MAX: Final = 8
# A person's public id: this many lowercase hex digits (``rules.person_id``).
PERSON_ID_LENGTH: Final = 16
# Distinct emoji on one message.
REACTIONS_MAX: Final = 20
# Reactions on one message, all emoji together (one per person and emoji):
# bounds what a message weighs on the wire (a join's 100 messages stay
# under the 4 MiB frame python-socketio's client accepts; see docs/protocol.md).
REACTIONS_TOTAL_MAX: Final = 200
# Characters of one reaction's emoji (a family emoji with its joiners is 11).
EMOJI_MAX: Final = 16

# --- Awareness (presence, typing) -----------------------------------------------

# A person is away when every connection of theirs is hidden or has been idle this long.
AWAY_AFTER_SECONDS: Final = 600
# At most one typing event per person and conversation this often on the wire;
# a page shows "is typing…" for TYPING_SHOWN_SECONDS after the last one.
TYPING_EVERY_SECONDS: Final = 3
TYPING_SHOWN_SECONDS: Final = 5

# --- Search ---------------------------------------------------------------------

SEARCH_QUERY_MAX: Final = 200  # characters of a query
SEARCH_WORDS_MAX: Final = 10  # words of a query (besides from: and in:)
SEARCH_RESULTS_MAX: Final = 50  # results of one search, newest first
