"""The frame loop: one frame per period on absolute deadlines, with timing statistics.

Deadline n is start + n * period, so the rate never drifts. When the loop is
badly late (a whole period or more) it skips the missed deadlines instead of
bursting to catch up, and counts them as late frames. Jitter is how long after
its deadline a frame actually began. The loop itself sends WATCHDOG=1, so a stuck
loop stops the pings and systemd restarts the service.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("gobo.frameloop")

RATE_WINDOW_S = 5.0  # achieved rate over the last few seconds
JITTER_SAMPLES = 4096  # ~100 s at 40 Hz


@dataclass(frozen=True)
class FrameStats:
    fps: float  # achieved, over the last RATE_WINDOW_S
    target_fps: float
    frames: int
    late: int  # deadlines missed (skipped) since start
    jitter_p99_ms: float
    jitter_max_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "fps": round(self.fps, 2),
            "target_fps": self.target_fps,
            "frames": self.frames,
            "late": self.late,
            "jitter_p99_ms": round(self.jitter_p99_ms, 3),
            "jitter_max_ms": round(self.jitter_max_ms, 3),
        }


class FrameLoop:
    def __init__(
        self,
        fps: float,
        frame: Callable[[], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        watchdog: Callable[[], None] | None = None,
        watchdog_interval: float | None = None,
    ) -> None:
        self.period = 1.0 / fps
        self.target_fps = fps
        self._frame = frame
        self._clock = clock
        self._sleep = sleep
        self._watchdog = watchdog
        self._watchdog_every = watchdog_interval / 2.0 if watchdog_interval else None
        self._stopping = False
        self.frames = 0
        self.late = 0
        self.errors = 0
        self._jitter: deque[float] = deque(maxlen=JITTER_SAMPLES)
        self._stamps: deque[float] = deque()

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        start = self._clock()
        n = 0
        next_ping = start
        while not self._stopping:
            deadline = start + n * self.period
            now = self._clock()
            if deadline > now:
                await self._sleep(deadline - now)
                now = self._clock()
            lateness = now - deadline
            if lateness >= self.period:
                # badly late: skip the missed deadlines rather than burst
                missed = math.floor(lateness / self.period)
                self.late += missed
                n += missed
                deadline = start + n * self.period
                lateness = now - deadline
            self._jitter.append(lateness)
            self._record(now)
            try:
                self._frame()
            except Exception:  # the show must go on: log, count, next frame
                self.errors += 1
                if self.errors <= 3 or self.errors % 1000 == 0:
                    log.exception("frame %d failed (%d errors so far)", self.frames, self.errors)
            if self._watchdog is not None and self._watchdog_every and now >= next_ping:
                self._watchdog()
                next_ping = now + self._watchdog_every
            n += 1
            if n % 64 == 0:
                await asyncio.sleep(0)  # let other tasks in even if every sleep was zero

    def _record(self, now: float) -> None:
        self.frames += 1
        self._stamps.append(now)
        while self._stamps and now - self._stamps[0] > RATE_WINDOW_S:
            self._stamps.popleft()

    def stats(self) -> FrameStats:
        jitter = sorted(self._jitter)
        p99 = jitter[min(len(jitter) - 1, math.ceil(0.99 * len(jitter)) - 1)] if jitter else 0.0
        span = self._stamps[-1] - self._stamps[0] if len(self._stamps) > 1 else 0.0
        fps = (len(self._stamps) - 1) / span if span > 0 else 0.0
        return FrameStats(
            fps=fps,
            target_fps=self.target_fps,
            frames=self.frames,
            late=self.late,
            jitter_p99_ms=p99 * 1000.0,
            jitter_max_ms=(jitter[-1] if jitter else 0.0) * 1000.0,
        )
