"""Frame loop on a fake clock: absolute deadlines, skipping when badly late, statistics."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from controller.frameloop import FrameLoop


class FakeTime:
    """A clock that only moves when the loop sleeps or a frame 'takes' time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.oversleep = 0.0  # each sleep wakes this much after its deadline

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.oversleep


def make_loop(fake: FakeTime, frames: int, work: dict[int, float] | None = None,
              pings: list[float] | None = None, interval: float | None = None) -> FrameLoop:
    starts: list[float] = []

    def frame() -> None:
        starts.append(fake.now)
        fake.now += (work or {}).get(len(starts), 0.001)  # the frame's own cost
        if len(starts) >= frames:
            loop.stop()

    loop = FrameLoop(
        40.0, frame, clock=fake.clock, sleep=fake.sleep,
        watchdog=(lambda: pings.append(fake.now)) if pings is not None else None,
        watchdog_interval=interval,
    )
    loop.starts = starts  # type: ignore[attr-defined]
    return loop


def test_deadlines_do_not_drift() -> None:
    fake = FakeTime()
    fake.oversleep = 0.0007  # every wake-up a bit late, as with a real event loop
    loop = make_loop(fake, 400)
    asyncio.run(loop.run())
    starts = loop.starts  # type: ignore[attr-defined]
    # frame n begins at start + n/40 (+ the wake-up delay), never accumulating lateness
    for n in (1, 100, 399):
        assert starts[n] - starts[0] == pytest.approx(n / 40 + 0.0007, abs=1e-9)
    stats = loop.stats()
    assert stats.late == 0 and stats.frames == 400
    assert stats.fps == pytest.approx(40.0, rel=1e-3)
    assert stats.jitter_p99_ms == pytest.approx(0.7) and stats.jitter_max_ms == pytest.approx(0.7)


def test_badly_late_frame_skips_ahead_and_counts() -> None:
    fake = FakeTime()
    loop = make_loop(fake, 50, work={10: 0.130})  # the 10th frame stalls 130 ms (5.2 periods)
    asyncio.run(loop.run())
    starts = loop.starts  # type: ignore[attr-defined]
    stats = loop.stats()
    # the stall ran from deadline 9 to 9 + 5.2 periods: deadlines 10..13 are skipped
    assert stats.late == 4
    assert starts[10] - starts[0] == pytest.approx(14.2 * 0.025, abs=1e-9)  # at once, no burst
    assert stats.jitter_max_ms == pytest.approx(5.0, abs=1e-6)  # 0.2 periods behind deadline 14
    grid = [(s - starts[0]) / 0.025 for s in starts[11:]]  # then back on the 25 ms grid
    assert grid == pytest.approx([float(n) for n in range(15, 15 + len(grid))], abs=1e-6)


def test_frame_errors_are_counted_not_fatal() -> None:
    fake = FakeTime()
    calls = []

    def frame() -> None:
        calls.append(1)
        if len(calls) >= 5:
            loop.stop()
        raise RuntimeError("bad frame")

    loop = FrameLoop(40.0, frame, clock=fake.clock, sleep=fake.sleep)
    asyncio.run(loop.run())
    assert loop.errors == 5 and loop.frames == 5


def test_watchdog_pinged_from_the_loop_at_half_the_interval() -> None:
    fake = FakeTime()
    pings: list[float] = []
    loop = make_loop(fake, 40 * 10, pings=pings, interval=2.0)  # 10 s of frames
    asyncio.run(loop.run())
    assert len(pings) == 10
    assert all(b - a == pytest.approx(1.0, abs=0.03) for a, b in pairwise(pings))
