"""Who we are, and the dialog that asks for a name.

The name and its token (the secret that gets the same person their name back)
are claimed quietly on every connect; the dialog opens when there is no name
yet or the server refuses the one we had. Plain Python: the tests run it
under CPython.
"""

from __future__ import annotations

from dataclasses import dataclass

from flack import protocol
from flack.protocol import BAD_REPLY, ClaimName, ErrorCode, Message, Named, fold
from flack_client.checks import check_name
from flack_client.wording import OFFLINE, TIMEOUT, describe_error


def claim_refused_by_server(code: str) -> bool:
    """Whether a failed ``claim_name`` means "pick another name".

    Only a real refusal should pop up the name dialog; a timeout or a dropped
    connection just means we try again on the next (re)connect.
    """
    return code not in (TIMEOUT, OFFLINE, BAD_REPLY, ErrorCode.INTERNAL)


@dataclass
class Identity:
    """Our name and token, what an earlier visit stored, and the name dialog."""

    name: str | None = None
    token: str | None = None
    saved_name: str | None = None
    saved_token: str | None = None
    dialog_open: bool = False
    name_error: str | None = None  # the dialog's own alert
    name_draft: str = ""  # what the dialog's box holds when it opens

    @property
    def can_cancel(self) -> bool:
        """Without a name the dialog cannot be dismissed: nothing works unnamed."""
        return self.name is not None

    def is_own(self, message: Message) -> bool:
        """Whether we sent ``message``: by person id (our token's) when the
        message carries one, which survives renames; else by name, compared
        case-insensitively (messages older than ids)."""
        if message.sender_id and self.token:
            return message.sender_id == protocol.person_id(self.token)
        return self.name is not None and fold(message.sender) == fold(self.name)

    # claiming ----------------------------------------------------------------------

    def claim_for(self, name: str) -> ClaimName:
        """The ``claim_name`` request for ``name``, with our token."""
        return ClaimName(name, self.token or self.saved_token)

    def session_claim(self) -> ClaimName | None:
        """The claim every new connection makes quietly (the name and token
        we have, or that an earlier visit stored); ``None`` without a name."""
        name = self.name or self.saved_name
        return None if name is None else self.claim_for(name)

    def set(self, name: str, token: str) -> bool:
        """Remember who we are; ``True`` if the shown name changed."""
        changed = name != self.name
        self.name, self.token = name, token
        return changed

    def granted(self, named: Named, *, quiet: bool) -> bool:
        """The server gave us ``named`` (it is stored next). A claim from the
        dialog closes it. ``True`` if this is our first name, so the rest of
        the session (reopening the channel) can happen now."""
        first = self.name is None
        self.set(named.name, named.token)
        self.saved_name, self.saved_token = named.name, named.token
        if quiet:
            return False
        self.close_dialog()
        return first

    def refused(self, name: str, code: str, message: str, *, quiet: bool) -> str | None:
        """Claiming ``name`` failed. A refusal shows the dialog with the
        reason; other failures of a ``quiet`` claim (on connect) are an alert
        for the page (returned), and the next connect tries again; those of a
        claim from the dialog are said in the dialog."""
        text = describe_error(code, message)
        if claim_refused_by_server(code):
            if quiet:
                # The server no longer lets us be this person: until a new
                # name is saved we have none (and cannot skip the dialog).
                self.name = None
            self.open_dialog(draft=name, error=text)
            return None
        if quiet:
            return text
        self.name_error = text
        return None

    # the dialog ----------------------------------------------------------------------

    def open_dialog(self, draft: str = "", error: str | None = None) -> None:
        """Ask for a name, prefilled with ``draft``, optionally explaining why
        the last one failed."""
        self.dialog_open = True
        self.name_draft = draft
        self.name_error = error

    def close_dialog(self) -> None:
        """Forget the dialog and its error."""
        self.dialog_open = False
        self.name_error = None

    def ask(self) -> bool:
        """First visit: nothing works without a name, so the dialog opens
        right away (unless it is open already). ``True`` if it opened."""
        if self.dialog_open or self.name is not None:
            return False
        self.open_dialog()
        return True

    def change(self) -> None:
        """ "Change name": the dialog, with the current name."""
        self.open_dialog(draft=self.name or self.saved_name or "")

    def typed(self, raw: str) -> str | None:
        """ "Save name": the clean name to claim, or ``None`` (and the
        dialog says what is wrong with it)."""
        checked = check_name(raw)
        if checked.error or not checked.value:
            self.name_error = checked.error or describe_error(ErrorCode.NAME_INVALID)
            return None
        return checked.value

    def cancel(self) -> bool:
        """Close the dialog without renaming: only possible once named.
        ``True`` if it closed."""
        if not self.can_cancel:
            return False
        self.close_dialog()
        return True

    def closed_by_browser(self) -> bool:
        """The browser closed the dialog (Escape): fine once named; otherwise
        it is shown again at the next render, since nothing works without a
        name. ``True`` if a render is due."""
        if not self.dialog_open:
            return False
        self.cancel()
        return True
