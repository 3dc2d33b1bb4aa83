"""DMX outputs: Art-Net, sACN, Enttec DMX USB Pro and the simulated fixture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hardware.outputs.base import Health, Output
from hardware.outputs.config import OutputConfig, parse_output


def create_output(config: OutputConfig, fixtures: Sequence[Any], *, site_name: str = "gobo",
                  cid: bytes | None = None) -> Output:
    """The output for one [[output]] entry; `fixtures` are the PatchedFixtures patched to it.
    `site_name` names this controller in ArtPollReply; `cid` is an sACN output's source id."""
    universes = sorted({f.universe for f in fixtures if f.output == config.name})
    if config.type == "artnet":
        from hardware.outputs.artnet import ArtNetOutput

        return ArtNetOutput(config, universes, site_name)
    if config.type == "sacn":
        from hardware.outputs.sacn import SacnOutput

        return SacnOutput(config, universes, cid)
    if config.type == "enttec-usb-pro":
        from hardware.outputs.enttec import EnttecUsbProOutput

        return EnttecUsbProOutput(config, universes[0] if universes else 1)
    if config.type == "simulated":
        from hardware.outputs.simulated import SimulatedOutput

        return SimulatedOutput(config, fixtures)
    raise ValueError(f"output {config.name}: unknown type {config.type!r}")


__all__ = ["Health", "Output", "OutputConfig", "create_output", "parse_output"]
