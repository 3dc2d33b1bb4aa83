"""`gobo schedule`: the show windows of each night, or a chart of the year."""

from __future__ import annotations

import argparse
from pathlib import Path

from controller.commands.common import (
    CommandFailed,
    UsageError,
    add_json_option,
    load_config,
    new_command,
    print_json,
)
from controller.commands.sun import add_date_options, first_night_and_days
from schedules import Rules, SiteLocation


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "schedule",
        "show windows per night with level, rule and reason (or --year Y --png FILE)", run,
    )
    add_date_options(parser)
    add_json_option(parser)
    parser.add_argument("--year", type=int, metavar="YYYY", help="chart a whole year (with --png)")
    parser.add_argument("--png", metavar="FILE", help="write the year chart to FILE")


def run(args: argparse.Namespace) -> int:
    from schedules import plan_nights

    if (args.year is None) != (args.png is None):
        raise UsageError("--year and --png go together: gobo schedule --year 2026 --png year.png")
    config = load_config(args)
    site = config.site
    if args.year is not None:
        return _chart(site, config.schedule, args.year, Path(args.png), config.site.name)
    first, days = first_night_and_days(args, site)
    plans = plan_nights(site, config.schedule, first, days)
    tz = site.tz
    if args.json:
        print_json([
            {
                "night": plan.night.isoformat(),
                "windows": [
                    {"start": w.start.astimezone(tz).isoformat(),
                     "end": w.end.astimezone(tz).isoformat(), "level": w.level,
                     "rule": w.rule, "note": w.note}
                    for w in plan.windows
                ],
                "note": plan.note,
            }
            for plan in plans
        ])
        return 0
    for plan in plans:
        print(f"{plan.night:%a %Y-%m-%d}" + ("  dark" if not plan.windows else ""))
        for w in plan.windows:
            start, end = w.start.astimezone(tz), w.end.astimezone(tz)
            print(f"  {start:%H:%M}-{end:%H:%M}  {w.level * 100:3.0f}%  {w.rule:<14} {w.note}")
        if plan.note:
            print(f"  note: {plan.note}")
    return 0


def _chart(site: SiteLocation, rules: Rules, year: int, path: Path, title: str) -> int:
    from schedules.chart import render_year

    if not 1900 <= year <= 2200:
        raise UsageError(f"--year {year}: must be 1900..2200")
    image = render_year(site, rules, year, title=title)
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"{path}: schedule chart for {year}")
    return 0
