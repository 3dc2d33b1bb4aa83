"""`gobo daemon`: run the service in the foreground (systemd Type=notify)."""

from __future__ import annotations

import argparse

from controller.commands.common import load_config, new_command


def register(subparsers: argparse._SubParsersAction) -> None:
    new_command(
        subparsers,
        "daemon",
        "run the lighting service in the foreground (for systemd)",
        run_daemon,
    )


def run_daemon(args: argparse.Namespace) -> int:
    config = load_config(args)  # a bad configuration exits 2 before anything starts
    from controller import daemon  # heavy imports only for the service itself

    return daemon.run(config)
