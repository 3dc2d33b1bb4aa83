"""The planner: every night of a year, DST, the polar day, seasons, blackouts, catch-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schedules import (
    SiteLocation,
    level_at,
    next_transition,
    parse_rules,
    plan_night,
    plan_nights,
    sun_events,
    timeline,
)

TAMPERE = SiteLocation(61.4978, 23.7610, "Europe/Helsinki")
HEL = ZoneInfo("Europe/Helsinki")
REPO = Path(__file__).resolve().parent.parent


def rules(*windows: dict, **extra: object):
    return parse_rules({"window": list(windows), **extra}, Path("."))


def test_dusk_rule_with_fallback_gives_one_window_every_night_of_a_year() -> None:
    r = rules({"name": "show", "start": "civil_dusk", "end": "sunrise-30m", "level": 1.0,
               "fallback": "sunset+30m"})
    previous_end = None
    fallbacks = 0
    for plan in plan_nights(TAMPERE, r, date(2026, 1, 1), 365):
        assert len(plan.windows) == 1, plan
        window = plan.windows[0]
        events = sun_events(TAMPERE, plan.night)
        assert events["sunset"] < window.start < window.end < events["sunrise"]
        if previous_end is not None:
            assert window.start > previous_end
        previous_end = window.end
        fallbacks += "fallback sunset+30m" in window.note
    assert 30 <= fallbacks <= 40  # the white nights, early June to early July


def test_default_policy_for_a_missing_event_is_solar_midnight_and_is_named() -> None:
    r = rules({"name": "late", "start": "nautical_dusk", "end": "04:00"})
    plan = plan_night(TAMPERE, r, date(2026, 6, 21))
    (window,) = plan.windows
    assert "default solar midnight" in window.note
    assert window.start.astimezone(HEL).strftime("%H") == "01"  # solar midnight ~01:27 EEST


def test_skip_fallback_leaves_the_night_dark_with_the_reason() -> None:
    r = rules({"name": "show", "start": "civil_dusk", "end": "02:00", "fallback": "skip"})
    plan = plan_night(TAMPERE, r, date(2026, 6, 21))
    assert plan.windows == ()
    assert "civil_dusk does not occur" in plan.note and "skip" in plan.note
    assert plan_night(TAMPERE, r, date(2026, 9, 1)).windows


def test_summer_curfew_before_sunset_leaves_the_night_dark_with_the_reason() -> None:
    r = rules({"name": "evening", "start": "sunset", "end": "22:30"})
    plan = plan_night(TAMPERE, r, date(2026, 6, 21))
    assert plan.windows == ()
    assert "would end (22:30) before it starts (sunset 23:11)" in plan.note
    assert plan_night(TAMPERE, r, date(2026, 3, 1)).windows[0].end.astimezone(HEL).hour == 22


def test_window_across_the_spring_forward_hour_lasts_real_hours() -> None:
    r = rules({"name": "night", "start": "02:00", "end": "05:00"})
    # night of Sat 2026-03-28: clocks go 03:00 EET -> 04:00 EEST
    (spring,) = plan_night(TAMPERE, r, date(2026, 3, 28)).windows
    assert spring.end - spring.start == timedelta(hours=2)
    assert spring.start.astimezone(HEL).utcoffset() == timedelta(hours=2)
    assert spring.end.astimezone(HEL).utcoffset() == timedelta(hours=3)
    (autumn,) = plan_night(TAMPERE, r, date(2026, 10, 24)).windows
    assert autumn.end - autumn.start == timedelta(hours=4)
    assert (autumn.start.astimezone(HEL).hour, autumn.end.astimezone(HEL).hour) == (2, 5)


def test_offsets_are_real_time_across_dst() -> None:
    r = rules({"name": "w", "start": "civil_dusk", "end": "civil_dusk+9h"})
    (window,) = plan_night(TAMPERE, r, date(2026, 10, 24)).windows  # fall back 04:00 EEST
    assert window.end - window.start == timedelta(hours=9)


def test_season_wrapping_the_new_year_and_weekdays() -> None:
    r = rules({"name": "winter", "start": "sunset", "end": "22:00", "dates": "11-15..02-15",
               "days": ["fri", "sat"]})
    lit = {p.night for p in plan_nights(TAMPERE, r, date(2026, 1, 1), 365) if p.windows}
    assert date(2026, 1, 2) in lit  # a Friday in January
    assert date(2026, 12, 26) in lit  # a Saturday in December
    assert date(2026, 1, 1) not in lit  # Thursday
    assert not any(date(2026, 2, 16) <= d <= date(2026, 11, 14) for d in lit)
    assert "no window applies" in plan_night(TAMPERE, r, date(2026, 7, 3)).note


def test_blackout_and_event_night() -> None:
    r = rules(
        {"name": "evening", "start": "civil_dusk", "end": "23:00"},
        blackout=[{"date": "2026-12-24", "reason": "closed"}],
        event=[{"date": "12-31", "name": "new-year", "start": "civil_dusk", "end": "01:30"}],
    )
    blackout = plan_night(TAMPERE, r, date(2026, 12, 24))
    assert blackout.windows == () and "closed" in blackout.note
    assert plan_night(TAMPERE, r, date(2025, 12, 24)).windows  # a dated blackout is one year
    (event,) = plan_night(TAMPERE, r, date(2026, 12, 31)).windows
    assert event.rule == "new-year" and event.end == datetime(2027, 1, 1, 1, 30, tzinfo=HEL)


def test_restart_mid_window_catches_up_and_next_transition() -> None:
    r = rules(
        {"name": "evening", "start": "civil_dusk", "end": "23:00", "level": 1.0},
        {"name": "late", "start": "23:00", "end": "00:30", "level": 0.4},
    )
    assert level_at(TAMPERE, r, datetime(2026, 1, 10, 23, 30, tzinfo=HEL))[0] == 0.4
    level, window = level_at(TAMPERE, r, datetime(2026, 1, 11, 0, 10, tzinfo=HEL))
    assert (level, window.rule) == (0.4, "late")  # after midnight: still the night of the 10th
    assert level_at(TAMPERE, r, datetime(2026, 1, 10, 12, 0, tzinfo=HEL)) == (0.0, None)
    at = datetime(2026, 1, 10, 22, 0, tzinfo=HEL)
    assert next_transition(TAMPERE, r, at) == datetime(2026, 1, 10, 23, 0, tzinfo=HEL)
    steps = timeline(TAMPERE, r, datetime(2026, 1, 10, 12, tzinfo=HEL),
                     datetime(2026, 1, 11, 12, tzinfo=HEL))
    seen = [(s.at.astimezone(HEL).strftime("%H:%M"), s.level) for s in steps]
    assert seen[1:] == [("23:00", 0.4), ("00:30", 0.0)]
    assert steps[0].window.rule == "evening"


def test_clamps_and_sky_dependent_overlap() -> None:
    r = rules(
        {"name": "a", "start": "sunset", "end": "23:00", "not_before": "18:00", "level": 1.0},
        {"name": "b", "start": "civil_dusk", "end": "23:30", "level": 0.5},
    )
    plan = plan_night(TAMPERE, r, date(2026, 1, 10))
    assert plan.windows[1].start.astimezone(HEL).strftime("%H:%M") == "18:00"
    # b starts at civil dusk (~16:30) first; a takes over where it starts
    assert [w.rule for w in plan.windows] == ["b", "a"]
    assert plan.windows[0].end == plan.windows[1].start
    assert "ends early" in plan.note


def test_laikunlava_example_rules() -> None:
    r = parse_rules({"include": "laikunlava.toml"}, REPO / "schedules")
    january = plan_night(TAMPERE, r, date(2026, 1, 10))
    assert [w.rule for w in january.windows] == ["evening", "late"]
    assert january.windows[-1].end.astimezone(HEL).strftime("%H:%M") == "00:30"
    assert plan_night(TAMPERE, r, date(2026, 6, 21)).windows == ()
    assert "blackout" in plan_night(TAMPERE, r, date(2026, 12, 24)).note


@pytest.mark.parametrize("night", [date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24),
                                   date(2026, 10, 25)])
def test_dst_change_days_clock_times_are_local(night: date) -> None:
    r = rules({"name": "w", "start": "20:00", "end": "23:00"})
    (window,) = plan_night(TAMPERE, r, night).windows
    assert (window.start.astimezone(HEL).hour, window.end.astimezone(HEL).hour) == (20, 23)
    assert window.end - window.start == timedelta(hours=3)
