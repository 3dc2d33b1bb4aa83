"""The run-log recorder: the daemon's service that writes the run log, in a thread of its own.

Once a second it takes a sample of the show (on the event loop, cheap) and queues it; state
changes and transitions are queued as they happen; every hour it folds old rows, but only by a
clock it may trust. All SQLite work happens in one writer thread, so the frame loop never waits
on the disk. At start the thread first closes the rows a crash left open. A write that fails
(disk full) is logged once per distinct problem and the show goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from controller.runlog import RunLog, RunRecorder, Sample, night_of

log = logging.getLogger("gobo.runlog")

SAMPLE_EVERY_S = 1.0
FOLD_EVERY_S = 3600.0
RECOVERED_AFTER_S = 60.0  # on a nearly full disk some writes pass: no log line for each flip
_STOP = object()


class RunLogService:
    def __init__(self, path: Path, tz: ZoneInfo, power: Mapping[str, float]) -> None:
        self.path = path
        self.tz = tz
        self.problem: str | None = None
        self._power = dict(power)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="gobo-runlog", daemon=True)

    def start(self) -> None:
        """Open the run log (closing what a crash left open) and write from now on: only once
        this daemon owns the site (a second one refused at the socket must not touch it)."""
        self._thread.start()

    # -- called on the event loop: queue and return ----------------------------------------

    def sample(self, sample: Sample) -> None:
        self._queue.put(("sample", sample))

    def event(self, ts: float, kind: str, detail: str) -> None:
        self._queue.put(("event", ts, kind, detail))

    def set_power(self, power: Mapping[str, float]) -> None:
        self._queue.put(("power", dict(power)))

    def fold(self, before: date) -> None:
        self._queue.put(("fold", before))

    async def run(
        self,
        take_sample: Callable[[float], Sample],
        fold_before: Callable[[float], date | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Sample every second; fold hourly when `fold_before` allows (a trusted clock)."""
        next_fold = time.monotonic()
        while True:
            await asyncio.sleep(SAMPLE_EVERY_S)
            now = clock()
            self.sample(take_sample(now))
            if time.monotonic() >= next_fold:
                cutoff = fold_before(now)
                if cutoff is not None:
                    self.fold(cutoff)
                    next_fold = time.monotonic() + FOLD_EVERY_S

    async def close(self, ts: float) -> None:
        """The last interval counts; then the thread ends."""
        if not self._thread.is_alive():
            return
        self._queue.put(("finish", ts))
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join, 10.0)

    # -- the writer thread -----------------------------------------------------------------

    def _work(self) -> None:
        runlog: RunLog | None = None
        recorder: RunRecorder | None = None
        failed_at = 0.0
        while (item := self._queue.get()) is not _STOP:
            try:
                if runlog is None:
                    runlog = self._open()
                    recorder = RunRecorder(runlog, self.tz, self._power)
                assert recorder is not None
                self._handle(item, runlog, recorder)
                if self.problem is not None and time.monotonic() - failed_at > RECOVERED_AFTER_S:
                    log.info("run log %s writable again", self.path)
                    self.problem = None
            except Exception as exc:  # the site's problem (disk full, damaged file): say it once
                failed_at = time.monotonic()
                reason = str(exc) or type(exc).__name__
                if reason != self.problem:
                    log.error("run log %s: %s", self.path, reason)
                self.problem = reason
                if runlog is not None and not _usable(runlog):
                    with contextlib.suppress(Exception):
                        runlog.close()
                    runlog = recorder = None
        if runlog is not None:
            runlog.close()

    def _open(self) -> RunLog:
        runlog = RunLog(self.path)
        closed, last = runlog.recover()
        if closed:
            when = datetime.fromtimestamp(last, self.tz).isoformat(timespec="seconds") if last \
                else "their start"
            log.info("run log: %d showings and outages left open by a crash closed at %s (the "
                     "last sample)", closed, when)
        return runlog

    def _handle(self, item: tuple[Any, ...], runlog: RunLog, recorder: RunRecorder) -> None:
        kind = item[0]
        if kind == "sample":
            recorder.sample(*item[1])
        elif kind == "event":
            recorder.event(*item[1:])
        elif kind == "power":
            recorder.power = item[1]
        elif kind == "fold":
            folded = runlog.fold_before(item[1])
            if folded:
                log.info("run log: folded %d per-minute rows before %s into night summaries",
                         folded, item[1])
        elif kind == "finish":
            recorder.finish(item[1])


def _usable(runlog: RunLog) -> bool:
    try:
        runlog.last_sample()
    except Exception:
        return False
    return True


def fold_cutoff(now: float, tz: ZoneInfo, retention_days: int) -> date:
    """Per-minute rows of nights before this date are folded into night summaries."""
    return date.fromordinal(night_of(now, tz).toordinal() - retention_days)
