"""``flack serve``: the command line."""

from __future__ import annotations

import argparse
import sys

from flack import __version__
from flack.config import Settings


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; flags override ``FLACK_*`` environment variables."""
    parser = argparse.ArgumentParser(prog="flack", description="Flack team chat.")
    parser.add_argument("--version", action="version", version=f"flack {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the chat")
    serve.add_argument(
        "--host",
        help="address to listen on; 0.0.0.0 or :: to share it on your LAN (FLACK_HOST, default 127.0.0.1)",
    )
    serve.add_argument("--port", type=int, help="port to listen on (FLACK_PORT, default 8000)")
    serve.add_argument(
        "--name-idle-seconds",
        type=float,
        help="release a name unused this long (FLACK_NAME_IDLE_SECONDS, default 86400)",
    )
    serve.add_argument(
        "--integration",
        choices=["asgi", "sanic"],
        help="how python-socketio is hosted (FLACK_INTEGRATION, default asgi)",
    )
    serve.add_argument(
        "--max-file-mb", type=float, help="largest shared file (FLACK_MAX_FILE_MB, default 100)"
    )
    serve.add_argument(
        "--files-total-mb",
        type=float,
        help="bound on all shared files together (FLACK_FILES_TOTAL_MB, default 2048)",
    )
    serve.add_argument(
        "--data-dir",
        help="folder the chat and its shared files are kept in (FLACK_DATA_DIR, default "
        "$XDG_DATA_HOME/flack or ~/.local/share/flack)",
    )
    serve.add_argument(
        "--memory",
        action="store_true",
        default=None,
        help="keep nothing: the chat is lost at exit (FLACK_MEMORY=1)",
    )
    serve.add_argument(
        "--files-dir",
        help="folder for shared files (FLACK_FILES_DIR, default: the data folder; with --memory "
        "or --state-file a temporary one; emptied at start and stop unless durable)",
    )
    serve.add_argument(
        "--state-file",
        help="the older way: the chat in memory, saved to this file now and then; shared files are "
        "lost at exit (FLACK_STATE_FILE, default none)",
    )
    serve.add_argument(
        "--state-interval",
        type=float,
        help="seconds between periodic saves (FLACK_STATE_INTERVAL, default 10)",
    )
    serve.add_argument(
        "--batch-ms",
        type=float,
        help="coalescing window for a busy channel's messages, 0 = off (FLACK_BATCH_MS, default 5)",
    )
    serve.add_argument(
        "--allowed-origins",
        help="extra browser origins allowed to connect, comma-separated (FLACK_ALLOWED_ORIGINS)",
    )
    serve.add_argument(
        "--allowed-hosts",
        help="extra Host names to answer to, comma-separated; localhost names and IP addresses "
        "always are (FLACK_ALLOWED_HOSTS)",
    )
    serve.add_argument(
        "--trusted-proxies",
        help="proxies whose X-Forwarded-For/-Proto to believe, comma-separated IPs or networks "
        "(FLACK_TRUSTED_PROXIES, default none)",
    )
    # Limits per person and per address (the rest are FLACK_* variables only).
    serve.add_argument(
        "--people-per-address",
        type=int,
        help="an address may do as much as this many people (FLACK_PEOPLE_PER_ADDRESS, default 10)",
    )
    serve.add_argument(
        "--channel-idle-seconds",
        type=float,
        help="release a channel with no messages and nobody in it after this long "
        "(FLACK_CHANNEL_IDLE_SECONDS, default 86400)",
    )
    serve.add_argument("--log-level", help="debug, info, warning … (FLACK_LOG_LEVEL, default info)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``flack`` console script."""
    args = build_parser().parse_args(argv)
    options = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        settings = Settings.from_env(**options)
    except ValueError as error:
        print(f"flack: {error}", file=sys.stderr)
        return 2
    from flack.app import serve  # import the server stack only when serving

    try:
        serve(settings)
    except ValueError as error:  # e.g. a damaged state file: refuse rather than start empty
        print(f"flack: {error}", file=sys.stderr)
        return 2
    return 0
