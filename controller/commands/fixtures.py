"""`gobo fixtures`: the patch with addresses and each fixture's channel map."""

from __future__ import annotations

import argparse
from typing import Any

from controller.commands.common import add_json_option, load_config, new_command, print_json
from hardware import Patch, PatchedFixture
from hardware.outputs.nodes import universe_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "fixtures", "list the patch: addresses and channel maps of every fixture", run
    )
    add_json_option(parser)


def universe_label(patch: Patch, output: str, universe: int) -> str:
    """"universe 1", and for Art-Net both ways desks write it: "universe 1 (0:0:1, QLC+
    Universe 2)" (QLC+ counts Port-Address 0 as Universe 1)."""
    if patch.output(output).type != "artnet":
        return f"universe {universe}"
    both = universe_json(universe)
    return (f"universe {universe} ({both['net_subnet_universe']}, "
            f"QLC+ Universe {both['qlc_universe']})")


def fixture_json(fixture: PatchedFixture, patch: Patch) -> dict[str, Any]:
    art_net = patch.output(fixture.output).type == "artnet"
    return {
        "name": fixture.name,
        "profile": fixture.profile,
        "profile_name": fixture.profile_name,
        "mode": fixture.mode,
        "output": fixture.output,
        "universe": fixture.universe,
        **({"art_net": universe_json(fixture.universe)} if art_net else {}),
        "address": fixture.address,
        "footprint": fixture.footprint,
        "attributes": sorted(fixture.attributes),
        "pixels": list(fixture.pixels) if fixture.pixels else None,
        "wheel_slots": fixture.wheel_slots,
        "gobo_kind": fixture.gobo_kind,
        "curve": fixture.curve,
        "channels": [
            {
                "offset": c.offset,
                "dmx": fixture.address + c.offset - 1,
                "attribute": c.attribute,
                "byte": c.byte,
                "name": c.name,
                **({"pixel": c.pixel + 1} if c.pixel is not None else {}),
            }
            for c in fixture.channels
        ],
    }


def format_patch(patch: Patch) -> str:
    if not patch.fixtures:
        return "no fixtures patched (add [[fixture]] tables to the site configuration)"
    lines = []
    for f in sorted(patch.fixtures, key=lambda f: (f.output, f.universe, f.address)):
        extra = f", {f.pixels[0]}x{f.pixels[1]} pixels" if f.pixels else ""
        extra += f", gobo wheel {f.wheel_slots} slots" if f.wheel_slots else ""
        lines.append(
            f"{f.name}: {f.profile_name} [{f.mode}] on {f.output} "
            f"{universe_label(patch, f.output, f.universe)}, "
            f"DMX {f.address}-{f.address + f.footprint - 1} ({f.footprint} ch{extra})"
        )
        for c in f.channels:
            what = c.attribute or "-"
            byte = "" if c.byte == "coarse" and c.resolution == 1 else f" ({c.byte})"
            pixel = f" pixel {c.pixel + 1}" if c.pixel is not None else ""
            lines.append(
                f"  {c.offset:>3}  DMX {f.address + c.offset - 1:>3}  "
                f"{what + byte + pixel:<28} {c.name}"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    if args.json:
        print_json([fixture_json(f, config.patch) for f in config.patch.fixtures])
    else:
        print(format_patch(config.patch))
    return 0
