"""What tests/system/prepare.sh made from the network for the system tests, and where."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from tests.conftest import REPO, need

PREPARE = REPO / "tests" / "system" / "prepare.sh"
ARCH = platform.machine()


def prepare(what: str) -> None:
    """Runs prepare.sh WHAT. On a prepared, unchanged checkout it has nothing to do (CI prepares
    before the network goes); otherwise it downloads."""
    result = subprocess.run(
        ["bash", str(PREPARE), what], capture_output=True, text=True, timeout=1200, check=False
    )
    need(
        result.returncode == 0,
        f"tests/system/prepare.sh {what} failed (it needs the network once): "
        + result.stderr.strip()[-1500:],
    )


def wheelhouse(arch: str) -> Path:
    prepare("wheelhouses")
    return REPO / "build" / f"wheelhouse-{arch}"


def debian_root_tarball() -> Path:
    prepare("root")
    cache = Path(os.environ.get("GOBO_TEST_CACHE") or "/var/cache/gobo-tests")
    return cache / f"bookworm-{ARCH}.tar"
