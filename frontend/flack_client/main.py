"""Boot the Flack client and run it: the glue between state, view and socket.

Boot order: read localStorage, draw the page, bind the controls and the socket
events, then connect. Every (re)connect starts a *session*: claim the name
(silently, with the stored token), list the channels and reopen the channel
that was open — on a reconnect with ``since``, so only what was missed comes
back. ``<body data-ready="true">`` is set once the first session has finished
(or the name dialog is waiting for a name).

Sending goes through the outbox (``state``): a message shows at once as
pending and one loop sends the outbox in order, with each message's
``client_id``, whenever this connection is in the message's channel; it is
restarted by every successful join. Last ids and the outbox are written to
``localStorage`` after every render, so a reload loses nothing.
"""

# ruff: noqa: E402  (the boot clock starts before the client's imports)
from __future__ import annotations

import js  # type: ignore[import-not-found]

# Boot timings (ms since navigation start), for the boot benchmark: the
# page's Python starts here, before the client's own imports.
BOOT: dict[str, int] = {"python_start": round(js.performance.now())}

import asyncio
import traceback
from collections.abc import Coroutine
from typing import Any

from flack.protocol import ErrorCode, Event
from flack_client import storage
from flack_client.net import Socket
from flack_client.state import (
    BAD_REPLY,
    Ack,
    ChatState,
    Connection,
    Message,
    Step,
    Upload,
    UploadInfo,
    UploadStatus,
    channel_from_wire,
    check_channel,
    check_message,
    check_name,
    claim_refused_by_server,
    connection_state,
    describe_error,
    drive_upload,
    messages_from_wire,
    missing_channel_text,
    share_refused_text,
    too_many_connections_text,
)
from flack_client.uploads import Transfer, file_facts
from flack_client.view import View

BOOT["client_imported"] = round(js.performance.now())

# Seconds before connecting again after the server refused the connection.
REFUSED_RETRY_SECONDS = 5


