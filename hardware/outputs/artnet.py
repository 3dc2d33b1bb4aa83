"""Art-Net output: ArtDmx unicast to one node through pyartnet.

Config `universe` N is the 15-bit Port-Address N (Net = N >> 8, Sub-Net = (N >> 4) & 15,
Universe = N & 15): universe = 1 reaches a node port set to 0:0:1.
"""

from __future__ import annotations

from pyartnet.base.network import UnicastNetworkTarget

from hardware.outputs.netnode import GoboArtNetNode, NetworkOutput


class ArtNetOutput(NetworkOutput):
    def _target(self) -> str:
        return f"Art-Net {self.config.host}:{self.config.port}"

    def _make_node(self) -> GoboArtNetNode:
        config = self.config
        assert config.host is not None and config.port is not None
        return GoboArtNetNode(
            UnicastNetworkTarget.create(config.host, config.port),
            self._report,
            name=f"gobo-{config.name}",
            max_fps=round(config.fps),
            refresh_every=config.refresh_seconds,
        )
