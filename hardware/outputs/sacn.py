"""sACN (E1.31) output: unicast to a host, or multicast per universe to
239.255.(U >> 8).(U & 255) from the configured local interface address.

One CID per output for the life of the installation (given by the caller, kept in the
state directory), a sequence counter per universe, the final data of a change sent three
more times before the keep-alive rate, universe discovery every 10 s (E1.31-2016 section
8: to 239.255.250.214, or to the unicast host), and three stream-terminated packets per
universe at close.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from pyartnet.base import SequenceCounter
from pyartnet.base.network import MulticastNetworkTarget, UnicastNetworkTarget

from hardware.outputs.config import OutputConfig
from hardware.outputs.network import NetworkOutput
from hardware.outputs.sacn_packets import (
    DISCOVERY_INTERVAL_S,
    DISCOVERY_UNIVERSE,
    SACN_PORT,
    STREAM_TERMINATED,
    discovery_pages,
    encode_discovery,
    encode_sacn,
    sacn_multicast_group,
)

MAX_UNIVERSE = 63999
FINAL_REPEATS = 3


class SacnOutput(NetworkOutput):
    repeats = FINAL_REPEATS

    def __init__(self, config: OutputConfig, universes: Iterable[int], cid: bytes | None = None
                 ) -> None:
        super().__init__(config, universes)
        self.cid = cid if cid is not None else uuid.uuid4().bytes
        self._socket: Any = None

    def _target(self) -> str:
        if self.config.multicast:
            return f"sACN multicast from {self.config.host}"
        return f"sACN {self.config.host}:{self.config.port}"

    def _refusal(self, universe: int) -> str | None:
        if not 1 <= universe <= MAX_UNIVERSE:
            return f"sACN universes are 1..{MAX_UNIVERSE}"
        return None

    def _sequence_counter(self) -> SequenceCounter:
        return SequenceCounter()  # 0..255, then 0 again

    def _destination(self, universe: int) -> tuple[str, int]:
        if self.config.multicast:
            return sacn_multicast_group(universe), SACN_PORT
        assert self.config.host is not None and self.config.port is not None
        return self.config.host, self.config.port

    def _encode(self, universe: int, sequence: int, options: int, frame: bytes) -> bytes:
        config = self.config
        return encode_sacn(self.cid, config.source_name, config.priority, sequence, options,
                           universe, frame)

    def _packet(self, universe: int, sequence: int, frame: bytes) -> tuple[bytes, Any]:
        return self._encode(universe, sequence, 0, frame), self._destination(universe)

    def _transmit(self, packet: bytes, destination: Any) -> None:
        if self._socket is None:
            raise OSError(9, "sACN socket is not open")
        self._socket.sendto(packet, destination)

    async def _connect(self) -> None:
        config = self.config
        assert config.host is not None and config.port is not None
        # pyartnet's sockets: non-blocking; multicast bound to the interface address with
        # IP_MULTICAST_IF set to it.
        target = (MulticastNetworkTarget.create(config.host) if config.multicast
                  else UnicastNetworkTarget.create(config.host, config.port))
        self._socket = target.create_socket()
        self._spawn(self._discovery(), "sACN discovery")

    async def _disconnect(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

    async def _discovery(self) -> None:
        destination = self._destination(DISCOVERY_UNIVERSE)
        while True:
            pages = discovery_pages(self.universes)
            for index, page in enumerate(pages):
                packet = encode_discovery(self.cid, self.config.source_name, index,
                                          len(pages) - 1, page)
                self._report(self._sendto(packet, destination))
            await asyncio.sleep(DISCOVERY_INTERVAL_S)

    async def _final(self) -> None:
        """Three stream-terminated packets per universe (E1.31 6.2.6)."""
        for universe, stream in self._streams.items():
            for _ in range(3):
                packet = self._encode(universe, self._sequences[universe].value,
                                      STREAM_TERMINATED, stream.frame)
                self._sendto(packet, self._destination(universe))

    def wire(self) -> dict[str, Any]:
        return {"cid": str(uuid.UUID(bytes=self.cid)), "universes": self.universes,
                "discovery": "multicast 239.255.250.214" if self.config.multicast
                else f"unicast {self.config.host}:{self.config.port}"}