class App:
    """One browser tab's client."""

    def __init__(self) -> None:
        self.state = ChatState()
        self.view = View()
        self.socket = Socket()
        self.saved = storage.load()
        # Bumped on every connect and drop, so work begun for an older
        # connection notices it is stale and stops quietly.
        self._session = 0
        self._ready = False
        self._ever_connected = False
        self._gave_up = False
        # The server said it is shutting down: "Reconnecting…" from now on.
        self._closing = False
        # The server refused the connection (too many from this address):
        # socket.io does not retry that by itself, we do, a little later.
        self._refused: str | None = None
        self._flushing = False
        self.state.load_saved(self.saved.last_ids, self.saved.outbox)
        # Strong references: the event loop keeps only weak ones to tasks.
        self._tasks: set[asyncio.Task[None]] = set()
        # The HTTP side of every upload still shown, by its key.
        self._transfers: dict[str, Transfer] = {}

    # boot ---------------------------------------------------------------------

    def start(self) -> None:
        """Draw the page, wire everything up and connect."""
        self.state.connection = Connection.CONNECTING
        self.view.bind(self)
        on = self.socket.on
        on("connect", self._on_connect)
        on("disconnect", self._on_drop)
        self.socket.on_connect_error(self._on_connect_error)
        on(Event.SERVER_CLOSING, self._on_server_closing)
        on(Event.CHANNEL_CREATED, self._on_channel_created)
        on(Event.MESSAGE, self._on_messages)
        on(Event.MESSAGES, self._on_messages)
        on(Event.NOTICE, self._on_notice)
        on(Event.FILE_EXPIRED, self._on_file_expired)
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
        self.state.error = describe_error("client_bug")
        self.render()

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            BOOT["ready"] = round(js.performance.now())
            self.view.set_boot_timings(BOOT)
            self.view.set_ready()

    # connection events ----------------------------------------------------------

    def _on_connect(self, _payload: Any) -> None:
        BOOT.setdefault("socket_connected", round(js.performance.now()))
        self._session += 1
        self._ever_connected = True
        self._gave_up = False
        self._closing = False
        if self._refused is not None and self.state.error == self._refused:
            self.state.error = None
        self._refused = None
        self._refresh_connection()
        self._spawn(self._start_session(self._session))

    def _on_drop(self, _payload: Any) -> None:
        # Work begun for the dropped connection is void from here on.
        self._session += 1
        self.state.connection_lost()
        self._refresh_connection()

    def _on_connect_error(self, payload: Any) -> None:
        text = too_many_connections_text(payload)
        if text is not None:
            # Refused by the server: socket.io will not try again by itself.
            self.state.error = self._refused = text
            self._spawn(self._connect_later(self._session + 1))
        self._on_drop(payload)

    async def _connect_later(self, session: int) -> None:
        await asyncio.sleep(REFUSED_RETRY_SECONDS)
        if session == self._session and not self.socket.connected:
            self.socket.connect()
            self._refresh_connection()

    def _on_server_closing(self, _payload: Any) -> None:
        # The connection is about to go; socket.io reconnects once it has.
        self._closing = True
        self._refresh_connection()

    def _on_socket_change(self, _payload: Any) -> None:
        self._refresh_connection()

    def _on_gave_up(self, _payload: Any) -> None:
        # Only with a finite reconnectionAttempts; kept so "Offline" is right
        # should that option ever be set.
        self._gave_up = True
        self._refresh_connection()

    def _on_network(self, online: bool) -> None:
        if online and not self.socket.connected and (self._gave_up or not self.socket.will_retry):
            # Back online after socket.io had given up: start over.
            self.socket.connect()
        self._refresh_connection()
        if online:
            # The socket may have survived the outage: send what waited.
            self._flush_outbox()

    def _refresh_connection(self) -> None:
        self.state.connection = connection_state(
            online=self.socket.browser_online,
            connected=self.socket.connected,
            retrying=(self.socket.will_retry and not self._gave_up) or self._refused is not None,
            ever_connected=self._ever_connected,
            closing=self._closing,
        )
        self.render()

    async def _start_session(self, session: int) -> None:
        """Claim, list, reopen: what every fresh connection needs."""
        name = self.state.name or self.saved.name
        claimed = False
        if name is not None:
            claimed = await self._claim(name, quiet=True)
            if session != self._session:
                return
        # Listing needs no name: even behind the name dialog the sidebar
        # should show what there is to join.
        await self._list_channels()
        if session != self._session:
            return
        if claimed:
            await self._reopen_channel()
        elif not self.state.dialog_open and self.state.name is None:
            # First visit: nothing works without a name, so ask right away.
            self.state.open_name_dialog()
            self.render()
        if session == self._session:
            self._mark_ready()

    async def _claim(self, name: str, quiet: bool) -> bool:
        """``claim_name`` with our token. On refusal, show the dialog with the
        reason; ``quiet`` claims (on connect) only ever show that dialog."""
        token = self.state.token or self.saved.token
        ack = await self.socket.call(Event.CLAIM_NAME, {"name": name, "token": token})
        if not ack.ok:
            text = describe_error(ack.code, ack.message)
            if claim_refused_by_server(ack.code):
                if quiet:
                    # The server no longer lets us be this person: until a
                    # new name is saved we have none (and cannot skip the dialog).
                    self.state.name = None
                self.state.open_name_dialog(draft=name, error=text)
            elif quiet:
                self.state.error = text
            else:
                self.state.name_error = text
            self.render()
            return False
        new_name, new_token = ack.data.get("name"), ack.data.get("token")
        if not isinstance(new_name, str) or not isinstance(new_token, str):
            self.state.error = describe_error("bad_reply")
            self.render()
            return False
        self.state.set_identity(new_name, new_token)
        storage.save_identity(new_name, new_token)
        self.render()
        return True

    async def _list_channels(self) -> None:
        ack = await self.socket.call(Event.LIST_CHANNELS, {})
        if not ack.ok:
            self._show_ack_error(ack)
            return
        listed = ack.data.get("channels")
        names = [channel_from_wire(c) for c in (listed if isinstance(listed, list) else [])]
        self.state.set_channels(n for n in names if n)
        self.render()

    async def _reopen_channel(self) -> None:
        """Rejoin the channel that was open (or that the last visit left open)."""
        channel = self.state.joining or self.state.open_channel or self.saved.channel
        if channel:
            await self._join(channel, restoring=True)

    async def _join(self, channel: str, restoring: bool = False) -> None:
        # Rejoining the channel on screen: ask only for what we missed.
        since = self.state.resume_point(channel)
        self.state.begin_join(channel)
        ack = await self.socket.call(Event.JOIN_CHANNEL, {"channel": channel, "since": since})
        if not ack.ok:
            self.state.join_failed(channel)
            if ack.code == ErrorCode.NO_SUCH_CHANNEL:
                self.state.channel_gone(channel)
            if ack.code == ErrorCode.NO_SUCH_CHANNEL and restoring:
                self.state.error = missing_channel_text(channel)
                self._forget_channel(channel)
            elif ack.code not in ("timeout", "offline") or not restoring:
                # A restoring join that timed out is retried on reconnect.
                self.state.error = describe_error(ack.code, ack.message)
            self.render()
            return
        name = channel_from_wire(ack.data.get("channel")) or channel
        sent = ack.data.get("messages")
        history = [Message.from_wire(m) for m in (sent if isinstance(sent, list) else [])]
        gap = ack.data.get("gap") is True
        if self.state.finish_join(name, [m for m in history if m], since=since, gap=gap):
            storage.save_channel(name)
            self.saved = storage.load()
            # What another tab of this browser left waiting goes from here too.
            self.state.adopt_outbox(self.saved.outbox, name)  # just read by load()
            self.render()
            self.view.focus_composer()
            # In the channel on this connection: what waits to be sent can go.
            self._flush_outbox()

    def _forget_channel(self, channel: str) -> None:
        storage.save_channel(None)
        self.saved = storage.load()

    def _show_ack_error(self, ack: Ack) -> None:
        self.state.error = describe_error(ack.code, ack.message)
        self.render()

    # server events ----------------------------------------------------------------

    def _on_channel_created(self, payload: Any) -> None:
        name = channel_from_wire(payload.get("channel") if isinstance(payload, dict) else None)
        if name and self.state.add_channels([name]):
            self.render()

    def _on_messages(self, payload: Any) -> None:
        # One message, or a busy channel's batch: render once for the lot.
        added = [self.state.add_message(m) for m in messages_from_wire(payload)]
        if any(added):
            self.render()

    def _on_notice(self, payload: Any) -> None:
        if self.state.add_notice(payload):
            self.render()

    def _on_file_expired(self, payload: Any) -> None:
        if self.state.expire_file(payload):
            self.render()

    # what the person does (view.Handlers) ---------------------------------------

    def save_name(self, raw: str) -> None:
        """ "Save name" in the dialog."""
        checked = check_name(raw)
        if checked.error or not checked.value:
            self.state.name_error = checked.error or describe_error(ErrorCode.NAME_INVALID)
            self.render()
            return
        self._spawn(self._save_name(checked.value))

    async def _save_name(self, name: str) -> None:
        first = self.state.name is None
        if not await self._claim(name, quiet=False):
            return
        self.state.close_name_dialog()
        self.render()
        if first:
            # Named at last: now the rest of the session can happen.
            await self._reopen_channel()
        self._mark_ready()

    def change_name(self) -> None:
        """ "Change name": reopen the dialog with the current name."""
        self.state.open_name_dialog(draft=self.state.name or self.saved.name or "")
        self.render()

    def cancel_name(self) -> None:
        """Close the dialog without renaming (only possible once named)."""
        if self.state.can_cancel_dialog:
            self.state.close_name_dialog()
            self.render()

    def name_dialog_closed(self) -> None:
        """The dialog closed by itself (Escape): fine once named, otherwise
        it is shown again, since nothing works without a name."""
        if self.state.dialog_open:
            self.cancel_name()
            self.render()

    def create_channel(self, raw: str) -> None:
        """ "Create channel"."""
        checked = check_channel(raw)
        if checked.error or not checked.value:
            self.state.error = checked.error or describe_error(ErrorCode.CHANNEL_INVALID)
            self.render()
            return
        self.state.error = None
        self._spawn(self._create_channel(checked.value, raw))

    async def _create_channel(self, channel: str, raw: str) -> None:
        ack = await self.socket.call(Event.CREATE_CHANNEL, {"channel": channel})
        if not ack.ok:
            self._show_ack_error(ack)
            return
        name = channel_from_wire(ack.data.get("channel")) or channel
        self.view.clear_new_channel_if(raw)
        self.state.add_channels([name])
        self.render()
        # Whoever creates a channel wants to talk in it.
        await self._join(name)

    def select_channel(self, name: str) -> None:
        """A click on a channel in the list."""
        if self.state.is_open(name) and self.state.joining is None:
            self.view.focus_composer()
            return
        self.state.error = None
        self.render()
        self._spawn(self._join(name))

    def send(self, raw: str) -> None:
        """Enter or "Send" in the composer: the message shows at once as
        pending and goes out through the outbox (now, or once reconnected)."""
        if self.state.open_channel is None:
            return
        checked = check_message(raw)
        if checked.error:
            self.state.error = checked.error
            self.render()
            return
        if checked.value is None:
            return
        if self.state.queue_message(checked.value) is None:
            self.render()  # the outbox is full: the alert says so
            return
        self.view.clear_composer_if(raw)
        self.render()
        self.view.scroll_to_bottom()
        self._flush_outbox()

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
                payload = {"channel": item.channel, "text": item.text, "client_id": item.client_id}
                ack = await self.socket.call(Event.SEND_MESSAGE, payload)
                dropped = session != self._session
                decision = self.state.send_answered(item.client_id, ack, dropped=dropped)
                self.render()
                if ack.ok and self.state.is_open(item.channel):
                    self.view.scroll_to_bottom()
                if decision.stop and not dropped:
                    # Not connected (the browser is offline): going online
                    # or the next join starts this again.
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
        self.state.error = None
        self.render()

    # sharing files ------------------------------------------------------------------

    def share_files(self, files: list[Any]) -> None:
        """Files picked with "Share a file" or dropped on the channel pane."""
        channel = self.state.open_channel
        if channel is None:
            self.state.error = self.state.drop_hint + "."
            self.render()
            return
        self.state.error = None
        self.render()
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
        ack = await self.socket.call(
            Event.START_UPLOAD, {"channel": channel, "name": name, "size": size, "type": kind}
        )
        info = UploadInfo.from_wire(ack.data.get("upload"), size) if ack.ok else None
        if info is None:
            code, message = (ack.code, ack.message) if not ack.ok else (BAD_REPLY, "")
            self.state.error = share_refused_text(name, code, message)
            self.render()
            return
        upload = self.state.add_upload(channel, name, kind, info)
        self._transfers[upload.key] = Transfer(info.url, file)
        self.render()
        await self._drive(upload, Step.SEND)

    async def _drive(self, upload: Upload, step: Step) -> None:
        transfer = self._transfers.get(upload.key)
        if transfer is None:
            return
        await drive_upload(upload, step, transfer, self.render)
        if upload.status is not UploadStatus.FAILED:
            # Done or cancelled: nothing more will be sent.
            self._transfers.pop(upload.key, None)
        if self.state.finish_upload(upload):
            self.render()
            if upload.status is UploadStatus.DONE and self.state.is_open(upload.channel):
                self.view.scroll_to_bottom()

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
