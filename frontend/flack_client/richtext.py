"""Message text as rich text, read safely (issue 14, item 5).

A message is plain text on the wire and in the server; only the page reads
it as rich text, into a small tree that ``log_view`` turns into DOM nodes
with ``createElement`` and ``textContent`` — never an HTML string, so no text
anyone sends can become markup. What is read:

- a fenced code block: a line starting with three backticks opens it, the
  next such line closes it (or the end of the message does); its text is kept
  exactly, nothing inside it is read;
- a quote: consecutive lines starting with ``>`` (one optional space after);
- inline, outside code: `` `code` ``, ``**bold**``, ``*italic*`` and
  ``_italic_``, bare ``http://`` and ``https://`` URLs (links; any other
  scheme stays text), and mentions: ``@channel``, ``@`` followed by one of
  ``names`` (the longest, compared as names are), or else by a word.

Markers that open nothing stay text, as typed: ``2 * 3 * 4`` is not italic,
``snake_case_names`` and ``__init__.py`` are not either (an underscore inside
a word is text, and a marker doubled, other than ``**``, opens nothing).
Bold and italic do not nest inside one another here; code, links and
mentions are leaves. Pure Python: tested under CPython with Hypothesis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from flack.protocol.rules import fold as name_key

InlineKind = Literal["text", "bold", "italic", "code", "link", "mention"]


@dataclass(frozen=True, slots=True)
class Inline:
    """One run of a line: plain ``text``, or formatted text (bold and italic
    hold their own runs; code, link and mention are plain leaves)."""

    kind: InlineKind
    text: str = ""
    children: tuple[Inline, ...] = ()
    # A link's target (always http or https) and a mention's key.
    target: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (runs, line breaks kept as "\\n" text), a quote (runs),
    or a code block (its text, verbatim)."""

    kind: Literal["paragraph", "quote", "code"]
    inlines: tuple[Inline, ...] = ()
    text: str = ""
    # The language word after the opening fence, if any (shown, not used).
    info: str = ""


CHANNEL_MENTION = "channel"
FENCE = "```"
# A URL runs to the next white space or angle bracket; trailing punctuation
# is the sentence's, not the URL's (a closing parenthesis only when it has
# no opening one inside the URL, as in "(see https://x.org/a_(b))").
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_WORD_MENTION = re.compile(r"@([\w][\w.\-]*)")
_MARKERS = re.compile(r"`|\*\*|\*|_|https?://|@", re.IGNORECASE)


def parse(text: str, names: Iterable[str] = ()) -> list[Block]:
    """The blocks of ``text``; ``names`` are the people a mention may name
    (names with spaces are only recognised from this list)."""
    known = sorted({name_key(n): n for n in names}.items(), key=lambda kv: -len(kv[1]))
    blocks: list[Block] = []
    paragraph: list[str] = []
    quote: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", inline("\n".join(paragraph), known)))
            paragraph.clear()
        if quote:
            blocks.append(Block("quote", inline("\n".join(quote), known)))
            quote.clear()

    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(FENCE):
            flush()
            info = line[len(FENCE) :].strip()
            body: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].startswith(FENCE):
                body.append(lines[index])
                index += 1
            blocks.append(Block("code", text="\n".join(body), info=info))
            index += 1  # past the closing fence (or the end)
            continue
        if line.startswith(">"):
            if paragraph:
                flush()
            quote.append(line[2:] if line.startswith("> ") else line[1:])
        else:
            if quote:
                flush()
            paragraph.append(line)
        index += 1
    flush()
    return blocks


def inline(text: str, known: list[tuple[str, str]] | None = None) -> tuple[Inline, ...]:
    """The runs of one paragraph or quote (``known``: (key, name) longest first).

    Read line by line: no run spans a line break."""
    runs: list[Inline] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            runs.append(Inline("text", "\n"))
        runs.extend(_inline(line, known or [], allow_emphasis=True))
    return tuple(_merge(runs))


def _inline(text: str, known: list[tuple[str, str]], allow_emphasis: bool) -> list[Inline]:
    """The runs of one line (or of the inside of a bold or italic run)."""
    runs: list[Inline] = []
    at = 0
    plain_from = 0
    # Marker -> the first opener of it that found no closer. A later opener
    # of the same marker cannot find one either (which closers count does
    # not depend on the opener): without this, a line like "*a *a *a …"
    # would be read in quadratic time (0.35 s for 4,000 characters here,
    # for every viewer, on every redraw).
    unclosed: dict[str, int] = {}
    while True:
        found = _MARKERS.search(text, at)
        if found is None:
            break
        start = found.start()
        made = _token(text, start, known, allow_emphasis, unclosed)
        if made is None:
            at = start + 1
            continue
        node, end = made
        if start > plain_from:
            runs.append(Inline("text", text[plain_from:start]))
        runs.append(node)
        at = plain_from = end
    if plain_from < len(text):
        runs.append(Inline("text", text[plain_from:]))
    return runs


