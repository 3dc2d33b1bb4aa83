"""Show windows per night, the level at an instant, and the transitions between them.

Pure functions of (site, rules, date or instant): no clock is read here. A night belongs to
the evening of its date D and runs from local noon of D to local noon of D+1; every window is
kept inside it, so nights never overlap. Everything is computed and returned in UTC (an offset
of 3h is three real hours across a DST change). Convert with .astimezone(site.tz) only to show
a time: Python compares and subtracts two datetimes with the same tzinfo as wall times, which
is wrong across a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from schedules.expr import TimeExpr
from schedules.rules import Rules, Window
from schedules.site import SiteLocation
from schedules.sun import NightSky, night_sky

# Most nights a year ahead can hold a transition; beyond that a schedule has none.
SEARCH_NIGHTS = 400


@dataclass(frozen=True)
class ShowWindow:
    start: datetime  # aware, UTC
    end: datetime
    level: float
    rule: str  # the window's name
    note: str  # how start and end were found: events, fallback policy, clamps


@dataclass(frozen=True)
class NightPlan:
    night: date
    windows: tuple[ShowWindow, ...]
    note: str  # why the night is dark, or what shaped it


@dataclass(frozen=True)
class Transition:
    at: datetime  # aware, UTC
    level: float
    window: ShowWindow | None  # None: dark from here on


def night_of(site: SiteLocation, instant: datetime) -> date:
    """The night an instant belongs to: the local date, or the day before until local noon."""
    local = instant.astimezone(site.tz)
    return local.date() if local.hour >= 12 else local.date() - timedelta(days=1)


def _local_noon(site: SiteLocation, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=site.tz).astimezone(UTC)


def _clock_instant(site: SiteLocation, night: date, clock: time) -> datetime:
    # Afternoon and evening times are on D, morning times on D+1. A wall time that does not
    # exist (03:30 on the spring-forward night) maps through the offset before the change
    # (= 04:30 EEST); one that occurs twice (autumn) means the first occurrence.
    day = night if clock >= time(12) else night + timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=site.tz).astimezone(UTC)


def _resolve(
    site: SiteLocation, sky: NightSky, expr: TimeExpr
) -> datetime | None:
    if expr.clock is not None:
        return _clock_instant(site, sky.night, expr.clock)
    assert expr.event is not None
    at = sky.events[expr.event]
    return at + expr.offset if at else None


def _hhmm(site: SiteLocation, at: datetime) -> str:
    return at.astimezone(site.tz).strftime("%H:%M")


def _describe(site: SiteLocation, expr: TimeExpr, at: datetime) -> str:
    return expr.text if expr.clock is not None else f"{expr.text} {_hhmm(site, at)}"


def _bound(
    site: SiteLocation, sky: NightSky, window: Window, expr: TimeExpr, notes: list[str]
) -> datetime | None:
    """Resolve start or end with the window's fallback policy; None means skip the night."""
    at = _resolve(site, sky, expr)
    if at is not None:
        return at
    missing = f"{expr.event} does not occur this night"
    if window.skip:
        notes.append(f"{missing}: fallback skip")
        return None
    if window.fallback is not None:
        at = _resolve(site, sky, window.fallback)
        if at is not None:
            notes.append(f"{missing}: fallback {window.fallback.text} ({_hhmm(site, at)})")
            return at
        missing = f"{missing}, nor does its fallback {window.fallback.event}"
    notes.append(f"{missing}: default solar midnight ({_hhmm(site, sky.midnight)}), "
                 "the darkest moment")
    return sky.midnight


def _clamp(
    site: SiteLocation, sky: NightSky, expr: TimeExpr | None, label: str, notes: list[str]
) -> datetime | None:
    if expr is None:
        return None
    at = _resolve(site, sky, expr)
    if at is None:
        notes.append(f"{label} {expr.text} ignored: {expr.event} does not occur this night")
    return at


def _plan_window(
    site: SiteLocation, sky: NightSky, window: Window, dark: list[str]
) -> ShowWindow | None:
    notes: list[str] = []
    start = _bound(site, sky, window, window.start, notes)
    end = _bound(site, sky, window, window.end, notes) if start is not None else None
    if start is None or end is None:
        dark.append(f"{window.name!r} dark: {'; '.join(notes)}")
        return None
    not_before = _clamp(site, sky, window.not_before, "not_before", notes)
    if window.not_before and not_before is not None and not_before > start:
        start = not_before
        notes.append(f"held until not_before {window.not_before.text}")
    not_after = _clamp(site, sky, window.not_after, "not_after", notes)
    if window.not_after and not_after is not None and not_after < end:
        end = not_after
        notes.append(f"cut at not_after {window.not_after.text}")
    night_start, night_end = _local_noon(site, sky.night), _local_noon(
        site, sky.night + timedelta(days=1)
    )
    if start < night_start or end > night_end:
        start, end = max(start, night_start), min(end, night_end)
        notes.append("kept within the night (noon to noon)")
    if end <= start:
        dark.append(
            f"{window.name!r} dark: it would end ({_describe(site, window.end, end)}) before "
            f"it starts ({_describe(site, window.start, start)})"
            + (f"; {'; '.join(notes)}" if notes else "")
        )
        return None
    note = f"{window.start.text} to {window.end.text}"
    return ShowWindow(
        start=start,
        end=end,
        level=window.level,
        rule=window.name,
        note="; ".join([note, *notes]),
    )


