"""Boot the Flack client and run it: the glue between state, view and socket.

Boot order: read localStorage, draw the page, bind the controls and the socket
events, then connect. Every (re)connect starts a *session*: claim the name
(silently, with the stored token), list the channels and reopen the channel
that was open — on a reconnect with ``since``, so only what was missed comes
back. ``<body data-ready="true">`` is set once the first session has finished
(or the name dialog is waiting for a name).

Every decision is the state's (``ChatState``): this module hands it the
socket's facts, events and acknowledgements, calls its methods for what the
person does, and carries out the ``Effects`` they return (store, draw, focus,
scroll, send). It never sets a field of the state itself.

Sending goes through the outbox (``sending``): a message shows at once as
pending and one loop sends the outbox in order, with each message's
``client_id``, whenever this connection is in the message's channel; it is
restarted by every successful join. Last ids and the outbox are written to
``localStorage`` after every render, so a reload loses nothing.
"""

# ruff: noqa: E402  (the boot clock starts before the client's imports)
from __future__ import annotations

import os
import sys

import js  # type: ignore[import-not-found]

# Boot timings (ms since navigation start), for the boot benchmark: the
# page's Python starts here, before the client's own imports.
BOOT: dict[str, int] = {"python_start": round(js.performance.now())}

# The connection's handshake starts now and runs while the client's modules
# import: by the time every handler is bound only the namespace's own connect
# is left, one round trip instead of two or three (issue 13). Nothing can be
# missed: the manager opens the transport, and socket.io says "connect" only
# after ``Socket.connect()``. The options are net.OPTIONS (not imported
# here: net imports the protocol package, which is what this runs beside).
EARLY_SOCKET = js.io(js.JSON.parse('{"path": "/socket.io/", "autoConnect": false}'))
EARLY_SOCKET.io.open()

# The client's modules come as one zip (flack/bundle.py: every source with
# the bytecode Pyodide compiled for it at build time, which zipimport uses
# while it matches the source), written by PyScript into the working folder
# (pyscript.json). On sys.path before the first of them is imported.
CLIENT_ZIP = "client.zip"
sys.path.insert(0, f"{os.getcwd()}/{CLIENT_ZIP}")

import asyncio
import time
import traceback
from collections.abc import Coroutine
from typing import Any

from flack.protocol import ChannelRequest, ClaimName, Empty, Event, StartUpload
from flack_client import storage
from flack_client.aware_handlers import AwareHandlers
from flack_client.connection import REFUSED_RETRY_SECONDS
from flack_client.creating import Creation
from flack_client.effects import Effects
from flack_client.net import Socket
from flack_client.progress import Throttle
from flack_client.search_handlers import SearchHandlers
from flack_client.state import ChatState
from flack_client.talk_handlers import TalkHandlers
from flack_client.unread_handlers import UnreadHandlers
from flack_client.uploads import Step, Upload, drive_upload
from flack_client.uploads_http import Transfer, file_facts
from flack_client.view import View

BOOT["client_imported"] = round(js.performance.now())


