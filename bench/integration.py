"""ASGI (uvicorn) versus Sanic integration of python-socketio, on websocket and polling.

Prints a table; never passes or fails. For each integration and transport it
starts a real ``flack serve`` on loopback, connects ``--clients`` python-socketio
clients to one channel and measures:

- connect: wall time to connect and join every client;
- latency: one sender, one message at a time, time until *every* client has it
  (p50 / p99 over ``--rounds`` messages);
- throughput: ``--senders`` clients post as fast as acknowledgements allow for
  ``--seconds``; deliveries/s counted at the receivers, and the server's CPU
  time per delivery (from /proc).

Server and load generator are pinned to different cores when ``taskset`` exists.
Results are also written as JSON under results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import socketio

from flack.testing import server_process

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Receiver:
    def __init__(self, url: str, transport: str) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.url, self.transport = url, transport
        self.count = 0
        self.seen: dict[str, float] = {}
        self.sio.on("message", self._on_message)
        self.sio.on("messages", self._on_messages)

    async def _on_messages(self, data: dict) -> None:
        # A busy channel's messages arrive batched (docs/protocol.md).
        for message in data["messages"]:
            await self._on_message({"message": message})

    async def _on_message(self, data: dict) -> None:
        self.count += 1
        text = data["message"]["text"]
        if text.startswith("lat:"):
            self.seen[text] = time.perf_counter()

    async def start(self, n: int, channel: str) -> None:
        await self.sio.connect(self.url, transports=[self.transport], wait_timeout=20)
        ack = await self.sio.call("claim_name", {"name": f"bench{n}"}, timeout=20)
        assert ack["ok"], ack
        ack = await self.sio.call("join_channel", {"channel": channel}, timeout=20)
        assert ack["ok"], ack


async def measure(url: str, pid: int, transport: str, args: argparse.Namespace) -> dict:
    channel = "bench"
    peers = [Receiver(url, transport) for _ in range(args.clients)]
    started = time.perf_counter()
    await peers[0].sio.connect(url, transports=[transport], wait_timeout=20)
    await peers[0].sio.call("claim_name", {"name": "bench0"}, timeout=20)
    await peers[0].sio.call("create_channel", {"channel": channel}, timeout=20)
    await peers[0].sio.call("join_channel", {"channel": channel}, timeout=20)
    for n in range(1, args.clients):
        await peers[n].start(n, channel)
    connect_s = time.perf_counter() - started

    # Latency: one message at a time, until everybody has it.
    latencies = []
    for r in range(args.rounds):
        text = f"lat:{r}"
        sent = time.perf_counter()
        await peers[0].sio.call("send_message", {"channel": channel, "text": text}, timeout=20)
        deadline = time.monotonic() + 10
        while any(text not in p.seen for p in peers) and time.monotonic() < deadline:
            await asyncio.sleep(0.0005)
        latencies.append((max(p.seen.get(text, deadline) for p in peers) - sent) * 1000)

    # Throughput: senders post as fast as acks allow.
    for p in peers:
        p.count = 0
    senders = peers[: args.senders]
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    stop_at = time.monotonic() + args.seconds
    sent_total = 0

    async def blast(p: Receiver) -> None:
        nonlocal sent_total
        while time.monotonic() < stop_at:
            await p.sio.call("send_message", {"channel": channel, "text": "x"}, timeout=20)
            sent_total += 1

    await asyncio.gather(*(blast(p) for p in senders))
    expected = sent_total * len(peers)
    drain_until = time.monotonic() + 15
    while sum(p.count for p in peers) < expected and time.monotonic() < drain_until:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    delivered = sum(p.count for p in peers)
    # A polling client's disconnect waits for its pending long-poll (up to the
    # ping interval); do not let that count or stall the run.
    await asyncio.wait([asyncio.ensure_future(p.sio.disconnect()) for p in peers], timeout=2)
    latencies.sort()
    return {
        "clients": args.clients,
        "connect_s": round(connect_s, 2),
        "latency_p50_ms": round(statistics.median(latencies), 2),
        "latency_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "deliveries_per_s": round(delivered / elapsed),
        "server_cpu_us_per_delivery": round(cpu / max(delivered, 1) * 1e6, 2),
        "completeness": round(delivered / max(expected, 1), 4),
        "server_rss_mb": round(rss_mb(pid), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds allowed per configuration")
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    server_prefix: tuple[str, ...] = ("taskset", "-c", "0") if pinned else ()
    if pinned:
        os.sched_setaffinity(0, {1})
    print(
        f"python-socketio integration benchmark: {args.clients} clients, {args.senders} senders; "
        f"{'server on core 0, load on core 1' if pinned else 'not pinned (no taskset)'}"
    )
    rows = []
    for integration in ("asgi", "sanic"):
        for transport in ("websocket", "polling"):
            env = {"FLACK_INTEGRATION": integration, "FLACK_LOG_LEVEL": "warning"}
            with server_process(env, prefix=server_prefix) as (url, process):
                try:
                    result = asyncio.run(
                        asyncio.wait_for(measure(url, process.pid, transport, args), args.limit)
                    )
                except Exception as error:  # a failed configuration is a result too
                    result = {"error": f"{type(error).__name__}: {error}"}
            rows.append({"integration": integration, "transport": transport, **result})
            print(json.dumps(rows[-1]), flush=True)
    header = [
        "integration",
        "transport",
        "connect_s",
        "latency_p50_ms",
        "latency_p99_ms",
        "deliveries_per_s",
        "server_cpu_us_per_delivery",
        "completeness",
        "server_rss_mb",
    ]
    print()
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row.get(h, row.get("error", "-"))) for h in header))
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "integration.json").write_text(
        json.dumps({"args": vars(args), "pinned": pinned, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    sys.exit(main())
