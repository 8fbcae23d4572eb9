"""Run a real Flack server in a child process, for tests and benchmarks.

The server is started exactly as a user starts it (``python -m flack serve``)
on a free loopback port and stopped when the ``with`` block ends.
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
    "FLACK_UPLOAD_MB_PER_PERSON": "1000000",
    "FLACK_UPLOAD_MB_PER_ADDRESS": "1000000",
    "FLACK_MAX_UPLOADS": "1000000",
    # "left" at once, as tests expect, unless a test is about the grace period.
    "FLACK_LEAVE_GRACE_SECONDS": "0",
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
    ``GENEROUS_LIMITS`` unless ``env`` sets them)."""
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
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like :func:`running_server`, also yielding the process (for CPU figures).

    ``prefix`` goes before the command, e.g. ``("taskset", "-c", "0")``;
    ``port`` restarts a server where clients expect it (default: a free one).
    """
    port = port or free_port()
    child_env = {**os.environ, **GENEROUS_LIMITS, **(env or {}), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=child_env,
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
