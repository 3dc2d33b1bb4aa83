"""Run log and report: energy integral, showings, outages, folding keeps totals exact."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from controller.report import ReportSettings, build_report, report_csv
from controller.runlog import RunLog, RunRecorder, night_of

TZ = ZoneInfo("Europe/Helsinki")


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


def test_night_of_assigns_small_hours_to_previous_evening() -> None:
    assert night_of(ts("2026-11-27 23:30"), TZ) == date(2026, 11, 27)
    assert night_of(ts("2026-11-28 01:30"), TZ) == date(2026, 11, 27)
    assert night_of(ts("2026-11-28 13:00"), TZ) == date(2026, 11, 28)


def _record_night(log: RunLog) -> tuple[float, dict[str, float]]:
    """Two hours: 'a' at full for 1 h then 'b' at 50 % for 1 h; output down for 10 minutes."""
    recorder = RunRecorder(log, TZ, {"wash": 100.0, "gobo": 50.0}, flush_every=300)
    start = ts("2026-11-27 23:30")
    expected_wh = {"wash": 0.0, "gobo": 0.0}
    for second in range(0, 7200, 5):
        now = start + second
        first_hour = second < 3600
        level = 1.0 if first_hour else 0.5
        artwork = "aaaaaaaaaaaa" if first_hour else "bbbbbbbbbbbb"
        health = "disconnected" if 4000 <= second < 4600 else "ok"
        recorder.sample(
            now,
            {"wash": level, "gobo": level},
            artwork,
            level,
            {"main": (health, "no route" if health != "ok" else "")},
        )
        expected_wh["wash"] += 100.0 * level * 5 / 3600
        expected_wh["gobo"] += 50.0 * level * 5 / 3600
    recorder.finish(start + 7200)
    return start, expected_wh


def test_recorder_integrates_energy_showings_and_outages(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "runlog.sqlite3")
    start, expected_wh = _record_night(log)
    report = build_report(
        log,
        date(2026, 11, 27),
        date(2026, 11, 27),
        ReportSettings(grid_gco2_per_kwh=40),
        now=start + 8000,
    )
    night = report["nights"][0]
    # The run crossed midnight but stays one night.
    assert [n["night"] for n in report["nights"]] == ["2026-11-27"]
    assert abs(night["fixtures"]["wash"]["energy_kwh"] - expected_wh["wash"] / 1000) < 1e-6
    assert abs(night["fixtures"]["gobo"]["energy_kwh"] - expected_wh["gobo"] / 1000) < 1e-6
    assert abs(night["hours_lit"] - 2.0) < 1e-6
    total_kwh = (expected_wh["wash"] + expected_wh["gobo"]) / 1000
    assert abs(night["co2_kg"] - total_kwh * 40 / 1000) < 1e-6
    assert night["artworks"] == {
        "aaaaaaaaaaaa": {"showings": 1, "minutes": 60.0},
        "bbbbbbbbbbbb": {"showings": 1, "minutes": 60.0},
    }
    assert len(night["outages"]) == 1
    assert night["outages"][0]["output"] == "main"
    assert night["outages"][0]["minutes"] == 10.0
    assert "bbbbbbbbbbbb" in report_csv(report)


def test_folding_old_rows_keeps_totals_exact(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "runlog.sqlite3")
    _record_night(log)
    settings = ReportSettings()
    before = build_report(log, date(2026, 11, 1), date(2026, 11, 30), settings, now=0)
    minute_rows = log.db.execute("SELECT COUNT(*) FROM fixture_use").fetchone()[0]
    assert minute_rows > 100
    assert log.fold_before(date(2026, 11, 28)) == minute_rows
    assert log.db.execute("SELECT COUNT(*) FROM fixture_use").fetchone()[0] == 0
    after = build_report(log, date(2026, 11, 1), date(2026, 11, 30), settings, now=0)
    assert after["totals"] == before["totals"]


def test_report_cli_json_csv_and_chart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    log = RunLog(state / "runlog.sqlite3")
    _record_night(log)
    log.close()
    config = tmp_path / "site.toml"
    config.write_text(
        f'[site]\nlatitude = 61.4978\nlongitude = 23.761\n[paths]\nstate = "{state}"\n'
        "[report]\ngrid_gco2_per_kwh = 100\n"
    )
    base = [
        sys.executable,
        "-m",
        "controller",
        "--config",
        str(config),
        "report",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-30",
    ]
    result = subprocess.run(
        [*base, "--json", "--png", str(tmp_path / "r.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    assert data["totals"]["showings"] == 2
    assert data["grid_gco2_per_kwh"] == 100
    with Image.open(tmp_path / "r.png") as chart:
        assert chart.size == (1000, 520)
    csv_out = subprocess.run([*base, "--csv"], capture_output=True, text=True, check=True).stdout
    assert csv_out.splitlines()[0].startswith("night,hours_lit")
    bad = subprocess.run([*base[:-4], "--from", "2026-13-01"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--from" in bad.stderr


def test_a_showing_cut_by_a_crash_ends_at_its_last_sample(tmp_path: Path) -> None:
    """One minute shown, then kill -9: two weeks later it is one minute, not 20,160."""
    path = tmp_path / "runlog.sqlite3"
    recorder = RunRecorder(RunLog(path), TZ, {"wash": 100.0})
    start = ts("2026-11-27 20:00")
    for second in range(0, 61):
        recorder.sample(start + second, {"wash": 1.0}, "aaaaaaaaaaaa", 1.0, {})
    # the process dies here: no finish(), the showing row stays open
    two_weeks_later = start + 14 * 86400
    reopened = RunLog(path)
    night = date(2026, 11, 27)

    def minutes() -> float:
        report = build_report(reopened, night, night, ReportSettings(), now=two_weeks_later)
        return report["nights"][0]["artworks"]["aaaaaaaaaaaa"]["minutes"]

    assert minutes() == 1.0  # even before a restart closes it: counted to the last sample
    assert reopened.recover() == (1, start + 60)
    assert reopened.showings(night, night) == [("2026-11-27", "aaaaaaaaaaaa", start, start + 60)]
    assert minutes() == 1.0
    assert reopened.recover() == (0, start + 60)  # nothing left open
