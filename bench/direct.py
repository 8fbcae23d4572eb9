"""What a direct message costs the server, against a channel message of the same size.

Prints figures; never passes or fails. One Flack server (``--memory``), P
pairs of people (minimal websocket clients, as in ``fanout.py``). Each pair
talks once in a channel of its own (both members) and once in its direct
conversation, in alternating rounds on the same server; in each round every
pair's first person sends messages of the same size as fast as their
acknowledgements allow (a few in flight). Figures per round: server CPU µs
per sent message (from /proc) and deliveries/s; the table shows medians and
the direct/channel ratio. Both reach the same two connections, so the ratio
is what the direct conversation's own path (its label, the membership check
by id) costs beside a channel's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flack.protocol import person_id
from flack.testing import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import RawClient, Stats, cpu_times, start_server


async def pairs_of(url: str, count: int, stats: Stats) -> list[tuple[RawClient, RawClient, str, str]]:
    """``count`` pairs, each with its channel and its direct conversation."""
    pairs = []
    for n in range(count):
        first, second = RawClient(url, stats), RawClient(url, stats)
        await asyncio.gather(first.connect(), second.connect())
        ids = []
        for who, client in (("a", first), ("b", second)):
            named = await client.call("claim_name", {"name": f"{who}{n}"})
            ids.append(person_id(named["data"]["token"]))
        channel = f"pair-{n}"
        await first.call("create_channel", {"channel": channel})
        for client in (first, second):
            await client.call("join_channel", {"channel": channel})
        opened = await first.call("open_direct", {"people": [ids[1]]})
        pairs.append((first, second, channel, opened["data"]["direct"]["id"]))
    return pairs


async def round_of(
    pairs: list[tuple[RawClient, RawClient, str, str]], stats: Stats, pid: int, direct: bool, args: Any
) -> dict[str, float]:
    """Every pair's first person sends for ``args.seconds``; the figures."""
    stats.delivered = 0
    sent = 0
    padding = "x" * args.size
    stop_at = time.monotonic() + args.seconds
    (user0, sys0), t0 = cpu_times(pid), time.perf_counter()

    async def talk(sender: RawClient, where: str) -> None:
        nonlocal sent
        while time.monotonic() < stop_at:
            ack = await sender.call(
                "send_message", {"channel": where, "text": f"{time.time():.6f} {padding}"}
            )
            assert ack["ok"], ack
            sent += 1

    await asyncio.gather(
        *(
            talk(first, dm if direct else channel)
            for first, _, channel, dm in pairs
            for _ in range(args.inflight)
        )
    )
    expected, drain_until = sent * 2, time.monotonic() + 20
    while stats.delivered < expected and time.monotonic() < drain_until:
        await asyncio.sleep(0.01)
    elapsed, (user1, sys1) = time.perf_counter() - t0, cpu_times(pid)
    cpu = (user1 - user0) + (sys1 - sys0)
    return {
        "cpu_us_per_sent": round(cpu / max(sent, 1) * 1e6, 1),
        "deliveries_per_s": round(stats.delivered / elapsed),
        "completeness": round(stats.delivered / max(expected, 1), 4),
    }


async def run(url: str, pid: int, args: Any) -> dict[str, list[dict[str, float]]]:
    stats = Stats()
    pairs = await pairs_of(url, args.pairs, stats)
    rounds: dict[str, list[dict[str, float]]] = {"channel": [], "direct": []}
    for n in range(args.repeat):
        # Alternate which goes first, so a slow spell of the machine hits both.
        for kind in ("channel", "direct") if n % 2 == 0 else ("direct", "channel"):
            rounds[kind].append(await round_of(pairs, stats, pid, kind == "direct", args))
            print(kind, json.dumps(rounds[kind][-1]), flush=True)
    for first, second, *_ in pairs:
        await first.close()
        await second.close()
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=200, help="characters of each message")
    parser.add_argument("--inflight", type=int, default=2, help="unacknowledged sends per sender")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each kind, alternating")
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix = ["taskset", "-c", "0"] if pinned else []
    if pinned:
        os.sched_setaffinity(0, {1})
    print(f"direct vs channel messages: {args.pairs} pairs, {args.size}-character messages", flush=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="flack-bench-data-") as data:
        process = start_server("flack", port, prefix, Path(data))
        try:
            rounds = asyncio.run(run(f"http://127.0.0.1:{port}", process.pid, args))
        finally:
            process.terminate()
            process.wait(timeout=15)
    medians = {
        kind: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for kind, runs in rounds.items()
    }
    print()
    print(f"medians of {args.repeat} rounds | CPU µs per sent message | deliveries/s | completeness (min)")
    for kind, figures in medians.items():
        worst = min(r["completeness"] for r in rounds[kind])
        print(f"{kind} | {figures['cpu_us_per_sent']} | {figures['deliveries_per_s']:,.0f} | {worst}")
    ratio = medians["direct"]["cpu_us_per_sent"] / medians["channel"]["cpu_us_per_sent"]
    print(f"a direct message costs the server {ratio:.2f}× a channel message of the same size")
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "direct.json").write_text(
        json.dumps({"args": vars(args), "rounds": rounds, "medians": medians}, indent=2)
    )


if __name__ == "__main__":
    main()
