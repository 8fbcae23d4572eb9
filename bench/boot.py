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

from playwright.sync_api import Page, Request, sync_playwright

from flack.testing import CHROMIUM_ARGS, server_process

ARGS = list(CHROMIUM_ARGS)


# PyScript's own milestones: it dispatches ``py:progress`` events ("Loading
# Pyodide", "Loading interpreter" when it calls loadPyodide(), "Loaded
# interpreter", "Loaded Pyodide" …). The benchmark records when each fired
# (ms from navigation start); harness code, injected by Playwright.
PROGRESS_SCRIPT = """
window.__bootProgress = {};
addEventListener("py:progress", (event) => {
  window.__bootProgress[String(event.detail)] = Math.round(performance.now());
});
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
        "pyscript_ms": progress,
        "ready_ms": round(ready_ms),
        "bytes": transferred,
        "requests": len(finished),
        "downloads_ms": downloads,
        "client_ms": marks,
    }


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
        "ready_ms_median": round(statistics.median(r["ready_ms"] for r in rounds)),
        "ready_ms_all": [r["ready_ms"] for r in rounds],
        "bytes_median": round(statistics.median(r["bytes"] for r in rounds)),
        "last_round": rounds[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    prefix: tuple[str, ...] = ("taskset", "-c", "0") if pinned else ()
    # The browser is not pinned: Chromium's renderer, network and GPU
    # processes squeezed onto one core boot about twice as slowly as a
    # person's browser does on this 2-core machine.
    chromium = os.environ.get("FLACK_CHROMIUM", "/usr/bin/chromium")
    print(
        f"client boot: median of {args.rounds}; "
        f"{'server on core 0, browser unpinned' if pinned else 'not pinned (no taskset)'}",
        flush=True,
    )
    results: dict[str, Any] = {}
    with server_process({"FLACK_LOG_LEVEL": "warning"}, prefix=prefix) as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        first = []
        for _ in range(args.rounds):
            context = browser.new_context()
            first.append(visit(context.new_page(), url))
            context.close()
        floors = []
        for _ in range(args.rounds):
            context = browser.new_context()
            floors.append(floor(context.new_page(), url))
            context.close()
        browser.close()
        results["first_visit"] = summarise(first)
        results["floor_first_visit"] = {
            key: round(statistics.median(f[key] for f in floors)) for key in floors[0]
        }

        repeat = []
        with tempfile.TemporaryDirectory(prefix="flack-profile-") as profile:
            for n in range(args.rounds + 1):
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=chromium, headless=True, args=ARGS
                )
                page = context.pages[0] if context.pages else context.new_page()
                result = visit(page, url)
                context.close()
                if n:  # round 0 only warms the profile
                    repeat.append(result)
        results["repeat_visit"] = summarise(repeat)
        floors = []
        with tempfile.TemporaryDirectory(prefix="flack-profile-") as profile:
            for n in range(args.rounds + 1):
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=chromium, headless=True, args=ARGS
                )
                page = context.pages[0] if context.pages else context.new_page()
                result = floor(page, url)
                context.close()
                if n:
                    floors.append(result)
        results["floor_repeat_visit"] = {
            key: round(statistics.median(f[key] for f in floors)) for key in floors[0]
        }
    for kind in ("first_visit", "repeat_visit"):
        summary = results[kind]
        last = summary["last_round"]
        print(
            f"{kind:<13} ready {summary['ready_ms_median']:>5} ms (all: {summary['ready_ms_all']}), "
            f"{summary['bytes_median'] / 1e6:.2f} MB transferred in {last['requests']} requests"
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
