"""Sending: from the composer, through the outbox, to the server's answer.

A message the person sends is checked, queued in the outbox and shown at once
as pending; the send loop (in ``main``) asks for the next one and reports
each answer here, where it becomes the real message, a pause, a retry or
"Not sent" (``outbox.decide_send``), with the alert saying why. Plain
Python: the tests run it under CPython.
"""

from __future__ import annotations

from collections.abc import Callable

from flack import protocol
from flack.protocol import Ack, ErrorCode, Message, Sent
from flack_client import wording
from flack_client.alert import Alert
from flack_client.checks import check_message
from flack_client.effects import NOTHING, Effects
from flack_client.outbox import OUTBOX_MAX, Outbox, Outgoing, SendDecision, decide_send, new_client_id
from flack_client.wording import describe_error


class Sending:
    """The person's messages on their way.

    ``show(message)`` puts a confirmed message in the log (where it takes
    its pending copy's place); ``is_open(channel)`` says whether that
    channel is on screen.
    """

    def __init__(
        self,
        alert: Alert,
        outbox: Outbox,
        show: Callable[[Message], object],
        is_open: Callable[[str], bool],
    ) -> None:
        self._alert = alert
        self._outbox = outbox
        self._show = show
        self._is_open = is_open

    def compose(self, channel: str | None, raw: str, parent: int | None = None) -> Effects:
        """Enter or "Send" with ``channel`` open: the message shows at once as
        pending and goes out through the outbox (now, or once reconnected).
        Blank input does nothing; a mistake or a full outbox is an alert.
        ``parent``: a reply in that message's thread (the thread's "Reply" box)."""
        if channel is None:
            return NOTHING
        checked = check_message(raw)
        if checked.error:
            self._alert.show(checked.error)
            return Effects()
        if checked.value is None:
            return NOTHING
        if self.queue(channel, checked.value, parent=parent) is None:
            return Effects()  # the outbox is full: the alert says so
        return Effects(clear_composer=True, scroll_to_bottom=True, flush_outbox=True)

    def queue(
        self, channel: str, text: str, client_id: str | None = None, *, parent: int | None = None
    ) -> Outgoing | None:
        """``text`` (already checked) joins the outbox for ``channel`` and
        shows as pending; ``None`` (and an alert) if too many wait already."""
        if self._outbox.full:
            self._alert.show(wording.outbox_full_text(OUTBOX_MAX))
            return None
        item = Outgoing(client_id or new_client_id(), channel, text, parent=parent)
        self._outbox.add(item)
        return item

    def answered(self, client_id: str, ack: Ack, *, dropped: bool = False) -> SendDecision:
        """The answer to sending the outbox's ``client_id`` (``dropped``: the
        connection it went over is gone). Success: the message takes the
        pending one's place (it may have arrived as an event already). See
        ``outbox.decide_send`` for the rest."""
        item = self._outbox.get(client_id)
        if ack.ok:
            sent = protocol.read(Sent, ack.data)
            if sent is not None:
                self._show(sent.message)
            # Gone from the outbox even if the message is not shown here
            # (another channel was opened meanwhile).
            self._outbox.remove(client_id)
            # A successful send clears the alert (a rate limit, a refusal …).
            self._alert.clear()
            # The item may have left already (its message came as an event first).
            channel = item.channel if item is not None else sent.message.channel if sent else None
            return SendDecision(scroll=channel is not None and self._is_open(channel))
        if item is None:  # discarded meanwhile
            return SendDecision()
        decision = decide_send(item, ack, dropped=dropped)
        if ack.code == ErrorCode.RATE_LIMITED:
            # Say why it waits; it is sent by itself once the server allows.
            self._alert.show(describe_error(ack.code, ack.message))
        elif item.failed:
            # Announced (the log only shows it); Retry or Discard clears it.
            self._alert.show(item.alert_text)
        return decision

    def retry(self, client_id: str) -> bool:
        """ "Retry" on a message that was not sent: queued again, at the end
        (it goes after whatever is waiting already)."""
        item = self._outbox.get(client_id)
        if item is None or not item.failed:
            return False
        self._alert.clear_if(item.alert_text)
        self._outbox.requeue(item)
        return True

    def discard(self, client_id: str) -> bool:
        """ "Discard" on a message that was not sent: forget it."""
        item = self._outbox.get(client_id)
        if item is None or not item.failed:
            return False
        self._alert.clear_if(item.alert_text)
        self._outbox.remove(client_id)
        return True

    def channel_gone(self, channel: str) -> None:
        """The server has no ``channel`` (any more): what waits to be sent
        there never can be. Marked "Not sent", should it be shown again."""
        self._outbox.fail_channel(channel, describe_error(ErrorCode.NO_SUCH_CHANNEL))
