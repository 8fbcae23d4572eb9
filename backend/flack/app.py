"""The app factory: wiring only. Rules live in ``flack.core``, I/O in ``flack.transport``."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import socket
from typing import Any

import socketio
from sanic import Sanic

from flack import assets
from flack.config import MB, Settings, hosts_of, limits_of, origins_of, proxies_of
from flack.core.chat import Chat
from flack.core.sharing import Sharing
from flack.files import DiskStore
from flack.persist import Storage
from flack.protocol import HISTORY_LIMIT, SOCKET_PAYLOAD_MAX, Event, ServerClosing
from flack.transport import (
    connection_log,
    engine_guard,
    fanout,
    files,
    http,
    http_guard,
    lan,
    sockets,
    uvicorn_direct,
)
from flack.transport.addresses import origin_policy
from flack.transport.manager import FanoutManager

log = logging.getLogger("flack")
_app_numbers = itertools.count(1)


def create_app(settings: Settings) -> Sanic:
    """Build the Sanic app with the chat, the socket server and the routes.

    Shared objects live on ``app.ctx``: ``settings``, ``storage``, ``chat``,
    ``sharing``, ``store``, ``sio``, ``edge`` (the HTTP edge). With the "asgi"
    integration, serve ``app.ctx.asgi`` with :func:`uvicorn_config`; with
    "sanic", run the app with :func:`sanic_protocol`.
    The chat and its shared files are kept where ``settings.storage`` says
    (``persist.Storage``): a data folder by default, locked while this app
    lives; a damaged or busy one raises ``ValueError`` with one sentence.
    """
    # Sanic keeps a registry of app names; tests build many apps per process.
    # Our logging (serve: one format, one line each): Sanic's own handlers
    # would print every Sanic line a second time beside the root handler.
    app = Sanic(f"flack_{next(_app_numbers)}", configure_logging=False)
    app.config.MOTD = False
    app.config.ACCESS_LOG = False
    app.ctx.settings = settings
    storage = app.ctx.storage = Storage(settings, HISTORY_LIMIT)
    backend = storage.backend
    chat = app.ctx.chat = Chat(
        backend,
        name_idle_seconds=settings.name_idle_seconds,
        limits=limits_of(settings),
    )
    store = app.ctx.store = DiskStore(storage.files_root, keep_files=storage.keeps_files)
    storage.adopt_files(store)  # a data folder's files come back with their messages
    storage.begin()  # from here on every change is kept
    sharing = app.ctx.sharing = Sharing(
        chat,
        store,
        file_url=files.file_url,
        max_file_bytes=int(settings.max_file_mb * MB),
        total_bytes=int(settings.files_total_mb * MB),
    )
    # Fan-out goes through our client manager (transport/manager.py): one
    # packet for all recipients, no task each, direct writes under uvicorn.
    manager = FanoutManager()
    # Browsers may open the socket only from the page's own origin (or one
    # configured); clients without an Origin header, such as python-socketio,
    # are allowed. This stops cross-site WebSocket hijacking. The server
    # closes a connection whose packet it cannot read and counts Engine.IO
    # sessions per address (transport/engine_guard.py): one more than the
    # core's Socket.IO connections, so the client just past that limit still
    # hears why from the core.
    sio = engine_guard.SocketServer(
        client_manager=manager,
        async_mode=settings.integration,
        cors_allowed_origins=origin_policy(origins_of(settings)),
        max_http_buffer_size=SOCKET_PAYLOAD_MAX,
        sessions_per_address=settings.connections_per_address + 1,
    )
    app.ctx.sio = sio
    batcher = app.ctx.batcher = fanout.Batcher(manager, settings.batch_ms / 1000)
    namespace = app.ctx.namespace = sockets.ChatNamespace(
        chat, sharing, batcher, shutting_down=lambda: bool(app.ctx.closing)
    )
    sio.register_namespace(namespace)
    http.add_routes(app, assets.locate())
    files.add_file_routes(app, sharing, store, batcher)
    # Every request passes the HTTP edge first: Host check, the client's
    # address behind trusted proxies, security headers; the count per address
    # and the header/body timeouts are in the server's protocol (below).
    edge = app.ctx.edge = http_guard.Edge(
        hosts=hosts_of(settings),
        proxies=proxies_of(settings),
        headers=http.SECURITY_HEADERS,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        connections_per_address=settings.http_connections_per_address,
    )
    if settings.integration == "sanic":
        sio.attach(app)
        http_guard.guard_sanic(app, edge)
    else:
        app.ctx.asgi = http_guard.AsgiGuard(socketio.ASGIApp(sio, other_asgi_app=app), edge)
    # Direct writes under the ASGI integration served by uvicorn_config();
    # the queue only under Sanic's. Then the websocket's frame check (it
    # wraps the websocket class the direct path installed).
    manager.use_direct_writes()
    engine_guard.install_frame_check(sio)

    app.ctx.save_state = storage.save
    app.ctx.closing = False

    @app.after_server_start
    async def start_janitor(app: Sanic, _: Any = None) -> None:
        loop = asyncio.get_running_loop()
        app.ctx.janitor = loop.create_task(_janitor(chat, sharing))
        app.ctx.reaper = loop.create_task(_reap_every(1.0, manager))
        app.ctx.presence = loop.create_task(_sweep_presence_every(PRESENCE_SWEEP_SECONDS, namespace))
        if manager.path.direct:
            log.info("fan-out: %s", manager.describe())
        else:
            # Correct, but the slower path: say so louder under ASGI, where
            # direct writes were expected.
            level = logging.INFO if settings.integration == "sanic" else logging.WARNING
            log.log(level, "fan-out: %s", manager.describe())
        app.ctx.keepers = [loop.create_task(task) for task in storage.tasks()]

    @app.before_server_stop
    async def stop_janitor(app: Sanic, _: Any = None) -> None:
        app.ctx.janitor.cancel()
        app.ctx.reaper.cancel()
        app.ctx.presence.cancel()
        for task in app.ctx.keepers:
            task.cancel()
        await closing(app)

    @app.after_server_stop
    async def remove_files(app: Sanic, _: Any = None) -> None:
        store.close(remove_root=storage.temporary_files)
        storage.close()
        await _end_ping_timers()

    return app


async def _end_ping_timers() -> None:
    """End python-engineio's per-connection ping timers (a task asleep for
    the ping interval, even after its connection closed): Sanic closes its
    loop over them, and asyncio logs "Task was destroyed but it is pending"
    once per connection. (Under uvicorn the process ends first.)"""
    timers = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "AsyncSocket._send_ping"
    ]
    for task in timers:
        task.cancel()
    await asyncio.gather(*timers, return_exceptions=True)


async def closing(app: Sanic) -> None:
    """Shutting down: tell every client (they reconnect and catch up), then
    save the state. Runs once, however shutdown began."""
    if app.ctx.closing:
        return
    app.ctx.closing = True
    try:
        app.ctx.batcher.close()  # what a busy channel holds goes first
        # This server's connections only (deliver, not broadcast: with a
        # multi-server manager the others are not shutting down).
        told = app.ctx.sio.manager.deliver(
            Event.SERVER_CLOSING,
            ServerClosing("The server is restarting; reconnecting shortly.").to_wire(),
            None,
        )
        log.info("told %d connections about the shutdown", told)
        # Give each connection's writer a moment (at most 1 s) to send it
        # before the server starts closing connections.
        for _ in range(100):
            if app.ctx.sio.manager.all_sent():
                break
            await asyncio.sleep(0.01)
    except Exception as error:  # telling is a courtesy; saving is what matters
        log.warning("could not tell every client about the shutdown: %r", error)
    app.ctx.save_state()


# How often idleness is looked at (someone idle for AWAY_AFTER_SECONDS is
# away within this much more).
PRESENCE_SWEEP_SECONDS = 10.0


async def _sweep_presence_every(interval: float, namespace: sockets.ChatNamespace) -> None:
    while True:
        await asyncio.sleep(interval)
        namespace.sweep_presence()


async def _reap_every(interval: float, manager: FanoutManager) -> None:
    # Dead connections are reaped by engine.io's ping timeout; this catches
    # live ones that stopped reading.
    while True:
        await asyncio.sleep(interval)
        try:
            await manager.reap_slow_readers()
        except Exception:
            log.exception("reaping slow readers failed")


async def _janitor(chat: Chat, sharing: Sharing) -> None:
    # Lazy release on claim already frees names correctly; this sweep only
    # bounds memory held by identities that never come back, the disk held
    # by uploads that were abandoned half-way (or whose connection is gone
    # and that are not being resumed), the memory of rate budgets that have
    # refilled, and releases channels nobody used (no messages, nobody in
    # them, nothing for a day).
    limits = chat.limits
    interval = min(
        60.0,
        chat.name_idle_seconds / 2,
        sharing.idle_seconds / 2,
        limits.upload_resume_seconds / 2,
        limits.channel_idle_seconds / 2,
    )
    while True:
        await asyncio.sleep(interval)
        try:
            released = await chat.release_idle_names()
            if released:
                log.info("released %d idle names", released)
            dropped = sharing.sweep()
            if dropped:
                log.info("dropped %d abandoned uploads", dropped)
            chat.budgets.forget_idle()
            channels = await chat.release_idle_channels(keep=sharing.channels_in_use())
            if channels:
                log.info("released %d unused channels", len(channels))
        except Exception:  # keep sweeping; a failed sweep loses nothing
            log.exception("idle sweep failed")


def serve(settings: Settings) -> None:
    """Run Flack in this process until interrupted."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    connection_log.install()  # a line per websocket only with --log-level debug
    app = create_app(settings)
    tune_gc()
    log.info("data: %s", app.ctx.storage.describe())
    # "::" gets a socket of ours that takes IPv4 too; other hosts the server binds.
    sock = lan.listening_socket(settings.host, settings.port)
    for line in lan.start_lines(settings.host, settings.port, settings.integration):
        log.info("%s", line)  # where to open it; on all interfaces, every URL teammates can use
    if settings.integration == "sanic":
        connection_log.follow_level(settings.log_level)
        where: dict[str, Any] = {"sock": sock} if sock else {"host": settings.host, "port": settings.port}
        app.run(
            **where,
            single_process=True,
            access_log=False,
            protocol=sanic_protocol(app),
        )
    else:
        _serve_asgi(app, settings, sock)


