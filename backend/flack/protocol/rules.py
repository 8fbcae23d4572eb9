"""Limits and text rules of the protocol, each written once.

The server applies them to what clients send; the browser client applies the
very same functions before it sends (instant feedback) and to what it shows.
Standard library only, no I/O, no clock: this file runs in the browser too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, TypeGuard

from flack.protocol.confusables import PROTOTYPES
from flack.protocol.errors import ErrorCode, ProtocolError
from flack.protocol.limits import (
    CHANNEL_MAX,
    DIRECT_MAX,
    EMOJI_MAX,
    FILE_NAME_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    PERSON_ID_LENGTH,
    SEARCH_QUERY_MAX,
    SEARCH_WORDS_MAX,
)

# --- Numbers ---------------------------------------------------------------


def is_count(value: object) -> TypeGuard[int]:
    """A whole number, 0 or more: an id, a size, a byte offset. JSON's
    ``true`` is a broken peer, not 1 (``bool`` is an ``int`` in Python)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_integer(value: object) -> TypeGuard[int]:
    """A whole number of any sign (``bool`` excluded, as above)."""
    return isinstance(value, int) and not isinstance(value, bool)


# --- Names and channels -------------------------------------------------------

# Categories never allowed in names and channel names: controls, format
# characters (bidi overrides, zero-width joiners), separators other than the
# plain space, surrogates, private use and unassigned code points.
_FORBIDDEN_IN_NAMES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SPACES: Final = re.compile(r"\s+")
_CHANNEL_CHARS: Final = re.compile(r"[^\W_][\w .-]*")

# Characters that show as nothing, refused whatever their category: every
# Default_Ignorable_Code_Point of Unicode 17.0 (DerivedCoreProperties.txt;
# the property is stable, and listing it here gives every Python the same
# answer) — variation selectors, the combining grapheme joiner, Mongolian
# free variation selectors, tags, Hangul fillers, Khmer inherent vowels … —
# and other blank-looking characters: the braille blank, the Khitan filler,
# the musical null notehead.
_INVISIBLE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U00016fe4\U0001bca0-\U0001bca3\U0001d159\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# What the page shows after the viewer's own name (``wording.YOU``): a name
# ending in it would pass for the viewer's own.
_YOU_LABEL: Final = "(you)"


def _clean_label(value: object, what: str, limit: int, code: ErrorCode) -> str:
    """Trim, NFC-normalise and collapse inner whitespace; refuse odd characters."""
    if not isinstance(value, str):
        raise ProtocolError(f"The {what} must be text.", code)
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise ProtocolError(f"The {what} cannot be empty.", code)
    if len(text) > limit:
        raise ProtocolError(f"The {what} can be at most {limit} characters long.", code)
    if _INVISIBLE.search(text) or any(unicodedata.category(c) in _FORBIDDEN_IN_NAMES for c in text):
        raise ProtocolError(f"The {what} contains a character that is not allowed.", code)
    # Something must show: not only spaces and combining marks.
    if not any(unicodedata.category(char)[0] in "LNPS" for char in text):
        raise ProtocolError(f"The {what} must have a letter, digit or sign that shows.", code)
    return text


def clean_name(value: object) -> str:
    """Return a display name as it will be shown, or raise ``ProtocolError``.

    Names are 1-32 characters after trimming; inner runs of whitespace become one
    space; control, invisible and blank-looking characters are refused, and so
    is a name that ends in "(you)" (in any look-alike spelling): the page
    shows that after the viewer's own name.
    """
    text = _clean_label(value, "display name", NAME_MAX, ErrorCode.NAME_INVALID)
    if fold(text).replace(" ", "").endswith(fold(_YOU_LABEL)):
        raise ProtocolError(
            f"A display name cannot end in '{_YOU_LABEL}': the page shows that after your own name.",
            ErrorCode.NAME_INVALID,
        )
    return text


def name_hint() -> str:
    """What the name dialog says about the rules (the page shows this, not a literal)."""
    return f"Up to {NAME_MAX} characters."


def clean_channel(value: object) -> str:
    """Return a channel name as it will be shown, or raise ``ProtocolError``.

    Channel names are 1-40 characters of letters, digits, spaces, ``-``, ``_`` and
    ``.``, starting with a letter or digit; invisible and blank-looking
    characters are refused as in names.
    """
    text = _clean_label(value, "channel name", CHANNEL_MAX, ErrorCode.CHANNEL_INVALID)
    if not _CHANNEL_CHARS.fullmatch(text):
        raise ProtocolError(
            "Channel names use letters, digits, spaces, '-', '_' and '.', and start with a letter or digit.",
            ErrorCode.CHANNEL_INVALID,
        )
    return text