class App(TalkHandlers, AwareHandlers, SearchHandlers, UnreadHandlers):
    """One browser tab's client: feeds the state, carries out its ``Effects``."""

    def __init__(self) -> None:
        self.state = ChatState()
        self.view = View()
        self.socket = Socket(socket=EARLY_SOCKET)
        saved = storage.load()
        self.state.load_saved(
            saved.last_ids, saved.outbox, name=saved.name, token=saved.token, channel=saved.channel
        )
        # Bumped on every connect and drop, so work begun for an older
        # connection notices it is stale and stops quietly.
        self._session = 0
        self._flushing = False
        # Strong references: the event loop keeps only weak ones to tasks.
        self._tasks: set[asyncio.Task[None]] = set()
        # The HTTP side of every upload still shown, by its key.
        self._transfers: dict[str, Transfer] = {}
        # Progress within a chunk redraws the upload rows, at most 10 times a second.
        self._progress = Throttle()

    # boot ---------------------------------------------------------------------

    def start(self) -> None:
        """Draw the page, wire everything up and connect."""
        self.state.start_connecting()
        self.view.bind(self)
        on = self.socket.on
        on("connect", self._on_connect)
        on("disconnect", self._on_drop)
        self.socket.on_connect_error(self._on_connect_error)
        on(Event.SERVER_CLOSING, self._on_server_closing)
        on(Event.CHANNEL_CREATED, self._on_channel_created)
        on(Event.MESSAGE, lambda payload: self._on_messages(Event.MESSAGE, payload))
        on(Event.MESSAGES, lambda payload: self._on_messages(Event.MESSAGES, payload))
        on(Event.NOTICE, self._on_notice)
        on(Event.FILE_EXPIRED, self._on_file_expired)
        on(Event.MESSAGE_UPDATED, self._on_message_updated)
        on(Event.PERSON, self._on_person)
        on(Event.PEOPLE, self._on_people)
        on(Event.DIRECT_OPENED, self._on_direct_opened)
        self.bind_awareness()
        self.bind_unread()
        self.bind_search()
        self.socket.on_manager("reconnect_attempt", self._on_socket_change)
        self.socket.on_manager("reconnect_failed", self._on_gave_up)
        self.socket.on_network(self._on_network)
        self.render()
        self.socket.connect()

    def render(self) -> None:
        """Redraw whatever changed (and remember what must survive a reload)."""
        self.view.render(self.state)
        # Another tab of this browser may have changed the stored outbox.
        outbox = self.state.outbox_to_store(storage.stored_outbox())
        storage.save_delivery(self.state.last_ids.to_wire(), outbox)
        self.unread_drawn()  # what is drawn with the page in front is read

    def _follow(self, effects: Effects) -> None:
        """Carry out what the state asked for, in this order: store, draw,
        then move focus and scroll, then send."""
        if effects.save_identity and self.state.name and self.state.token:
            storage.save_identity(self.state.name, self.state.token)
        if effects.save_channel is not None:
            storage.save_channel(effects.save_channel)
            # What another tab of this browser left waiting goes from here too.
            self.state.adopt_outbox(storage.stored_outbox(), effects.save_channel)
        if effects.forget_channel:
            storage.save_channel(None)
        if effects.render:
            self.render()
        if effects.focus_composer:
            self.view.focus_composer(take=effects.take_focus)
        if effects.scroll_to_bottom:
            self.view.scroll_to_bottom()
        if effects.flush_outbox:
            self._flush_outbox()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        # A bug, not a refusal: log it for developers (stderr is the browser
        # console) and say something to people instead of failing silently.
        traceback.print_exception(task.exception())
        self.state.client_bug()
        self.render()

    def _mark_ready(self) -> None:
        if self.state.mark_ready():
            BOOT["ready"] = round(js.performance.now())
            # The controls come alive in this render, then the page says so.
            self.render()
            self.view.set_boot_timings(BOOT)
            self.view.set_ready()
            self.search_ready()

    # connection events ----------------------------------------------------------

    def _on_connect(self, _payload: Any) -> None:
        BOOT.setdefault("socket_connected", round(js.performance.now()))
        self._session += 1
        self.state.socket_connected(self.socket.facts())
        self.state.typing_connection_new()
        self.render()
        self._spawn(self._start_session(self._session))

    def _on_drop(self, _payload: Any) -> None:
        # Work begun for the dropped connection is void from here on.
        self._session += 1
        self.state.socket_dropped(self.socket.facts())
        self.render()

    def _on_connect_error(self, payload: Any) -> None:
        self._session += 1
        if self.state.connect_failed(payload, self.socket.facts()):
            self._spawn(self._connect_later(self._session))
        self.render()

    async def _connect_later(self, session: int) -> None:
        await asyncio.sleep(REFUSED_RETRY_SECONDS)
        if session == self._session and not self.socket.connected:
            self.socket.connect()
            self._refresh_connection()

    def _on_server_closing(self, payload: Any) -> None:
        # The connection is about to go; socket.io reconnects once it has.
        self.state.server_closing(payload, self.socket.facts())
        self.render()

    def _on_socket_change(self, _payload: Any) -> None:
        self._refresh_connection()

    def _on_gave_up(self, _payload: Any) -> None:
        self.state.reconnect_gave_up(self.socket.facts())
        self.render()

    def _on_network(self, online: bool) -> None:
        effects = self.state.network_changed(online, self.socket.facts())
        if effects.reconnect:
            self.socket.connect()
        self._refresh_connection()
        if effects.flush_outbox:
            self._flush_outbox()

    def _refresh_connection(self) -> None:
        self.state.connection_changed(self.socket.facts())
        self.render()

    async def _start_session(self, session: int) -> None:
        """Claim, list, reopen: what every fresh connection needs."""
        claim = self.state.session_claim()
        named = False
        if claim is not None:
            named = (await self._claim(claim, quiet=True)).named
            if session != self._session:
                return
        # Listing needs no name: even behind the name dialog the sidebar
        # should show what there is to join.
        await self._list_channels()
        if session != self._session:
            return
        if named:
            # Whether this page is hidden, then where we are a member and
            # who is here, before the channel reopens (the list shows which
            # channels are ours).
            self._announce_presence()
            await self._list_conversations()
            if session != self._session:
                return
            await self._reopen_channel()
        elif self.state.ask_for_name():
            self.render()
        if session == self._session:
            self._mark_ready()

    async def _claim(self, claim: ClaimName, quiet: bool) -> Effects:
        """``claim_name``; the state decides what an answer means."""
        ack = await self.socket.call(Event.CLAIM_NAME, claim)
        effects = self.state.claim_answered(claim.name, ack, quiet=quiet)
        self._follow(effects)
        return effects

    async def _list_channels(self) -> None:
        ack = await self.socket.call(Event.LIST_CHANNELS, Empty())
        self.state.channels_listed(ack)
        self.render()

    async def _list_conversations(self) -> None:
        """The channels we are in, our direct conversations, and everyone's
        names: asked on every session (a reconnect may have missed changes)."""
        conversations = await self.socket.call(Event.LIST_CONVERSATIONS, Empty())
        self.state.conversations_listed(conversations)
        people = await self.socket.call(Event.LIST_PEOPLE, Empty())
        self.state.people_listed(people)
        self.render()

    async def _reopen_channel(self) -> None:
        """Rejoin the channel that was open (or that the last visit left open)."""
        channel = self.state.channel_to_reopen()
        if channel:
            await self._join(channel, restoring=True)

    async def _join(self, channel: str, restoring: bool = False) -> None:
        request = self.state.begin_join(channel)
        ack = await self.socket.call(Event.JOIN_CHANNEL, request)
        self._follow(self.state.join_answered(request, ack, restoring=restoring))

    # server events ----------------------------------------------------------------

    def _on_channel_created(self, payload: Any) -> None:
        if self.state.channel_created(payload):
            self.render()

    def _on_messages(self, event: Event, payload: Any) -> None:
        # One message, or a busy channel's batch: render once for the lot.
        if self.state.messages_arrived(event, payload):
            self.render()

    def _on_notice(self, payload: Any) -> None:
        if self.state.add_notice(payload):
            self.render()

    def _on_file_expired(self, payload: Any) -> None:
        if self.state.expire_file(payload):
            self.render()

    def _on_message_updated(self, payload: Any) -> None:
        self.unread_updated(payload)  # a deleted unread message: recounted
        if self.state.message_updated(payload):
            self.render()

    def _on_person(self, payload: Any) -> None:
        if self.state.person_changed(payload):
            self.render()

    def _on_people(self, payload: Any) -> None:
        if self.state.people_changed(payload):
            self.render()

    def _on_direct_opened(self, payload: Any) -> None:
        if self.state.direct_opened(payload):
            self.render()

    # what the person does (view.Handlers) ---------------------------------------

    def save_name(self, raw: str) -> None:
        """ "Save name" in the dialog."""
        name = self.state.name_typed(raw)
        if name is None:
            self.render()
            return
        self._spawn(self._save_name(name))

    async def _save_name(self, name: str) -> None:
        effects = await self._claim(self.state.claim_for(name), quiet=False)
        if not effects.named:
            return
        if effects.reopen_channel:
            # Named at last: now the rest of the session can happen.
            self._announce_presence()
            await self._list_conversations()
            await self._reopen_channel()
        self._mark_ready()

    def change_name(self) -> None:
        """ "Change name": reopen the dialog with the current name."""
        self.state.change_name()
        self.render()

    def cancel_name(self) -> None:
        """Close the dialog without renaming (only possible once named)."""
        if self.state.cancel_name():
            self.render()

    def name_dialog_closed(self) -> None:
        """The dialog closed by itself (Escape): fine once named, otherwise
        it is shown again, since nothing works without a name."""
        if self.state.name_dialog_closed():
            self.render()

    def create_channel(self, raw: str) -> None:
        """ "Create channel"."""
        creation = self.state.channel_typed(raw)
        self.render()
        if creation is not None:
            self._spawn(self._create_channel(creation))

    async def _create_channel(self, creation: Creation) -> None:
        ack = await self.socket.call(Event.CREATE_CHANNEL, ChannelRequest(creation.channel))
        answer = self.state.channel_create_answered(creation, ack)
        if answer.created is not None:
            self.view.clear_new_channel_if(creation.raw)
        self.render()
        if answer.open is not None:
            await self._join(answer.open)

    def select_channel(self, name: str) -> None:
        """A click on a channel in the list."""
        if not self.state.select_channel(name):
            self.view.focus_composer()
            return
        self.render()
        self._spawn(self._join(name))

    def send(self, raw: str) -> None:
        """Enter or "Send" in the composer: the message shows at once as
        pending and goes out through the outbox (now, or once reconnected)."""
        effects = self.state.compose(raw)
        if effects.clear_composer:
            self.view.clear_composer_if(raw)
        self._follow(effects)

    def _flush_outbox(self) -> None:
        """Start the send loop, unless it is running already."""
        if not self._flushing:
            self._flushing = True
            self._spawn(self._send_queued())

    async def _send_queued(self) -> None:
        """Send the outbox, one message at a time so they arrive in order,
        until it is empty or nothing can be sent (no connection, or the
        channel is not joined on this connection: the next join starts
        this again)."""
        try:
            while True:
                item = self.state.next_to_send()
                if item is None:
                    return
                self.render()
                session = self._session
                ack = await self.socket.call(Event.SEND_MESSAGE, item.request())
                # The connection it went over is gone: its answer is void.
                dropped = session != self._session
                decision = self.state.send_answered(item.client_id, ack, dropped=dropped)
                self.render()
                if decision.scroll:
                    self.view.scroll_to_bottom()
                if decision.stop and not dropped:
                    # Not connected (the browser is offline): going online
                    # or the next join starts this again. (After a drop the
                    # loop asks again: a new connection may be in already.)
                    return
                if decision.wait:
                    await asyncio.sleep(decision.wait)
        finally:
            self._flushing = False

    def retry_send(self, client_id: str) -> None:
        """ "Retry" on a message that was not sent."""
        if self.state.retry_send(client_id):
            self.render()
            self._flush_outbox()

    def discard_send(self, client_id: str) -> None:
        """ "Discard" on a message that was not sent."""
        if self.state.discard_send(client_id):
            self.render()

    def dismiss_error(self) -> None:
        """ "Dismiss" on the alert."""
        self.state.dismiss_error()
        self.render()

    # sharing files ------------------------------------------------------------------

    def share_files(self, files: list[Any]) -> None:
        """Files picked with "Share a file" or dropped on the channel pane."""
        channel = self.state.share_target()
        self.render()
        if channel is not None:
            self._spawn(self._share_files(channel, files))

    async def _share_files(self, channel: str, files: list[Any]) -> None:
        # One after another: they share one connection, and the server
        # takes only a few unfinished uploads at a time.
        for file in files:
            await self._share(channel, file)

    async def _share(self, channel: str, file: Any) -> None:
        name, size, kind = file_facts(file)
        # Only the size travels: a file over the server's limit is refused
        # here, before any of its bytes is sent.
        ack = await self.socket.call(Event.START_UPLOAD, StartUpload(channel, name, size, kind))
        upload = self.state.upload_started(channel, name, size, kind, ack)
        if upload is None:
            self.render()
            return
        self._transfers[upload.key] = Transfer(upload.url, file)
        self.render()
        await self._drive(upload, Step.SEND)

    async def _drive(self, upload: Upload, step: Step) -> None:
        transfer = self._transfers.get(upload.key)
        if transfer is None:
            return
        await drive_upload(upload, step, transfer, self.render, moved=self._upload_moved)
        if not upload.failed:
            # Done or cancelled: nothing more will be sent (a failed one
            # keeps its file for Retry).
            self._transfers.pop(upload.key, None)
        self._follow(self.state.finish_upload(upload))

    def _upload_moved(self) -> None:
        """A chunk on its way moved on: redraw the upload rows (only), now
        or once the throttle allows."""
        delay = self._progress.changed(time.monotonic())
        if delay == 0:
            self.view.render_uploads(self.state)
        elif delay is not None:
            asyncio.get_event_loop().call_later(delay, self._draw_progress)

    def _draw_progress(self) -> None:
        self._progress.drawn(time.monotonic())
        self.view.render_uploads(self.state)

    def cancel_upload(self, key: str) -> None:
        """ "Cancel" on an upload's row (or "Dismiss" once it failed)."""
        upload = self.state.cancel_upload(key)
        self.render()
        transfer = self._transfers.pop(key, None)
        if upload is not None and transfer is not None:
            transfer.abort()
            self._spawn(transfer.delete())

    def retry_upload(self, key: str) -> None:
        """ "Retry" on a failed upload's row."""
        upload = self.state.retry_upload(key)
        self.render()
        if upload is not None:
            self._spawn(self._drive(upload, Step.CHECK))


def main() -> App:
    """Start the client (called once, by the page's ``<script type="py">``)."""
    app = App()
    app.start()
    return app


if __name__ == "__main__":
    APP = main()
