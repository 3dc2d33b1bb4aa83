"""What Art-Net and sACN outputs share: whole 512-slot frames sent from the frame tick.

`send()` ends in a tick that sendto()s (non-blocking) every universe that is due: changed,
owed a repeat of its final data, or due its keep-alive, at most `fps` times a second (see
stream.py). A small task stands in for the ticks when they stop (before the first frame,
a stalled loop), so keep-alives never lapse. Send errors feed the health and are retried
with the next tick; a failed open is retried with back-off.

pyartnet 2.0 provides the sequence counters (`pyartnet.base.SequenceCounter`, one per
universe) and the sockets (`UnicastNetworkTarget`/`MulticastNetworkTarget.create_socket`);
packets are encoded in artnet_packets.py and sacn_packets.py. README ("pyartnet") says
why its nodes do not carry the frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from time import monotonic
from typing import Any

from pyartnet.base import SequenceCounter

from hardware.outputs.base import DISCONNECTED, ERROR, OK, Health, HealthTracker, Output
from hardware.outputs.config import OutputConfig
from hardware.outputs.stream import SLOTS, RateLimiter, UniverseStream, tick

_NETWORK_DOWN = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL}
_MAX_RETRY_SECONDS = 2.0
_IDLE_CHECK_S = 0.05  # how often the stand-in looks whether ticks have stopped


class NetworkOutput(Output):
    """An Art-Net or sACN output; subclasses encode, address and transmit the packets."""

    repeats = 0  # sends of unchanged final data after a change, before keep-alives

    def __init__(self, config: OutputConfig, universes: Iterable[int]) -> None:
        self.name = config.name
        self.config = config
        self._health = HealthTracker(config.name)
        self._limiter = RateLimiter(config.fps)
        self._streams: dict[int, UniverseStream] = {}
        self._sequences: dict[int, SequenceCounter] = {}
        self._bad: dict[int, str] = {}  # universes refused: an error until restart
        self._open = False
        self._last_tick = -1e9
        self._tasks: list[asyncio.Task[None]] = []
        for universe in universes:
            self._add(universe)

    # -- what a protocol provides ---------------------------------------------------------

    @abstractmethod
    def _refusal(self, universe: int) -> str | None:
        """Why this universe number cannot be sent, or None."""

    @abstractmethod
    def _sequence_counter(self) -> SequenceCounter: ...

    @abstractmethod
    def _packet(self, universe: int, sequence: int, frame: bytes) -> tuple[bytes, Any]:
        """The packet for one universe and where it goes."""

    @abstractmethod
    async def _connect(self) -> None:
        """Open the socket; OSError is retried."""

    @abstractmethod
    def _transmit(self, packet: bytes, destination: Any) -> None:
        """sendto(), non-blocking; raises OSError."""

    @abstractmethod
    async def _disconnect(self) -> None: ...

    @abstractmethod
    def _target(self) -> str: ...

    def _detail(self) -> str:
        return f"sending to {self._target()}"

    async def _final(self) -> None:
        """Sent at close after the last frame (sACN: stream terminated)."""

    def wire(self) -> dict[str, Any]:
        """What `gobo status --json` shows under this output beside its health."""
        return {}

    @property
    def universes(self) -> list[int]:
        return sorted(self._streams)

    # -- Output ----------------------------------------------------------------------------

    def health(self) -> Health:
        return self._health.get()

    async def open(self) -> None:
        if not await self._try_open():
            self._spawn(self._retry_open(), "open")
        self._spawn(self._stand_in(), "keep-alive")

    def send(self, universes: Mapping[int, bytes]) -> None:
        """Changed universes are on the wire when this returns (unless the fps limit holds
        this frame back: then with the next send)."""
        for universe, frame in universes.items():
            stream = self._streams.get(universe)
            if stream is None:
                if universe in self._bad or not self._add(universe):
                    continue
                stream = self._streams[universe]
            stream.update(bytes(frame[:SLOTS]).ljust(SLOTS, b"\x00"))
        if self._open:
            now = monotonic()
            self._last_tick = now
            self._tick(now)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:  # a retry cancelled mid-open must leave no socket behind
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._open:
            for universe, stream in self._streams.items():  # the last frame, once more
                self._emit(universe, stream.frame)
            await self._final()
            self._open = False
            await self._disconnect()
        self._health.closed()

    # -- inside ----------------------------------------------------------------------------

    def _add(self, universe: int) -> bool:
        refusal = self._refusal(universe)
        if refusal is not None:
            self._bad[universe] = f"universe {universe}: {refusal}"
            self._health.set(ERROR, "; ".join(self._bad.values()))
            return False
        self._streams[universe] = UniverseStream(self.config.refresh_seconds, self.repeats)
        self._sequences[universe] = self._sequence_counter()
        return True

    def _tick(self, now: float) -> None:
        due = tick(self._limiter, self._streams, now)
        if due is None:
            return
        error: OSError | None = None
        for universe in due:
            error = self._emit(universe, self._streams[universe].frame) or error
        self._report(error)

    def _emit(self, universe: int, frame: bytes) -> OSError | None:
        return self._sendto(*self._packet(universe, self._sequences[universe].value, frame))

    def _sendto(self, packet: bytes, destination: Any) -> OSError | None:
        try:
            self._transmit(packet, destination)
        except OSError as exc:
            return exc
        return None

    async def _stand_in(self) -> None:
        while True:
            await asyncio.sleep(_IDLE_CHECK_S)
            now = monotonic()
            if self._open and now - self._last_tick > 2 * self._limiter.period:
                self._tick(now)

    async def _try_open(self) -> bool:
        try:
            await self._connect()
        except OSError as exc:
            self._health.set(DISCONNECTED, f"cannot open socket for {self._target()}: "
                             f"{exc.strerror or exc}; retrying")
            return False
        self._open = True
        if not self._bad:
            self._health.set(OK, self._detail())
        return True

    async def _retry_open(self) -> None:
        delay = 0.1
        while not await self._try_open():
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_SECONDS)

    def _spawn(self, coroutine: Any, what: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=f"{what} {self.name}"))

    def _report(self, exc: OSError | None) -> None:
        if exc is None:
            if self._bad:  # the other universes go out, but a refused one stays an error
                self._health.set(ERROR, "; ".join(self._bad.values()))
            else:
                self._health.set(OK, self._detail())
        elif exc.errno in _NETWORK_DOWN:
            self._health.set(DISCONNECTED, f"{self._target()}: {exc.strerror}; retrying")
        else:
            self._health.set(ERROR, f"{self._target()}: {exc.strerror or exc}; retrying")
