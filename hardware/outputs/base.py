"""The output interface every DMX output implements, and its health bookkeeping."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import NamedTuple

OK = "ok"
DISCONNECTED = "disconnected"
ERROR = "error"
CLOSED = "closed"  # health detail of an output closed on purpose


class Health(NamedTuple):
    state: str  # "ok" | "disconnected" | "error"
    detail: str
    since: float  # time.time() of the last change of state


class Output(ABC):
    """One DMX output. The frame loop calls `send` every frame; nothing here may stall it."""

    name: str

    @abstractmethod
    async def open(self) -> None:
        """Start sending; runtime failures show in `health()` and are retried, never raised."""

    @abstractmethod
    def send(self, universes: Mapping[int, bytes]) -> None:
        """Take the latest 512-byte frame per universe; non-blocking, never raises."""

    @abstractmethod
    async def close(self) -> None:
        """Flush the final frame and release the device or socket."""

    @abstractmethod
    def health(self) -> Health:
        """Current state with a detail a technician can act on."""


class HealthTracker:
    """Health shared between the event loop and an I/O thread; logs once per change of state."""

    def __init__(self, name: str, state: str = DISCONNECTED, detail: str = "not opened") -> None:
        self._log = logging.getLogger(f"gobo.output.{name}")
        self._lock = threading.Lock()
        self._health = Health(state, detail, time.time())

    def get(self) -> Health:
        return self._health

    def closed(self) -> None:
        """Closed on purpose (shutdown, reload): not a fault, so not a warning."""
        self.set(DISCONNECTED, CLOSED, level=logging.INFO)

    def set(self, state: str, detail: str, level: int | None = None) -> None:
        with self._lock:
            current = self._health
            if state == current.state:
                if detail != current.detail:
                    self._health = current._replace(detail=detail)
                return
            self._health = Health(state, detail, time.time())
        if level is None:
            level = logging.INFO if state == OK else logging.WARNING
        self._log.log(level, "%s: %s", state, detail)
