"""A real Flack server in this process, for tests that must look inside it.

Protocol tests normally start ``flack serve`` as a child process and only
talk to it. A few checks need the server's own objects as well: that each
connection's socket.io rooms equal the core's idea of where it is, or which
fan-out path a delivery took. This runs the very app ``flack serve`` runs
(``create_app`` under uvicorn, the default ASGI integration) on a free
loopback port, on an event loop of its own thread; :meth:`call` runs a
function on that loop, between two events, so what it reads is consistent.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

import uvicorn
from sanic import Sanic

from flack.app import create_app, uvicorn_config
from flack.config import Settings
from flack.testing import GENEROUS_LIMITS, free_port, memory_unless_chosen

T = TypeVar("T")

# Several in-process servers start in one pytest process, and Sanic rewrites
# its own classes when an app starts ("TouchUp"): a second app then fails to
# start (KeyError 'http1_request_header') unless Sanic is in test mode, which
# keeps the originals for the next one. Set on import, before any app exists.
Sanic.test_mode = True


class InProcessServer:
    """``with InProcessServer() as server:`` — ``server.url``, ``server.app``."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = env or {}
        # Keeps nothing unless the test says where (never the user's data folder).
        environ = {**GENEROUS_LIMITS, "FLACK_LOG_LEVEL": "warning", **memory_unless_chosen(env), **env}
        self.settings = Settings.from_env(environ, host="127.0.0.1", port=free_port())
        self.url = f"http://127.0.0.1:{self.settings.port}"
        self.app = create_app(self.settings)
        self._server = uvicorn.Server(uvicorn_config(self.app, self.settings))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="flack-in-process", daemon=True)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # this thread's loop, for gather() below
        try:
            loop.run_until_complete(self._server.serve())
            # Engine.IO's ping tasks outlive the server; end them quietly.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()

    def __enter__(self) -> InProcessServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process Flack server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def call(self, function: Callable[[], T], timeout: float = 10) -> T:
        """``function()`` run on the server's event loop; its result here."""
        assert self._loop is not None
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(function())
            except BaseException as error:  # handed to the caller's thread
                done.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def call_async(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 10.0) -> T:
        """Run ``make()`` (a coroutine) on the server's loop; its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout)

    # what tests look at ----------------------------------------------------------

    def room_mismatches(self) -> dict[str, tuple[set[str], set[str]]]:
        """Connections whose socket.io rooms differ from the core's idea of
        where they are: sid -> (rooms it is in, rooms the core says)."""

        async def check() -> dict[str, tuple[set[str], set[str]]]:
            from flack.transport.rooms import NAMED, person_room, room_of_key

            sio, chat = self.app.ctx.sio, self.app.ctx.chat
            found = {}
            for sid in chat.connections():
                actual = {r for r in sio.rooms(sid) if r != sid}
                expected = {room_of_key(key) for key in await chat.conversations_of(sid)}
                person = chat.person_of(sid)
                expected |= {NAMED, person_room(person)} if person else set()
                if actual != expected:
                    found[sid] = (actual, expected)
            return found

        return self.call_async(check)

    def app_attr(self, name: str) -> Any:
        """``app.ctx.<name>``, read on the server loop."""
        return self.call(lambda: getattr(self.app.ctx, name))
