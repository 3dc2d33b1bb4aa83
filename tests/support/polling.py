"""Waiting for a real process to do something, with a deadline that names what never happened."""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Callable
from typing import Any

DEADLINE_S = 30.0


def wait_for(what: str, probe: Callable[[], Any], deadline_s: float = DEADLINE_S) -> Any:
    """Poll until probe() returns something truthy (an error while the process starts counts as
    not yet) and return it; fail naming what never happened and the last answer."""
    end = time.monotonic() + deadline_s
    last: Any = None
    while time.monotonic() < end:
        try:
            last = probe()
        except (OSError, ValueError, subprocess.SubprocessError, http.client.HTTPException) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {deadline_s} s (last: {last!r})")
