"""Fixtures shared by the core's tests."""

from __future__ import annotations

import pytest

from fake_clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
