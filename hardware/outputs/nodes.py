"""The Art-Net nodes that answered ArtPoll, and the patched universes none of them takes:
pure bookkeeping, times given by the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hardware.outputs.artnet_packets import PollReply, port_address_notation, qlc_universe

POLL_INTERVAL_S = 2.75  # Art-Net 4: a controller polls every 2.5 to 3 s
REPLY_WAIT_S = 3.0  # ... and allows 3 s for every reply to come in
NODE_TIMEOUT_S = 3 * POLL_INTERVAL_S + REPLY_WAIT_S  # three polls unanswered: gone


def universe_json(port_address: int) -> dict[str, Any]:
    """One Port-Address in both conventions a technician meets."""
    return {"port_address": port_address,
            "net_subnet_universe": port_address_notation(port_address),
            "qlc_universe": qlc_universe(port_address)}


def universe_text(port_address: int) -> str:
    return f"{port_address_notation(port_address)} (QLC+ Universe {qlc_universe(port_address)})"


@dataclass(frozen=True)
class Node:
    """One node (an IP address), its ArtPollReply pages merged."""

    ip: str
    short_name: str
    long_name: str
    report: str
    style: str
    takes: tuple[int, ...]  # Port-Addresses it outputs (consumes from the network)
    sends: tuple[int, ...]  # Port-Addresses it inputs onto the network
    seen: float

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "ip": self.ip, "short_name": self.short_name, "long_name": self.long_name,
            "style": self.style, "report": self.report,
            "takes": [universe_json(a) for a in self.takes],
            "sends": [universe_json(a) for a in self.sends],
            "seen_s_ago": round(now - self.seen, 1),
        }


class NodeTable:
    def __init__(self) -> None:
        self._pages: dict[tuple[str, int], tuple[PollReply, float]] = {}

    def record(self, reply: PollReply, now: float) -> None:
        self._pages[(reply.ip, reply.bind_index)] = (reply, now)

    def live(self, now: float) -> list[Node]:
        """Nodes heard from within NODE_TIMEOUT_S, by IP address; older pages are forgotten."""
        self._pages = {k: v for k, v in self._pages.items() if now - v[1] <= NODE_TIMEOUT_S}
        by_ip: dict[str, list[tuple[PollReply, float]]] = {}
        for (ip, _), page in sorted(self._pages.items()):
            by_ip.setdefault(ip, []).append(page)
        nodes = []
        for ip, pages in by_ip.items():
            root = pages[0][0]
            nodes.append(Node(
                ip=ip, short_name=root.short_name, long_name=root.long_name,
                report=root.report, style=root.style,
                takes=tuple(sorted({a for p, _ in pages for a in p.outputs})),
                sends=tuple(sorted({a for p, _ in pages for a in p.inputs})),
                seen=max(seen for _, seen in pages),
            ))
        return nodes


@dataclass(frozen=True)
class PatchedOutput:
    """An Art-Net output as the patch has it: where it sends which Port-Addresses."""

    name: str
    host: str
    port_addresses: tuple[int, ...]


def unanswered(nodes: Iterable[Node], outputs: Iterable[PatchedOutput]) -> list[str]:
    """A warning per patched universe that no answering node takes, or that only a node
    other than the output's host takes (the data goes to the wrong box)."""
    takers: dict[int, list[Node]] = {}
    for node in nodes:
        for address in node.takes:
            takers.setdefault(address, []).append(node)
    warnings = []
    for output in outputs:
        for address in output.port_addresses:
            where = f"output {output.name} universe {universe_text(address)}"
            found = takers.get(address, [])
            if not found:
                warnings.append(f"{where}: no Art-Net node answering ArtPoll takes it")
            elif all(node.ip != output.host for node in found):
                others = ", ".join(f"{n.short_name or '?'} at {n.ip}" for n in found)
                warnings.append(f"{where}: taken by {others}, but the output sends to "
                                f"{output.host}")
    return warnings
