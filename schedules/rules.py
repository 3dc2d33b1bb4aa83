"""Schedule rules from the site configuration: windows, event nights, blackouts.

Keys in error messages count from 1 (`schedule.window[2]` is the second window), as a
technician reads the file. Times are checked here as far as they can be without a site;
what depends on the sky (an event that does not occur, a window that ends before it
starts) is decided per night by schedules.plan.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from schedules.expr import ExprError, TimeExpr, compare, parse_expr

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW_KEYS = ("name", "start", "end", "level", "fallback", "days", "dates", "not_before",
               "not_after")
EVENT_KEYS = ("name", "date", "dates", "window", "start", "end", "level", "fallback",
              "not_before", "not_after")
BLACKOUT_KEYS = ("date", "dates", "reason")
SCHEDULE_KEYS = ("include", "window", "event", "blackout")

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class RuleError(ValueError):
    def __init__(self, key: str, message: str, file: Path | None = None) -> None:
        self.key = key
        self.message = message
        self.file = file
        super().__init__(f"{key}: {message}")


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


def parse_rules(table: dict[str, Any], base_dir: Path) -> Rules:
    """The `[schedule]` table (and its include file) -> Rules, or RuleError naming the key."""
    included = Rules()
    if "include" in table:
        included = _load_include(table["include"], base_dir)
    own = _parse_table(table, None, allow_include=True)
    rules = Rules(
        windows=included.windows + own.windows,
        events=included.events + own.events,
        blackouts=included.blackouts + own.blackouts,
    )
    _check_overlaps(rules.windows)
    _check_events_against_blackouts(rules)
    return rules


def _load_include(value: object, base_dir: Path) -> Rules:
    if not isinstance(value, str) or not value:
        raise RuleError("schedule.include", f"must be a file name, not {value!r}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base_dir / path
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RuleError("schedule.include", f"no such file {path}") from None
    except OSError as exc:
        raise RuleError("schedule.include", f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError("schedule", f"not valid TOML: {exc}", path) from None
    # The file may repeat the `[[schedule.window]]` form of site.toml or use `[[window]]`.
    inner = data.get("schedule", data)
    if not isinstance(inner, dict):
        raise RuleError("schedule", "must be a table", path)
    return _parse_table(inner, path, allow_include=False)


def _parse_table(table: dict[str, Any], file: Path | None, allow_include: bool) -> Rules:
    def fail(key: str, message: str) -> RuleError:
        return RuleError(key, message, file)

    for key in table:
        if key not in SCHEDULE_KEYS or (key == "include" and not allow_include):
            known = ", ".join(k for k in SCHEDULE_KEYS if allow_include or k != "include")
            raise fail(f"schedule.{key}", f"unknown key (known: {known})")
    windows = tuple(
        _parse_window(entry, f"schedule.window[{index}]", file, allow_days=True)
        for index, entry in _entries(table, "window", file)
    )
    events = tuple(
        _parse_event(entry, f"schedule.event[{index}]", file)
        for index, entry in _entries(table, "event", file)
    )
    blackouts = tuple(
        _parse_blackout(entry, f"schedule.blackout[{index}]", file)
        for index, entry in _entries(table, "blackout", file)
    )
    return Rules(windows=windows, events=events, blackouts=blackouts)


def _entries(table: dict[str, Any], name: str, file: Path | None) -> list[tuple[int, dict]]:
    value = table.get(name, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RuleError(f"schedule.{name}", f"must be a list of tables [[schedule.{name}]]", file)
    return list(enumerate(value, start=1))


def _check_keys(entry: dict[str, Any], key: str, known: tuple[str, ...], file: Path | None) -> None:
    for name in entry:
        if name not in known:
            raise RuleError(f"{key}.{name}", f"unknown key (known: {', '.join(known)})", file)


def _parse_window(
    entry: dict[str, Any], key: str, file: Path | None, allow_days: bool
) -> Window:
    known = WINDOW_KEYS if allow_days else tuple(k for k in WINDOW_KEYS if k not in ("days",
                                                                                     "dates"))
    _check_keys({k: v for k, v in entry.items() if k not in ("date", "window")}, key, known, file)

    def expr(name: str, required: bool) -> TimeExpr | None:
        if name not in entry:
            if required:
                raise RuleError(f"{key}.{name}", "missing", file)
            return None
        try:
            return parse_expr(entry[name])
        except ExprError as exc:
            raise RuleError(f"{key}.{name}", str(exc), file) from None

    start, end = expr("start", True), expr("end", True)
    assert start is not None and end is not None
    if compare(start, end) == 0:
        raise RuleError(f"{key}.end", f"{end.text!r} is the same time as start {start.text!r}",
                        file)
    level = entry.get("level", 1.0)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 <= level <= 1:
        raise RuleError(f"{key}.level", f"must be a number 0..1, not {level!r}", file)
    name = entry.get("name", key.removeprefix("schedule."))
    if not isinstance(name, str) or not name:
        raise RuleError(f"{key}.name", f"must be a non-empty string, not {name!r}", file)
    skip = entry.get("fallback") == "skip"
    return Window(
        key=key,
        name=name,
        start=start,
        end=end,
        level=float(level),
        fallback=None if skip else expr("fallback", False),
        skip=skip,
        days=_parse_days(entry.get("days"), f"{key}.days", file),
        season=_parse_dates(entry["dates"], f"{key}.dates", file) if "dates" in entry else None,
        not_before=expr("not_before", False),
        not_after=expr("not_after", False),
        file=file,
    )


def _parse_days(value: object, key: str, file: Path | None) -> frozenset[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise RuleError(key, f"must be a list like [\"fri\", \"sat\"], not {value!r}", file)
    days = set()
    for day in value:
        name = day.lower()[:3] if isinstance(day, str) else None
        if name not in WEEKDAYS:
            raise RuleError(key, f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})", file)
        days.add(WEEKDAYS.index(name))
    return frozenset(days)


def _parse_event(entry: dict[str, Any], key: str, file: Path | None) -> EventNight:
    _check_keys(entry, key, EVENT_KEYS, file)
    dates = _date_field(entry, key, file)
    name = entry.get("name", key.removeprefix("schedule."))
    if not isinstance(name, str) or not name:
        raise RuleError(f"{key}.name", f"must be a non-empty string, not {name!r}", file)
    if "window" in entry:
        if "start" in entry or "end" in entry:
            raise RuleError(key, "give either [[...event.window]] tables or start/end, not both",
                            file)
        nested = entry["window"]
        if isinstance(nested, dict):
            nested = [nested]
        if not isinstance(nested, list) or not nested or not all(
            isinstance(n, dict) for n in nested
        ):
            raise RuleError(f"{key}.window", "must be a list of tables", file)
        windows = tuple(
            _parse_window(n, f"{key}.window[{i}]", file, allow_days=False)
            for i, n in enumerate(nested, start=1)
        )
    else:
        windows = (_parse_window({**entry, "name": name}, key, file, allow_days=False),)
    _check_overlaps(windows)
    return EventNight(key=key, name=name, dates=dates, windows=windows)


def _parse_blackout(entry: dict[str, Any], key: str, file: Path | None) -> Blackout:
    _check_keys(entry, key, BLACKOUT_KEYS, file)
    reason = entry.get("reason", "")
    if not isinstance(reason, str):
        raise RuleError(f"{key}.reason", f"must be a string, not {reason!r}", file)
    return Blackout(key=key, dates=_date_field(entry, key, file), reason=reason)


def _date_field(entry: dict[str, Any], key: str, file: Path | None) -> DateSpec:
    if ("date" in entry) == ("dates" in entry):
        raise RuleError(f"{key}.date", "give exactly one of date = \"YYYY-MM-DD\" (or \"MM-DD\" "
                        "every year) and dates = \"MM-DD..MM-DD\"", file)
    name = "date" if "date" in entry else "dates"
    return _parse_dates(entry[name], f"{key}.{name}", file)


def _parse_dates(value: object, key: str, file: Path | None) -> DateSpec:
    """"YYYY-MM-DD", "MM-DD" (every year), or a range "A..B" of either kind."""
    if isinstance(value, date):
        return DateSpec(text=value.isoformat(), first=value, last=value, yearly=False)
    if not isinstance(value, str):
        raise RuleError(key, f"must be \"YYYY-MM-DD\", \"MM-DD\" or \"MM-DD..MM-DD\", not "
                        f"{value!r}", file)
    parts = [p.strip() for p in value.split("..")]
    if len(parts) > 2:
        raise RuleError(key, f"{value!r} is not a date range \"A..B\"", file)
    days = [_parse_day(p, key, value, file) for p in parts]
    kinds = {yearly for _, yearly in days}
    if len(kinds) > 1:
        raise RuleError(key, f"{value!r} mixes a full date and a yearly \"MM-DD\"", file)
    first, yearly = days[0]
    last = days[-1][0]
    if not yearly and last < first:
        raise RuleError(key, f"{value!r} ends before it starts", file)
    return DateSpec(text=value, first=first, last=last, yearly=yearly)


def _parse_day(text: str, key: str, whole: str, file: Path | None) -> tuple[date, bool]:
    try:
        month_day = _MONTH_DAY.match(text)
        if month_day:  # year 2000 is a leap year, so "02-29" is accepted
            return date(2000, int(month_day.group(1)), int(month_day.group(2))), True
        return date.fromisoformat(text), False
    except ValueError:
        raise RuleError(key, f"{whole!r}: {text!r} is not a date (YYYY-MM-DD or MM-DD)",
                        file) from None


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
                raise RuleError(
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
                raise RuleError(
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
