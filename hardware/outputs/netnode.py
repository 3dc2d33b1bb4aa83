"""Art-Net and sACN through pyartnet 2.0, adapted to whole-frame outputs.

pyartnet keeps the socket, the universes with their sequence counters and the
keep-alive task. Packets go on the wire from the frame loop itself: `send()` ends in
`tick()`, which sendto()s (non-blocking) every changed universe and every unchanged one
due its keep-alive, at most `fps` times a second. pyartnet's process task, which sends
on a timer of its own and so drifts against the frame loop (an outside receiver saw
p99 4.4 ms jitter), is never started. We replace what 2.0 gets wrong for us (see
notes/dependencies.md, pyartnet pitfalls):
- packets are encoded here (pure functions, tested byte by byte): sACN priority,
  options (stream-terminated) and the correct multicast group 239.255.(U>>8).(U&255);
- the refresh worker sleeps the *remaining* time and idles when there are no
  universes (2.0 sleeps the elapsed time and busy-loops); while ticks come it leaves
  the keep-alives to them, so they too stay on the frame grid, and it sends the frames
  given before open on its first run;
- send errors never reach pyartnet's tasks (whose retry back-off grows without
  bound): they are reported to our health and retried on the next frame/refresh;
- a node is used for one `async with` only; a retry makes a new node.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import socket
import struct
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from time import monotonic
from typing import Any

from pyartnet import ArtNetNode, SacnNode
from pyartnet.base.network import UnicastNetworkTarget
from pyartnet.errors import PyArtNetError
from pyartnet.impl_artnet.universe import ArtNetUniverse
from pyartnet.impl_sacn.universe import SacnUniverse

from hardware.outputs.base import DISCONNECTED, ERROR, OK, Health, HealthTracker, Output
from hardware.outputs.config import OutputConfig

SLOTS = 512
ARTNET_HEADER = b"Art-Net\x00" + struct.pack("<H", 0x5000) + struct.pack(">H", 14)
ACN_ID = b"ASC-E1.17\x00\x00\x00"
STREAM_TERMINATED = 0x40
_NETWORK_DOWN = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL}
_MAX_RETRY_SECONDS = 2.0
_BURST = 1.25  # token bucket size, in sends

SendReport = Callable[[OSError | None], None]


def encode_artdmx(port_address: int, sequence: int, data: bytes) -> bytes:
    """ArtDmx (OpCode 0x5000, protocol 14): port address 0..32767, even length 2..512."""
    if len(data) % 2:
        data += b"\x00"
    return b"".join((
        ARTNET_HEADER,
        bytes((sequence, 0, port_address & 0xFF, (port_address >> 8) & 0x7F)),
        struct.pack(">H", len(data)),
        data,
    ))


def encode_sacn(cid: bytes, source_name: str, priority: int, sequence: int, options: int,
                universe: int, data: bytes) -> bytes:
    """E1.31 data packet (root vector 4, framing vector 2, start code 0)."""
    count = len(data) + 1
    name = source_name.encode("utf-8")[:63].ljust(64, b"\x00")
    return b"".join((
        struct.pack(">HH", 0x0010, 0x0000), ACN_ID,
        struct.pack(">HI", 0x7000 | (count + 109), 4), cid,
        struct.pack(">HI", 0x7000 | (count + 87), 2), name,
        struct.pack(">BHBBH", priority, 0, sequence, options, universe),
        struct.pack(">HBBHHH", 0x7000 | (count + 10), 0x02, 0xA1, 0, 1, count),
        b"\x00", data,
    ))


def sacn_multicast_group(universe: int) -> str:
    """E1.31 9.3.1: 239.255.(U >> 8).(U & 0xFF) (pyartnet 2.0 uses U // 255, U % 255)."""
    return f"239.255.{universe >> 8}.{universe & 0xFF}"


class _FrameUniverseMixin:
    """A universe that takes a whole 512-slot frame instead of channel objects."""

    _data: bytearray
    _data_changed: bool
    _node: Any

    def set_frame(self, frame: bytes) -> None:
        """Take the frame; the node's next tick sends it if it changed."""
        if frame == self._data:
            return
        self._data[:] = frame
        self._data_changed = True


class FrameArtNetUniverse(_FrameUniverseMixin, ArtNetUniverse):
    def __init__(self, node: Any, universe: int) -> None:
        super().__init__(node, universe)
        self._resize_universe(SLOTS)


class FrameSacnUniverse(_FrameUniverseMixin, SacnUniverse):
    def __init__(self, node: Any, universe: int) -> None:
        super().__init__(node, universe)
        self._resize_universe(SLOTS)


class _NodeMixin:
    """Shared by both node types: sending on the frame tick, reporting transmit, a refresh
    worker that only stands in when no ticks come."""

    _socket: socket.socket | None
    _universes: tuple[Any, ...]
    _refresh_every: float
    _process_every: float  # 1 / max_fps
    report: SendReport
    _credit = _BURST  # the rate limiter's token bucket, in sends
    _credit_at = -math.inf
    _last_tick = -math.inf  # when a tick last sent

    def tick(self, now: float) -> bool:
        """Send, now, each universe that changed or is due a keep-alive; False when the rate
        limit (max_fps) holds this tick back, whose changes then go with the next one.

        The limit is a token bucket refilled at max_fps and holding _BURST sends: the average
        rate stays at most max_fps, and a tick up to a quarter period early (frame-loop
        jitter) still sends instead of dropping that frame.
        """
        if self._socket is None:
            return False
        credit = min(_BURST, self._credit + (now - self._credit_at) / self._process_every)
        self._credit_at = now
        if credit < 1.0:
            self._credit = credit
            return False
        self._credit = credit - 1.0
        self._last_tick = now
        keepalive = self._refresh_every - self._process_every / 2  # the tick nearest to it
        for universe in self._universes:
            if universe._data_changed or now - universe._last_send >= keepalive:
                universe.send_data()
                universe._last_send = now
        return True

    def _transmit(self, packet: bytes, dst: tuple[str, int]) -> None:
        sock = self._socket
        if sock is None:
            return
        try:
            sock.sendto(packet, dst)
        except OSError as exc:
            self.report(exc)
        else:
            self.report(None)

    def _send_data(self, data: bytearray | bytes, dst: Any = None) -> None:
        self._transmit(bytes(self._packet_base) + bytes(data), dst)  # type: ignore[attr-defined]

    async def _periodic_refresh_worker(self) -> None:
        while True:
            if not self._universes:
                await asyncio.sleep(self._refresh_every)
                continue
            now = monotonic()
            # While ticks come they send the keep-alives on the frame grid; this steps in
            # when they stop (before the first frame, a stalled loop) or fall 2 periods behind.
            ticking = now - self._last_tick <= 2 * self._process_every
            limit = self._refresh_every + (2 * self._process_every if ticking else 0.0)
            for universe in self._universes:
                if now - universe._last_send >= limit:
                    universe.send_data()
            oldest = min(u._last_send for u in self._universes)
            await asyncio.sleep(max(0.01, oldest + limit - monotonic()))

    async def __aexit__(self, *exc: object) -> None:
        await super().__aexit__(*exc)  # type: ignore[misc]
        self._socket = None  # 2.0 leaves the closed socket in place (typo `self.socket`)


class GoboArtNetNode(_NodeMixin, ArtNetNode):
    def __init__(self, network: UnicastNetworkTarget, report: SendReport, **kwargs: Any) -> None:
        super().__init__(network, **kwargs)
        self.report = report

    def _create_universe(self, nr: int) -> FrameArtNetUniverse:
        return FrameArtNetUniverse(self, self._validate_universe_nr(nr))

    def _validate_universe_nr(self, nr: int) -> int:
        if not 0 <= nr <= 32767:  # 2.0 lets 32768 through
            raise PyArtNetError(f"Art-Net port address {nr} is outside 0..32767")
        return nr

    def _send_universe(self, id: int, byte_size: int, values: bytearray, universe: Any) -> None:
        packet = encode_artdmx(id, self._sequence_ctr.value, bytes(values))
        self._transmit(packet, self._dst)


class GoboSacnNode(_NodeMixin, SacnNode):
    def __init__(self, network: Any, report: SendReport, *, priority: int, source_name: str,
                 cid: bytes | None = None, **kwargs: Any) -> None:
        super().__init__(network, cid=cid, source_name=source_name, **kwargs)
        self.report = report
        self.priority = priority
        self.source_name = source_name
        self.cid = bytes(self._packet_base[22:38])

    def _create_universe(self, nr: int) -> FrameSacnUniverse:
        return FrameSacnUniverse(self, self._validate_universe_nr(nr))

    def _get_universe_ip_port(self, universe: int) -> tuple[str, int]:
        network = self._network
        if isinstance(network, UnicastNetworkTarget):
            return network.dst
        if network.ip_v6:
            return f"FF18::8300:{universe:04X}", 5568
        return sacn_multicast_group(universe), 5568

    def _encode(self, universe: Any, options: int) -> bytes:
        return encode_sacn(self.cid, self.source_name, self.priority,
                           universe._sequence_ctr.value, options, universe._universe,
                           bytes(universe._data))

    def _send_universe(self, id: int, byte_size: int, values: bytearray, universe: Any) -> None:
        self._transmit(self._encode(universe, 0), universe._dst)

    def terminate(self) -> None:
        """Three stream-terminated packets per universe (E1.31 6.2.6)."""
        for universe in self._universes:
            for _ in range(3):
                self._transmit(self._encode(universe, STREAM_TERMINATED), universe._dst)


class NetworkOutput(Output):
    """An Art-Net or sACN output: one pyartnet node, replaced on retry."""

    def __init__(self, config: OutputConfig, universes: Iterable[int]) -> None:
        self.name = config.name
        self.config = config
        self._health = HealthTracker(config.name)
        self._frames: dict[int, bytes] = {u: bytes(SLOTS) for u in universes}
        self._bad: dict[int, str] = {}  # universes the node refused: an error until restart
        self._node: GoboArtNetNode | GoboSacnNode | None = None
        self._retry: asyncio.Task[None] | None = None

    @abstractmethod
    def _make_node(self) -> GoboArtNetNode | GoboSacnNode: ...

    @abstractmethod
    def _target(self) -> str: ...

    def health(self) -> Health:
        return self._health.get()

    async def open(self) -> None:
        if not await self._try_open():
            self._retry = asyncio.create_task(self._retry_open(), name=f"open {self.name}")

    async def _try_open(self) -> bool:
        node = self._make_node()
        try:
            for universe, frame in self._frames.items():
                node.add_universe(universe).set_frame(frame)
        except PyArtNetError as exc:
            self._health.set(ERROR, f"bad universe: {exc}")
            return True  # configuration, not the network: retrying will not help
        try:
            await node.__aenter__()
        except OSError as exc:
            self._health.set(DISCONNECTED, f"cannot open socket for {self._target()}: "
                             f"{exc.strerror or exc}; retrying")
            return False
        self._node = node
        self._report(None)
        return True

    async def _retry_open(self) -> None:
        delay = 0.1
        while not await self._try_open():
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_SECONDS)

    def send(self, universes: Mapping[int, bytes]) -> None:
        """Changed universes are on the wire when this returns (unless the fps limit holds
        this frame back: then with the next send)."""
        node = self._node
        for universe, frame in universes.items():
            if universe in self._bad:
                continue
            frame = bytes(frame[:SLOTS]).ljust(SLOTS, b"\x00")
            self._frames[universe] = frame
            if node is None:
                continue
            try:
                node.get_universe(universe).set_frame(frame)
            except PyArtNetError:
                try:
                    node.add_universe(universe).set_frame(frame)
                except PyArtNetError as exc:
                    del self._frames[universe]
                    self._bad[universe] = f"universe {universe}: {exc}"
                    self._health.set(ERROR, self._bad[universe])
        if node is not None:
            node.tick(monotonic())

    def _report(self, exc: OSError | None) -> None:
        if exc is None:
            if self._bad:  # the other universes go out, but a refused one stays an error
                self._health.set(ERROR, "; ".join(self._bad.values()))
            else:
                self._health.set(OK, f"sending to {self._target()}")
        elif exc.errno in _NETWORK_DOWN:
            self._health.set(DISCONNECTED, f"{self._target()}: {exc.strerror}; retrying")
        else:
            self._health.set(ERROR, f"{self._target()}: {exc.strerror or exc}; retrying")

    def _flush(self, node: GoboArtNetNode | GoboSacnNode) -> None:
        for universe in node._universes:
            universe.send_data()

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            # Wait for it: cancelled inside node.__aenter__, it must not leave a socket open.
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        node, self._node = self._node, None
        if node is not None:
            self._flush(node)
            await node.__aexit__(None, None, None)
        self._health.closed()
