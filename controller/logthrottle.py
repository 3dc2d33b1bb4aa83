"""At most one log line per kind of event per interval, with a count of the rest.

Input a stranger controls (OSC datagrams, control connections) must never flood
the journal: the first event of a kind is logged at once; the others within the
interval are counted and summed up in one line when it ends (timed on the running
asyncio loop, so a burst that stops is still reported).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

INTERVAL_S = 10.0


@dataclass
class _Kind:
    last: float  # when a line was last written for this kind
    suppressed: int = 0
    latest: tuple[str, tuple[Any, ...]] | None = None  # the last suppressed message
    timer: asyncio.TimerHandle | None = None


class LogThrottle:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._kinds: dict[str, _Kind] = {}

    def warning(self, kind: str, message: str, *args: Any) -> None:
        now = self._clock()
        state = self._kinds.get(kind)
        if state is None or (now - state.last >= self.interval and not state.suppressed):
            self._kinds[kind] = _Kind(last=now)
            self.logger.warning(message, *args, stacklevel=2)
            return
        state.suppressed += 1
        state.latest = (message, args)
        if now - state.last >= self.interval:
            self._flush(kind)
        elif state.timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (a synchronous caller): the next event past the interval flushes
            state.timer = loop.call_later(state.last + self.interval - now, self._flush, kind)

    def flush(self) -> None:
        """Write every pending summary now (on shutdown)."""
        for kind in list(self._kinds):
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        state = self._kinds[kind]
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if not state.suppressed or state.latest is None:
            return
        message, args = state.latest
        count, state.suppressed, state.latest = state.suppressed, 0, None
        state.last = self._clock()
        self.logger.warning(
            "%d more in the last %.0f s like: " + message, count, self.interval, *args
        )
