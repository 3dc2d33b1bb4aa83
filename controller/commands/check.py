"""`gobo check`: validate configuration, profiles and patch."""

from __future__ import annotations

import argparse
from typing import Any

from controller.commands.common import add_json_option, load_config, new_command, print_json
from hardware import Patch


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "check", "validate the site configuration, profiles and patch", run
    )
    add_json_option(parser)


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    warnings = list(config.patch.warnings)
    summary = {
        "config": str(config.path),
        "site": config.site.name,
        "outputs": len(config.patch.outputs),
        "fixtures": len(config.patch.fixtures),
        "schedule_windows": len(config.schedule.windows),
        "universes": _universes(config.patch),
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
                f"  {use['output']} universe {use['universe']}: {use['fixtures']} fixtures, "
                f"{use['channels']} of 512 channels"
            )
    return 0


def _universes(patch: Patch) -> list[dict[str, Any]]:
    """Channel use per output and universe, so a technician sees what the patch occupies."""
    return [
        {
            "output": output,
            "universe": universe,
            "fixtures": len(members),
            "channels": sum(f.footprint for f in members),
        }
        for output, universe in sorted(patch.universes())
        for members in [[f for f in patch.fixtures if (f.output, f.universe) == (output, universe)]]
    ]
