"""Schedule rules from the site configuration: windows, event nights, blackouts.

Keys in error messages count from 1 (`schedule.window[2]` is the second window), as a
technician reads the file. Times are checked here as far as they can be without a site;
what depends on the sky (an event that does not occur, a window that ends before it
starts) is decided per night by schedules.plan.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from schedules.expr import ExprError, TimeExpr, compare, parse_expr
from siteconfig import REQUIRED, ConfigError, Table

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class DateSpec:
    """A date or an inclusive date range; `yearly` ones ("MM-DD") repeat every year."""

    text: str
    first: date
    last: date
    yearly: bool

    def contains(self, day: date) -> bool:
        if not self.yearly:
            return self.first <= day <= self.last
        here = (day.month, day.day)
        low, high = (self.first.month, self.first.day), (self.last.month, self.last.day)
        return low <= here <= high if low <= high else here >= low or here <= high


@dataclass(frozen=True)
class Window:
    key: str  # where it came from, e.g. "schedule.window[2]"
    name: str
    start: TimeExpr
    end: TimeExpr
    level: float
    fallback: TimeExpr | None  # used for an event that does not occur that night
    skip: bool  # fallback = "skip": such a night stays dark
    days: frozenset[int] | None  # weekdays of the evening (0 = Monday); None = every day
    season: DateSpec | None
    not_before: TimeExpr | None
    not_after: TimeExpr | None
    file: Path | None = None

    def applies(self, night: date) -> bool:
        if self.days is not None and night.weekday() not in self.days:
            return False
        return self.season is None or self.season.contains(night)


@dataclass(frozen=True)
class EventNight:
    """A one-off night (or yearly date) whose own windows replace the regular ones."""

    key: str
    name: str
    dates: DateSpec
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class Blackout:
    key: str
    dates: DateSpec
    reason: str


@dataclass(frozen=True)
class Rules:
    windows: tuple[Window, ...] = ()
    events: tuple[EventNight, ...] = ()
    blackouts: tuple[Blackout, ...] = ()


def parse_rules(
    table: Table | Mapping[str, Any], base_dir: Path, file: Path | str | None = None
) -> Rules:
    """The `[schedule]` table (and its include file) -> Rules, or ConfigError naming the key."""
    read = Table.of(table, "schedule", file)
    included = Rules()
    if "include" in read:
        included = _load_include(read, base_dir)
    own = _parse_table(read)
    rules = Rules(
        windows=included.windows + own.windows,
        events=included.events + own.events,
        blackouts=included.blackouts + own.blackouts,
    )
    _check_overlaps(rules.windows)
    _check_events_against_blackouts(rules)
    return rules


def _load_include(read: Table, base_dir: Path) -> Rules:
    value = read.value("include")
    if not isinstance(value, str) or not value:
        raise read.fail("include", f"must be a file name, not {value!r}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base_dir / path
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise read.fail("include", f"no such file {path}") from None
    except OSError as exc:
        raise read.fail("include", f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("schedule", f"not valid TOML: {exc}", path) from None
    # The file may repeat the `[[schedule.window]]` form of site.toml or use `[[window]]`.
    if "schedule" in data:
        top = Table(data, "", path)
        inner = top.table("schedule")
        top.close()
    else:
        inner = Table(data, "schedule", path)
    return _parse_table(inner)


def _parse_table(read: Table) -> Rules:
    windows = []
    for entry in read.tables("window"):
        windows.append(_parse_window(entry, entry.key, allow_days=True))
        entry.close()
    events = tuple(_parse_event(entry) for entry in read.tables("event"))
    blackouts = tuple(_parse_blackout(entry) for entry in read.tables("blackout"))
    read.close()
    return Rules(windows=tuple(windows), events=events, blackouts=blackouts)


def _parse_window(read: Table, name: str, allow_days: bool) -> Window:
    """The window keys of `read` (a [[schedule.window]], or an event night's own keys)."""

    def expr(key: str, required: bool) -> TimeExpr | None:
        value = read.value(key, REQUIRED if required else None)
        if value is None:
            return None
        try:
            return parse_expr(value)
        except ExprError as exc:
            raise read.fail(key, str(exc)) from None

    start, end = expr("start", True), expr("end", True)
    assert start is not None and end is not None
    if compare(start, end) == 0:
        raise read.fail("end", f"{end.text!r} is the same time as start {start.text!r}")
    level = read.number("level", 0, 1, 1.0)
    name = read.text("name", name.removeprefix("schedule."), nonempty=True)
    skip = read.value("fallback", None) == "skip"
    return Window(
        key=read.key,
        name=name,
        start=start,
        end=end,
        level=level,
        fallback=None if skip else expr("fallback", False),
        skip=skip,
        days=_parse_days(read) if allow_days else None,
        season=_parse_dates(read, "dates") if allow_days and "dates" in read else None,
        not_before=expr("not_before", False),
        not_after=expr("not_after", False),
        file=Path(read.file) if read.file else None,
    )


def _parse_days(read: Table) -> frozenset[int] | None:
    value = read.value("days", None)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise read.fail("days", f"must be a list like [\"fri\", \"sat\"], not {value!r}")
    days = set()
    for day in value:
        name = day.lower()[:3] if isinstance(day, str) else None
        if name not in WEEKDAYS:
            raise read.fail("days", f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
        days.add(WEEKDAYS.index(name))
    return frozenset(days)


def _parse_event(read: Table) -> EventNight:
    dates = _date_field(read)
    name = read.text("name", read.key.removeprefix("schedule."), nonempty=True)
    if "window" in read:
        if "start" in read or "end" in read:
            raise read.fail("window", "give either [[...event.window]] tables or start/end, "
                            "not both")
        nested = read.tables("window")
        if not nested:
            raise read.fail("window", "must be a list of tables")
        windows = []
        for entry in nested:
            windows.append(_parse_window(entry, entry.key, allow_days=False))
            entry.close()
    else:
        windows = [_parse_window(read, name, allow_days=False)]
    read.close()
    _check_overlaps(tuple(windows))
    return EventNight(key=read.key, name=name, dates=dates, windows=tuple(windows))


def _parse_blackout(read: Table) -> Blackout:
    reason = read.text("reason", "")
    dates = _date_field(read)
    read.close()
    return Blackout(key=read.key, dates=dates, reason=reason)


def _date_field(read: Table) -> DateSpec:
    if ("date" in read) == ("dates" in read):
        raise read.fail("date", "give exactly one of date = \"YYYY-MM-DD\" (or \"MM-DD\" "
                        "every year) and dates = \"MM-DD..MM-DD\"")
    return _parse_dates(read, "date" if "date" in read else "dates")


def _parse_dates(read: Table, key: str) -> DateSpec:
    """"YYYY-MM-DD", "MM-DD" (every year), or a range "A..B" of either kind."""
    value = read.value(key)
    if isinstance(value, date):
        return DateSpec(text=value.isoformat(), first=value, last=value, yearly=False)
    if not isinstance(value, str):
        raise read.fail(key, f"must be \"YYYY-MM-DD\", \"MM-DD\" or \"MM-DD..MM-DD\", not "
                        f"{value!r}")
    parts = [p.strip() for p in value.split("..")]
    if len(parts) > 2:
        raise read.fail(key, f"{value!r} is not a date range \"A..B\"")
    days = [_parse_day(p, value, read, key) for p in parts]
    kinds = {yearly for _, yearly in days}
    if len(kinds) > 1:
        raise read.fail(key, f"{value!r} mixes a full date and a yearly \"MM-DD\"")
    first, yearly = days[0]
    last = days[-1][0]
    if not yearly and last < first:
        raise read.fail(key, f"{value!r} ends before it starts")
    return DateSpec(text=value, first=first, last=last, yearly=yearly)


def _parse_day(text: str, whole: str, read: Table, key: str) -> tuple[date, bool]:
    try:
        month_day = _MONTH_DAY.match(text)
        if month_day:  # year 2000 is a leap year, so "02-29" is accepted
            return date(2000, int(month_day.group(1)), int(month_day.group(2))), True
        return date.fromisoformat(text), False
    except ValueError:
        raise read.fail(key, f"{whole!r}: {text!r} is not a date (YYYY-MM-DD or MM-DD)") from None


def _may_share_night(a: Window, b: Window) -> bool:
    if a.days is not None and b.days is not None and not a.days & b.days:
        return False
    if a.season is None or b.season is None:
        return True
    return any(
        a.season.contains(day) and b.season.contains(day)
        for day in (date.fromordinal(date(2000, 1, 1).toordinal() + n) for n in range(366))
    )


def _surely_before(starts: list[TimeExpr], ends: list[TimeExpr]) -> bool:
    """Every bound of one window's start is before every bound of the other's end, every night."""
    return all(compare(s, e) == -1 for s in starts for e in ends)


def _check_overlaps(windows: tuple[Window, ...]) -> None:
    """Refuse windows with different levels that overlap on every night they share.

    The check is exact where both times are clock times or the same sun event; overlaps that
    depend on the sky (civil_dusk against "22:00") are resolved per night by the planner,
    which ends the earlier window where the later one starts and says so.
    """
    bounds = [
        (
            [w.start, *([w.not_before] if w.not_before else [])],
            [w.end, *([w.not_after] if w.not_after else [])],
        )
        for w in windows
    ]
    for j, later in enumerate(windows):
        for i in range(j):
            earlier = windows[i]
            if earlier.level == later.level or not _may_share_night(earlier, later):
                continue
            (sa, ea), (sb, eb) = bounds[i], bounds[j]
            if _surely_before(sa, eb) and _surely_before(sb, ea):
                raise ConfigError(
                    f"{later.key}.start",
                    f"window {later.name!r} ({later.start.text}..{later.end.text}, level "
                    f"{later.level:g}) overlaps {earlier.key} {earlier.name!r} "
                    f"({earlier.start.text}..{earlier.end.text}, level {earlier.level:g})",
                    later.file,
                )


def _check_events_against_blackouts(rules: Rules) -> None:
    for event in rules.events:
        for blackout in rules.blackouts:
            clash = _first_common_day(event.dates, blackout.dates)
            if clash:
                raise ConfigError(
                    f"{event.key}.{'dates' if event.dates.first != event.dates.last else 'date'}",
                    f"{event.name!r} falls on {clash}, a blackout night ({blackout.key}); "
                    "remove one of them",
                    event.windows[0].file,
                )


def _first_common_day(a: DateSpec, b: DateSpec) -> str | None:
    fixed = [s for s in (a, b) if not s.yearly]
    if fixed:
        span = fixed[0]
        other = b if span is a else a
        day = span.first
        while day <= span.last:
            if other.contains(day):
                return day.isoformat()
            day = date.fromordinal(day.toordinal() + 1)
        return None
    for n in range(366):
        day = date.fromordinal(date(2000, 1, 1).toordinal() + n)
        if a.contains(day) and b.contains(day):
            return day.strftime("%m-%d")
    return None