def _token(
    text: str,
    start: int,
    known: list[tuple[str, str]],
    allow_emphasis: bool,
    unclosed: dict[str, int],
) -> tuple[Inline, int] | None:
    """The formatted run starting at ``start`` and where it ends, if the
    marker there opens one."""
    if text.startswith("`", start):
        end = text.find("`", start + 1)
        if end > start + 1 and "\n" not in text[start:end]:
            return Inline("code", text[start + 1 : end]), end + 1
        return None
    if (url := _URL.match(text, start)) is not None:
        return _link(url.group(), start)
    if text.startswith("@", start):
        return _mention(text, start, known)
    if not allow_emphasis:
        return None
    emphasis: tuple[tuple[str, InlineKind], ...] = (("**", "bold"), ("*", "italic"), ("_", "italic"))
    for marker, kind in emphasis:
        if text.startswith(marker, start):
            if start >= unclosed.get(marker, len(text)):
                return None
            made = _emphasis(text, start, marker, kind, known)
            if made is None and _opens(text, start, marker):
                unclosed[marker] = start
            return made
    return None


def _link(url: str, start: int) -> tuple[Inline, int] | None:
    kept = url
    while kept and (kept[-1] in _TRAILING or (kept[-1] == ")" and kept.count("(") < kept.count(")"))):
        kept = kept[:-1]
    if len(kept) <= len(kept.split("://", 1)[0]) + len("://"):
        return None  # "https://" and nothing after it
    return Inline("link", kept, target=kept), start + len(kept)


def _mention(text: str, start: int, known: list[tuple[str, str]]) -> tuple[Inline, int] | None:
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return None  # an address like ada@example.org
    after = text[start + 1 :]
    for key, name in known:
        candidate = after[: len(name)]
        if len(candidate) == len(name) and name_key(candidate) == key and not _continues(after, len(name)):
            return Inline("mention", "@" + candidate, target=key), start + 1 + len(name)
    word = _WORD_MENTION.match(text, start)
    if word is None:
        return None
    shown = word.group(1).rstrip(".-")
    if shown.casefold() == CHANNEL_MENTION:
        return Inline("mention", "@" + shown, target=CHANNEL_MENTION), start + 1 + len(shown)
    return Inline("mention", "@" + shown, target=name_key(shown)), start + 1 + len(shown)


def _continues(text: str, at: int) -> bool:
    return at < len(text) and (text[at].isalnum() or text[at] == "_")


def _emphasis(
    text: str, start: int, marker: str, kind: InlineKind, known: list[tuple[str, str]]
) -> tuple[Inline, int] | None:
    if not _opens(text, start, marker):
        return None
    inner_from = start + len(marker)
    search = inner_from
    while True:
        end = text.find(marker, search)
        if end < 0:
            return None
        # Closes only after non-space text, and "*" is not half of "**".
        closes = end > inner_from and not text[end - 1].isspace() and text[end - 1] != marker[0]
        if marker == "*" and text.startswith("**", end):
            closes = False
        if marker == "_" and end + 1 < len(text) and (text[end + 1].isalnum() or text[end + 1] == "_"):
            closes = False
        if closes:
            children = tuple(_merge(_inline(text[inner_from:end], known, allow_emphasis=False)))
            return Inline(kind, children=children), end + len(marker)
        search = end + len(marker)


def _opens(text: str, start: int, marker: str) -> bool:
    """Whether ``marker`` at ``start`` may open a run: only before non-space
    text and not doubled, and "_" only at a word's start."""
    inner_from = start + len(marker)
    if inner_from >= len(text) or text[inner_from].isspace() or text[inner_from] == marker[0]:
        return False
    return not (marker == "_" and start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"))


def _merge(runs: list[Inline]) -> list[Inline]:
    """Adjacent plain runs joined (a marker that opened nothing splits none)."""
    merged: list[Inline] = []
    for run in runs:
        if run.kind == "text" and merged and merged[-1].kind == "text":
            merged[-1] = Inline("text", merged[-1].text + run.text)
        elif run.kind != "text" or run.text:
            merged.append(run)
    return merged


def visible_text(blocks: Iterable[Block]) -> str:
    """The text a reader sees, blocks joined by line breaks (for tests and
    for whatever needs the message without its markers)."""
    parts = []
    for block in blocks:
        parts.append(block.text if block.kind == "code" else _runs_text(block.inlines))
    return "\n".join(parts)


def _runs_text(runs: Iterable[Inline]) -> str:
    return "".join(run.text if not run.children else _runs_text(run.children) for run in runs)
