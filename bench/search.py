"""Search and unread counts at the server's limits: 1,000 channels × 100 kept messages.

Prints figures; never passes or fails. The core alone (``Chat`` over the
memory backend, as the server runs it, without the socket): one person is a
member of every channel; 100,000 messages of 6–14 words each from a
vocabulary of 5,000 made-up words (a few common, most rare, as in chat), so
a query's words match from a handful to thousands of messages. Timed: the
first search (which builds the index), then each kind of query many times
(one common word, one rare word, two words, a word prefix, ``from:``,
``in:`` with a word), reporting p50/p99 in milliseconds, and what the
index holds. Then the read marks (issue 15, item 3): Ada is in all 1,000
channels with every kept message unread and one in 20 of Bea's mentioning
her; timed: where she stands in all of them (what ``list_conversations``
answers after each connect) and one ``mark_read``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import time

from flack.backends.memory import MemoryBackend
from flack.core.chat import Chat
from flack.protocol import HISTORY_LIMIT
from flack.testing import UNLIMITED


def vocabulary(size: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)]


async def fill(chat: Chat, channels: int, rng: random.Random, words: list[str]) -> None:
    # Zipf-like: a few words are everywhere, most are rare.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    for n in range(channels):
        name = f"room {n}"
        await chat.create_channel("a" if n % 2 else "b", name)
        for sid in ("a", "b"):
            await chat.join(sid, name)
        for _ in range(HISTORY_LIMIT):
            text = " ".join(rng.choices(words, weights, k=rng.randint(6, 14)))
            sender = "a" if rng.random() < 0.5 else "b"
            if sender == "b" and rng.random() < 0.05:
                text = "@Ada " + text
            await chat.post(sender, name, text)


def timed(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):6.2f} ms, p99 {p99:6.2f} ms"


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(14)
    words = vocabulary(5_000, rng)
    chat = Chat(MemoryBackend(HISTORY_LIMIT), name_idle_seconds=86_400, limits=UNLIMITED)
    for sid, name in (("a", "Ada"), ("b", "Bea")):
        chat.connect(sid)
        await chat.claim_name(sid, name, None)
    began = time.perf_counter()
    await fill(chat, args.channels, rng, words)
    print(
        f"{args.channels * HISTORY_LIMIT:,} messages in {args.channels:,} channels, filled in "
        f"{time.perf_counter() - began:.1f} s"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    await chat.search("a", words[0])
    built = time.perf_counter() - began
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    print(
        f"first search (builds the index, yielding every 2,000 messages): {built * 1000:.0f} ms; "
        f"peak memory +{grown:.0f} MiB"
    )
    queries = {
        "one common word": lambda: words[rng.randint(0, 9)],
        "one rare word": lambda: words[rng.randint(1_000, 4_999)],
        "two words": lambda: f"{words[rng.randint(0, 99)]} {words[rng.randint(0, 999)]}",
        "a word's first 2 letters": lambda: words[rng.randint(0, 4_999)][:2],
        "from:name and a word": lambda: f"from:Bea {words[rng.randint(0, 199)]}",
        "in:channel and a word": lambda: (
            f'in:"room {rng.randint(0, args.channels - 1)}" {words[rng.randint(0, 99)]}'
        ),
    }
    for kind, make in queries.items():
        samples, found = [], []
        for _ in range(args.queries):
            query = make()
            began = time.perf_counter()
            results, _more = await chat.search("a", query)
            samples.append((time.perf_counter() - began) * 1000)
            found.append(len(results))
        print(f"{kind:26} {timed(samples)}  (results per query: median {statistics.median(found):.0f})")
    await unread(chat, args)


async def unread(chat: Chat, args: argparse.Namespace) -> None:
    """Where Ada stands in every conversation, and marking one read."""
    samples = []
    for _ in range(args.reads):
        began = time.perf_counter()
        states = await chat.read_states("a")
        samples.append((time.perf_counter() - began) * 1000)
    unread = sum(s.unread for s in states)
    mentioned = sum(s.mentions for s in states)
    print(
        f"unread counts of {len(states):,} conversations ({unread:,} unread, {mentioned:,} mentions): "
        f"{timed(samples)}"
    )
    samples = []
    for n in range(min(args.reads * 10, args.channels)):
        room = f"room {n}"
        began = time.perf_counter()
        await chat.mark_read("a", room, 10**9)
        samples.append((time.perf_counter() - began) * 1000)
    print(f"mark_read (a conversation with 100 kept, about 50 unread): {timed(samples)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=300, help="per kind of query")
    parser.add_argument("--reads", type=int, default=20, help="times the unread counts are read")
    asyncio.run(main(parser.parse_args()))
