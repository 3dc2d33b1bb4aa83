"""`gobo nodes`: the Art-Net nodes that answered the daemon's ArtPoll, the Port-Addresses
each takes, and the patched universes that no node takes."""

from __future__ import annotations

import argparse
from typing import Any

from controller.commands.common import CommandFailed, add_json_option, new_command, print_json
from controller.commands.daemon_socket import daemon_socket
from controller.control import ControlClient, ControlError, DaemonNotRunning


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "nodes", "Art-Net nodes answering ArtPoll, and universes none takes", run
    )
    add_json_option(parser)


def ask_daemon(args: argparse.Namespace) -> dict[str, Any]:
    """The daemon's wire report; DaemonNotRunning when there is none to ask."""
    target = daemon_socket(getattr(args, "config", None))
    return ControlClient(target.path, target.group).request("nodes")


def _universes(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{u['net_subnet_universe']} (QLC+ Universe {u['qlc_universe']})"
                     for u in entries) or "nothing"


def format_report(report: dict[str, Any]) -> list[str]:
    lines = []
    for name, info in sorted(report.get("outputs", {}).items()):
        if "artpoll" in info:
            lines.append(f"output {name}: Art-Net from {info['bind']}:6454, ArtPoll "
                         f"{info['artpoll']}; sends {_universes(info.get('universes', []))}")
    nodes = report.get("nodes", [])
    if not nodes:
        lines.append("no Art-Net node has answered ArtPoll")
    for node in nodes:
        name = node["short_name"] + (f" ({node['long_name']})" if node["long_name"] else "")
        lines.append(f"{node['ip']:<15} {name} [{node['style']}]")
        lines.append(f"{'':<15} takes {_universes(node['takes'])}")
    lines += [f"warning: {w}" for w in report.get("warnings", [])]
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        report = ask_daemon(args)
    except DaemonNotRunning as exc:
        raise CommandFailed(f"{exc} (nodes are found by the running daemon's ArtPoll)") from None
    except ControlError as exc:
        raise CommandFailed(str(exc)) from None
    if args.json:
        print_json(report)
    else:
        print("\n".join(format_report(report)))
    return 0
