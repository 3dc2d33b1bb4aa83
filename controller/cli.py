"""The `gobo` command: one argparse front end over the command modules."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from controller.commands.common import CommandFailed, UsageError, add_common_options

# Each module registers its sub-commands; order is the order of `gobo --help`.
COMMAND_MODULES = (
    "controller.commands.demo",
    "controller.commands.check",
    "controller.commands.fixtures",
    "controller.commands.nodes",
    "controller.commands.report",
    "controller.commands.live",
    "controller.commands.daemon",
    "controller.commands.sun",
    "controller.commands.schedule",
    "controller.commands.convert",
    "controller.commands.artwork",
    "controller.commands.web",
)


# The live commands talk to a running daemon and must start fast (`gobo status` within 3x a
# bare interpreter start): for them only their own module is imported, not every area's.
LIVE_MODULE = "controller.commands.live"
LIVE_COMMANDS = frozenset(
    ("status", "why", "set", "identify", "blackout", "resume", "play", "next", "master", "monitor")
)


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    args = iter(argv)
    for arg in args:
        if arg == "--config":
            next(args, None)
        elif not arg.startswith("-"):
            return (LIVE_MODULE,) if arg in LIVE_COMMANDS else COMMAND_MODULES
    return COMMAND_MODULES


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gobo",
        description="Lighting controller that projects children's drawings after dark.",
    )
    add_common_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name in modules:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_modules_for(argv))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"gobo: {exc}", file=sys.stderr)
        return 2
    except CommandFailed as exc:
        print(f"gobo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `gobo monitor | head` must not print a traceback
        return 0


if __name__ == "__main__":
    sys.exit(main())
