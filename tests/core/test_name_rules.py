"""Names people cannot confuse (issue 11): what is refused, what is the same
name, and what must stay allowed. The protocol's rules, run by the server and,
unchanged, by the browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

import flack
from flack.protocol import (
    ProtocolError,
    channel_order,
    clean_channel,
    clean_message,
    clean_name,
    confusable,
    fold,
    skeleton,
)
from flack.protocol.confusables import PROTOTYPES

# --- refused: invisible and blank-looking characters ----------------------------------

INVISIBLE = {
    "variation selector 16": "Alice\ufe0f",
    "variation selector 1": "Alice\ufe00",
    "variation selector 17": "Alice\U000e0100",
    "combining grapheme joiner": "Al\u034fice",
    "Mongolian free variation selector 1": "Alice\u180b",
    "Mongolian free variation selector 4": "Alice\u180f",
    "tag latin small letter a": "Alice\U000e0061",
    "Hangul filler": "Alice\u3164",
    "Hangul filler alone": "\u3164",
    "halfwidth Hangul filler": "\uffa0",
    "Hangul choseong filler": "\u115f",
    "Hangul jungseong filler": "Ali\u1160ce",
    "braille blank": "\u2800",
    "braille blank inside": "Al\u2800ice",
    "Khmer inherent vowel": "Alice\u17b4",
    "Khitan small script filler": "Alice\U00016fe4",
    "musical null notehead": "\U0001d159",
    "zero width space": "Al\u200bice",
    "zero width joiner": "Al\u200dice",
    "right-to-left override": "Alice\u202e",
    "soft hyphen": "Al\u00adice",
    "only combining marks": "\u0301\u0302",
}


@pytest.mark.parametrize("raw", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_and_blank_looking_characters_are_refused_in_names(raw: str) -> None:
    with pytest.raises(ProtocolError):
        clean_name(raw)


@pytest.mark.parametrize(
    "raw", ["general\u3164", "\u3164general", "gen\u2800eral", "general\ufe0f", "gen\u115feral"]
)
def test_and_in_channel_names(raw: str) -> None:
    with pytest.raises(ProtocolError):
        clean_channel(raw)


@pytest.mark.parametrize(
    "raw", ["dana (you)", "dana(you)", "Dana (YOU)", "dana （you）", "dana (уоu)", "dana  ( you )"]
)
def test_a_name_ending_in_the_pages_you_label_is_refused(raw: str) -> None:
    # The page shows "(you)" after the viewer's own name: "dana (you)" would pass for oneself.
    with pytest.raises(ProtocolError, match=r"\(you\)"):
        clean_name(raw)


@pytest.mark.parametrize("raw", ["(you) dana", "you", "dana you", "dana (yours)", "Young"])
def test_you_elsewhere_is_fine(raw: str) -> None:
    assert clean_name(raw) == raw


# --- the same name: look-alikes, both ways -----------------------------------------------

SAME_AS_ALICE = {
    "Cyrillic А": "Аlice",
    "full-width": "Ａｌｉｃｅ",
    "capital I for l": "AIice",
    "digit 1 for l": "A1ice",
    "upper case": "ALICE",
    "Cyrillic і for i, с for c, е for e": "Alісе",
    "Greek Α": "Αlice",
    "mathematical bold": "𝐀𝐥𝐢𝐜𝐞",
    "Cherokee capitals, as written": "ᎪᏞᎥᏟᎬ",
}


@pytest.mark.parametrize("other", SAME_AS_ALICE.values(), ids=SAME_AS_ALICE.keys())
def test_look_alikes_of_alice_are_the_same_name(other: str) -> None:
    assert confusable("Alice", other) and confusable(other, "Alice")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Tom", "Тom"),  # Cyrillic capital Т: the same look as written
        ("Hans", "Нans"),  # Cyrillic capital Н
        ("Bob", "B0b"),  # zero for o
        ("Sam", "Sarn"),  # rn for m
        ("general", "gеneral"),  # Cyrillic е
        ("general", "GENERAL"),
        ("Zoë", "Zoe\u0308"),  # precomposed and combining
        ("Ivan", "lvan"),  # a capital I is an l to the eye
    ],
)
def test_more_pairs_that_are_one_name(one: str, other: str) -> None:
    assert confusable(one, other) and confusable(other, one)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Neil", "Nell"),
        ("Ian", "Lan"),
        ("Rob", "Ross"),
        ("José", "Jose"),
        ("Zoë", "Zoe"),
        ("Ana", "Anna"),
        ("Eli", "Ela"),
        ("Наталья", "Natalya"),
        ("李雷", "李蕾"),
        ("general", "generals"),
        ("dev-1", "dev-2"),
    ],
)
def test_different_names_stay_different(one: str, other: str) -> None:
    assert not confusable(one, other)


# --- real names in many scripts stay allowed ---------------------------------------------

REAL_NAMES = [
    "José",
    "Zoë",
    "Наталья",
    "Ελένη",
    "李雷",
    "محمد",
    "Nguyễn Văn An",
    "Søren",
    "Łukasz",
    "Çağrı",
    "Þórunn",
    "Ærøskøbing",
    "O'Brien",
    "Anne-Marie",
    "김민수",
    "やまだ はなこ",
    "प्रिया",
    "สมชาย",
    "Ꮳ Cherokee ᏣᎳᎩ",
    "Գայանե",
    "ნინო",
    "דוד",
    "Ömer",
    "ẞtraße",
    "Dr. Ada L.",
    "ada_99",
]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_in_many_scripts_stay_allowed(name: str) -> None:
    assert clean_name(name) == unicodedata.normalize("NFC", name)
    assert fold(name) == fold(fold(name))  # a key is its own key


@pytest.mark.parametrize(
    "channel", ["general", "Café", "Общий", "γενικά", "随便聊聊", "dev-ops_2", "release 1.2", "محادثة"]
)
def test_real_channel_names_stay_allowed(channel: str) -> None:
    assert clean_channel(channel) == channel


def test_the_real_names_are_all_different_names() -> None:
    for n, one in enumerate(REAL_NAMES):
        for other in REAL_NAMES[n + 1 :]:
            assert not confusable(one, other), (one, other)


# --- the keys -------------------------------------------------------------------------------


def assigned() -> list[str]:
    """Every character this Python's Unicode assigns (surrogates and private use aside)."""
    return [chr(p) for p in range(0x110000) if unicodedata.category(chr(p)) not in ("Cn", "Cs", "Co")]


