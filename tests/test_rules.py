"""Rule parsing: errors name the key (and the include file), through `gobo check` too."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main
from schedules import parse_rules
from siteconfig import ConfigError

SITE = """[site]
name = "Test"
latitude = 61.4978
longitude = 23.7610
timezone = "Europe/Helsinki"
"""


def refuse(table: dict, key: str, words: str, base: Path = Path(".")) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_rules(table, base)
    assert caught.value.key == key
    assert words in caught.value.message
    return caught.value


def test_unknown_event_lists_the_known_ones() -> None:
    refuse({"window": [{"start": "civil_dusk", "end": "23:00"},
                       {"start": "sunsett", "end": "23:30"}]},
           "schedule.window[2].start", "unknown sun event 'sunsett' (known: sunrise, sunset")


@pytest.mark.parametrize("text", ["sunset+20x", "sunset+", "sunset+13h", "25:00", "sunset+-5m"])
def test_bad_offsets_and_clock_times(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rules({"window": [{"start": text, "end": "23:00"}]}, Path("."))
    assert caught.value.key == "schedule.window[1].start"


def test_start_equal_to_end_and_overlaps() -> None:
    refuse({"window": [{"start": "sunset+0m", "end": "sunset"}]}, "schedule.window[1].end",
           "same time as start")
    refuse({"window": [{"name": "a", "start": "18:00", "end": "23:30", "level": 1.0},
                       {"name": "b", "start": "23:00", "end": "01:00", "level": 0.4}]},
           "schedule.window[2].start", "overlaps schedule.window[1]")
    # abutting, equal levels, disjoint weekdays, or a clamp that keeps them apart: accepted
    parse_rules({"window": [
        {"start": "civil_dusk", "end": "23:00", "level": 1.0},
        {"start": "civil_dusk", "not_before": "23:00", "end": "00:30", "level": 0.4},
        {"start": "22:00", "end": "02:00", "level": 0.2, "days": ["sun"],
         "dates": "06-01..06-30"},
    ]}, Path("."))


def test_levels_days_dates_and_unknown_keys() -> None:
    refuse({"window": [{"start": "sunset", "end": "23:00", "level": 1.5}]},
           "schedule.window[1].level", "0..1")
    refuse({"window": [{"start": "sunset", "end": "23:00", "days": ["fry"]}]},
           "schedule.window[1].days", "unknown weekday")
    refuse({"window": [{"start": "sunset", "end": "23:00", "dates": "13-01..02-01"}]},
           "schedule.window[1].dates", "not a date")
    refuse({"window": [{"strat": "sunset", "end": "23:00"}]}, "schedule.window[1].strat",
           "unknown key")
    refuse({"blackout": [{"date": "2026-12-24", "dates": "12-24..12-26"}]},
           "schedule.blackout[1].date", "exactly one")


def test_event_on_a_blackout_night_is_refused() -> None:
    refuse({"blackout": [{"dates": "12-20..12-26"}],
            "event": [{"date": "2026-12-24", "start": "16:00", "end": "20:00"}]},
           "schedule.event[1].date", "blackout night")


def test_include_errors_name_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[[schedule.window]]\nstart = "civil_dusk"\nend = "23:00"\n'
        '[[schedule.window]]\nstart = "dusk-5q"\nend = "23:00"\n'
    )
    error = refuse({"include": "rules.toml"}, "schedule.window[2].start", "bad offset",
                   tmp_path)
    assert error.file == tmp_path / "rules.toml"
    refuse({"include": "missing.toml"}, "schedule.include", "no such file", tmp_path)


def test_gobo_check_refuses_bad_rules_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.toml").write_text('[[window]]\nstart = "sunsett"\nend = "23:00"\n')
    site = tmp_path / "site.toml"
    site.write_text(SITE + '[schedule]\ninclude = "rules.toml"\n')
    assert main(["--config", str(site), "check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "rules.toml: schedule.window[1].start: unknown sun event 'sunsett'" in err
