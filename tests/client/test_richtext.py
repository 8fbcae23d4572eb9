"""Rich text (flack_client/richtext.py, issue 14 item 5): what is read as
formatting, what stays text, and — for any text at all — that reading never
invents or drops a visible character and never makes a link to anything but
http(s)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flack_client.richtext import Block, Inline, parse, visible_text


def runs(text: str, names: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(kind, text) of a one-paragraph message's runs (formatted runs flattened)."""
    (block,) = parse(text, names)
    assert block.kind == "paragraph"
    out = []
    for run in block.inlines:
        inner = "".join(child.text for child in run.children) if run.children else run.text
        out.append((run.kind, inner))
    return out


def test_plain_text_is_one_paragraph_as_typed() -> None:
    assert parse("just words, 2 * 3 * 4 = 24") == [
        Block("paragraph", (Inline("text", "just words, 2 * 3 * 4 = 24"),))
    ]


def test_bold_italic_and_code() -> None:
    assert runs("**bold**, *it*, _it_ and `x = *y*`") == [
        ("bold", "bold"),
        ("text", ", "),
        ("italic", "it"),
        ("text", ", "),
        ("italic", "it"),
        ("text", " and "),
        ("code", "x = *y*"),
    ]


def test_markers_that_open_nothing_stay_text() -> None:
    for text in ("snake_case_name", "**not closed", "a * b * c", "* list item", "`open", "__init__.py"):
        assert runs(text) == [("text", text)], text


def test_links_are_http_or_https_only_and_leave_the_sentence_punctuation() -> None:
    assert runs("see https://example.org/a_(b)). ok") == [
        ("text", "see "),
        ("link", "https://example.org/a_(b)"),
        ("text", "). ok"),
    ]
    assert runs("HTTP://EXAMPLE.ORG.") == [("link", "HTTP://EXAMPLE.ORG"), ("text", ".")]
    for text in ("javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.org", "https://", "file:///etc"):
        assert all(kind != "link" for kind, _ in runs(text)), text


def test_link_targets_are_exactly_the_text_shown() -> None:
    ((block,),) = [parse("go to https://x.org/?q=<b>&a=1")]
    link = next(run for run in block.inlines if run.kind == "link")
    assert link.target == link.text == "https://x.org/?q="  # stops at "<"


def test_mentions() -> None:
    assert runs("hi @ada, @Ada Lovelace and @channel!", ("Ada Lovelace",)) == [
        ("text", "hi "),
        ("mention", "@ada"),
        ("text", ", "),
        ("mention", "@Ada Lovelace"),
        ("text", " and "),
        ("mention", "@channel"),
        ("text", "!"),
    ]
    # An e-mail address is not a mention; a known name must end where the word does.
    assert runs("mail ada@example.org") == [("text", "mail ada@example.org")]
    assert runs("@Ada Lovelaces", ("Ada Lovelace",))[0] == ("mention", "@Ada")


def test_mentions_know_channel_and_names_by_their_key() -> None:
    ((block,),) = [parse("@CHANNEL @ＡＤＡ", ())]
    targets = [run.target for run in block.inlines if run.kind == "mention"]
    assert targets[0] == "channel"
    assert targets[1] == parse("@ada")[0].inlines[0].target  # full-width folds like names do


def test_quotes_and_code_blocks() -> None:
    blocks = parse("before\n> quoted **b**\n>more\nafter\n```py\nx = **1** <b>\n```\ntail")
    assert [b.kind for b in blocks] == ["paragraph", "quote", "paragraph", "code", "paragraph"]
    assert visible_text([blocks[1]]) == "quoted b\nmore"
    assert blocks[3].text == "x = **1** <b>" and blocks[3].info == "py"


def test_an_unclosed_fence_runs_to_the_end() -> None:
    assert parse("```\nline 1\nline 2") == [Block("code", text="line 1\nline 2")]


def _markers_removed(text: str) -> str:
    # White space too: a quote's marker takes the one space after it.
    return re.sub(r"[*_`>\s]", "", text)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab _*`>@\n:/.()<h", "http://", "https://", "```", "**", "@channel", "a b"]),
        max_size=30,
    ).map("".join)
    | st.text(max_size=60)
)
def test_any_text_reads_without_inventing_or_dropping_visible_text(text: str) -> None:
    blocks = parse(text, ("a b",))
    shown = visible_text(blocks)
    # Reading only ever removes markers: with them gone on both sides (and
    # the fences' own lines), what is shown is what was typed.
    typed = "\n".join(line for line in text.split("\n") if not line.startswith("```"))
    assert _markers_removed(shown) == _markers_removed(typed)
    for block in blocks:
        for run in _all_runs(block.inlines):
            assert run.kind in ("text", "bold", "italic", "code", "link", "mention")
            if run.kind == "link":
                assert re.match(r"https?://\S", run.target, re.IGNORECASE) and run.target == run.text
                assert run.target in text


def _all_runs(found: tuple[Inline, ...]) -> list[Inline]:
    out: list[Inline] = []
    for run in found:
        out.append(run)
        out.extend(_all_runs(run.children))
    return out


def test_openers_that_never_close_stay_text_and_a_late_closer_still_counts() -> None:
    # Thousands of openers on one line (read in linear time since an opener
    # that finds no closer rules out the later ones: 0.35 s -> 1.5 ms here).
    for line in ("*a " * 1333, "_a " * 1333, "**a " * 1000):
        assert runs(line) == [("text", line)]
    assert runs("*a *a *a*") == [("italic", "a *a *a")]
    assert runs("*a *b\n*c*") == [("text", "*a *b\n"), ("italic", "c")]  # per line