def _resolve_overlaps(windows: list[ShowWindow], notes: list[str]) -> tuple[ShowWindow, ...]:
    """Overlaps that only the sky decides: the later window takes over where it starts."""
    ordered = sorted(windows, key=lambda w: w.start)
    kept: list[ShowWindow] = []
    for window in ordered:
        if kept and kept[-1].end > window.start:
            previous = kept.pop()
            notes.append(f"{previous.rule!r} ends early where {window.rule!r} starts")
            if previous.start < window.start:
                kept.append(ShowWindow(previous.start, window.start, previous.level,
                                       previous.rule, previous.note + "; ends early (overlap)"))
        kept.append(window)
    return tuple(kept)


def plan_night(site: SiteLocation, rules: Rules, night: date) -> NightPlan:
    for blackout in rules.blackouts:
        if blackout.dates.contains(night):
            reason = f": {blackout.reason}" if blackout.reason else ""
            return NightPlan(night, (), f"blackout ({blackout.key} {blackout.dates.text}){reason}")
    event = next((e for e in rules.events if e.dates.contains(night)), None)
    if event is not None:
        candidates = list(event.windows)
        notes = [f"event night {event.name!r} ({event.key}) replaces the regular windows"]
    else:
        candidates = [w for w in rules.windows if w.applies(night)]
        notes = []
        if not rules.windows:
            return NightPlan(night, (), "dark: the schedule has no windows")
        if not candidates:
            return NightPlan(night, (), f"dark: no window applies on a {night:%A} "
                             f"{night:%m-%d} (days/dates)")
    sky = night_sky(site, night)
    dark: list[str] = []
    planned = [w for w in (_plan_window(site, sky, c, dark) for c in candidates) if w]
    windows = _resolve_overlaps(planned, notes)
    notes.extend(dark)
    if not windows and not dark:
        notes.append("dark")
    return NightPlan(night, windows, "; ".join(notes))


def plan_nights(site: SiteLocation, rules: Rules, first: date, days: int) -> list[NightPlan]:
    return [plan_night(site, rules, first + timedelta(days=n)) for n in range(days)]


def level_at(
    site: SiteLocation, rules: Rules, instant: datetime
) -> tuple[float, ShowWindow | None]:
    """What should be on at `instant` (aware): the window's level, or 0.0 and None."""
    instant = instant.astimezone(UTC)
    for window in plan_night(site, rules, night_of(site, instant)).windows:
        if window.start <= instant < window.end:
            return window.level, window
    return 0.0, None


def _night_transitions(plan: NightPlan) -> list[Transition]:
    transitions: list[Transition] = []
    for index, window in enumerate(plan.windows):
        transitions.append(Transition(window.start, window.level, window))
        following = plan.windows[index + 1] if index + 1 < len(plan.windows) else None
        if following is None or following.start != window.end:
            transitions.append(Transition(window.end, 0.0, None))
    return transitions


def timeline(
    site: SiteLocation, rules: Rules, start_instant: datetime, end_instant: datetime
) -> list[Transition]:
    """Every change of window or level with start_instant <= at < end_instant, in order."""
    start_instant, end_instant = start_instant.astimezone(UTC), end_instant.astimezone(UTC)
    result: list[Transition] = []
    night = night_of(site, start_instant)
    last = night_of(site, end_instant)
    while night <= last:
        for transition in _night_transitions(plan_night(site, rules, night)):
            if start_instant <= transition.at < end_instant:
                result.append(transition)
        night += timedelta(days=1)
    return result


def next_transition(site: SiteLocation, rules: Rules, instant: datetime) -> datetime | None:
    """The first transition strictly after `instant`, or None within a year and a month."""
    instant = instant.astimezone(UTC)
    night = night_of(site, instant)
    for _ in range(SEARCH_NIGHTS):
        for transition in _night_transitions(plan_night(site, rules, night)):
            if transition.at > instant:
                return transition.at
        night += timedelta(days=1)
    return None
