"""When a universe goes on the wire: pure bookkeeping, times given by the caller.

A universe is sent when its frame changed; then, for sACN, `repeats` more times on the next
sends (E1.31 6.6.1: three packets of the final data before suppression, so one lost
packet does not leave a fixture on a stale value), then every `keepalive` seconds.
The rate limit is shared by an output's universes: at most `fps` sends a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

SLOTS = 512
_BURST = 1.25  # token bucket size, in sends


@dataclass
class RateLimiter:
    """A token bucket refilled at `fps` holding _BURST sends: the average rate stays at most
    fps, and a tick up to a quarter period early (frame-loop jitter) still sends."""

    fps: float
    credit: float = _BURST
    at: float = -math.inf

    @property
    def period(self) -> float:
        return 1.0 / self.fps

    def allow(self, now: float) -> bool:
        credit = min(_BURST, self.credit + (now - self.at) * self.fps)
        self.at = now
        if credit < 1.0:
            self.credit = credit
            return False
        self.credit = credit - 1.0
        return True


@dataclass
class UniverseStream:
    keepalive: float
    repeats: int = 0
    frame: bytes = field(default=bytes(SLOTS))
    changed: bool = True  # the first frame always goes out
    pending: int = 0  # repeats of the final data still to send
    last_send: float = -math.inf

    def update(self, frame: bytes) -> None:
        if frame != self.frame:
            self.frame = frame
            self.changed = True

    def due(self, now: float, slack: float = 0.0) -> bool:
        """Changed, a repeat owed, or a keep-alive due within `slack` seconds."""
        return self.changed or self.pending > 0 or now - self.last_send >= self.keepalive - slack

    def sent(self, now: float) -> None:
        if self.changed:
            self.changed = False
            self.pending = self.repeats
        elif self.pending:
            self.pending -= 1
        self.last_send = now


def tick(limiter: RateLimiter, streams: Mapping[int, UniverseStream], now: float
         ) -> list[int] | None:
    """The universes to send now, marked as sent; None when the rate limit holds this tick
    back (its changes go with the next one). A keep-alive goes on the tick nearest to it."""
    if not limiter.allow(now):
        return None
    slack = limiter.period / 2
    due = [universe for universe, stream in streams.items() if stream.due(now, slack)]
    for universe in due:
        streams[universe].sent(now)
    return due