def test_the_keys_settle_and_are_their_own_keys() -> None:
    # fold and skeleton map and fold in rounds; every character settles
    # within the bound (a key of a key is the key itself).
    for char in assigned():
        key, look = fold(char), skeleton(char)
        assert fold(key) == key and skeleton(look) == look, f"U+{ord(char):04X}"


def test_letter_case_never_matters_to_the_key() -> None:
    for char in assigned():
        if char.casefold() != char:
            assert fold(char) == fold(char.casefold()), f"U+{ord(char):04X}"


def test_the_table_is_what_its_docstring_says() -> None:
    records = PROTOTYPES.split("\x1e")
    sources = [record[0] for record in records]
    assert len(sources) == len(set(sources)) > 2000
    for record in records:
        source, prototype = record[0], record[1:]
        assert prototype and prototype != source
        assert unicodedata.normalize("NFD", unicodedata.normalize("NFKC", source)) == source
        assert unicodedata.normalize("NFD", unicodedata.normalize("NFKC", prototype)) == prototype


def test_lists_sort_by_letters_not_by_looks() -> None:
    # "dev" must not sort with "clev…" or "rn" with "m": the key is for equality only.
    assert sorted(["mail", "Lima", "rnotes", "Nova"], key=channel_order) == ["Lima", "mail", "Nova", "rnotes"]


# --- message text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
def test_bidi_embeddings_overrides_and_isolates_are_dropped_from_messages(control: str) -> None:
    assert clean_message(f"invoice_{control}gnp.exe") == "invoice_gnp.exe"


def test_right_to_left_text_and_its_marks_stay() -> None:
    text = "שלום \u200fworld\u200e مرحبا\u061c"
    assert clean_message(text) == text


# --- the same answers on the server's Python and in the browser ---------------------------------

# Run in both Pythons: every answer the rules give for one character.
ANSWERS = """
import json
from flack.protocol import rules
def answer(char):
    out = []
    for clean in (rules.clean_name, rules.clean_channel):
        try:
            out.append(clean("a" + char + "b"))
        except rules.ProtocolError:
            out.append(None)
    return [*out, rules.clean_message("a" + char + "b"), rules.fold(char), rules.skeleton(char)]
RESULT = json.dumps([answer(chr(p)) for p in json.loads(POINTS)])
"""

PYODIDE_RUNNER = """
import { loadPyodide } from "%(pyodide)s/pyodide.mjs";
import fs from "fs";
const py = await loadPyodide({ indexURL: "%(pyodide)s/" });
py.FS.mkdirTree("/py/flack/protocol");
py.FS.writeFile("/py/flack/__init__.py", "");
for (const name of fs.readdirSync("%(protocol)s").filter((n) => n.endsWith(".py"))) {
  py.FS.writeFile("/py/flack/protocol/" + name, fs.readFileSync("%(protocol)s/" + name));
}
py.globals.set("POINTS", fs.readFileSync("%(folder)s/points.json", "utf8"));
py.runPython("import sys; sys.path.insert(0, '/py')");
py.runPython(fs.readFileSync("%(folder)s/answers.py", "utf8"));
fs.writeFileSync("%(folder)s/browser.json", py.globals.get("RESULT"));
"""

PYODIDE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "pyodide"


@pytest.mark.skipif(
    shutil.which("node") is None or not (PYODIDE / "pyodide.mjs").exists(),
    reason="needs Node.js and frontend/node_modules (npm ci)",
)
def test_the_browser_gives_the_same_answers(tmp_path: Path) -> None:
    """The server's Python (3.11: Unicode 14.0) and the browser's Pyodide
    (Python 3.14: Unicode 16.0) refuse, keep and fold every character the
    older one knows the same way: the rules list what they refuse rather
    than trusting each version's properties, and the look-alike table only
    holds characters of Unicode 14.0. (Characters assigned after 14.0 are
    refused by such a server, as unassigned, and allowed by the browser's
    check: the server's refusal is what the page then shows.)"""
    protocol = Path(flack.__file__).parent / "protocol"
    points = json.dumps([ord(char) for char in assigned()])
    here: dict[str, object] = {"POINTS": points}
    exec(ANSWERS, here)
    (tmp_path / "answers.py").write_text(ANSWERS)
    (tmp_path / "points.json").write_text(points)
    runner = tmp_path / "answers.mjs"
    runner.write_text(PYODIDE_RUNNER % {"pyodide": PYODIDE, "protocol": protocol, "folder": tmp_path})
    subprocess.run(["node", str(runner)], capture_output=True, timeout=180, check=True)
    expected = json.loads(str(here["RESULT"]))
    browser = json.loads((tmp_path / "browser.json").read_text())
    differing = [f"U+{ord(c):04X}" for c, a, b in zip(assigned(), expected, browser, strict=True) if a != b]
    assert not differing, differing[:20]
