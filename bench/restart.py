"""Start-up of the README run command: fresh clone, restart, restart after a change.

Prints a table; never passes or fails. Clones this repository's committed
HEAD into a temporary folder (no ``.nox``, no ``node_modules``: a newcomer's
checkout) and times the README's run command there, from launch to
``/healthz`` answering on loopback:

- cold: the first start (nox makes the virtualenv, pip builds the wheel,
  whose build hook runs ``npm ci`` and compresses the front end);
- warm: a restart with nothing changed (``tools/build_stamp.py`` skips the
  build), median of ``--rounds``;
- changed: a restart after one front-end file changed (a rebuild).

Each start is stopped with Ctrl+C (SIGINT to its own process group). pip's
and npm's download caches are the machine's, as on any second install.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

README_COMMAND = "python3 -m pip install --quiet nox && python3 -m nox -s serve -- --port {port} {flags}"
LIMIT = 900.0  # seconds a start may take before the benchmark gives up


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_start(clone: Path, flags: str, log: Path) -> float:
    """Seconds from running the README command in ``clone`` to ``/healthz`` answering."""
    port = free_port()
    command = README_COMMAND.format(port=port, flags=flags)
    url = f"http://127.0.0.1:{port}/healthz"
    with log.open("a") as out:
        began = time.monotonic()
        process = subprocess.Popen(
            command, shell=True, cwd=clone, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the run command exited with {process.returncode}; see {log}")
                try:
                    with urllib.request.urlopen(url, timeout=1) as response:
                        if response.status == 200:
                            return time.monotonic() - began
                except OSError:
                    pass
                if time.monotonic() - began > LIMIT:
                    raise TimeoutError(f"no answer within {LIMIT:.0f} s; see {log}")
                time.sleep(0.05)
        finally:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl+C, as a person stops it
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def server_flags(clone: Path) -> str:
    """Keep the benchmark's chat in memory where this version can."""
    cli = (clone / "backend" / "flack" / "cli.py").read_text(encoding="utf-8")
    return "--memory" if '"--memory"' in cli else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="warm restarts (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flack-restart-") as folder:
        clone = Path(folder) / "flack"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        log = Path(folder) / "serve.log"
        flags = server_flags(clone)
        cold = timed_start(clone, flags, log)
        warm = [timed_start(clone, flags, log) for _ in range(args.rounds)]
        with (clone / "frontend" / "style.css").open("a") as css:
            css.write("\n/* changed by bench/restart.py */\n")
        changed = timed_start(clone, flags, log)
        after = timed_start(clone, flags, log)
    figures = {
        "cold_s": round(cold, 2),
        "warm_s": round(statistics.median(warm), 2),
        "warm_all_s": [round(value, 2) for value in warm],
        "changed_s": round(changed, 2),
        "warm_after_change_s": round(after, 2),
    }
    print("\nREADME run command, launch to /healthz answering (s)")
    print("| fresh clone (cold) | restart, nothing changed (median) | after a change | next restart |")
    print("|---|---|---|---|")
    print(f"| {cold:.1f} | {figures['warm_s']:.2f} | {changed:.1f} | {after:.2f} |")
    results = ROOT / "results"
    results.mkdir(exist_ok=True)
    (results / "restart.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
