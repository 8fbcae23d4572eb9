"""The JavaScript Flack itself carries (the brief: build-time glue that drives
Pyodide in Node, and one small interpreter loader; each under ~30 lines,
commented, tested). Anything else in JavaScript is a library's, from npm.
(Issue 13's snapshot loader and its build script were measured and taken
out: see the README.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each file, and the test that runs it for real.
OWN = {
    "tools/precompile_stdlib.mjs": "tests/test_precompile_stdlib.py",
}


def _tracked_javascript() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.js", "*.mjs", "*.cjs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(listed)


def test_only_the_known_glue_is_javascript() -> None:
    if not (ROOT / ".git").exists():  # a source tarball: nothing to list
        return
    assert _tracked_javascript() == set(OWN)


def test_each_file_is_short_commented_and_tested() -> None:
    for name, test in OWN.items():
        lines = (ROOT / name).read_text().splitlines()
        assert len(lines) <= 32, (name, len(lines))
        assert lines[0].startswith("//"), name  # says what it is for
        assert Path(name).name in (ROOT / test).read_text(), (name, test)
