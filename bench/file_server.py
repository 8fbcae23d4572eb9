"""Flack as ``flack serve`` runs it, plus one plain static route, for ``bench/files.py``.

Usage: ``python bench/file_server.py PORT STATIC_DIR`` (settings from ``FLACK_*``).
The static route is Sanic's own ``app.static`` (defaults: the whole file read,
then sent) over the same bytes, in the same process and server stack, so the
comparison measures Flack's file path only.
"""

from __future__ import annotations

import sys

from flack.app import create_app
from flack.config import Settings


def main() -> None:
    port, static_dir = int(sys.argv[1]), sys.argv[2]
    settings = Settings.from_env(host="127.0.0.1", port=port)
    app = create_app(settings)
    app.static("/bench-static", static_dir, name="bench_static")
    if settings.integration == "sanic":
        app.run(host="127.0.0.1", port=port, single_process=True, access_log=False)
    else:
        import uvicorn

        uvicorn.run(app.ctx.asgi, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
