"""Clock trust and wall-clock jump detection.

A Raspberry Pi has no real-time clock: it boots with a stale date (fake-hwclock) and NTP steps
it forward later. The daemon must not light a schedule from a wall clock it cannot trust, and
must replan when the clock jumps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RELEASE_YEAR = 2026  # a clock that says earlier than this is certainly wrong
TIMESYNC_DIR = Path("/run/systemd/timesync")
JUMP_THRESHOLD_S = 2.0


class ClockTrust:
    """Trusted when systemd-timesyncd says synchronized (where it runs) and the date is sane."""

    def __init__(
        self,
        timesync_dir: Path = TIMESYNC_DIR,
        release_year: int = RELEASE_YEAR,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.timesync_dir = timesync_dir
        self.release_year = release_year
        self.wall = wall

    def reason(self) -> str | None:
        """Why the clock is not trusted, or None when it is."""
        year = datetime.fromtimestamp(self.wall(), UTC).year
        if year < self.release_year:
            return f"the clock says {year}, before {self.release_year}: waiting for time sync"
        # Without timesyncd (another NTP client, a container) the directory does not exist and
        # the date check alone decides.
        if self.timesync_dir.is_dir() and not (self.timesync_dir / "synchronized").exists():
            return f"waiting for systemd-timesyncd ({self.timesync_dir}/synchronized)"
        return None

    def trusted(self) -> bool:
        return self.reason() is None


class JumpDetector:
    """Reports a wall-clock step: the offset between wall and monotonic time changing."""

    def __init__(
        self,
        on_jump: Callable[[float], None],
        threshold_s: float = JUMP_THRESHOLD_S,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_jump = on_jump
        self.threshold_s = threshold_s
        self.wall = wall
        self.monotonic = monotonic
        self._offset = wall() - monotonic()

    def check(self) -> float | None:
        """The jump in seconds (positive = forward) since the last check, if beyond threshold."""
        offset = self.wall() - self.monotonic()
        delta = offset - self._offset
        self._offset = offset
        if abs(delta) <= self.threshold_s:
            return None
        self.on_jump(delta)
        return delta
