"""Settings from defaults, FLACK_* variables and flags; the CLI's refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flack.cli import build_parser, main
from flack.config import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.integration) == ("127.0.0.1", 8000, "asgi")
    assert settings.name_idle_seconds == 86400
    assert (settings.max_file_mb, settings.files_total_mb, settings.files_dir) == (100, 2048, "")
    assert settings.batch_ms == 5


def test_limits_per_person_and_address_default_to_the_cores() -> None:
    from flack.core.limits import Limits

    settings, core = Settings.from_env({}), Limits()
    assert (settings.message_rate, settings.message_burst) == (core.message_rate, core.message_burst)
    assert (settings.message_rate, settings.message_burst) == (5, 30)
    assert (settings.people_per_address, settings.notice_burst, settings.identity_burst) == (10, 20, 30)
    assert (settings.uploads_per_person, settings.upload_mb_per_person) == (4, 400)
    assert settings.max_uploads == 1000
    assert (settings.upload_resume_seconds, settings.channel_idle_seconds) == (60, 86400)
    tuned = Settings.from_env({"FLACK_NOTICE_RATE": "2", "FLACK_UPLOAD_MB_PER_ADDRESS": "50"})
    assert (tuned.notice_rate, tuned.upload_mb_per_address) == (2.0, 50.0)


def test_edge_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.trusted_proxies, settings.allowed_hosts) == ("", "")
    assert (settings.header_timeout, settings.body_timeout) == (10, 30)
    assert settings.http_connections_per_address == 200


def test_edge_flags() -> None:
    args = build_parser().parse_args(
        ["serve", "--allowed-hosts", "chat.example.org", "--trusted-proxies", "127.0.0.1,10.0.0.0/8"]
    )
    settings = Settings.from_env({}, allowed_hosts=args.allowed_hosts, trusted_proxies=args.trusted_proxies)
    assert (settings.allowed_hosts, settings.trusted_proxies) == ("chat.example.org", "127.0.0.1,10.0.0.0/8")


def test_environment_then_flags() -> None:
    env = {"FLACK_PORT": "9001", "FLACK_NAME_IDLE_SECONDS": "5", "FLACK_HOST": "0.0.0.0"}
    settings = Settings.from_env(env, port=9002, host=None)
    assert (settings.host, settings.port, settings.name_idle_seconds) == ("0.0.0.0", 9002, 5.0)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"FLACK_PORT": "eighty"}, "FLACK_PORT='eighty' is not a valid int"),
        ({"FLACK_PORT": "70000"}, "FLACK_PORT must be 0-65535"),
        ({"FLACK_INTEGRATION": "wsgi"}, "FLACK_INTEGRATION must be 'asgi' or 'sanic'"),
        ({"FLACK_NAME_IDLE_SECONDS": "0"}, "FLACK_NAME_IDLE_SECONDS must be positive"),
        ({"FLACK_MAX_FILE_MB": "0"}, "FLACK_MAX_FILE_MB and FLACK_FILES_TOTAL_MB must be positive"),
        ({"FLACK_FILES_TOTAL_MB": "lots"}, "FLACK_FILES_TOTAL_MB='lots' is not a valid float"),
        ({"FLACK_BATCH_MS": "-1"}, "FLACK_BATCH_MS must be 0-1000"),
        ({"FLACK_NOTICE_BURST": "0"}, "FLACK_NOTICE_BURST must be positive"),
        ({"FLACK_CHANNEL_IDLE_SECONDS": "-5"}, "FLACK_CHANNEL_IDLE_SECONDS must be positive"),
        ({"FLACK_PEOPLE_PER_ADDRESS": "many"}, "FLACK_PEOPLE_PER_ADDRESS='many' is not a valid int"),
        ({"FLACK_HEADER_TIMEOUT": "0"}, "FLACK_HEADER_TIMEOUT must be more than 0 and at most 3600"),
        ({"FLACK_BODY_TIMEOUT": "-1"}, "FLACK_BODY_TIMEOUT must be more than 0 and at most 3600"),
        ({"FLACK_HTTP_CONNECTIONS_PER_ADDRESS": "0"}, "FLACK_HTTP_CONNECTIONS_PER_ADDRESS must be positive"),
        (
            {"FLACK_TRUSTED_PROXIES": "127.0.0.1, proxy.lan"},
            "FLACK_TRUSTED_PROXIES: 'proxy.lan' is not an IP",
        ),
    ],
)
def test_bad_settings_are_refused_with_words(env: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Settings.from_env(env)


def test_cli_reports_bad_settings_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLACK_PORT", "nope")
    assert main(["serve"]) == 2
    assert "FLACK_PORT='nope'" in capsys.readouterr().err


def test_cli_flags() -> None:
    args = build_parser().parse_args(["serve", "--port", "1234", "--integration", "sanic"])
    assert (args.port, args.integration) == (1234, "sanic")
    args = build_parser().parse_args(
        ["serve", "--max-file-mb", "1.5", "--files-total-mb", "10", "--files-dir", "/srv/flack"]
    )
    settings = Settings.from_env({}, max_file_mb=args.max_file_mb, files_dir=args.files_dir)
    assert (settings.max_file_mb, args.files_total_mb, settings.files_dir) == (1.5, 10, "/srv/flack")
    args = build_parser().parse_args(["serve", "--batch-ms", "0"])
    assert Settings.from_env({}, batch_ms=args.batch_ms).batch_ms == 0


def test_a_temporary_files_folder_is_removed_at_shutdown(tmp_path) -> None:
    from flack.testing import running_server

    with running_server({"TMPDIR": str(tmp_path), "FLACK_LOG_LEVEL": "warning"}):
        made = list(tmp_path.iterdir())
        assert [p.name.startswith("flack-files-") for p in made] == [True]
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_flack_is_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flack", "--version"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0 and done.stdout.startswith("flack ")
