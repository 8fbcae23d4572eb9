"""Per-connection log lines at debug level, not info.

uvicorn logs every websocket handshake (``127.0.0.1:50312 - "WebSocket
/socket.io/?EIO=4&transport=websocket" [accepted]``, or the status it was
refused with) and, through the websockets library, ``connection open`` and
``connection closed``, all at INFO on ``uvicorn.error``; Sanic logs
``connection closed`` at INFO on ``sanic.websockets``. Every person opening
the page wrote such lines, which buried the lines that matter. Plain HTTP
requests were already not logged (the access log is off); a websocket
handshake is the same kind of line.

:func:`install` puts a filter on those loggers that turns exactly these
records (matched by their message template, so the wording of every other
line is untouched) into DEBUG records: shown with ``--log-level debug``
(under uvicorn; see :data:`SANIC_WEBSOCKETS` for Sanic), dropped otherwise.
Warnings and errors pass as they are. If a library rewords one of these
lines, it is simply logged at INFO again (``tests/wire/test_lan.py`` notices).
"""

from __future__ import annotations

import logging

# Logger -> message templates (``record.msg``, before formatting) of its
# per-connection lines.
CONNECTION_LINES: dict[str, frozenset[str]] = {
    "uvicorn.error": frozenset(
        {
            '%s - "WebSocket %s" [accepted]',
            '%s - "WebSocket %s" 403',
            '%s - "WebSocket %s" %d',
            "connection open",
            "connection closed",
        }
    ),
    "sanic.websockets": frozenset({"connection open", "connection closed"}),
    # The websockets library's own default logger, for a server that does
    # not pass it one.
    "websockets.server": frozenset({"connection open", "connection closed"}),
}


class ConnectionLines(logging.Filter):
    """Demotes a logger's per-connection INFO records to DEBUG."""

    def __init__(self, templates: frozenset[str]) -> None:
        super().__init__()
        self.templates = templates

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not isinstance(record.msg, str):
            return True
        if record.msg not in self.templates:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        # A logger checks its level before its filters: check it again for
        # the record's new level.
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def install() -> None:
    """Put the filter on each logger in :data:`CONNECTION_LINES` (once).
    Survives the servers' own logging set-up (``dictConfig`` replaces a
    logger's handlers and level, not its filters)."""
    for name, templates in CONNECTION_LINES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, ConnectionLines) for existing in logger.filters):
            logger.addFilter(ConnectionLines(templates))


# Sanic sets its own loggers to INFO when an app is made, whatever the root
# logger says, so ``--log-level`` did not reach them.
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.server")
# Sanic's websocket logger is the websockets library's: at DEBUG it logs
# every frame, identity tokens included. It stays at INFO or above, so under
# the Sanic integration the per-connection lines are not shown even with
# ``--log-level debug``.
SANIC_WEBSOCKETS = "sanic.websockets"


def follow_level(level: str) -> None:
    """Give Sanic's loggers Flack's ``--log-level`` (after the app is made):
    ``warning`` hides its start-up chatter, ``debug`` shows its own debug
    lines (not the websocket frames, see :data:`SANIC_WEBSOCKETS`)."""
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        return  # Settings checked the name; nothing to follow otherwise
    for name in SANIC_LOGGERS:
        logging.getLogger(name).setLevel(number)
    logging.getLogger(SANIC_WEBSOCKETS).setLevel(max(number, logging.INFO))
