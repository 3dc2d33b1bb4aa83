"""Saving technicians' decisions off the event loop, and saying so when the disk refuses.

`submit()` hands over the newest state and returns at once; one writer thread puts it on disk
(temp file, fsync, rename), so the frame loop never waits for the disk. A command that must be
durable before it answers awaits `durable()`, which writes what is pending now and raises
`StateNotSaved` when the write failed. Only a desk fader's burst of master values is coalesced:
written at most once a second, its last value within the second. A failed write is retried every
few seconds with the newest state, and `problem` ("disk full") is shown by status and why until
a write succeeds; it is logged once per distinct problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from controller.statestore import PersistedState, save_state

log = logging.getLogger("gobo.state")

FADER_INTERVAL_S = 1.0
RETRY_INTERVAL_S = 5.0
_PLAIN = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "disk I/O error",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


class StateNotSaved(Exception):
    """The decision is in force but not on disk; str() is the reason ("disk full")."""


def describe(exc: BaseException) -> str:
    """An OSError in the words a technician reads in `gobo why`."""
    if isinstance(exc, OSError) and exc.errno in _PLAIN:
        return _PLAIN[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


class StateSaver:
    def __init__(
        self,
        path: Path,
        fader_interval: float = FADER_INTERVAL_S,
        retry_interval: float = RETRY_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.problem: str | None = None  # why the newest state is not on disk
        self._fader_interval = fader_interval
        self._retry_interval = retry_interval
        self._clock = clock
        self._latest: PersistedState | None = None
        self._submitted = 0  # generation of the newest state handed over
        self._written = 0  # newest generation on disk
        self._failed = 0  # generation of the last write that failed
        self._attempts = 0  # writes finished, either way
        self._due: float | None = None  # when the writer should write next (monotonic)
        self._last_write = -float("inf")
        self._wake = asyncio.Event()
        self._finished = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gobo-state")

    def submit(self, state: PersistedState, fader: bool = False) -> None:
        """The newest state; a fader's value may wait up to a second for the next write."""
        self._submitted += 1
        self._latest = state
        now = self._clock()
        due = max(now, self._last_write + self._fader_interval) if fader else now
        self._due = due if self._due is None else min(self._due, due)
        self._wake.set()

    async def durable(self) -> None:
        """Return once everything submitted so far is on disk; StateNotSaved if it cannot be."""
        target = self._submitted
        if self._written >= target:
            return
        self._due = self._clock()
        self._wake.set()
        seen = self._attempts
        while self._written < target:
            if self._attempts > seen and self._failed >= target:
                raise StateNotSaved(self.problem or "not written")
            finished = self._finished
            await finished.wait()

    async def run(self) -> None:
        """The writer: owned by the daemon, cancelled at shutdown after `durable()`."""
        try:
            while True:
                self._wake.clear()
                if self._due is None:
                    await self._wake.wait()
                    continue
                delay = self._due - self._clock()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                    continue
                await self._write()
        finally:
            self._executor.shutdown(wait=True)

    async def _write(self) -> None:
        generation, state = self._submitted, self._latest
        assert state is not None
        self._due = None
        self._last_write = self._clock()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, save_state, self.path, state)
        except Exception as exc:  # the disk's problem, never the show's: say it, retry
            self._failed = generation
            reason = describe(exc)
            if reason != self.problem:
                log.error("cannot save the show state to %s: %s; retrying every %g s",
                          self.path, reason, self._retry_interval)
            self.problem = reason
            retry = self._clock() + self._retry_interval
            self._due = retry if self._due is None else min(self._due, retry)
        else:
            self._written = max(self._written, generation)
            if self.problem is not None and self._written == self._submitted:
                log.info("show state saved again to %s", self.path)
                self.problem = None
        self._attempts += 1
        finished, self._finished = self._finished, asyncio.Event()
        finished.set()
