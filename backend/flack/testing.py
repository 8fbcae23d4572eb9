"""Run a real Flack server in a child process, for tests and benchmarks.

The server is started exactly as a user starts it (``python -m flack serve``)
on a free loopback port and stopped when the ``with`` block ends. It keeps
nothing (``--memory``) unless the caller chooses where it keeps the chat
(``FLACK_DATA_DIR``, ``FLACK_MEMORY``, ``FLACK_STATE_FILE`` or the flags):
a test must never write into the data folder of the person running it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from typing import IO

from flack.core.limits import Limits

# The same for the core in this process (``Chat(limits=UNLIMITED)``): bursts
# that no test or benchmark acting at machine speed reaches (the tests of the
# abuse limits set their own).
UNLIMITED = Limits(
    message_burst=10**9,
    channel_burst=10**9,
    max_channels=10**6,
    notice_burst=10**9,
    identity_burst=10**9,
    upload_burst=10**9,
    search_burst=10**9,
)

# Tests and benchmarks act at machine speed from one address: they run with
# these limits unless their env says otherwise (limit tests set their own).
GENEROUS_LIMITS: dict[str, str] = {
    "FLACK_MESSAGE_RATE": "1000000",
    "FLACK_MESSAGE_BURST": "1000000",
    "FLACK_CHANNEL_RATE": "1000000",
    "FLACK_CHANNEL_BURST": "1000000",
    "FLACK_MAX_CHANNELS": "1000000",
    "FLACK_CONNECTIONS_PER_ADDRESS": "1000000",
    "FLACK_HTTP_CONNECTIONS_PER_ADDRESS": "1000000",
    "FLACK_PEOPLE_PER_ADDRESS": "1000",
    "FLACK_NOTICE_RATE": "1000000",
    "FLACK_NOTICE_BURST": "1000000",
    "FLACK_IDENTITY_RATE": "1000000",
    "FLACK_IDENTITY_BURST": "1000000",
    "FLACK_UPLOAD_RATE": "1000000",
    "FLACK_UPLOAD_BURST": "1000000",
    "FLACK_SEARCH_RATE": "1000000",
    "FLACK_SEARCH_BURST": "1000000",
    "FLACK_UPLOAD_MB_PER_PERSON": "1000000",
    "FLACK_UPLOAD_MB_PER_ADDRESS": "1000000",
    "FLACK_MAX_UPLOADS": "1000000",
    # "left" at once, as tests expect, unless a test is about the grace period.
}


# How tests and benchmarks launch Debian's Chromium (Playwright's own browser
# download is not available): headless, and nothing that phones home.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)


# What decides where a server keeps the chat (see memory_unless_chosen).
STORAGE_VARIABLES = ("FLACK_DATA_DIR", "FLACK_MEMORY", "FLACK_STATE_FILE")
STORAGE_FLAGS = ("--data-dir", "--memory", "--state-file")


def memory_unless_chosen(env: Mapping[str, str], args: tuple[str, ...] = ()) -> dict[str, str]:
    """The variables that make a test server keep nothing, unless ``env``
    or ``args`` choose where it keeps the chat (the caller's own shell
    settings do not count: they may name the person's real data folder)."""
    chosen = any(name in env for name in STORAGE_VARIABLES) or any(
        arg.split("=", 1)[0] in STORAGE_FLAGS for arg in args
    )
    cleared = {name: "" for name in STORAGE_VARIABLES}  # goes under the caller's env
    if not chosen:
        cleared["FLACK_MEMORY"] = "1"
    return cleared


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(
    env: Mapping[str, str] | None = None, *, timeout: float = 30.0, args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Start ``flack serve`` on 127.0.0.1 and yield its base URL (with
    ``GENEROUS_LIMITS`` unless ``env`` sets them, and keeping nothing unless
    ``env`` or ``args`` say where: see :func:`memory_unless_chosen`)."""
    with server_process(env, timeout=timeout, args=args) as (url, _):
        yield url


@contextlib.contextmanager
def server_process(
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
    args: tuple[str, ...] = (),
    prefix: tuple[str, ...] = (),
    port: int | None = None,
    stderr: IO[bytes] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like :func:`running_server`, also yielding the process (for CPU figures).

    ``prefix`` goes before the command, e.g. ``("taskset", "-c", "0")``;
    ``port`` restarts a server where clients expect it (default: a free one);
    ``stderr``, a file its log goes to (default: this process's stderr).
    """
    port = port or free_port()
    env = env or {}
    child_env = {
        **os.environ,
        **GENEROUS_LIMITS,
        **memory_unless_chosen(env, args),
        **env,
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=child_env,
        stderr=stderr,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"flack serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"flack serve did not answer on {url} within {timeout} s")
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
