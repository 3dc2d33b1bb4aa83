"""Helpers every sub-command shares: options, config loading, output, exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controller.config import SiteConfig


class UsageError(Exception):
    """Bad usage or invalid configuration: exit code 2."""


class CommandFailed(Exception):
    """The action itself failed: exit code 1."""


def add_common_options(parser: argparse.ArgumentParser, top_level: bool = False) -> None:
    # SUPPRESS lets `gobo --config X cmd` and `gobo cmd --config X` both work.
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None if top_level else argparse.SUPPRESS,
        help="site configuration (default: $GOBO_CONFIG or /etc/gobo/site.toml)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def new_command(
    subparsers: argparse._SubParsersAction, name: str, help_text: str, func: Any
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    add_common_options(parser)
    parser.set_defaults(func=func)
    return parser


def load_config(args: argparse.Namespace) -> SiteConfig:
    # Imported here so the live commands (`gobo status`) start without every area's parsers.
    from controller.config import ConfigError, load_site_config, resolve_config_path

    try:
        return load_site_config(resolve_config_path(getattr(args, "config", None)))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
