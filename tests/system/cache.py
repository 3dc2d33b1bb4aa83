"""Where tests/system/prepare.sh keeps what the system tests took from the network."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from tests.conftest import REPO, need

PREPARE = REPO / "tests" / "system" / "prepare.sh"
ARCH = platform.machine()


def cache_dir() -> Path:
    default = "/var/cache/gobo-tests" if os.geteuid() == 0 else "~/.cache/gobo-tests"
    return Path(os.environ.get("GOBO_TEST_CACHE") or default).expanduser()


def prepare(what: str) -> Path:
    """Runs prepare.sh WHAT and returns the cache. On a prepared, unchanged checkout it has
    nothing to do (CI prepares before the network goes); otherwise it downloads."""
    result = subprocess.run(
        ["bash", str(PREPARE), what], capture_output=True, text=True, timeout=1200, check=False
    )
    need(
        result.returncode == 0,
        f"tests/system/prepare.sh {what} failed (it needs the network once): "
        + result.stderr.strip()[-1500:],
    )
    return cache_dir()
