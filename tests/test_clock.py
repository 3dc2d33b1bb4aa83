"""Clock trust (timesyncd flag, release year) and wall-clock jump detection."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from controller.clock import ClockTrust, ClockWatch, JumpDetector

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


def test_a_jump_unsettles_the_clock_until_time_sync_confirms_it(tmp_path: Path) -> None:
    """Nothing irreversible (folding the run log) by a clock three years ahead."""
    timesync = tmp_path / "timesync"
    timesync.mkdir()
    flag = timesync / "synchronized"
    flag.touch()
    os.utime(flag, (NOW_2026, NOW_2026))
    offset = [0.0]
    trust = ClockTrust(timesync_dir=timesync, wall=lambda: NOW_2026 + offset[0])
    jumps: list[float] = []
    changes: list[bool] = []

    def still() -> float:  # monotonic time stands still: every wall step is a jump
        return 0.0

    watch = ClockWatch(trust, changes.append, jumps.append, monotonic=still)
    assert watch.settled()
    offset[0] = 3 * 365 * 86400.0
    watch.check()
    assert len(jumps) == 1 and jumps[0] > 0 and changes == []
    assert watch.trusted and not watch.settled()
    os.utime(flag, (NOW_2026 + offset[0] + 5, NOW_2026 + offset[0] + 5))  # timesyncd agrees
    assert watch.settled()
    without = ClockWatch(ClockTrust(timesync_dir=tmp_path / "none", wall=trust.wall),
                         changes.append, jumps.append, monotonic=still)
    offset[0] += 60.0
    without.check()
    assert not without.settled()  # no time sync to confirm it: unsettled until a restart
