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
    need(path is not None, f"{name} is not installed (bash .ci/packages --test)")
    assert path is not None
    return path


@pytest.fixture(scope="session", autouse=True)
def private_xdg_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`gobo` remembers the control socket it reached under $XDG_STATE_HOME: keep the
    tests' sockets out of the home directory of whoever runs them."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))


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


@pytest.fixture
def make_drawing():
    """Writes a small child-like drawing (distinct per seed) as PNG; returns its path."""
    from PIL import Image, ImageDraw

    def make(path: Path, seed: int = 0, size: tuple[int, int] = (240, 180)) -> Path:
        width, height = size
        image = Image.new("RGB", size, (250, 248, 240))
        draw = ImageDraw.Draw(image)
        hue = [(200, 30, 40), (30, 60, 200), (20, 150, 40), (150, 40, 170)][seed % 4]
        x = 30 + (seed * 7) % (width // 3)
        y = 25 + (seed * 11) % (height // 3)
        draw.ellipse((x, y, x + width // 3, y + height // 3), outline=hue, width=6)
        end = (width - 20 - seed % 50, 30 + seed % 60)
        draw.line((20, height - 30, *end), fill=(20, 20, 20), width=5)
        left, top = width // 2, height // 2
        draw.rectangle((left, top, left + 30 + seed % 40, top + 25), fill=hue)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG")
        return path

    return make
