"""Sun events of a night: the evening of date D and the morning of D+1.

astral answers "the event on local date D", which at 61.5 N returns the previous evening's
dusk in late May and July and loses other evenings altogether. Instead each event is found
by bisecting astral's solar elevation between solar noon of D and the solar midnight that
follows (evening events), or between that midnight and solar noon of D+1 (morning events):
the elevation is monotonic on each half, so an event either has exactly one crossing or
does not occur that night. All times are computed in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from astral import Observer
from astral.sun import elevation, noon

from schedules.expr import EVENTS
from schedules.site import SiteLocation

RESOLUTION = timedelta(seconds=1)


@dataclass(frozen=True)
class NightSky:
    night: date
    noon: datetime  # solar noon of D (UTC)
    midnight: datetime  # solar midnight: the darkest moment of the night (UTC)
    next_noon: datetime  # solar noon of D+1 (UTC)
    lowest_elevation: float  # degrees, at solar midnight
    events: dict[str, datetime | None]  # UTC; None where the event does not occur


@lru_cache(maxsize=2048)
def night_sky(site: SiteLocation, night: date) -> NightSky:
    observer = Observer(site.latitude, site.longitude)
    tz = site.tz
    noon_d = noon(observer, night, tzinfo=tz).astimezone(UTC)
    noon_next = noon(observer, night + timedelta(days=1), tzinfo=tz).astimezone(UTC)
    midnight = noon_d + (noon_next - noon_d) / 2

    def height(at: datetime) -> float:
        return elevation(observer, at, with_refraction=False)

    events: dict[str, datetime | None] = {}
    for name, (degrees, evening) in EVENTS.items():
        low, high = (noon_d, midnight) if evening else (midnight, noon_next)
        events[name] = _crossing(height, degrees, low, high, falling=evening)
    return NightSky(
        night=night,
        noon=noon_d,
        midnight=midnight,
        next_noon=noon_next,
        lowest_elevation=height(midnight),
        events=events,
    )


def _crossing(
    height: Callable[[datetime], float],
    degrees: float,
    low: datetime,
    high: datetime,
    falling: bool,
) -> datetime | None:
    """The instant in [low, high] where a monotonic elevation passes `degrees`, if it does."""
    sign = 1.0 if falling else -1.0  # make the function decreasing on the interval
    if sign * (height(low) - degrees) < 0 or sign * (height(high) - degrees) > 0:
        return None
    while high - low > RESOLUTION:
        middle = low + (high - low) / 2
        if sign * (height(middle) - degrees) > 0:
            low = middle
        else:
            high = middle
    return (low + (high - low) / 2).replace(microsecond=0)


def sun_events(site: SiteLocation, day: date) -> dict[str, datetime | None]:
    """The night of `day`: evening events of D, morning events of D+1, in local time."""
    tz = site.tz
    return {
        name: at.astimezone(tz) if at else None
        for name, at in night_sky(site, day).events.items()
    }
