"""File sharing throughput: upload and download of one big file, against a static download.

Prints a table; never passes or fails. For each integration it starts a real
Flack server on loopback (``bench/file_server.py``: the app from
``create_app`` plus one plain Sanic static route serving a copy of the same
bytes), then, ``--rounds`` times:

- upload: ``start_upload`` on a socket, then the file in 4 MiB ``PUT`` chunks,
  one after another, exactly as the browser does;
- download: ``GET`` of the shared file's URL;
- static: ``GET`` of the same bytes from the plain static route.

Figures are MB/s (MiB/s) medians; the ratio column says how many times slower
than the static download each path is (the target is within 2×). Server and
client are pinned to different cores when ``taskset`` exists.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import socketio

from flack.testing import free_port

MB = 1024 * 1024
HERE = Path(__file__).resolve().parent


async def upload(url: str, data: bytes, channel: str) -> tuple[float, str]:
    """Share ``data``; seconds taken (from start_upload to the final reply) and the file URL."""
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, transports=["websocket"], wait_timeout=10)
    try:
        await sio.call("claim_name", {"name": f"bench-{os.getpid()}-{time.monotonic_ns() % 10**6}"})
        await sio.call("create_channel", {"channel": channel})
        await sio.call("join_channel", {"channel": channel})
        async with aiohttp.ClientSession(url) as http:
            began = time.perf_counter()
            ack = await sio.call(
                "start_upload", {"channel": channel, "name": "big.bin", "size": len(data), "type": ""}
            )
            info = ack["data"]["upload"]
            offset, reply = 0, {}
            while True:
                piece = data[offset : offset + info["chunk_size"]]
                async with http.put(info["url"], data=piece, headers={"Upload-Offset": str(offset)}) as r:
                    reply = await r.json()
                offset = reply["data"]["received"]
                if reply["data"]["complete"]:
                    break
            took = time.perf_counter() - began
        return took, reply["data"]["message"]["file"]["url"]
    finally:
        await sio.disconnect()
        await asyncio.sleep(0.1)  # let the client's ping task end quietly


async def download(url: str, path: str) -> tuple[float, str]:
    """GET ``path``; seconds and the sha256 of what arrived."""
    digest = hashlib.sha256()
    async with aiohttp.ClientSession(url) as http:
        began = time.perf_counter()
        async with http.get(path) as response:
            assert response.status == 200, response.status
            async for piece in response.content.iter_chunked(1 << 20):
                digest.update(piece)
        return time.perf_counter() - began, digest.hexdigest()


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the file server exited")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)


async def measure(url: str, data: bytes, rounds: int) -> dict[str, float]:
    expected = hashlib.sha256(data).hexdigest()
    mb = len(data) / MB
    ups, downs, statics = [], [], []
    for n in range(rounds):
        took, file_url = await upload(url, data, f"bench-{n}-{time.monotonic_ns() % 10**6}")
        ups.append(mb / took)
        took, digest = await download(url, file_url)
        assert digest == expected, "download differs from the upload"
        downs.append(mb / took)
        took, digest = await download(url, "/bench-static/big.bin")
        assert digest == expected
        statics.append(mb / took)
    return {
        "upload_mb_s": statistics.median(ups),
        "download_mb_s": statistics.median(downs),
        "static_mb_s": statistics.median(statics),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--integrations", default="asgi,sanic")
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix = ["taskset", "-c", "0"] if pinned else []
    if pinned:
        os.sched_setaffinity(0, {1})
    data = os.urandom(args.size_mb * MB)
    print(
        f"file sharing: one {args.size_mb} MB file, {args.rounds} rounds, median MB/s; "
        f"{'server on core 0, client on core 1' if pinned else 'not pinned (no taskset)'}"
    )
    print(f"{'integration':<12}{'upload':>10}{'download':>10}{'static':>10}", end="")
    print(f"{'up/static':>11}{'down/static':>12}")
    results = []
    with tempfile.TemporaryDirectory(prefix="flack-bench-") as folder:
        static_dir = Path(folder) / "static"
        static_dir.mkdir()
        (static_dir / "big.bin").write_bytes(data)
        for integration in args.integrations.split(","):
            port = free_port()
            env = {
                **os.environ,
                "FLACK_INTEGRATION": integration,
                "FLACK_LOG_LEVEL": "warning",
                "FLACK_MAX_FILE_MB": str(args.size_mb + 1),
                "FLACK_FILES_TOTAL_MB": str(4 * args.size_mb + 16),
                "FLACK_FILES_DIR": str(Path(folder) / f"files-{integration}"),
            }
            command = [*prefix, sys.executable, str(HERE / "file_server.py"), str(port), str(static_dir)]
            process = subprocess.Popen(command, env=env)
            url = f"http://127.0.0.1:{port}"
            try:
                wait_ready(url, process)
                figures = asyncio.run(measure(url, data, args.rounds))
            finally:
                process.terminate()
                process.wait(timeout=15)
            up, down, static = figures["upload_mb_s"], figures["download_mb_s"], figures["static_mb_s"]
            print(
                f"{integration:<12}{up:>10.0f}{down:>10.0f}{static:>10.0f}"
                f"{static / up:>10.2f}×{static / down:>11.2f}×"
            )
            results.append({"integration": integration, "size_mb": args.size_mb, **figures})
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "files.json").write_text(json.dumps({"pinned": pinned, "results": results}, indent=2))
    print("(ratios: how many times slower than the static download; target ≤ 2×) → results/files.json")


if __name__ == "__main__":
    main()
