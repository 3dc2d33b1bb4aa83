"""`gobo check`: validate configuration, profiles and patch."""

from __future__ import annotations

import argparse
from typing import Any

from controller.commands.common import (
    add_json_option,
    load_config,
    new_command,
    print_json,
)
from controller.commands.fixtures import universe_label
from controller.commands.nodes import ask_daemon
from controller.control import ControlError
from hardware import Patch
from hardware.outputs.nodes import universe_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "check", "validate the site configuration, profiles and patch", run
    )
    add_json_option(parser)


def run(args: argparse.Namespace) -> int:
    config = load_config(args)  # [web] too: read by `gobo web`, a mistake shows here first
    warnings = list(config.patch.warnings)
    nodes = _nodes(args, config.patch, warnings)
    summary = {
        "config": str(config.path),
        "site": config.site.name,
        "outputs": len(config.patch.outputs),
        "fixtures": len(config.patch.fixtures),
        "schedule_windows": len(config.schedule.windows),
        "universes": _universes(config.patch),
        "art_net_nodes": nodes,
        "warnings": warnings,
    }
    if args.json:
        print_json(summary)
    else:
        for warning in warnings:
            print(f"warning: {warning}")
        print(
            f"{config.path}: OK ({summary['outputs']} outputs, {summary['fixtures']} fixtures, "
            f"{summary['schedule_windows']} schedule windows)"
        )
        for use in summary["universes"]:
            print(
                f"  {use['output']} {universe_label(config.patch, use['output'], use['universe'])}"
                f": {use['fixtures']} fixtures, {use['channels']} of 512 channels"
            )
        if nodes is not None:
            print(f"  Art-Net nodes: {nodes}")
    return 0


def _nodes(args: argparse.Namespace, patch: Patch, warnings: list[str]) -> str | None:
    """Ask the running daemon which patched Art-Net universes no node takes (its ArtPoll
    answers); a summary line, None without Art-Net outputs."""
    if not any(o.type == "artnet" for o in patch.outputs):
        return None
    try:
        report = ask_daemon(args)
    except ControlError as exc:
        return f"not checked ({exc})"
    warnings.extend(report.get("warnings", []))
    return f"{len(report.get('nodes', []))} answering the running daemon's ArtPoll"


def _universes(patch: Patch) -> list[dict[str, Any]]:
    """Channel use per output and universe, so a technician sees what the patch occupies."""
    return [
        {
            "output": output,
            "universe": universe,
            **({"art_net": universe_json(universe)}
               if patch.output(output).type == "artnet" else {}),
            "fixtures": len(members),
            "channels": sum(f.footprint for f in members),
        }
        for output, universe in sorted(patch.universes())
        for members in [[f for f in patch.fixtures if (f.output, f.universe) == (output, universe)]]
    ]
