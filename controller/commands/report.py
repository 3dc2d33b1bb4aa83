"""`gobo report`: what was shown, hours lit, energy and CO2 per night and fixture."""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

from controller.commands.common import (
    CommandFailed,
    UsageError,
    load_config,
    new_command,
    print_json,
)
from controller.report import build_report, report_csv, report_text
from controller.runlog import RunLog, night_of

RUNLOG_NAME = "runlog.sqlite3"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "report", "run log: hours lit, energy, CO2 and drawings shown per night", run
    )
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first night")
    parser.add_argument(
        "--to", dest="last", metavar="YYYY-MM-DD", help="last night (default: tonight)"
    )
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print JSON")
    formats.add_argument("--csv", action="store_true", help="print CSV")
    parser.add_argument("--png", metavar="FILE", help="also write a chart of hours lit and energy")


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    now = time.time()
    last = _date(args.last, "--to") or night_of(now, config.site.tz)
    first = _date(args.first, "--from") or last - timedelta(days=29)
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    path = Path(config.state_dir) / RUNLOG_NAME
    if not path.is_file():
        raise CommandFailed(f"no run log at {path} yet: the daemon writes it while it runs")
    log = RunLog(path)
    try:
        report = build_report(log, first, last, config.report, now)
    finally:
        log.close()
    if args.png:
        from controller.report_chart import save_report_chart

        save_report_chart(report, Path(args.png))
    if args.json:
        print_json(report)
    elif args.csv:
        print(report_csv(report), end="")
    else:
        print(report_text(report))
        if args.png:
            print(f"chart: {args.png}")
    return 0
