"""Where the chat is kept: the settings of issue 12 (data folder, --memory, the state file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flack.cli import build_parser
from flack.config import Settings, data_folder
from flack.testing import memory_unless_chosen


def test_durable_in_the_per_user_folder_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.storage == "durable"
    assert data_folder(settings, {"HOME": "/home/ada"}) == Path("/home/ada/.local/share/flack")
    xdg = {"HOME": "/home/ada", "XDG_DATA_HOME": "/data/ada"}
    assert data_folder(settings, xdg) == Path("/data/ada/flack")
    # A relative XDG_DATA_HOME is to be ignored (the XDG rules).
    assert data_folder(settings, {"HOME": "/home/ada", "XDG_DATA_HOME": "rel"}) == Path(
        "/home/ada/.local/share/flack"
    )
    chosen = Settings.from_env({"FLACK_DATA_DIR": "/srv/flack"})
    assert data_folder(chosen, {"HOME": "/home/ada"}) == Path("/srv/flack")


def test_flags_choose_the_storage() -> None:
    args = build_parser().parse_args(["serve", "--data-dir", "/srv/flack"])
    assert Settings.from_env({}, data_dir=args.data_dir, memory=args.memory).data_dir == "/srv/flack"
    args = build_parser().parse_args(["serve", "--memory"])
    assert Settings.from_env({}, memory=args.memory).storage == "memory"
    args = build_parser().parse_args(["serve"])
    assert args.memory is None  # so that FLACK_MEMORY applies
    assert Settings.from_env({"FLACK_MEMORY": "1"}, memory=args.memory).storage == "memory"
    assert Settings.from_env({"FLACK_STATE_FILE": "/tmp/s.json"}).storage == "state-file"


@pytest.mark.parametrize(
    ("raw", "memory"), [("1", True), ("true", True), ("yes", True), ("0", False), ("off", False)]
)
def test_flack_memory_reads_the_words_people_write(raw: str, memory: bool) -> None:
    assert Settings.from_env({"FLACK_MEMORY": raw}).memory is memory


def test_refused_combinations_say_why() -> None:
    with pytest.raises(ValueError, match="is not 1/0"):
        Settings.from_env({"FLACK_MEMORY": "maybe"})
    with pytest.raises(ValueError, match="exclude each other"):
        Settings.from_env({"FLACK_DATA_DIR": "/srv/flack", "FLACK_MEMORY": "1"})
    with pytest.raises(ValueError, match="exclude each other"):
        Settings.from_env({"FLACK_DATA_DIR": "/srv/flack", "FLACK_STATE_FILE": "/tmp/s.json"})
    with pytest.raises(ValueError, match="FLACK_SYNC_SECONDS"):
        Settings.from_env({"FLACK_SYNC_SECONDS": "0"})


def test_test_servers_keep_nothing_unless_told_where() -> None:
    assert memory_unless_chosen({}) == {"FLACK_MEMORY": "1", "FLACK_DATA_DIR": "", "FLACK_STATE_FILE": ""}
    # The caller's env (which goes on top) decides; the shell's own values are cleared.
    assert memory_unless_chosen({"FLACK_DATA_DIR": "/tmp/x"})["FLACK_MEMORY"] == ""
    assert memory_unless_chosen({}, ("--data-dir=/tmp/x",))["FLACK_MEMORY"] == ""
    assert memory_unless_chosen({}, ("--state-file", "/tmp/s.json"))["FLACK_MEMORY"] == ""
