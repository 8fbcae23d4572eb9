"""An earlier commit of Flack, built as a wheel and unpacked, for A/B benchmarks.

``bench/boot.py --against`` serves the previous release beside the current
one in the same run, so a gain is a ratio measured on the same noisy machine
at the same time. The earlier commit is checked out with ``git worktree``
into a temporary folder, built the way a user installs it (``pip wheel``: the
build hook runs ``npm ci`` and compresses the front end), and installed with
``pip install --target`` into ``build/bench-releases/<commit>/`` (git-ignored;
kept, so the next run skips the ~1–2 min build). A server runs from it with
this interpreter and ``PYTHONPATH`` pointing there: the dependencies are the
ones already installed, only Flack itself differs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench-releases"
# The first commit with this file is the first with a precompiled standard
# library (issue 13): the default baseline is the commit just before it.
MARKER = "tools/precompile_stdlib.mjs"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def resolve(revision: str) -> str:
    """The full commit id of ``revision`` (a hash, tag, ``HEAD~3``…)."""
    return _git("rev-parse", "--verify", f"{revision}^{{commit}}")


def default_baseline() -> str:
    """The commit before issue 13's first change (the release before it)."""
    added = _git("log", "--diff-filter=A", "--format=%H", "--", MARKER).splitlines()
    if not added:
        raise RuntimeError(f"no commit adds {MARKER}: pass the baseline commit explicitly")
    return resolve(f"{added[-1]}~1")


def install(revision: str) -> Path:
    """The folder holding Flack as built from ``revision`` (built if needed);
    put it first on ``PYTHONPATH`` to run that version."""
    commit = resolve(revision)
    target = CACHE / commit
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flack-release-") as tmp:
        tree, wheels = Path(tmp) / "tree", Path(tmp) / "wheels"
        _git("worktree", "add", "--detach", str(tree), commit)
        try:
            pip = [sys.executable, "-m", "pip", "-q"]
            subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(tree)], check=True)
            (wheel,) = wheels.glob("flack-*.whl")
            staging = Path(tempfile.mkdtemp(prefix=f"{commit}-", dir=CACHE))
            subprocess.run([*pip, "install", "--no-deps", "--target", str(staging), str(wheel)], check=True)
            (staging / ".complete").write_text(commit)
            staging.rename(target)  # whole or not at all
        finally:
            _git("worktree", "remove", "--force", str(tree))
    return target


if __name__ == "__main__":
    # python bench/release.py [commit]: build (or find) it and say where.
    print(install(sys.argv[1] if len(sys.argv) > 1 else default_baseline()))
