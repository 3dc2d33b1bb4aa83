"""`gobo sun`: the site's sun events per night, in local time."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from controller.commands.common import (
    UsageError,
    add_json_option,
    load_config,
    new_command,
    print_json,
)
from schedules import SiteLocation

# Order of the columns: the evening of D, then the morning of D+1.
COLUMNS = ("sunset", "civil_dusk", "nautical_dusk", "astronomical_dusk",
           "astronomical_dawn", "nautical_dawn", "civil_dawn", "sunrise")
HEADERS = ("sunset", "civ dusk", "naut dusk", "astr dusk", "astr dawn", "naut dawn", "civ dawn",
           "sunrise")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "sun", "sun events for the site, per night (evening of D, morning of D+1)", run
    )
    add_date_options(parser)
    add_json_option(parser)


def add_date_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="first night (default: tonight)")
    parser.add_argument("--days", type=int, default=1, metavar="N",
                        help="number of nights (default 1, at most 1000)")


def first_night_and_days(args: argparse.Namespace, site: SiteLocation) -> tuple[date, int]:
    from schedules import night_of

    if not 1 <= args.days <= 1000:
        raise UsageError(f"--days {args.days}: must be 1..1000")
    if args.date is None:
        return night_of(site, datetime.now(site.tz)), args.days
    try:
        return date.fromisoformat(args.date), args.days
    except ValueError:
        raise UsageError(f"--date {args.date!r}: not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    from schedules import sun_events

    site = load_config(args).site
    first, days = first_night_and_days(args, site)
    rows = []
    for n in range(days):
        night = date.fromordinal(first.toordinal() + n)
        events = sun_events(site, night)
        rows.append({"date": night.isoformat(),
                     **{k: v.isoformat() if v else None for k, v in events.items()}})
    if args.json:
        print_json(rows)
        return 0
    print(f"{'night':<16}" + "".join(f"{h:>10}" for h in HEADERS))
    for row in rows:
        night = date.fromisoformat(row["date"])
        cells = []
        for column in COLUMNS:
            value = row[column]
            if value is None:
                cells.append("none")
                continue
            at = datetime.fromisoformat(value)
            # Mark an evening event that falls after midnight, so 00:40 is read as "late".
            late = "+" if at.date() > night else ""
            cells.append(f"{at:%H:%M}{late if column.endswith(('dusk', 'sunset')) else ''}")
        print(f"{night:%a %Y-%m-%d}  " + "".join(f"{c:>10}" for c in cells))
    print(f"times local ({site.timezone}); dawn and sunrise are the next morning; "
          "+ = after midnight; none = does not occur")
    return 0
