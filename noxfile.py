"""Task runner. `nox -s tests` is the one command that runs every test.

Sessions install what they need: Python packages into their own virtualenv,
npm assets through the wheel build (``hatch_build.py`` runs ``npm ci``), and
Debian's Chromium for the browser tests.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
import build_stamp  # noqa: E402  (tools/ is not a package; stdlib only)

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"

CHROMIUM = "/usr/bin/chromium"


def install_flack(session: nox.Session, extras: str = "test") -> None:
    """Build and install Flack as a user would get it (a wheel with the assets),
    unless this virtualenv already holds the build of exactly these sources
    (``tools/build_stamp.py``): a restart with nothing changed skips the ~30 s
    build, and any change to the package, the front end, its lock file,
    pyproject.toml or the build hook rebuilds."""
    requirement = f".[{extras}]" if extras else "."
    location = getattr(session.virtualenv, "location", None)
    if not location:  # no virtualenv of our own (--no-venv): just install
        session.install(requirement)
        return
    venv = Path(location)
    sources = build_stamp.fingerprint(ROOT)
    if build_stamp.is_current(venv, sources, extras):
        session.log("Flack is already built from these sources: not rebuilding.")
        return
    build_stamp.forget(venv)
    before = build_stamp.record_state(venv)
    session.install(requirement)
    # Stamp only an install that happened (``--no-install`` skips it).
    if build_stamp.record_state(venv) != before:
        build_stamp.write(venv, sources, extras)


def ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium if this machine lacks it (the tests launch it)."""
    if os.path.exists(os.environ.get("FLACK_CHROMIUM", CHROMIUM)):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        session.error("The browser tests need Chromium at /usr/bin/chromium (or set FLACK_CHROMIUM).")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*sudo, apt, "update", "-qq", external=True, env=env)
    session.run(*sudo, apt, "install", "-y", "-qq", "chromium", external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """Everything: unit, protocol and browser tests."""
    ensure_chromium(session)
    install_flack(session)
    session.run("pytest", "tests", "e2e", *session.posargs)


@nox.session
def unit(session: nox.Session) -> None:
    """Unit and protocol tests only (no browser)."""
    install_flack(session)
    session.run("pytest", "tests", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser tests only."""
    ensure_chromium(session)
    install_flack(session)
    session.run("pytest", "e2e", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """1,000 websocket clients for 60 s (pass -- --long for 10 minutes); prints figures."""
    install_flack(session)
    session.run("python", "bench/soak.py", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The long property-based run: 10,000 payloads per event (the suite runs a quick profile)."""
    install_flack(session)
    session.run("pytest", "tests/wire/test_fuzz.py", *session.posargs, env={"FLACK_FUZZ_EXAMPLES": "10000"})


@nox.session
def serve(session: nox.Session) -> None:
    """Run Flack on http://127.0.0.1:8000 (pass flags after --)."""
    install_flack(session, extras="")
    session.run("flack", "serve", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks that print figures (never pass/fail)."""
    ensure_chromium(session)
    install_flack(session)
    session.install("aiohttp")
    session.run("python", "bench/integration.py", *session.posargs)
    session.run("python", "bench/files.py")
    # Fan-out, with members viewing another channel and against the release
    # before membership (issue 14), served in the same run.
    session.run("python", "bench/fanout.py", "--elsewhere", "--readers", "--against", "cff848a")
    session.run("python", "bench/direct.py")
    session.run("python", "bench/search.py")
    session.run("python", "bench/boot.py")
    # The same against the release before issue 13, served in the same run.
    session.run("python", "bench/boot.py", "--against")
    # And with repeat visits in a new tab of a running browser.
    session.run("python", "bench/boot.py", "--against", "--same-browser")
    # The README run command in a fresh clone: cold, restarted, after a change.
    session.run("python", "bench/restart.py")


@nox.session
def lint(session: nox.Session) -> None:
    """Style and types: ruff and mypy."""
    session.install("ruff", "mypy", "-e", ".[test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "backend/flack", "frontend/flack_client")
