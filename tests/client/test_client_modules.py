"""The client's modules as a whole: the pure ones stay pure, and the page
loads every one of them (run under CPython)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import flack_client

CLIENT = Path(flack_client.__file__).parent
FRONTEND = CLIENT.parent
# The thin layers that touch the browser; everything else decides, and is
# tested here under CPython.
BROWSER_GLUE = {
    "main",
    "view",
    "viewer",
    "log_view",
    "net",
    "storage",
    "uploads_http",
    "talk_view",
    "talk_handlers",
    "aware_view",
    "aware_handlers",
    "unread_view",
    "unread_handlers",
    "search_view",
    "search_handlers",
}
PURE = sorted(path.stem for path in CLIENT.glob("*.py") if path.stem not in BROWSER_GLUE | {"__init__"})


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_never_import_the_browser(module: str) -> None:
    check = (
        f"import sys; import flack_client.{module}; "
        "found = sorted(m for m in ('js', 'pyodide') if m in sys.modules); "
        "assert not found, found"
    )
    subprocess.run([sys.executable, "-c", check], check=True, cwd=FRONTEND)


def test_the_page_loads_every_client_module() -> None:
    # Through the zip the server makes (flack/bundle.py); main.py is the
    # page's script itself.
    from flack.bundle import client_members
    from flack.transport.http import SHARED_MODULES

    config = json.loads((FRONTEND / "pyscript.json").read_text())
    assert list(config["files"]) == ["/static/client.zip"]
    zipped = {name for name, _ in client_members(SHARED_MODULES, FRONTEND)}
    assert {f"flack_client/{path.name}" for path in CLIENT.glob("*.py")} - zipped == {"flack_client/main.py"}


def test_no_module_is_too_long_to_read_in_one_sitting() -> None:
    # The client grew one 1,600-line module once (issue 10); a new concern
    # gets a module of its own instead.
    lengths = {path.name: len(path.read_text().splitlines()) for path in CLIENT.glob("*.py")}
    assert max(lengths.values()) <= 600, lengths
