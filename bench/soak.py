"""Soak: many websocket clients on one server process for a while, some of them talking.

Prints a report; never passes or fails. ``nox -s soak`` runs 1,000 clients for
60 s (``-- --long`` for 10 minutes): they join ``--channels`` channels evenly,
and ``--talkers`` of them (10%) each send a message every ``--every`` seconds
(staggered). Reported: unexpected disconnects (target 0), delivery
completeness (target 100%), latency p50/p99 from send to each receiver
(target p99 < 250 ms), and the server's RSS after warm-up and at the end
(target growth < 10%). Server and load generator are pinned to different
cores when ``taskset`` exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from integration import rss_mb

from flack.testing import server_process


class Client:
    """One connected person: records latencies and unexpected disconnects."""

    def __init__(self, url: str, number: int, channel: str, report: Report) -> None:
        self.url, self.number, self.channel, self.report = url, number, channel, report
        self.sio = socketio.AsyncClient(reconnection=False)
        self.closing = False
        self.sio.on("message", self._on_message)
        self.sio.on("messages", self._on_messages)
        self.sio.on("disconnect", self._on_disconnect)

    async def start(self) -> None:
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=30)
        ack = await self.sio.call("claim_name", {"name": f"soak{self.number}"}, timeout=30)
        assert ack["ok"], ack
        ack = await self.sio.call("join_channel", {"channel": self.channel}, timeout=30)
        assert ack["ok"], ack

    async def _on_messages(self, data: dict) -> None:
        # A busy channel's messages arrive batched (docs/protocol.md).
        for message in data["messages"]:
            await self._on_message({"message": message})

    async def _on_message(self, data: dict) -> None:
        text = data["message"]["text"]
        stamp, _, _ = text.partition(" ")
        self.report.received[self.channel] += 1
        if self.report.measuring:
            self.report.latencies.append((time.time() - float(stamp)) * 1000)

    async def _on_disconnect(self, reason: object = None) -> None:
        if not self.closing:
            self.report.disconnects += 1

    async def talk(self, every: float, until: float) -> None:
        await asyncio.sleep(random.uniform(0, every))  # stagger the talkers
        while time.monotonic() < until:
            began = time.monotonic()
            text = f"{time.time():.6f} from soak{self.number}"
            ack = await self.sio.call("send_message", {"channel": self.channel, "text": text}, timeout=30)
            if ack["ok"]:
                self.report.sent[self.channel] += 1
            else:
                self.report.refused += 1
            await asyncio.sleep(max(0.0, every - (time.monotonic() - began)))


class Report:
    def __init__(self) -> None:
        self.received: dict[str, int] = defaultdict(int)
        self.sent: dict[str, int] = defaultdict(int)
        self.latencies: list[float] = []
        self.disconnects = 0
        self.refused = 0
        self.measuring = False


async def soak(url: str, pid: int, args: argparse.Namespace) -> dict:
    report = Report()
    channels = [f"soak-{n}" for n in range(args.channels)]
    clients = [Client(url, n, channels[n % len(channels)], report) for n in range(args.clients)]
    started = time.perf_counter()
    first = clients[0]
    await first.sio.connect(url, transports=["websocket"], wait_timeout=30)
    await first.sio.call("claim_name", {"name": "soak0"}, timeout=30)
    for channel in channels:
        await first.sio.call("create_channel", {"channel": channel}, timeout=30)
    await first.sio.call("join_channel", {"channel": first.channel}, timeout=30)
    for batch in range(1, args.clients, 50):
        await asyncio.gather(*(c.start() for c in clients[batch : batch + 50]))
    connect_s = time.perf_counter() - started
    members = defaultdict(int)
    for client in clients:
        members[client.channel] += 1

    talkers = random.Random(1).sample(clients, max(1, args.clients * args.talkers_percent // 100))
    warmup = min(10.0, args.seconds / 6)
    until = time.monotonic() + warmup + args.seconds
    talking = [asyncio.create_task(t.talk(args.every, until)) for t in talkers]
    await asyncio.sleep(warmup)
    rss_start = rss_mb(pid)
    report.measuring = True
    await asyncio.gather(*talking)
    # Let the last messages arrive (bounded).
    expected = sum(report.sent[c] * members[c] for c in channels)
    drain_until = time.monotonic() + 10
    while sum(report.received.values()) < expected and time.monotonic() < drain_until:
        await asyncio.sleep(0.05)
    rss_end = rss_mb(pid)
    for client in clients:
        client.closing = True
    await asyncio.wait([asyncio.ensure_future(c.sio.disconnect()) for c in clients], timeout=10)
    latencies = sorted(report.latencies) or [float("nan")]
    delivered = sum(report.received.values())
    return {
        "clients": args.clients,
        "channels": args.channels,
        "talkers": len(talkers),
        "seconds": args.seconds,
        "connect_s": round(connect_s, 1),
        "messages_sent": sum(report.sent.values()),
        "refused": report.refused,
        "unexpected_disconnects": report.disconnects,
        "completeness": round(delivered / max(expected, 1), 5),
        "latency_p50_ms": round(statistics.median(latencies), 1),
        "latency_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "rss_after_warmup_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_pct": round((rss_end - rss_start) / rss_start * 100, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--talkers-percent", type=int, default=10)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--long", action="store_true", help="10 minutes instead of --seconds")
    args = parser.parse_args()
    if args.long:
        args.seconds = 600.0
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix: tuple[str, ...] = ("taskset", "-c", "0") if pinned else ()
    if pinned:
        os.sched_setaffinity(0, {1})
    print(
        f"soak: {args.clients} websocket clients in {args.channels} channels, {args.talkers_percent}% "
        f"sending every {args.every:g} s, {args.seconds:g} s after warm-up; "
        f"{'server on core 0, load on core 1' if pinned else 'not pinned (no taskset)'}",
        flush=True,
    )
    with server_process({"FLACK_LOG_LEVEL": "warning"}, prefix=prefix) as (url, process):
        result = asyncio.run(soak(url, process.pid, args))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"  {key:<{width}}  {value}")
    targets = {
        "unexpected_disconnects": result["unexpected_disconnects"] == 0,
        "completeness": result["completeness"] >= 1.0,
        "latency_p99_ms < 250": result["latency_p99_ms"] < 250,
        "rss_growth_pct < 10": result["rss_growth_pct"] < 10,
    }
    print("  targets: " + ", ".join(f"{k} {'met' if ok else 'MISSED'}" for k, ok in targets.items()))
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "soak.json").write_text(json.dumps({"pinned": pinned, **result}, indent=2))


if __name__ == "__main__":
    main()
