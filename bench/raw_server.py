"""The baseline for ``bench/fanout.py``: python-socketio broadcasting with no application logic.

Usage: ``python bench/raw_server.py PORT``. Same shape as Flack's wire protocol
for the events the benchmark uses (``claim_name``, ``join_channel``,
``send_message`` → ``message`` to the room), served the same way (ASGI under
uvicorn), so the ratio measures what Flack adds or saves.
"""

from __future__ import annotations

import sys
from typing import Any

import socketio
import uvicorn


def main() -> None:
    port = int(sys.argv[1])
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=None)
    ids: dict[str, int] = {}

    @sio.on("claim_name")
    async def claim_name(sid: str, data: Any) -> dict[str, Any]:
        return {"ok": True, "data": {"name": data["name"], "token": sid}}

    @sio.on("join_channel")
    async def join_channel(sid: str, data: Any) -> dict[str, Any]:
        await sio.enter_room(sid, data["channel"])
        return {"ok": True, "data": {"channel": {"name": data["channel"]}, "messages": [], "gap": False}}

    @sio.on("create_channel")
    async def create_channel(sid: str, data: Any) -> dict[str, Any]:
        return {"ok": True, "data": {"channel": {"name": data["channel"]}}}

    @sio.on("send_message")
    async def send_message(sid: str, data: Any) -> dict[str, Any]:
        channel = data["channel"]
        ids[channel] = ids.get(channel, 0) + 1
        message = {"id": ids[channel], "channel": channel, "sender": sid, "text": data["text"], "time": ""}
        await sio.emit("message", {"message": message}, room=channel)
        return {"ok": True, "data": {"message": message}}

    app = socketio.ASGIApp(sio)

    async def health(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz":
            return await health(scope, receive, send)
        return await app(scope, receive, send)

    uvicorn.run(router, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
