"""Shared test fixtures: paths to ../shared test data and real external tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip locally when a real part is missing; in CI a missing part is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


def need_tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed (apt-get install ola liblo-tools)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    need(SHARED_DATA.is_dir(), f"test data not found at {SHARED_DATA} (the ../shared checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def drawings_dir(shared_data: Path) -> Path:
    return shared_data / "drawings"


@pytest.fixture(scope="session")
def ofl_dir(shared_data: Path) -> Path:
    return shared_data / "ofl"
