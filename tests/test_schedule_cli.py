"""`gobo sun` and `gobo schedule`: text, JSON shapes from DESIGN.md, the year chart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from controller.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        '[site]\nname = "Laikunlava"\nlatitude = 61.4978\nlongitude = 23.7610\n'
        'timezone = "Europe/Helsinki"\n'
        f'[schedule]\ninclude = "{REPO / "schedules" / "laikunlava.toml"}"\n'
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sun_json_has_null_for_missing_events(site: Path, capsys) -> None:
    code, out, _ = run(capsys, "--config", str(site), "sun", "--date", "2026-06-20",
                       "--days", "2", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["date"] for r in rows] == ["2026-06-20", "2026-06-21"]
    for key in ("sunrise", "sunset", "civil_dawn", "civil_dusk", "nautical_dawn",
                "nautical_dusk"):
        assert key in rows[0]
    assert rows[1]["civil_dusk"] is None and rows[1]["nautical_dusk"] is None
    sunset = datetime.fromisoformat(rows[1]["sunset"])
    assert sunset.utcoffset().total_seconds() == 3 * 3600 and sunset.hour == 23


def test_sun_text_says_none(site: Path, capsys) -> None:
    code, out, _ = run(capsys, "--config", str(site), "sun", "--date", "2026-06-21")
    assert code == 0 and "none" in out and "23:11" in out


def test_schedule_json_shape_and_dark_night_note(site: Path, capsys) -> None:
    code, out, _ = run(capsys, "--config", str(site), "schedule", "--date", "2026-12-23",
                       "--days", "2", "--json")
    assert code == 0
    lit, dark = json.loads(out)
    assert lit["night"] == "2026-12-23" and [w["rule"] for w in lit["windows"]] == [
        "evening", "late"]
    assert set(lit["windows"][0]) >= {"start", "end", "level", "rule", "note"}
    assert datetime.fromisoformat(lit["windows"][1]["end"]).strftime("%H:%M") == "00:30"
    assert dark["windows"] == [] and "blackout" in dark["note"]


def test_bad_usage_exits_2(site: Path, capsys) -> None:
    code, _, err = run(capsys, "--config", str(site), "schedule", "--date", "2026-13-01")
    assert code == 2 and "--date" in err
    code, _, err = run(capsys, "--config", str(site), "schedule", "--year", "2026")
    assert code == 2 and "--png" in err


def test_year_chart_png(site: Path, tmp_path: Path, capsys) -> None:
    png = tmp_path / "year.png"
    code, _, _ = run(capsys, "--config", str(site), "schedule", "--year", "2026", "--png",
                     str(png))
    assert code == 0
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 365 * 2 and image.height > 500
        assert not image.getexif() and "exif" not in image.info
        pixels = image.convert("RGB")
        colours = {pixels.getpixel((x, y)) for x in range(0, image.width, 7)
                   for y in range(0, image.height, 7)}
    assert (235, 90, 0) in colours  # a full-level window band
    code, _, err = run(capsys, "--config", str(site), "schedule", "--year", "2026", "--png",
                       str(tmp_path / "missing" / "x.png"))
    assert code == 1 and "cannot write" in err
