"""Fan-out: C clients in one channel, 5 senders, websocket — Flack against raw python-socketio.

Prints a table; never passes or fails. For each server (Flack with
``--memory``, Flack durable on a data folder in a temporary directory, and
``bench/raw_server.py``: python-socketio broadcasting with no application
logic) and each client count it connects C websocket clients to one channel
and runs two loads. With ``--elsewhere`` a Flack server more, whose members
all look at another channel (each joins a second one after the benchmark's:
membership, not viewing, decides delivery); with ``--readers`` a Flack
server more whose clients all mark the channel read every 3 s, as pages
reading it do (``mark_read``, issue 15; ``MARK_EVERY_SECONDS`` in the client); with ``--against REV`` the
release at REV too (``bench/release.py``), served in the same run:

- saturation: 5 senders post as fast as their acknowledgements allow;
- fixed rate: senders post so that the server delivers ``--rate`` messages/s
  (10,000 by default) in total.

Figures: deliveries/s, server CPU µs per delivery and per sent message (from
/proc), latency
p50/p95/p99 from send to each receiver, server peak RSS, connect time. The
clients are minimal Engine.IO/Socket.IO clients on raw asyncio protocols (so
the load generator costs little per delivery); server and load generator are
pinned to different cores where ``taskset`` exists. JSON goes to results/.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from flack.testing import GENEROUS_LIMITS, free_port, memory_unless_chosen

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
TEXT_MARK = '"text":"'
# How often a page reading a busy conversation marks it read (the client's
# flack_client/unread.py MARK_EVERY_SECONDS; the bench cannot import the page).
READ_EVERY = 3.0


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RawClient(asyncio.Protocol):
    """A bare Socket.IO client over a hand-rolled websocket on an asyncio
    protocol: counts deliveries, samples latency, answers pings.

    Latency is stamped when the bytes arrive (``data_received``), and a
    frame costs a few microseconds of Python: with 500 clients in one
    process, a client library's per-frame cost (aiohttp's was ~35 µs) is
    queueing inside the load generator that would be counted as the
    server's latency.
    """

    def __init__(self, url: str, stats: Stats) -> None:
        self.url, self.stats = url, stats
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._buffer = b""
        self._upgraded = False
        self._texts: asyncio.Queue[str] | None = asyncio.Queue()  # until connected
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    async def connect(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, parts.hostname, parts.port)
        assert self.transport is not None
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        assert self._texts is not None
        opened = await asyncio.wait_for(self._texts.get(), 30)
        assert opened.startswith("0"), opened
        self.send_str("40")
        connected = await asyncio.wait_for(self._texts.get(), 30)
        assert connected.startswith("40"), connected
        self._texts = None  # from now on frames are handled as they arrive

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self._buffer + data
        if not self._upgraded:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self._buffer = buffer
                return
            assert b" 101 " in head.split(b"\r\n", 1)[0], head
            self._upgraded, buffer = True, rest
        # Server frames are unmasked: 2 header bytes, an extended length, the payload.
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                break
            opcode, payload = buffer[0] & 0x0F, buffer[offset : offset + length]
            buffer = buffer[offset + length :]
            if opcode == 0x1:
                self._text(payload.decode(), now)
        self._buffer = buffer

    def _text(self, data: str, now: float) -> None:
        if self._texts is not None:
            self._texts.put_nowait(data)
        elif data.startswith("42"):
            # One message, or a busy channel's batch (``messages``): count
            # each message and sample each one's latency. Anything else
            # (news about people: names, presence, typing, notices) is counted
            # as such.
            stats = self.stats
            if not data.startswith(('42["message"', '42["messages"')):
                stats.news += 1
                return
            start = data.find(TEXT_MARK)
            while start != -1:
                stats.delivered += 1
                if stats.sampling:
                    start += len(TEXT_MARK)
                    stamp = data[start : data.find(" ", start)]
                    stats.latencies.append((now - float(stamp)) * 1000)
                start = data.find(TEXT_MARK, start + 1)
        elif data.startswith("43"):
            end = data.index("[")
            future = self._acks.pop(int(data[2:end]), None)
            if future is not None and not future.done():
                future.set_result(json.loads(data[end:])[0])
        elif data == "2":
            self.send_str("3")

    def send_str(self, text: str) -> None:
        """One text frame. Clients must mask; an all-zero mask key is a valid
        one (and leaves the payload as it is)."""
        assert self.transport is not None
        payload = text.encode()
        length = len(payload)
        if length < 126:
            header = bytes([0x81, 0x80 | length])
        elif length < 65536:
            header = bytes([0x81, 0x80 | 126]) + length.to_bytes(2, "big")
        else:
            header = bytes([0x81, 0x80 | 127]) + length.to_bytes(8, "big")
        self.transport.write(header + b"\x00\x00\x00\x00" + payload)

    async def call(self, event: str, payload: dict[str, Any]) -> Any:
        number = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[number] = future
        self.send_str(f"42{number}" + json.dumps([event, payload]))
        return await asyncio.wait_for(future, 30)

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Stats:
    def __init__(self) -> None:
        self.news = 0  # packets that are not messages
        self.delivered = 0
        self.latencies: list[float] = []
        self.sampling = False


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def run_load(
    clients: list[RawClient],
    stats: Stats,
    pid: int,
    seconds: float,
    rate: float | None,
    inflight: int = 1,
    readers: bool = False,
) -> dict[str, float]:
    """Saturation (``rate`` None) or a fixed delivery rate; figures for that
    load. ``readers``: every client also marks the channel read every
    ``READ_EVERY`` seconds, spread out (a page with the channel in front)."""
    senders = clients[:5]
    channel = "bench"
    stats.delivered, stats.latencies, stats.news = 0, [], 0
    stats.sampling = True
    sent = 0
    (user0, sys0), own0, t0 = cpu_times(pid), time.process_time(), time.perf_counter()
    stop_at = time.monotonic() + seconds
    interval = len(senders) * len(clients) / rate if rate else 0.0

    async def send(client: RawClient, offset: float) -> None:
        nonlocal sent
        next_at = time.monotonic() + offset
        while time.monotonic() < stop_at:
            if rate:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            await client.call("send_message", {"channel": channel, "text": f"{time.time():.6f} x"})
            sent += 1

    async def read(client: RawClient, offset: float) -> None:
        nonlocal marks
        await asyncio.sleep(offset)
        while time.monotonic() < stop_at:
            # The newest id the page drew; the server never marks past its newest.
            await client.call("mark_read", {"channel": channel, "id": 10**9})
            marks += 1
            await asyncio.sleep(READ_EVERY)

    marks = 0
    reading = [
        asyncio.create_task(read(c, n * READ_EVERY / len(clients))) for n, c in enumerate(clients) if readers
    ]
    if rate:
        await asyncio.gather(*(send(c, n * interval / len(senders)) for n, c in enumerate(senders)))
    else:
        # Saturation: each sender keeps ``inflight`` messages waiting for
        # their acknowledgements, so the server, not the round trip through
        # the load generator, sets the pace.
        await asyncio.gather(*(send(c, 0.0) for c in senders for _ in range(inflight)))
    # Readers stop with the senders (one asleep for 3 s more would stretch
    # the elapsed time: fewer deliveries per second, an idle server).
    for task in reading:
        task.cancel()
    await asyncio.gather(*reading, return_exceptions=True)
    expected = sent * len(clients)
    drain_until = time.monotonic() + 20
    while stats.delivered < expected and time.monotonic() < drain_until:
        await asyncio.sleep(0.01)
    elapsed, (user1, sys1) = time.perf_counter() - t0, cpu_times(pid)
    cpu, system = (user1 - user0) + (sys1 - sys0), sys1 - sys0
    stats.sampling = False
    return {
        "deliveries_per_s": round(stats.delivered / elapsed),
        "cpu_us_per_delivery": round(cpu / max(stats.delivered, 1) * 1e6, 2),
        # What one sent message costs in all (its fan-out included): the
        # figure a journal adds to, once per message, not per recipient.
        "cpu_us_per_sent": round(cpu / max(sent, 1) * 1e6, 1),
        # Of that, time in the kernel (socket writes, waking the reader).
        "system_share": round(system / cpu, 2) if cpu else 0.0,
        "server_cpu_share": round(cpu / elapsed, 2),
        "load_generator_cpu_share": round((time.process_time() - own0) / elapsed, 2),
        "p50_ms": round(percentile(stats.latencies, 0.50), 1),
        "p95_ms": round(percentile(stats.latencies, 0.95), 1),
        "p99_ms": round(percentile(stats.latencies, 0.99), 1),
        "completeness": round(stats.delivered / max(expected, 1), 4),
        # Presence, typing, names and notices that reached clients meanwhile.
        "news_per_delivery": round(stats.news / max(stats.delivered, 1), 5),
        "marks_per_s": round(marks / elapsed),
    }


async def measure(
    url: str, pid: int, count: int, args: argparse.Namespace, elsewhere: bool = False, readers: bool = False
) -> dict[str, Any]:
    stats = Stats()
    clients = [RawClient(url, stats) for _ in range(count)]
    began, (user0, sys0) = time.perf_counter(), cpu_times(pid)
    for batch in range(0, count, 50):
        group = clients[batch : batch + 50]
        await asyncio.gather(*(c.connect() for c in group))
        for n, client in enumerate(group, start=batch):
            await client.call("claim_name", {"name": f"fan{n}"})
            if n == 0:
                await client.call("create_channel", {"channel": "bench"})
        await asyncio.gather(*(c.call("join_channel", {"channel": "bench"}) for c in group))
        if elsewhere:  # every member then looks at another conversation of theirs
            if batch == 0:
                await clients[0].call("create_channel", {"channel": "elsewhere"})
            await asyncio.gather(*(c.call("join_channel", {"channel": "elsewhere"}) for c in group))
    connect_s = time.perf_counter() - began
    user1, sys1 = cpu_times(pid)
    # Everyone connected, named and joined: the server's CPU for that storm.
    connect_cpu_s = (user1 - user0) + (sys1 - sys0)
    saturated = await run_load(clients, stats, pid, args.seconds, None, args.inflight, readers)
    fixed = await run_load(clients, stats, pid, args.seconds, args.rate, readers=readers)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return {
        "connect_s": round(connect_s, 2),
        "connect_cpu_s": round(connect_cpu_s, 2),
        "saturated": saturated,
        "fixed": fixed,
    }


def median_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (server, C): the median of each figure over its runs."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["server"], row["clients"]), []).append(row)
    out = []
    for (server, clients), runs in groups.items():

        def mid(get: Any, runs: list[dict[str, Any]] = runs) -> float:
            return round(statistics.median(get(r) for r in runs), 2)

        loads = {
            load: {key: mid(lambda r, load=load, key=key: r[load][key]) for key in runs[0][load]}
            for load in ("saturated", "fixed")
        }
        out.append(
            {
                "server": server,
                "clients": clients,
                "connect_s": mid(lambda r: r["connect_s"]),
                "connect_cpu_s": mid(lambda r: r["connect_cpu_s"]),
                "peak_rss_mb": mid(lambda r: r["peak_rss_mb"]),
                "completeness": min(r[load]["completeness"] for r in runs for load in ("saturated", "fixed")),
                **loads,
            }
        )
    return out


# The servers this benchmark knows: Flack keeping nothing (--memory), Flack
# keeping everything (a data folder: journal and snapshots), and the baseline;
# "elsewhere" (Flack, members viewing another channel) and "before" (an
# earlier release, --against) on request.
SERVERS = ("raw", "flack", "durable")


def start_server(
    kind: str, port: int, prefix: list[str], data: Path | None = None, release: Path | None = None
) -> subprocess.Popen[bytes]:
    storage = {"FLACK_DATA_DIR": str(data)} if kind == "durable" and data else {}
    env = {
        **os.environ,
        **GENEROUS_LIMITS,
        **memory_unless_chosen(storage),
        **storage,
        "FLACK_LOG_LEVEL": "warning",
    }
    if kind == "before" and release is not None:
        env["PYTHONPATH"] = str(release)  # that release's Flack, today's dependencies
    if kind in ("flack", "durable", "elsewhere", "readers", "before"):
        command = [sys.executable, "-m", "flack", "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [sys.executable, str(HERE / "raw_server.py"), str(port)]
    process = subprocess.Popen([*prefix, *command], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="5,50,500,1000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=10_000.0, help="deliveries/s for the fixed-rate load")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help="raw (python-socketio), flack (--memory), durable (a data folder)",
    )
    parser.add_argument("--inflight", type=int, default=8, help="unacked sends per sender at saturation")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per server and C, alternating; the table shows medians"
    )
    parser.add_argument(
        "--elsewhere", action="store_true", help="also Flack with every member viewing another channel"
    )
    parser.add_argument(
        "--readers",
        action="store_true",
        help="also Flack, every client marking the channel read every 3 s",
    )
    parser.add_argument("--against", metavar="REV", help="also the release at REV (a commit), same run")
    args = parser.parse_args()
    release = None
    if args.against:
        sys.path.insert(0, str(HERE))
        from release import install

        release = install(args.against)
    kinds = (
        args.servers.split(",")
        + (["elsewhere"] if args.elsewhere else [])
        + (["readers"] if args.readers else [])
        + (["before"] if release else [])
    )
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix = ["taskset", "-c", "0"] if pinned else []
    if pinned:
        os.sched_setaffinity(0, {1})
    print(
        f"fan-out: one channel, 5 senders, websocket; saturation and {args.rate:,.0f} deliveries/s; "
        f"{'server on core 0, load on core 1' if pinned else 'not pinned (no taskset)'}",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    for count in [int(c) for c in args.clients.split(",")]:
        # Alternate the servers so that a slow spell of this shared machine
        # hits both rather than one.
        for run in range(args.repeat):
            # Alternate the order too: whichever goes first in a round is not always the same.
            for kind in kinds if run % 2 == 0 else kinds[::-1]:
                port = free_port()
                # On the disk under the system's temporary folder (this machine's
                # /tmp is ext4 on the same disk as everything else, not tmpfs).
                with tempfile.TemporaryDirectory(prefix="flack-bench-data-") as data:
                    process = start_server(kind, port, prefix, Path(data), release)
                    try:
                        url = f"http://127.0.0.1:{port}"
                        result = asyncio.run(
                            measure(url, process.pid, count, args, kind == "elsewhere", kind == "readers")
                        )
                        result["peak_rss_mb"] = round(peak_rss_mb(process.pid), 1)
                    finally:
                        process.terminate()
                        process.wait(timeout=15)
                rows.append({"server": kind, "clients": count, "run": run, **result})
                print(json.dumps(rows[-1]), flush=True)
    medians = median_rows(rows)
    print()
    print(f"medians of {args.repeat} runs each")
    print(
        "server | C | connect s (server CPU s) | sat. deliveries/s | sat. CPU µs/delivery (system share) | "
        "sat. CPU µs/sent message | sat. p50/p99 ms | sat. news packets per delivery | "
        f"{args.rate:,.0f}/s p50/p95/p99 ms | completeness (min) | peak RSS MB"
    )
    for row in medians:
        sat, fix = row["saturated"], row["fixed"]
        print(
            f"{row['server']} | {row['clients']} | {row['connect_s']} ({row['connect_cpu_s']}) | "
            f"{sat['deliveries_per_s']:,.0f} | "
            f"{sat['cpu_us_per_delivery']} ({sat['system_share']}) | {sat['cpu_us_per_sent']} | "
            f"{sat['p50_ms']}/{sat['p99_ms']} | {sat['news_per_delivery']} | "
            f"{fix['p50_ms']}/{fix['p95_ms']}/{fix['p99_ms']} | "
            f"{row['completeness']} | {row['peak_rss_mb']}"
        )
    by = {(r["server"], r["clients"]): r for r in medians}
    for count in sorted({r["clients"] for r in rows}):
        if ("raw", count) in by and ("flack", count) in by:
            ratio = (
                by[("flack", count)]["saturated"]["cpu_us_per_delivery"]
                / by[("raw", count)]["saturated"]["cpu_us_per_delivery"]
            )
            print(f"C={count}: Flack's CPU per delivery is {ratio:.2f}× the raw python-socketio baseline")
        comparisons = (
            ("elsewhere", "flack", "members viewing another channel vs viewing this one"),
            ("readers", "flack", "every client marking it read every 3 s vs none"),
            ("flack", "before", f"Flack now vs {args.against}"),
        )
        for this, that, what in comparisons:
            if (this, count) in by and (that, count) in by:
                a, b = by[(this, count)]["saturated"], by[(that, count)]["saturated"]
                cpu = a["cpu_us_per_delivery"] / b["cpu_us_per_delivery"]
                rate = a["deliveries_per_s"] / b["deliveries_per_s"]
                print(f"C={count}: {what}: CPU per delivery {cpu:.2f}×, deliveries/s {rate:.2f}×")
        if ("flack", count) in by and ("durable", count) in by:
            memory, kept = by[("flack", count)], by[("durable", count)]

            def ratio_of(load: str, key: str, kept: Any = kept, memory: Any = memory) -> float:
                return float(kept[load][key] / memory[load][key])

            print(
                f"C={count}: durable vs --memory: CPU per sent message "
                f"{ratio_of('saturated', 'cpu_us_per_sent'):.2f}× (saturated), "
                f"{ratio_of('fixed', 'cpu_us_per_sent'):.2f}× (fixed rate); CPU per delivery "
                f"{ratio_of('saturated', 'cpu_us_per_delivery'):.2f}×; p99 at {args.rate:,.0f}/s "
                f"{kept['fixed']['p99_ms']} ms against {memory['fixed']['p99_ms']} ms"
            )
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "fanout.json").write_text(
        json.dumps({"args": vars(args), "pinned": pinned, "medians": medians, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
