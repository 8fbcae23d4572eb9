"""Helpers for e2e tests that run a server of their own (a module, not
conftest: with ``tests/`` collected first, "conftest" names another module)."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the server tells every client (``server_closing``), saves and exits."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
