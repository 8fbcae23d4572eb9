"""Content stamps (flack/stamps.py): a changed file gets a new URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flack import stamps as stamps_module
from flack.stamps import Group, Stamps


@pytest.fixture(autouse=True)
def check_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the files on every call (the server does at most once a second)."""
    monkeypatch.setattr(stamps_module, "RECHECK_SECONDS", 0.0)


def test_a_changed_file_changes_the_stamp_and_an_unchanged_one_does_not(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("one")
    group = Group(lambda: sorted(tmp_path.iterdir()))
    before = group.stamp()
    assert group.stamp() == before
    (tmp_path / "a.js").write_text("two")
    # Same size: the modification time tells the change (set it explicitly,
    # a coarse file-system clock could otherwise hide it).
    os.utime(tmp_path / "a.js", ns=(1, 1))
    assert group.stamp() != before
    (tmp_path / "a.js").write_text("one")
    os.utime(tmp_path / "a.js", ns=(2, 2))
    assert group.stamp() == before  # content, not time, makes the stamp


def test_a_new_file_changes_the_stamp(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("one")
    group = Group(lambda: sorted(tmp_path.iterdir()))
    before = group.stamp()
    (tmp_path / "b.js").write_text("")
    assert group.stamp() != before


def test_texts_get_stamped_urls_and_requests_lose_them(tmp_path: Path) -> None:
    (tmp_path / "core.js").write_text("x")
    group = Group(lambda: [tmp_path / "core.js"])
    stamps = Stamps({"/vendor/pyscript/": group})
    stamp = group.stamp()
    text = stamps.stamp_text('<script src="/vendor/pyscript/core.js"></script> /vendor/pyscript/bare')
    assert text == f'<script src="/vendor/pyscript/{stamp}/core.js"></script> /vendor/pyscript/bare'
    assert stamps.split("/vendor/pyscript/", f"{stamp}/core.js") == ("core.js", True)
    assert stamps.split("/vendor/pyscript/", "core.js") == ("core.js", False)
    stale = "0123456789abcdef/core.js"
    assert stamps.split("/vendor/pyscript/", stale) == (stale, False)


def test_a_group_that_names_another_changes_with_it(tmp_path: Path) -> None:
    (tmp_path / "v.js").write_text("v1")
    (tmp_path / "app.json").write_text("{}")
    vendor = Group(lambda: [tmp_path / "v.js"])
    app = Group(lambda: [tmp_path / "app.json"], extra=vendor.stamp)
    before = app.stamp()
    (tmp_path / "v.js").write_text("v22")
    assert app.stamp() != before


def test_files_are_looked_at_again_only_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps_module, "RECHECK_SECONDS", 3600.0)
    (tmp_path / "a.js").write_text("one")
    group = Group(lambda: sorted(tmp_path.iterdir()))
    before = group.stamp()
    (tmp_path / "b.js").write_text("")
    assert group.stamp() == before  # not looked at again yet
    monkeypatch.setattr(stamps_module, "RECHECK_SECONDS", 0.0)
    assert group.stamp() != before
