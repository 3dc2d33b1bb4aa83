"""Time expressions in schedule rules: a sun event with an offset, or a local clock time.

Parsing only: no astral here, so the CLI can load a configuration without the ephemeris.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

# Evening events fall between solar noon of D and the following solar midnight, morning
# events between that midnight and solar noon of D+1. The value is the Sun's geometric
# elevation (degrees) that defines each event; sunrise/sunset include refraction and the
# Sun's semi-diameter (-0.833 degrees, the astral and USNO convention).
EVENTS: dict[str, tuple[float, bool]] = {
    "sunset": (-0.833, True),
    "civil_dusk": (-6.0, True),
    "nautical_dusk": (-12.0, True),
    "astronomical_dusk": (-18.0, True),
    "astronomical_dawn": (-18.0, False),
    "nautical_dawn": (-12.0, False),
    "civil_dawn": (-6.0, False),
    "sunrise": (-0.833, False),
}
ALIASES = {"dusk": "civil_dusk", "dawn": "civil_dawn"}
KNOWN_EVENTS = "sunrise, sunset, civil_dawn, civil_dusk, nautical_dawn, nautical_dusk, " \
    "astronomical_dawn, astronomical_dusk, dawn, dusk"

MAX_OFFSET = timedelta(hours=12)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_EVENT = re.compile(r"^([a-z_]+)\s*(?:([+-])\s*(.*))?$")
_OFFSET = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")


class ExprError(ValueError):
    """A time expression that cannot be understood; the message is for a technician."""


@dataclass(frozen=True)
class TimeExpr:
    """`event` plus `offset`, or a local `clock` time; `text` is what the rules said."""

    text: str
    event: str | None = None
    offset: timedelta = timedelta(0)
    clock: time | None = None

    @property
    def night_minute(self) -> int | None:
        """Minutes after noon for a clock time (the night runs noon to noon), else None."""
        if self.clock is None:
            return None
        return (self.clock.hour * 60 + self.clock.minute - 12 * 60) % (24 * 60)


def parse_expr(text: object) -> TimeExpr:
    if not isinstance(text, str) or not text.strip():
        raise ExprError(f"must be a sun event or a clock time like \"21:30\", not {text!r}")
    raw = text.strip()
    clock = _CLOCK.match(raw)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ExprError(f"{raw!r} is not a clock time (00:00..23:59)")
        return TimeExpr(text=raw, clock=time(hour, minute))
    match = _EVENT.match(raw.lower())
    if not match:
        raise ExprError(f"{raw!r} is not a sun event with an offset (e.g. \"sunset+20m\") "
                        "or a clock time (\"HH:MM\")")
    name, sign, offset_text = match.groups()
    event = ALIASES.get(name, name)
    if event not in EVENTS:
        raise ExprError(f"unknown sun event {name!r} (known: {KNOWN_EVENTS})")
    offset = timedelta(0)
    if sign:
        offset = _parse_offset(raw, offset_text or "")
        if sign == "-":
            offset = -offset
    return TimeExpr(text=raw, event=event, offset=offset)


def _parse_offset(raw: str, text: str) -> timedelta:
    match = _OFFSET.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise ExprError(f"bad offset {text.strip()!r} in {raw!r} (use e.g. +20m, -1h30m, +45s)")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if offset > MAX_OFFSET:
        raise ExprError(f"offset in {raw!r} is more than 12h")
    return offset


def compare(a: TimeExpr, b: TimeExpr) -> int | None:
    """-1, 0 or 1 when the order of a and b is the same every night, None when it depends."""
    if a.clock is not None and b.clock is not None:
        x, y = a.night_minute, b.night_minute
    elif a.event is not None and a.event == b.event:
        x, y = a.offset, b.offset
    else:
        return None
    assert x is not None and y is not None
    return (x > y) - (x < y)
