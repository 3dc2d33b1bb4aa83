"""Clock trust and wall-clock jump detection.

A Raspberry Pi has no real-time clock: it boots with a stale date (fake-hwclock) and NTP steps
it forward later. The daemon must not light a schedule from a wall clock it cannot trust, must
replan when the clock jumps, and must not do anything irreversible by a clock that just jumped
(folding the run log by a date three years ahead) until time sync has confirmed it.
"""

from __future__ import annotations

import asyncio
import contextlib
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

    def synced_at(self) -> float | None:
        """When systemd-timesyncd last confirmed the time (it touches the flag on each sync)."""
        with contextlib.suppress(OSError):
            return (self.timesync_dir / "synchronized").stat().st_mtime
        return None


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


class ClockWatch:
    """The daemon's clock service: once a second, trust changes and jumps go to callbacks.

    `settled()` says whether the wall clock may be used for something that cannot be undone:
    trusted, and not jumped since time sync last confirmed it (without timesyncd a jump keeps
    it unsettled until the daemon restarts).
    """

    def __init__(
        self,
        trust: ClockTrust,
        on_trust: Callable[[bool], None],
        on_jump: Callable[[float], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trust = trust
        self.trusted = trust.trusted()
        self._on_trust = on_trust
        self._on_jump = on_jump
        self._jumped_at: float | None = None  # wall time just after the last jump
        self.jumps = JumpDetector(self._jumped, wall=trust.wall, monotonic=monotonic)

    def check(self) -> None:
        trusted = self.trust.trusted()
        if trusted != self.trusted:
            self.trusted = trusted
            self._on_trust(trusted)
        self.jumps.check()

    async def run(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            self.check()

    def settled(self) -> bool:
        if not self.trust.trusted():
            return False
        if self._jumped_at is None:
            return True
        synced = self.trust.synced_at()
        return synced is not None and synced >= self._jumped_at

    def _jumped(self, delta: float) -> None:
        self._jumped_at = self.trust.wall()
        self._on_jump(delta)
