"""Every output of a patch, opened and closed together, and what they know about the
network: sACN CIDs from the state directory, the Art-Net nodes that answered ArtPoll, and
the patched universes no node takes. The daemon holds one OutputSet; it reads like the
name -> Output mapping it replaces."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hardware.outputs import create_output
from hardware.outputs.artnet import ArtNetOutput
from hardware.outputs.base import Output
from hardware.outputs.cid import load_cids
from hardware.outputs.nodes import PatchedOutput, unanswered, universe_json

log = logging.getLogger("gobo.output")


class OutputSet(Mapping[str, Output]):
    def __init__(self, outputs: Mapping[str, Output]) -> None:
        self._outputs = dict(outputs)

    @classmethod
    def create(cls, patch: Any, state_dir: Path | None, site_name: str) -> OutputSet:
        """Outputs for every [[output]]; raises OSError when the CID file is unreadable."""
        sacn = [o.name for o in patch.outputs if o.type == "sacn"]
        cids = load_cids(state_dir, sacn) if sacn and state_dir is not None else {}
        return cls({
            config.name: create_output(
                config, [f for f in patch.fixtures if f.output == config.name],
                site_name=site_name, cid=cids.get(config.name))
            for config in patch.outputs
        })

    def __getitem__(self, name: str) -> Output:
        return self._outputs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)

    async def open(self) -> None:
        await asyncio.gather(*(output.open() for output in self._outputs.values()))

    async def close(self) -> None:
        results = await asyncio.gather(
            *(output.close() for output in self._outputs.values()), return_exceptions=True)
        for name, result in zip(self._outputs, results, strict=True):
            if isinstance(result, Exception):
                log.error("output %s: close failed: %s", name, result)

    # -- the network as this controller sees it ---------------------------------------------

    def _artnet(self) -> list[ArtNetOutput]:
        return [o for o in self._outputs.values() if isinstance(o, ArtNetOutput)]

    def nodes(self, now: float | None = None) -> list[dict[str, Any]]:
        """Art-Net nodes that answered ArtPoll on any of this set's endpoints."""
        now = time.time() if now is None else now
        endpoints = {id(o.endpoint): o.endpoint for o in self._artnet() if o.endpoint}
        found = {node.ip: node for e in endpoints.values() for node in e.live_nodes(now)}
        return [node.as_json(now) for _, node in sorted(found.items())]

    def warnings(self, now: float | None = None) -> list[str]:
        """Patched Art-Net universes that no answering node takes (once the first poll's
        replies are in; nothing while ArtPoll is off)."""
        now = time.time() if now is None else now
        warnings: list[str] = []
        for output in self._artnet():
            endpoint = output.endpoint
            if endpoint is None or not endpoint.answers_known(now):
                continue
            assert output.config.host is not None
            patched = PatchedOutput(output.name, output.config.host, tuple(output.universes))
            warnings += unanswered(endpoint.live_nodes(now), [patched])
        return warnings

    def report(self, now: float | None = None) -> dict[str, Any]:
        """Wire facts for `gobo status --json` and `gobo nodes --json`."""
        now = time.time() if now is None else now
        outputs: dict[str, Any] = {}
        for name, output in self._outputs.items():
            wire = getattr(output, "wire", None)
            info = dict(wire()) if wire else {}
            if isinstance(output, ArtNetOutput):
                info["universes"] = [universe_json(u) for u in output.universes]
            outputs[name] = info
        return {"outputs": outputs, "nodes": self.nodes(now), "warnings": self.warnings(now)}


EMPTY_REPORT: dict[str, Any] = {"outputs": {}, "nodes": [], "warnings": []}


def wire_report(outputs: Any) -> dict[str, Any]:
    """The report of the daemon's outputs (empty where they are not an OutputSet)."""
    return outputs.report() if isinstance(outputs, OutputSet) else dict(EMPTY_REPORT)


def add_to_status(status: dict[str, Any], outputs: Any) -> dict[str, Any]:
    """`gobo status --json`: each output's wire facts beside its health (sACN CID, Art-Net
    bind and ArtPoll), and the nodes and wire warnings."""
    report = wire_report(outputs)
    health = status.get("outputs") or {}
    for name, info in report["outputs"].items():
        if isinstance(health.get(name), dict):
            health[name].update(info)
    status["nodes"] = report["nodes"]
    status["wire_warnings"] = report["warnings"]
    return status


def add_to_why(why: str, outputs: Any) -> str:
    """`gobo why`: the first wire warning after the reason (lights on a universe no node
    takes stay dark whatever the show does)."""
    warnings = wire_report(outputs)["warnings"]
    if not warnings:
        return why
    more = f" (+{len(warnings) - 1} more: gobo nodes)" if len(warnings) > 1 else ""
    return f"{why}; warning: {warnings[0]}{more}"
