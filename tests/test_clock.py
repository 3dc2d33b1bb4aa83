"""Clock trust (timesyncd flag, release year) and wall-clock jump detection."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from controller.clock import ClockTrust, JumpDetector

NOW_2026 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC).timestamp()
STALE_2019 = datetime(2019, 2, 14, 10, 0, tzinfo=UTC).timestamp()


def test_trusted_only_when_synchronized_and_not_stale(tmp_path: Path) -> None:
    timesync = tmp_path / "timesync"
    timesync.mkdir()
    trust = ClockTrust(timesync_dir=timesync, wall=lambda: NOW_2026)
    assert not trust.trusted() and "synchronized" in (trust.reason() or "")
    (timesync / "synchronized").touch()
    assert trust.trusted()
    stale = ClockTrust(timesync_dir=timesync, wall=lambda: STALE_2019)
    assert not stale.trusted() and "2019" in (stale.reason() or "")


def test_without_timesyncd_the_date_alone_decides(tmp_path: Path) -> None:
    absent = tmp_path / "no-timesync"
    assert ClockTrust(timesync_dir=absent, wall=lambda: NOW_2026).trusted()
    assert not ClockTrust(timesync_dir=absent, wall=lambda: STALE_2019).trusted()


def test_jump_forward_and_back_reported_once_and_slew_ignored() -> None:
    offset = [0.0]
    jumps: list[float] = []
    detector = JumpDetector(jumps.append, wall=lambda: time.time() + offset[0])
    assert detector.check() is None
    offset[0] += 0.5  # NTP slewing: below the threshold
    assert detector.check() is None
    offset[0] += 3600.0  # fake-hwclock boot date stepped to the real time
    assert 3599 < (detector.check() or 0) < 3601
    assert detector.check() is None  # the new offset is the baseline now
    offset[0] -= 30.0
    assert -31 < (detector.check() or 0) < -29
    assert len(jumps) == 2 and jumps[0] > 0 > jumps[1]
