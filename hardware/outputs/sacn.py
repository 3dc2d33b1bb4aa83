"""sACN (E1.31) output through pyartnet: unicast to a host, or multicast per universe
to 239.255.(U >> 8).(U & 255) from the configured local interface address."""

from __future__ import annotations

from collections.abc import Iterable

from pyartnet.base.network import MulticastNetworkTarget, UnicastNetworkTarget

from hardware.outputs.config import OutputConfig
from hardware.outputs.netnode import GoboArtNetNode, GoboSacnNode, NetworkOutput


class SacnOutput(NetworkOutput):
    def __init__(self, config: OutputConfig, universes: Iterable[int], cid: bytes | None = None
                 ) -> None:
        super().__init__(config, universes)
        self._cid = cid  # one CID per source for its lifetime, kept across reconnects

    def _target(self) -> str:
        if self.config.multicast:
            return f"sACN multicast from {self.config.host}"
        return f"sACN {self.config.host}:{self.config.port}"

    def _make_node(self) -> GoboSacnNode:
        config = self.config
        assert config.host is not None and config.port is not None
        network: UnicastNetworkTarget | MulticastNetworkTarget
        if config.multicast:
            network = MulticastNetworkTarget.create(config.host)
        else:
            network = UnicastNetworkTarget.create(config.host, config.port)
        node = GoboSacnNode(
            network,
            self._report,
            priority=config.priority,
            source_name=config.source_name,
            cid=self._cid,
            name=f"gobo-{config.name}",
            max_fps=round(config.fps),
            refresh_every=config.refresh_seconds,
        )
        self._cid = node.cid
        return node

    def _flush(self, node: GoboArtNetNode | GoboSacnNode) -> None:
        super()._flush(node)
        if isinstance(node, GoboSacnNode):
            node.terminate()
