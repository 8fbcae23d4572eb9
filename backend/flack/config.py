"""Settings: one frozen object, from defaults, ``FLACK_*`` variables and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from flack.core.limits import Limits
from flack.transport.addresses import AllowedHosts, TrustedProxies

Integration = Literal["asgi", "sanic"]
Storage = Literal["durable", "memory", "state-file"]
_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that can be configured. Field ``x`` is read from ``FLACK_X``."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Seconds a display name stays reserved for its token after its last
    # connection closes; afterwards anybody may take it.
    name_idle_seconds: float = 86400.0
    # How python-socketio is hosted: "asgi" (socketio.ASGIApp around the Sanic
    # app, served by uvicorn; the default, see README "Why ASGI") or "sanic"
    # (python-socketio's Sanic integration on Sanic's own server).
    integration: Integration = "asgi"
    log_level: str = "info"
    # Largest file that may be shared, in MB (MiB: 1 MB = 1,048,576 bytes).
    max_file_mb: float = 100.0
    # Bound on all shared files together; the oldest are deleted to make room.
    files_total_mb: float = 2048.0
    # Where shared files are kept. Empty: the data folder (durable), or a
    # temporary folder deleted at shutdown (--memory, --state-file). With a
    # data folder its files outlive the server; otherwise they are deleted
    # at start and stop. Flack writes nothing outside its files/ and partial/.
    files_dir: str = ""
    # Abuse limits (see flack.core.limits): messages per second per person
    # sustained and in a burst, channel creations likewise (an address gets
    # people_per_address times a person's), the number of channels, open
    # socket connections per client address.
    # The defaults are the core's (one place to change them).
    message_rate: float = _LIMITS.message_rate
    message_burst: int = _LIMITS.message_burst
    channel_rate: float = _LIMITS.channel_rate
    channel_burst: int = _LIMITS.channel_burst
    max_channels: int = _LIMITS.max_channels
    connections_per_address: int = _LIMITS.connections_per_address
    # Limits per person and per address (issue 11; see flack.core.limits):
    # a person is an identity token; an address's budget is this many
    # people's. Joins/leaves/renames (notices), identities created per
    # address, uploads started, unfinished uploads per person and their
    # announced MB (per address too), unfinished uploads on the server, how
    # long an upload whose connection is gone is kept while not resumed, and
    # how long a channel with no messages and nobody in it lasts.
    people_per_address: int = _LIMITS.people_per_address
    notice_rate: float = _LIMITS.notice_rate
    notice_burst: int = _LIMITS.notice_burst
    identity_rate: float = _LIMITS.identity_rate
    identity_burst: int = _LIMITS.identity_burst
    upload_rate: float = _LIMITS.upload_rate
    upload_burst: int = _LIMITS.upload_burst
    search_rate: float = _LIMITS.search_rate
    search_burst: int = _LIMITS.search_burst
    uploads_per_person: int = _LIMITS.uploads_per_person
    upload_mb_per_person: float = _LIMITS.upload_mb_per_person
    upload_mb_per_address: float = _LIMITS.upload_mb_per_address
    max_uploads: int = _LIMITS.max_uploads
    upload_resume_seconds: float = _LIMITS.upload_resume_seconds
    channel_idle_seconds: float = _LIMITS.channel_idle_seconds
    # Extra browser origins allowed to open the socket, comma-separated
    # ("https://chat.example.org"); the page's own origin is always allowed.
    allowed_origins: str = ""
    # The HTTP edge (transport/http_guard.py, transport/addresses.py).
    # Proxies whose X-Forwarded-For/-Proto are believed, comma-separated IPs
    # or networks ("127.0.0.1, 10.0.0.0/8"); none by default: anybody can
    # send those headers.
    trusted_proxies: str = ""
    # Extra Host names this server answers to, comma-separated ("chat.example.org",
    # "*.example.org"; "*" turns the check off). Localhost names and IP
    # literals always pass, and the machine's names when listening beyond
    # loopback; any other Host is refused (DNS rebinding).
    allowed_hosts: str = ""
    # Seconds for a request's headers to arrive (in total), and of silence
    # allowed while its body arrives; then the connection is closed.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # Open HTTP connections from one client address (websockets leave the
    # count once upgraded; trusted proxies are not counted).
    http_connections_per_address: int = 200
    # Where the chat is kept (issue 12; see persist.py). By default in a data
    # folder (data_dir, empty: the per-user one, see data_folder()): a
    # snapshot and a journal written before every acknowledgement, and the
    # shared files. memory: nothing is written anywhere (lost at exit).
    # sync_seconds: how often the journal is fsynced (a power cut loses at
    # most about this much; a crash of Flack itself loses nothing).
    data_dir: str = ""
    memory: bool = False
    sync_seconds: float = 1.0
    # The older way (kept working): state in memory, written to this file
    # atomically on shutdown and every state_interval seconds, read at start;
    # shared files are lost at exit. Not together with a data folder.
    state_file: str = ""
    state_interval: float = 10.0
    # Coalescing window in milliseconds: a busy channel's messages that
    # arrive within it reach each member in one frame (a quiet channel's go
    # out at once). 0 sends every message on its own. See transport/fanout.py.
    batch_ms: float = 5.0

    @property
    def storage(self) -> Storage:
        """Where the chat is kept: a data folder ("durable", the default),
        only in memory ("memory"), or in memory and a state file ("state-file")."""
        if self.state_file:
            return "state-file"
        return "memory" if self.memory else "durable"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``FLACK_*`` variables, then non-None ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"FLACK_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw, type(getattr(cls(), f.name)))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values).validated()

    def validated(self) -> Settings:
        """Refuse settings that cannot work, with a sentence that says why."""
        if self.integration not in ("asgi", "sanic"):
            raise ValueError(f"FLACK_INTEGRATION must be 'asgi' or 'sanic', not {self.integration!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"FLACK_PORT must be 0-65535, not {self.port}")
        if self.name_idle_seconds <= 0:
            raise ValueError("FLACK_NAME_IDLE_SECONDS must be positive")
        numbers = ("message_rate", "message_burst", "channel_rate", "channel_burst", "max_channels")
        for name in (*numbers, "connections_per_address"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FLACK_{name.upper()} must be positive")
        for name in PERSON_AND_ADDRESS_LIMITS:
            if getattr(self, name) <= 0:
                raise ValueError(f"FLACK_{name.upper()} must be positive")
        if self.state_interval <= 0:
            raise ValueError("FLACK_STATE_INTERVAL must be positive")
        if not 0 < self.sync_seconds <= 3600:
            raise ValueError("FLACK_SYNC_SECONDS must be more than 0 and at most 3600")
        if self.data_dir and (self.memory or self.state_file):
            other = "--memory (FLACK_MEMORY)" if self.memory else "--state-file (FLACK_STATE_FILE)"
            raise ValueError(f"--data-dir (FLACK_DATA_DIR) and {other} exclude each other: choose one")
        if not 0 <= self.batch_ms <= 1000:
            raise ValueError("FLACK_BATCH_MS must be 0-1000")
        if self.max_file_mb <= 0 or self.files_total_mb <= 0:
            raise ValueError("FLACK_MAX_FILE_MB and FLACK_FILES_TOTAL_MB must be positive")
        for name in ("header_timeout", "body_timeout"):
            if not 0 < getattr(self, name) <= 3600:
                raise ValueError(f"FLACK_{name.upper()} must be more than 0 and at most 3600")
        if self.http_connections_per_address <= 0:
            raise ValueError("FLACK_HTTP_CONNECTIONS_PER_ADDRESS must be positive")
        proxies_of(self)  # raises with words if one is not an address
        return self


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _convert(name: str, raw: str, kind: type) -> Any:
    if kind is bool:  # bool("0") is True: read the words people write
        if raw.strip().lower() in _TRUE + _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(f"FLACK_{name.upper()}={raw!r} is not 1/0, true/false, yes/no or on/off")
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"FLACK_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


MB = 1024 * 1024

# The settings of the limits per person and per address (all positive).
PERSON_AND_ADDRESS_LIMITS = (
    "people_per_address",
    "notice_rate",
    "notice_burst",
    "identity_rate",
    "identity_burst",
    "upload_rate",
    "upload_burst",
    "search_rate",
    "search_burst",
    "uploads_per_person",
    "upload_mb_per_person",
    "upload_mb_per_address",
    "max_uploads",
    "upload_resume_seconds",
    "channel_idle_seconds",
)


def data_folder(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """The data folder: ``--data-dir``, else ``$XDG_DATA_HOME/flack``, else
    ``~/.local/share/flack`` (the XDG base directory rules: per user, kept
    across reboots, not a cache)."""
    environ = os.environ if environ is None else environ
    if settings.data_dir:
        return Path(settings.data_dir).expanduser().absolute()
    xdg = environ.get("XDG_DATA_HOME", "")
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return (base / "flack").absolute()


def origins_of(settings: Settings) -> tuple[str, ...]:
    """The configured extra origins, without trailing slashes."""
    return tuple(o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip())


def proxies_of(settings: Settings) -> TrustedProxies:
    """The trusted proxies (``ValueError`` with words for a bad entry)."""
    return TrustedProxies.parse(settings.trusted_proxies)


def hosts_of(settings: Settings) -> AllowedHosts:
    """The Host names this server answers to, for where it listens."""
    return AllowedHosts.for_server(settings.host, settings.allowed_hosts)


def limits_of(settings: Settings) -> Limits:
    """The core's abuse limits from the settings."""
    return Limits(**{f.name: getattr(settings, f.name) for f in fields(Limits)})
