"""Art-Net output: ArtDmx unicast to one node, from this controller's Art-Net endpoint.

Config `universe` N is the 15-bit Port-Address N (Net = N >> 8, Sub-Net = (N >> 4) & 15,
Universe = N & 15), or "net:subnet:universe" in a [[fixture]]: universe = 1 and "0:0:1"
reach a node port set to 0:0:1 (QLC+ calls it Universe 2). Each universe has its own
sequence counter, 1..255 wrapping (0 would switch re-ordering off at the node).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyartnet.base import SequenceCounter

from hardware.outputs import artnet_endpoint
from hardware.outputs.artnet_packets import MAX_PORT_ADDRESS, encode_artdmx
from hardware.outputs.config import OutputConfig
from hardware.outputs.network import NetworkOutput


class ArtNetOutput(NetworkOutput):
    def __init__(self, config: OutputConfig, universes: Iterable[int],
                 site_name: str = "gobo") -> None:
        assert config.host is not None and config.port is not None
        self.site_name = site_name
        self._endpoint: artnet_endpoint.ArtNetEndpoint | None = None
        self._destination = (config.host, config.port)
        super().__init__(config, universes)

    def _target(self) -> str:
        return f"Art-Net {self.config.host}:{self.config.port}"

    def _detail(self) -> str:
        polling = self._endpoint.polling if self._endpoint else "not open"
        return super()._detail() + ("" if polling == "on" else f"; ArtPoll {polling}")

    def _refusal(self, universe: int) -> str | None:
        if not 0 <= universe <= MAX_PORT_ADDRESS:
            return f"Art-Net Port-Addresses are 0..{MAX_PORT_ADDRESS}"
        return None

    def _sequence_counter(self) -> SequenceCounter:
        return SequenceCounter(1)  # 1..255, then 1 again: 0 is never sent

    def _packet(self, universe: int, sequence: int, frame: bytes) -> tuple[bytes, Any]:
        return encode_artdmx(universe, sequence, frame), self._destination

    def _transmit(self, packet: bytes, destination: Any) -> None:
        assert self._endpoint is not None
        self._endpoint.sendto(packet, destination)

    def _add(self, universe: int) -> bool:
        added = super()._add(universe)
        if added and self._endpoint is not None:
            self._attach(self._endpoint)  # ArtPollReply lists the new Port-Address
        return added

    def _attach(self, endpoint: artnet_endpoint.ArtNetEndpoint) -> None:
        endpoint.attach(artnet_endpoint.Attached(self.name, self._destination[0],
                                                 tuple(self.universes)))

    async def _connect(self) -> None:
        endpoint = artnet_endpoint.acquire(self.config.bind, self.site_name)
        self._attach(endpoint)
        self._endpoint = endpoint

    async def _disconnect(self) -> None:
        endpoint, self._endpoint = self._endpoint, None
        if endpoint is not None:
            endpoint.detach(self.name)
            await artnet_endpoint.release(endpoint)

    @property
    def endpoint(self) -> artnet_endpoint.ArtNetEndpoint | None:
        return self._endpoint

    def wire(self) -> dict[str, Any]:
        endpoint = self._endpoint
        return {"bind": self.config.bind,
                "artpoll": endpoint.polling if endpoint else "not open"}
