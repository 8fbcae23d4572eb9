"""Shared files on disk are the server account's only (issue 11)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp

from flack.testing import running_server
from wire_support import Peer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_files_under_files_dir_are_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    # The usual umask (the server inherits it): before, folders were 0755 and files 0644.
    old_umask = os.umask(0o022)
    try:
        with running_server({"FLACK_FILES_DIR": str(root)}) as url:
            peer = await (await Peer(url).connect()).named("sharer")
            await peer.ok("create_channel", {"channel": "files"})
            await peer.ok("join_channel", {"channel": "files"})
            uploads = [
                (await peer.ok("start_upload", {"channel": "files", "name": name, "size": 10, "type": ""}))[
                    "upload"
                ]
                for name in ("a.txt", "b.txt")
            ]
            async with aiohttp.ClientSession(url) as http:
                for upload, body in zip(uploads, (b"0123456789", b"01234"), strict=True):
                    async with http.put(upload["url"], data=body, headers={"Upload-Offset": "0"}) as response:
                        assert response.status == 200
            assert mode(root / "partial") == 0o700 and mode(root / "files") == 0o700
            stored = list((root / "files").iterdir()) + list((root / "partial").iterdir())
            assert len(stored) == 2  # one shared file, one half-uploaded one
            assert all(mode(path) == 0o600 for path in stored), [(p.name, oct(mode(p))) for p in stored]
            await peer.sio.disconnect()
    finally:
        os.umask(old_umask)


async def test_a_files_dir_flack_creates_is_owner_only_too(tmp_path: Path) -> None:
    root = tmp_path / "new" / "shared"
    with running_server({"FLACK_FILES_DIR": str(root)}):
        assert mode(root) == 0o700
