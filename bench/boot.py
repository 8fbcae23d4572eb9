"""Client boot in Chromium: navigation to ``body[data-ready="true"]``, first and repeat visit.

Prints a table; never passes or fails. A real ``flack serve`` on loopback and
Debian's Chromium through Playwright:

- first visit: a fresh browser context each round (empty cache and storage);
- repeat visit: a persistent profile, warmed once, closed and reopened each
  round (a person coming back).

For each, the median of ``--rounds`` of: time from navigation start to ready,
bytes transferred (the page's resource timing, transfer sizes), and where the
time went (when each large asset finished downloading, in ms from its
request's start). The server is pinned to core 0 where ``taskset`` exists;
the browser may use both cores. JSON goes to results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import release  # bench/release.py: an earlier commit built as a wheel
from playwright.sync_api import Page, Request, sync_playwright

from flack.testing import CHROMIUM_ARGS, server_process

ARGS = list(CHROMIUM_ARGS)


# The page's own clock, from navigation start, is what "ready" means here:
# Playwright's clock (from the goto call) also counts starting the browser
# when a profile is reopened (~0.4 s on this machine for a repeat visit, ~0.1 s
# for a new context), so both are printed. When ``body[data-ready="true"]``
# appeared is recorded by a MutationObserver, which works for every release.
#
# PyScript's own milestones: it dispatches ``py:progress`` events ("Loading
# Pyodide", "Loading interpreter" when it calls loadPyodide(), "Loaded
# interpreter", "Loaded Pyodide" …). The benchmark records when each fired
# (ms from navigation start); harness code, injected by Playwright.
PROGRESS_SCRIPT = """
window.__bootProgress = {};
addEventListener("py:progress", (event) => {
  window.__bootProgress[String(event.detail)] = Math.round(performance.now());
});
new MutationObserver(() => {
  if (window.__readyAt === undefined && document.body?.dataset.ready === "true") {
    window.__readyAt = Math.round(performance.now());
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
"""


def visit(page: Page, url: str) -> dict[str, Any]:
    """Navigate and wait for the client; what it took, seen from Playwright's side."""
    page.add_init_script(PROGRESS_SCRIPT)
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    began = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector('body[data-ready="true"]', state="attached", timeout=60_000)
    ready_ms = (time.perf_counter() - began) * 1000
    transferred, downloads = 0, {}
    for request in finished:
        sizes = request.sizes()
        # Served from the browser's cache: nothing crossed the network.
        response = request.response()
        if response is not None and response.status == 304:
            transferred += sizes["responseHeadersSize"]
        else:
            transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        name = request.url.rsplit("/", 1)[-1]
        if name.endswith((".wasm", ".zip", ".mjs", ".js")):
            downloads[name] = round(request.timing["responseEnd"])
    # The client's own clock (ms from navigation start): when its Python
    # started, finished importing, connected and was ready.
    boot = page.get_attribute("body", "data-boot") or ""
    marks = {key: int(value) for key, _, value in (item.partition("=") for item in boot.split(",")) if value}
    progress: dict[str, int] = page.evaluate("window.__bootProgress || {}")
    return {
        "page_ready_ms": page.evaluate("window.__readyAt"),
        "network_requests": network_requests(page),
        "pyscript_ms": progress,
        "ready_ms": round(ready_ms),
        "bytes": transferred,
        "requests": len(finished),
        "downloads_ms": downloads,
        "client_ms": marks,
    }


# Requests that crossed the network (a 304 counts; a cache hit does not): the
# page's resource timing, where a file read from the cache has transferSize 0.
NETWORK_SCRIPT = """() => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .filter((entry) => entry.transferSize > 0).length"""


def network_requests(page: Page) -> int:
    """How many of the page's requests went to the server (304s included)."""
    count: int = page.evaluate(NETWORK_SCRIPT)
    return count


def throttle(page: Page, rtt_ms: int) -> None:
    """Give every request of ``page`` a round trip of ``rtt_ms`` (Chromium's
    network emulation through CDP; bandwidth left alone): what a 304 costs
    on a real network rather than on loopback."""
    if rtt_ms <= 0:
        return
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": rtt_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )


# Pyodide alone, in the same page, browser and server, without PyScript or
# Flack: the floor under the client's boot. Run through Playwright's
# evaluate (the test harness), not shipped: Flack's page has no JavaScript
# of its own.
FLOOR_SCRIPT = """async () => {
  const began = performance.now();
  const { loadPyodide } = await import("/vendor/pyodide/pyodide.mjs");
  const imported = performance.now();
  await loadPyodide({ indexURL: "/vendor/pyodide/" });
  const loaded = performance.now();
  const response = await fetch("/vendor/pyodide/pyodide.asm.wasm");
  const compiling = performance.now();
  await WebAssembly.compileStreaming(response);
  const compiled = performance.now();
  return {
    import_ms: imported - began,
    load_pyodide_ms: loaded - imported,
    wasm_compile_ms: compiled - compiling,
  };
}"""


def floor(page: Page, url: str) -> dict[str, Any]:
    """Time bare ``loadPyodide()`` (and, after it, one more wasm compile) on
    Flack's page with PyScript kept from loading."""
    page.route("**/vendor/pyscript/**", lambda route: route.abort())
    page.goto(url, wait_until="load")
    result: dict[str, float] = page.evaluate(FLOOR_SCRIPT)
    return {key: round(value) for key, value in result.items()}


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "page_ready_ms_median": round(statistics.median(r["page_ready_ms"] for r in rounds)),
        "page_ready_ms_all": [r["page_ready_ms"] for r in rounds],
        "ready_ms_median": round(statistics.median(r["ready_ms"] for r in rounds)),
        "ready_ms_all": [r["ready_ms"] for r in rounds],
        "bytes_median": round(statistics.median(r["bytes"] for r in rounds)),
        "last_round": rounds[-1],
    }


# Against the previous release (--against): both servers in the same run,
# visited alternately, so a gain is a ratio that holds on a noisy machine.
# Per visit: ready, bytes, and where the time went (PyScript's and the
# client's own clocks, ms from navigation start).
BREAKDOWN = (
    "page_ready_ms",
    "ready_ms",
    "bytes",
    "load_pyodide_ms",
    "python_start",
    "client_imported",
    "ready",
)


def breakdown(result: dict[str, Any]) -> dict[str, int]:
    """The figures compared, from one :func:`visit`; ``load_pyodide_ms`` is
    PyScript's loadPyodide() call, "Loading interpreter" to "Loaded interpreter"."""
    progress, marks = result["pyscript_ms"], result["client_ms"]
    loaded = progress.get("Loaded interpreter", 0) - progress.get("Loading interpreter", 0)
    return {
        "page_ready_ms": result["page_ready_ms"],
        "ready_ms": result["ready_ms"],
        "bytes": result["bytes"],
        "load_pyodide_ms": loaded,
        "python_start": marks.get("python_start", 0),
        "client_imported": marks.get("client_imported", 0),
        "ready": marks.get("ready", 0),
    }


def compare(
    against: str,
    candidate: str | None,
    rounds: int,
    rtt_ms: int,
    prefix: tuple[str, ...],
    same_browser: bool = False,
) -> None:
    """First and repeat visits of ``against`` (a commit, built as a wheel) and of
    ``candidate`` (a commit, or None: the Flack this interpreter imports),
    alternating which goes first each round; prints medians and the ratio
    after/before."""
    chromium = os.environ.get("FLACK_CHROMIUM", "/usr/bin/chromium")
    builds = {
        "before": release.resolve(against),
        "after": candidate and release.resolve(candidate),
    }
    paths = {label: commit and str(release.install(commit)) for label, commit in builds.items()}
    figures: dict[str, dict[str, list[dict[str, int]]]] = {
        label: {"first_visit": [], "repeat_visit": []} for label in builds
    }
    env = {"FLACK_LOG_LEVEL": "warning"}
    with (
        server_process({**env, "PYTHONPATH": paths["before"]}, prefix=prefix) as (before_url, _),
        server_process(
            {**env, "PYTHONPATH": paths["after"] or os.environ.get("PYTHONPATH", "")}, prefix=prefix
        ) as (after_url, _),
        sync_playwright() as pw,
        tempfile.TemporaryDirectory(prefix="flack-profiles-") as profiles,
    ):
        urls = {"before": before_url, "after": after_url}
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)

        running: dict[str, Any] = {}

        def repeat_visit(label: str) -> dict[str, Any]:
            # The same profile each time: a person coming back, to a browser
            # started again, or (--same-browser) in a new tab of one that runs.
            if label not in running:
                running[label] = pw.chromium.launch_persistent_context(
                    f"{profiles}/{label}", executable_path=chromium, headless=True, args=ARGS
                )
            context = running[label]
            page = context.new_page() if same_browser or not context.pages else context.pages[0]
            throttle(page, rtt_ms)
            try:
                return visit(page, urls[label])
            finally:
                if same_browser:
                    page.close()
                else:
                    context.close()
                    del running[label]

        for label in urls:
            repeat_visit(label)  # warms each profile once, not counted
        for n in range(rounds):
            for label in ("before", "after") if n % 2 == 0 else ("after", "before"):
                context = browser.new_context()  # empty cache and storage
                page = context.new_page()
                throttle(page, rtt_ms)
                figures[label]["first_visit"].append(breakdown(visit(page, urls[label])))
                context.close()
                figures[label]["repeat_visit"].append(breakdown(repeat_visit(label)))
        for context in running.values():
            context.close()
        browser.close()
    medians = {
        label: {
            kind: {key: round(statistics.median(r[key] for r in runs)) for key in BREAKDOWN}
            for kind, runs in kinds.items()
        }
        for label, kinds in figures.items()
    }
    print(f"before: {builds['before']}; after: {builds['after'] or 'installed Flack'}")
    for kind in ("first_visit", "repeat_visit"):
        for label in ("before", "after"):
            m = medians[label][kind]
            print(
                f"{kind:<13} {label:<6} ready {m['page_ready_ms']:>5} ms after navigation "
                f"({m['ready_ms']:>5} ms from goto), {m['bytes'] / 1e3:>7.1f} kB, "
                f"loadPyodide {m['load_pyodide_ms']:>5} ms, client: python start {m['python_start']}, "
                f"imported {m['client_imported']}, ready {m['ready']} (ms from navigation)"
            )
        ratio = medians["after"][kind]["page_ready_ms"] / medians["before"][kind]["page_ready_ms"]
        wall = medians["after"][kind]["ready_ms"] / medians["before"][kind]["ready_ms"]
        print(f"{kind:<13} after/before ready: {ratio:.2f}x after navigation ({wall:.2f}x from goto)")
    out = Path("results")
    out.mkdir(exist_ok=True)
    result = {"builds": builds, "rtt_ms": rtt_ms, "medians": medians, "rounds": figures}
    (out / "boot_compare.json").write_text(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rtt-ms", type=int, default=0, help="emulated round trip per request (e.g. 40)")
    parser.add_argument("--no-floor", action="store_true", help="skip bare loadPyodide()")
    parser.add_argument(
        "--against",
        nargs="?",
        const="",
        metavar="COMMIT",
        help="compare with the wheel of COMMIT, served in the same run "
        "(default: the commit before issue 13's precompiled standard library)",
    )
    parser.add_argument(
        "--candidate",
        metavar="COMMIT",
        help="with --against: the wheel of COMMIT as 'after' (default: installed)",
    )
    parser.add_argument(
        "--same-browser",
        action="store_true",
        help="with --against: repeat visits in a new tab of a running browser",
    )
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix: tuple[str, ...] = ("taskset", "-c", "0") if pinned else ()
    # The browser is not pinned: Chromium's renderer, network and GPU
    # processes squeezed onto one core boot about twice as slowly as a
    # person's browser does on this 2-core machine.
    if args.against is not None:
        print(f"client boot against an earlier commit: median of {args.rounds}, alternating", flush=True)
        compare(
            args.against or release.default_baseline(),
            args.candidate,
            args.rounds,
            args.rtt_ms,
            prefix,
            args.same_browser,
        )
        return
    chromium = os.environ.get("FLACK_CHROMIUM", "/usr/bin/chromium")
    print(
        f"client boot: median of {args.rounds}; "
        f"{'server on core 0, browser unpinned' if pinned else 'not pinned (no taskset)'}"
        f"{f', {args.rtt_ms} ms emulated round trip' if args.rtt_ms else ''}",
        flush=True,
    )
    results: dict[str, Any] = {}
    with server_process({"FLACK_LOG_LEVEL": "warning"}, prefix=prefix) as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        first = []
        for _ in range(args.rounds):
            context = browser.new_context()
            page = context.new_page()
            throttle(page, args.rtt_ms)
            first.append(visit(page, url))
            context.close()
        floors = []
        for _ in range(0 if args.no_floor else args.rounds):
            context = browser.new_context()
            floors.append(floor(context.new_page(), url))
            context.close()
        browser.close()
        results["first_visit"] = summarise(first)
        results["floor_first_visit"] = {
            key: round(statistics.median(f[key] for f in floors)) for key in (floors[0] if floors else ())
        }

        repeat = []
        with tempfile.TemporaryDirectory(prefix="flack-profile-") as profile:
            for n in range(args.rounds + 1):
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=chromium, headless=True, args=ARGS
                )
                page = context.pages[0] if context.pages else context.new_page()
                throttle(page, args.rtt_ms)
                result = visit(page, url)
                context.close()
                if n:  # round 0 only warms the profile
                    repeat.append(result)
        results["repeat_visit"] = summarise(repeat)
        floors = []
        with tempfile.TemporaryDirectory(prefix="flack-profile-") as profile:
            for n in range(0 if args.no_floor else args.rounds + 1):
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=chromium, headless=True, args=ARGS
                )
                page = context.pages[0] if context.pages else context.new_page()
                result = floor(page, url)
                context.close()
                if n:
                    floors.append(result)
        results["floor_repeat_visit"] = {
            key: round(statistics.median(f[key] for f in floors)) for key in (floors[0] if floors else ())
        }
    for kind in ("first_visit", "repeat_visit"):
        summary = results[kind]
        last = summary["last_round"]
        print(
            f"{kind:<13} ready {summary['page_ready_ms_median']:>5} ms after navigation "
            f"(all: {summary['page_ready_ms_all']}; from goto {summary['ready_ms_median']} ms), "
            f"{summary['bytes_median'] / 1e6:.2f} MB transferred in {last['requests']} requests "
            f"({last['network_requests']} over the network)"
        )
        print(f"{'':<13} downloads (ms): {last['downloads_ms']}")
        print(f"{'':<13} PyScript (ms from navigation): {last['pyscript_ms']}")
        print(f"{'':<13} client (ms from navigation): {last['client_ms']}")
    for kind in ("floor_first_visit", "floor_repeat_visit"):
        print(f"{kind:<19} Pyodide alone (median ms): {results[kind]}")
    out = Path("results")
    out.mkdir(exist_ok=True)
    (out / "boot.json").write_text(json.dumps({"pinned": pinned, **results}, indent=2))


if __name__ == "__main__":
    main()
