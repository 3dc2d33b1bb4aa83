"""`gobo demo`: the embedded default — a simulated night at Laikunlava, in seconds."""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime
from pathlib import Path

from controller.commands.common import UsageError, add_json_option, new_command, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers,
        "demo",
        "simulated fixtures, bundled drawings, an accelerated night at the site; writes PNGs",
        run,
    )
    parser.add_argument(
        "--out",
        default="gobo-demo",
        metavar="DIR",
        help="where the demo site, its state and the pictures go (default: ./gobo-demo)",
    )
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the night to run (default: tonight, or the next night with a show)",
    )
    add_json_option(parser)


def run(args: argparse.Namespace) -> int:
    from controller.demo import run_demo

    today = None
    if args.date:
        try:
            today = date.fromisoformat(args.date)
        except ValueError:
            raise UsageError(f"--date: {args.date!r} is not a date (YYYY-MM-DD)") from None
    started = time.monotonic()
    result = run_demo(Path(args.out), today)
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print_json(result)
        return 0
    night = result["night"]
    heading = "tonight" if result["tonight"] else "the next night with a show"
    print(
        f"Laikunlava demo: {heading}, {night} "
        f"({len(result['artworks'])} drawings, simulated fixtures)"
    )
    print("Show windows:")
    for window in result["windows"]:
        print(
            f"  {_hhmm(window['start'])}-{_hhmm(window['end'])}  {window['level']:.0%}  "
            f"{window['rule']}  {window['note']}".rstrip()
        )
    print("Timeline:")
    for entry in result["timeline"]:
        print(f"  {_hhmm(entry['at'])}  {entry['what']}")
    hours = result["simulated_seconds"] / 3600
    print(
        f"Simulated {hours:.1f} h of night in {result['simulation_wall_seconds']} s "
        f"({result['wall_seconds']} s with converting the drawings)."
    )
    for label, path in result["files"].items():
        print(f"  {label.replace('_', ' ')}: {path}")
    config = result["config"]
    print(f"Try: gobo --config {config} schedule | artwork list | fixtures | report")
    web = result["web"]
    logins = ", ".join(f"{u['name']} / {u['password']}" for u in web["users"])
    print(
        f"Web console: gobo --config {config} daemon & gobo --config {config} web, "
        f"then open {web['url']} and log in as {logins}"
    )
    return 0


def _hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M")
