"""Settings: one frozen object, from defaults, ``FLACK_*`` variables and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

Integration = Literal["asgi", "sanic"]


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
    # Where shared files are kept; empty means a temporary folder that is
    # deleted at shutdown. Flack writes nothing outside this folder.
    files_dir: str = ""

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
        if self.max_file_mb <= 0 or self.files_total_mb <= 0:
            raise ValueError("FLACK_MAX_FILE_MB and FLACK_FILES_TOTAL_MB must be positive")
        return self


def _convert(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"FLACK_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


MB = 1024 * 1024
