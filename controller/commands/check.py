"""`gobo check`: validate configuration, profiles and patch."""

from __future__ import annotations

import argparse

from controller.commands.common import add_json_option, load_config, new_command, print_json


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
    return 0