# Look-alikes: each source character and its prototype (protocol/confusables.py,
# from Unicode's confusables.txt), read once.
_PROTOTYPES: Final = {record[0]: record[1:] for record in PROTOTYPES.split("\x1e")}
# Mapping and folding settle in one or two rounds for every character (the
# tests check); the bound only keeps a pathological input finite.
_ROUNDS: Final = 4


def _prototypes(text: str) -> str:
    return unicodedata.normalize(
        "NFD", unicodedata.normalize("NFKC", "".join([_PROTOTYPES.get(c, c) for c in text]))
    )


@lru_cache(maxsize=8192)
def fold(label: str) -> str:
    """The comparison key of names and channels: two labels with the same key
    are the same name (or channel), everywhere — uniqueness, the backend's
    keys, a channel's room, the client's "is this mine".

    Letter case is ignored (Unicode case folding), and so are compatibility
    forms (NFKC: full-width, mathematical, ligatures) and look-alike
    characters (Unicode's confusables, ``protocol/confusables.py``): a
    Cyrillic "а" is an "a", "0" an "o", "1" and "I" an "l", "rn" an "m".
    Folding comes first, so case and look-alikes are ignored together.
    Looks as written (a capital "I" against an "l") are :func:`skeleton`'s.
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).casefold())
    text = unicodedata.normalize("NFD", text)
    for _ in range(_ROUNDS):
        settled = _prototypes(text).casefold()
        settled = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", settled))
        if settled == text:
            break
        text = settled
    return text


@lru_cache(maxsize=8192)
def skeleton(label: str) -> str:
    """The label as it looks, letter case kept (UTS #39's skeleton after
    NFKC): "AIice" with a capital I looks like "Alice", "Тom" with a Cyrillic
    Т like "Tom", though neither folds to the same key. Names and channels
    are unique by :func:`fold` and by this."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", label))
    for _ in range(_ROUNDS):
        settled = _prototypes(text)
        if settled == text:
            break
        text = settled
    return text


def confusable(a: str, b: str) -> bool:
    """Whether two names (or channel names) cannot both be held: the same
    key (:func:`fold`) or the same look (:func:`skeleton`)."""
    return fold(a) == fold(b) or skeleton(a) == skeleton(b)


def channel_order(name: str) -> tuple[str, str]:
    """The sort key of channel lists: case-insensitive, ties broken by
    spelling, so the order never depends on the order of arrival (letters
    sort as they are, not by what they look like)."""
    return unicodedata.normalize("NFKC", name).casefold(), name


def sort_channels(names: Iterable[str]) -> list[str]:
    """Channel names in list order (:func:`channel_order`)."""
    return sorted(names, key=channel_order)


# --- Messages ----------------------------------------------------------------

# C0/C1 controls other than tab and newline are dropped from message text:
# they are invisible, break terminals and logs, and nobody types them. So are
# the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
# "invoice_<RLO>gnp.exe" would show as "invoice_exe.png". The implicit marks
# (LRM, RLM, ALM) stay: right-to-left writers need them, and they cannot
# reverse letters.
_MESSAGE_DROP: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_message(value: object) -> str:
    """Return message text as it will be stored, or raise ``ProtocolError``."""
    if not isinstance(value, str):
        raise ProtocolError("The message must be text.", ErrorCode.MESSAGE_INVALID)
    text = _MESSAGE_DROP.sub("", value.replace("\r\n", "\n")).strip()
    if not text:
        raise ProtocolError("The message is empty.", ErrorCode.MESSAGE_INVALID)
    if len(text) > MESSAGE_MAX:
        raise ProtocolError(
            f"Messages can be at most {MESSAGE_MAX:,} characters long (this one has {len(text):,}).",
            ErrorCode.MESSAGE_TOO_LONG,
        )
    return text


def drop_controls(text: str) -> str:
    """``text`` without what :func:`clean_message` drops (controls other than
    tab and newline, bidi embeddings, overrides and isolates): for text that
    was stored before a rule existed."""
    return _MESSAGE_DROP.sub("", text)


# --- Conversations -----------------------------------------------------------

# A direct conversation's label starts with this (no channel name can: they
# start with a letter or digit), then its members' person ids, sorted, joined by ".".
DIRECT_PREFIX: Final = "@"
_PERSON_ID: Final = re.compile(f"[0-9a-f]{{{PERSON_ID_LENGTH}}}")


@lru_cache(maxsize=4096)  # asked for on every message: a hash each time adds up
def person_id(token: str) -> str:
    """A person's public id, from the secret token the server issued them:
    stable as long as the identity lives, and the token cannot be worked
    out from it (a prefix of its SHA-256)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:PERSON_ID_LENGTH]


def is_person_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is spelled as a person id."""
    return isinstance(value, str) and _PERSON_ID.fullmatch(value) is not None


