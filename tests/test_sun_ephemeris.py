"""Sun events against an independent ephemeris (PyEphem) and the night model at 61.5 N."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import ephem
import pytest

from schedules import SiteLocation, sun_events
from schedules.sun import night_sky

TAMPERE = SiteLocation(61.4978, 23.7610, "Europe/Helsinki")


def _ephem_observer() -> ephem.Observer:
    observer = ephem.Observer()
    observer.lat, observer.lon = "61.4978", "23.7610"
    observer.pressure = 0  # USNO convention: refraction folded into the -0:34 horizon
    observer.horizon = "-0:34"
    return observer


def test_sunrise_and_sunset_agree_with_ephem_every_day_of_a_year() -> None:
    observer = _ephem_observer()
    worst = timedelta(0)
    for n in range(365):
        night = date(2026, 1, 1) + timedelta(days=n)
        sky = night_sky(TAMPERE, night)
        observer.date = ephem.Date(sky.noon.replace(tzinfo=None))
        sunset = observer.next_setting(ephem.Sun()).datetime().replace(tzinfo=UTC)
        sunrise = observer.next_rising(ephem.Sun()).datetime().replace(tzinfo=UTC)
        for ours, theirs in ((sky.events["sunset"], sunset), (sky.events["sunrise"], sunrise)):
            assert ours is not None
            error = abs(ours - theirs)
            assert error < timedelta(minutes=1), f"{night}: {ours} vs ephem {theirs}"
            worst = max(worst, error)
    assert worst > timedelta(0)  # two independent computations never agree to the microsecond


def test_civil_dusk_after_midnight_belongs_to_the_evening_before() -> None:
    events = sun_events(TAMPERE, date(2026, 6, 1))
    dusk = events["civil_dusk"]
    assert dusk is not None and dusk.date() == date(2026, 6, 2) and dusk.hour == 0
    assert events["sunset"] is not None and events["sunset"].date() == date(2026, 6, 1)
    # the morning events are those of D+1
    assert events["sunrise"] is not None and events["sunrise"].date() == date(2026, 6, 2)


@pytest.mark.parametrize("night", [date(2026, 5, 24), date(2026, 7, 12), date(2026, 7, 14)])
def test_no_evening_loses_its_dusk_around_the_polar_day(night: date) -> None:
    # astral's per-date answer raises or repeats the previous evening here
    dusk = sun_events(TAMPERE, night)["civil_dusk"]
    assert dusk is not None
    assert night <= dusk.date() <= night + timedelta(days=1)


def test_polar_day_range_has_no_civil_or_nautical_dusk() -> None:
    missing_civil = [
        date(2026, 5, 1) + timedelta(days=n)
        for n in range(100)
        if sun_events(TAMPERE, date(2026, 5, 1) + timedelta(days=n))["civil_dusk"] is None
    ]
    assert missing_civil[0] >= date(2026, 6, 1) and missing_civil[0] <= date(2026, 6, 6)
    assert missing_civil[-1] >= date(2026, 7, 5) and missing_civil[-1] <= date(2026, 7, 10)
    first = missing_civil[0]
    assert missing_civil == [first + timedelta(days=i) for i in range(len(missing_civil))]
    midsummer = sun_events(TAMPERE, date(2026, 6, 21))
    assert midsummer["nautical_dusk"] is None and midsummer["civil_dawn"] is None
    assert midsummer["sunset"] is not None and midsummer["sunrise"] is not None
    winter = sun_events(TAMPERE, date(2026, 12, 21))
    assert all(winter.values())