def tune_gc() -> None:
    """Make the cyclic garbage collector cheaper for a long-running server.

    Every delivery allocates short-lived asyncio objects (futures, handles,
    the task ``wait_for`` makes), so with the default thresholds the
    collector runs every few hundred deliveries and, every hundred of
    those, walks every object the server holds: about a fifth of the CPU
    of a large fan-out (measured with py-spy; see README "Performance").
    Freezing what exists after start-up (modules, the app) takes it out of
    every later walk, and a larger first threshold collects less often;
    memory stays bounded because cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


# Allocations between young-generation collections (CPython's default is 700).
GC_THRESHOLD = 20_000


def _serve_asgi(app: Sanic, settings: Settings, sock: socket.socket | None = None) -> None:
    import uvicorn

    class FlackServer(uvicorn.Server):
        """uvicorn, but on SIGTERM/SIGINT the clients are told and the state is
        saved *before* connections close (Sanic's stop hooks run after)."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.should_exit or app.ctx.closing:
                return super().handle_exit(sig, frame)
            loop = asyncio.get_event_loop()

            async def close_then_exit() -> None:
                try:
                    await closing(app)
                finally:
                    self.should_exit = True

            loop.call_soon_threadsafe(lambda: loop.create_task(close_then_exit()))

    FlackServer(uvicorn_config(app, settings)).run(sockets=[sock] if sock else None)


def uvicorn_config(app: Sanic, settings: Settings) -> Any:
    """How uvicorn serves the ASGI app (``flack serve``, and tests in-process)."""
    import uvicorn

    return uvicorn.Config(
        app.ctx.asgi,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
        # Explicit, not "auto": the fan-out's direct writes are written against
        # this implementation (transport/uvicorn_direct.py); any other one works,
        # through the slower queue.
        ws=uvicorn_direct.UVICORN_WS,
        # Open websockets must not hold the exit: clients reconnect anyway.
        timeout_graceful_shutdown=2,
        # uvicorn's HTTP/1.1 protocol with the edge's count per address and
        # header/body timeouts (transport/http_guard.py).
        http=http_guard.uvicorn_protocol(app.ctx.edge),
        # X-Forwarded-* are read by the edge, from trusted proxies only;
        # uvicorn's own reading trusts 127.0.0.1 by default, so anybody on
        # this machine (or a proxy there passing headers on) could pose as
        # any address.
        proxy_headers=False,
    )


def sanic_protocol(app: Sanic) -> type:
    """The protocol class Sanic serves the app with (``--integration sanic``)."""
    return http_guard.sanic_protocol(app.ctx.edge)