def is_direct(label: str) -> bool:
    """Whether a conversation label names a direct conversation (not a channel)."""
    return label.startswith(DIRECT_PREFIX)


def direct_label(ids: Iterable[str]) -> str:
    """The label of the direct conversation of these people (in any order)."""
    return DIRECT_PREFIX + ".".join(sorted(set(ids)))


def direct_members(label: str) -> list[str] | None:
    """The person ids of a direct conversation's label, or ``None`` if
    ``label`` is not one (2 to ``DIRECT_MAX`` distinct sorted ids)."""
    if not is_direct(label):
        return None
    ids = label[len(DIRECT_PREFIX) :].split(".")
    if not 2 <= len(ids) <= DIRECT_MAX or ids != sorted(set(ids)) or not all(map(is_person_id, ids)):
        return None
    return ids


@lru_cache(maxsize=8192)  # every message asks (Channel.key)
def conversation_key(label: str) -> str:
    """What a conversation is stored and found under: a channel's folded
    name (``fold``), a direct conversation's label as it is (ids are exact)."""
    return label if is_direct(label) else fold(label)


def _is_flag_letter(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"  # regional indicators: two make a flag


def clean_emoji(value: object) -> str:
    """A reaction's emoji, as one emoji (``ProtocolError`` otherwise): 1 to
    ``EMOJI_MAX`` characters, each part between zero-width joiners one
    symbol (``So``; or a flag's two regional indicators) with only variation
    selectors, skin tones and enclosing marks beside it. No letters, digits,
    spaces or controls."""
    refusal = ProtocolError("A reaction is one emoji.", ErrorCode.EMOJI_INVALID)
    if not isinstance(value, str) or not 1 <= len(value) <= EMOJI_MAX:
        raise refusal
    for part in value.split("\u200d"):
        kinds = [unicodedata.category(char) for char in part]
        if not set(kinds) <= {"So", "Sk", "Mn", "Me"}:
            raise refusal
        bases = [char for char, kind in zip(part, kinds, strict=True) if kind == "So"]
        flag = len(bases) == 2 and all(map(_is_flag_letter, bases))
        if not flag and (len(bases) != 1 or _is_flag_letter(bases[0])):
            raise refusal
    return value


# --- Search ---------------------------------------------------------------------

_WORD: Final = re.compile(r"\w+")
_FILTER: Final = re.compile(r'(from|in):(?:"([^"]*)"|(\S+))', re.IGNORECASE)


def words_of(text: str) -> list[str]:
    """The words of a text as search compares them: runs of letters, digits
    and underscores, case-folded (``Straße`` and ``STRASSE`` are one word)."""
    return _WORD.findall(text.casefold())


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search as typed: ``words`` (each must start a word of the message,
    any letter case), ``sender`` (``from:name``) and ``channel``
    (``in:channel``, a ``#`` allowed), both compared as names are (``fold``)."""

    words: tuple[str, ...]
    sender: str | None = None
    channel: str | None = None


def parse_query(value: object) -> SearchQuery:
    """Read a search (``ProtocolError`` ``search_invalid`` if it is empty
    or too long): ``lunch from:ada in:#general``, ``from:"Ada L"``."""
    if not isinstance(value, str) or not value.strip() or len(value) > SEARCH_QUERY_MAX:
        raise ProtocolError(
            f"Search for 1 to {SEARCH_QUERY_MAX} characters of words, from:name or in:channel.",
            ErrorCode.SEARCH_INVALID,
        )
    sender = channel = None
    for kind, quoted, bare in _FILTER.findall(value):
        said = (quoted or bare).strip()
        if kind.casefold() == "from":
            sender = said.lstrip("@") or None
        else:
            channel = said.lstrip("#") or None
    words = tuple(dict.fromkeys(words_of(_FILTER.sub(" ", value))))
    if len(words) > SEARCH_WORDS_MAX:
        raise ProtocolError(f"Search for at most {SEARCH_WORDS_MAX} words at once.", ErrorCode.SEARCH_INVALID)
    if not words and sender is None and channel is None:
        raise ProtocolError("Search for some words, from:name or in:channel.", ErrorCode.SEARCH_INVALID)
    return SearchQuery(words, sender, channel)


# --- Mentions ---------------------------------------------------------------------

CHANNEL_MENTION: Final = "channel"
# Code mentions nobody: a fenced block (a line starting with three backticks
# to the next such line, or the end) and an inline `span`, as the page reads
# them; a URL neither (https://host/@ada is a path).
_FENCED: Final = re.compile(r"^```.*?(?:^```[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE: Final = re.compile(r"`[^`\n]+`")
_URL_TEXT: Final = re.compile(r"https?://\S+", re.IGNORECASE)
_MENTION_WORD: Final = re.compile(r"[\w][\w.\-]*")


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _names_at(after: str, key: str) -> bool:
    """Whether ``after`` starts with a name whose ``fold`` is ``key``, up to
    a word's end (folding may change the length: ``Straße``, ``STRASSE``)."""
    for end in range(1, len(after) + 1):
        if (end == len(after) or not _word_char(after[end])) and _fold_cached(after[:end]) == key:
            return True
    return False


# Mentions fold the words after every "@": the same few words again and again.
_fold_cached: Final = lru_cache(maxsize=4096)(fold)


# Counting unread mentions asks about the same kept messages again and again.
@lru_cache(maxsize=16384)
def mentions(text: str, name: str) -> bool:
    """Whether a message's ``text`` mentions the person now named ``name``:
    ``@channel``, or ``@`` and that name compared as names are (``fold``),
    the ``@`` not inside a word (``ada@example.org`` mentions nobody) and
    the name not running on into one (``@adam`` is not ``@ada``). Text in
    code or a URL mentions nobody. Server (counts) and page (the mark on a
    message) ask this same question."""
    if "@" not in text:
        return False
    plain = _URL_TEXT.sub(" ", _INLINE_CODE.sub(" ", _FENCED.sub("\n", text)))
    key = fold(name) if name else ""
    at = plain.find("@")
    while at >= 0:
        if at == 0 or not _word_char(plain[at - 1]):
            after = plain[at + 1 : at + 1 + 3 * len(name) + 3]
            if key and _names_at(after, key):
                return True
            word = _MENTION_WORD.match(after)
            if word is not None and word.group().rstrip(".-").casefold() == CHANNEL_MENTION:
                return True
        at = plain.find("@", at + 1)
    return False


def history_gap(since: int | None, first: int | None, last: int | None) -> bool:
    """Whether messages after id ``since`` are missing from a history whose
    kept ids run from ``first`` to ``last`` (both ``None``: nothing is kept).

    Missing means: the oldest kept message is further on than the one after
    ``since`` (the rest left the history), or ``since`` is beyond the newest
    id there is (the channel's ids started over: a ``--memory`` server
    restarted). Without ``since`` nothing can be missing. The server says
    this in ``join_channel``'s ``gap``; the browser asks the same after a
    reload, with the last id it remembered.
    """
    if since is None:
        return False
    if since > (last or 0):
        return True
    return first is not None and first > since + 1


# --- Files --------------------------------------------------------------------


def clean_file_name(value: object) -> str:
    """A shared file's name as shown: no folders, no control or invisible
    formatting characters, at most ``FILE_NAME_MAX`` characters (keeping the
    extension). It is only ever metadata: files are stored under server ids."""
    if not isinstance(value, str):
        raise ProtocolError("The file name must be text.", ErrorCode.FILE_INVALID)
    base = re.split(r"[/\\]", value)[-1]
    # Tabs and newlines become spaces; other controls and invisible
    # formatting (bidi overrides that disguise "exe" as "gnp") go.
    spaced = _SPACES.sub(" ", unicodedata.normalize("NFC", base))
    text = "".join(c for c in spaced if unicodedata.category(c) not in _FORBIDDEN_IN_NAMES)
    text = _SPACES.sub(" ", text).strip().lstrip(".")
    if not text:
        return "file"
    if len(text) > FILE_NAME_MAX:
        _stem, dot, ext = text.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        text = text[: FILE_NAME_MAX - len(ext)].rstrip() + ext
    return text


def check_file_size(size: object, max_bytes: int) -> int:
    """A declared file size, refused before any byte is sent if too large."""
    if not is_count(size):
        raise ProtocolError("The file size must be a whole number of bytes.", ErrorCode.FILE_INVALID)
    if size > max_bytes:
        raise ProtocolError(
            f"Files can be at most {format_size(max_bytes)}; this one is {format_size(size)}.",
            ErrorCode.FILE_TOO_LARGE,
        )
    return size


def format_size(size: int) -> str:
    """Bytes for people: ``512 bytes``, ``1.5 KB``, ``100 MB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def is_local_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a path on the page's own origin (``/files/…``).

    Every URL in the protocol (a file's, an upload's) is one. A confused or
    hostile peer must not turn a file into a link elsewhere: ``//host`` is
    another origin to a browser, and so is ``/\\host`` or ``/<tab>/host``
    (browsers read backslashes as slashes and drop tabs and newlines from
    URLs), so backslashes and control characters are refused.
    """
    return (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in value)
    )
