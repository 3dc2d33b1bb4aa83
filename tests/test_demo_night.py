"""`gobo demo` and the accelerated night behind it; the run-log report checked against it."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from controller.config import load_site_config
from controller.demo import pick_night, simulate_night
from controller.library_watch import load_looks
from controller.report import build_report
from controller.runlog import RunLog, RunRecorder
from controller.show import Show
from hardware.outputs import create_output

NIGHT = "2026-11-27"


def gobo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    result = gobo("demo", "--out", str(out), "--date", NIGHT, "--json")
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout)


def test_demo_runs_the_night_and_writes_pictures(demo: tuple[Path, dict]) -> None:
    _, result = demo
    assert result["night"] == NIGHT
    assert len(result["artworks"]) == 4
    # Late November at Tampere: civil dusk around 16:20, the site's curfew at 00:30.
    assert result["windows"][0]["start"].startswith(f"{NIGHT}T16:")
    assert result["windows"][-1]["end"].startswith("2026-11-28T00:30")
    states = [entry["what"].split(":")[0] for entry in result["timeline"]]
    assert states[0] == "dark" and states[-1] == "dark"
    assert "showing" in states and "next drawing" in states
    for name in ("contact_sheet", "filmstrip", "schedule_chart"):
        with Image.open(result["files"][name]) as picture:
            assert picture.format == "PNG" and picture.width > 400
    # The filmstrip's first still is mid-show: its beams are lit; the last is after the curfew.
    with Image.open(result["files"]["filmstrip"]) as strip:
        frames = strip.width // 480
        first = strip.crop((0, 0, 480, 360)).convert("L")
        last = strip.crop(((frames - 1) * 480, 0, frames * 480, 360)).convert("L")
        assert first.getextrema()[1] > 150
        assert last.getextrema()[1] < 60


def test_demo_leaves_a_site_every_command_works_on(demo: tuple[Path, dict]) -> None:
    out, result = demo
    config = str(out / "site.toml")
    assert gobo("--config", config, "check").returncode == 0
    listed = json.loads(gobo("--config", config, "artwork", "list", "--json").stdout)
    assert sorted(item["id"] for item in listed) == sorted(result["artworks"])
    assert {item["credit"] for item in listed} == {"Aino 6 v", "Eetu 5 v", "Venla 7 v", "Onni 4 v"}
    nights = json.loads(gobo("--config", config, "schedule", "--date", NIGHT, "--json").stdout)
    assert [w["rule"] for w in nights[0]["windows"]] == [w["rule"] for w in result["windows"]]
    report = json.loads(
        gobo("--config", config, "report", "--from", NIGHT, "--to", NIGHT, "--json").stdout
    )
    assert report["totals"]["showings"] >= 10
    status = gobo("--config", config, "status")
    assert status.returncode == 1 and "not running" in status.stderr
    # The console's demo users, one per role, with the passwords the demo printed.
    from controller.web.users import UserStore

    store = UserStore(out / "state" / "web-users.json")
    for user in result["web"]["users"]:
        assert store.verify(user["name"], user["password"]).role == user["role"]
    assert {u["role"] for u in result["web"]["users"]} == {"artist", "curator", "technician"}


def test_white_night_demo_moves_to_the_next_night_with_a_show(demo: tuple[Path, dict]) -> None:
    out, _ = demo
    config = load_site_config(out / "site.toml")
    night, plan = pick_night(config, date(2026, 6, 20))
    assert night > date(2026, 6, 20) and plan.windows  # the site skips its white nights


def test_accelerated_night_report_matches_an_independent_integral(
    demo: tuple[Path, dict], tmp_path: Path
) -> None:
    """The run log's energy and showings against the test's own sums; an outage shows up."""
    out, _ = demo
    config = load_site_config(out / "site.toml")
    from artwork import Library

    _, looks = load_looks(Library(config.state_dir), {})
    sim = create_output(config.patch.outputs[0], config.patch.fixtures)
    asyncio.run(sim.open())
    night, plan = pick_night(config, date.fromisoformat(NIGHT))
    start = plan.windows[0].start.timestamp() - 600
    end = plan.windows[-1].end.timestamp() + 600
    outage = (start + 3 * 3600, start + 3 * 3600 + 900)  # the output is gone for 15 minutes
    show = Show(config)
    show.clock_trusted = True
    show.set_library(looks, start)
    log = RunLog(tmp_path / "runlog.sqlite3")
    power = {f.name: f.power_watts or 0.0 for f in config.patch.fixtures}
    recorder = RunRecorder(log, config.site.tz, power)

    step = 2.0
    expected_wh = dict.fromkeys(power, 0.0)
    shown: list[str] = []
    previous: dict[str, float] | None = None

    def observe(now: float) -> None:
        nonlocal previous
        if now == outage[0]:
            asyncio.run(sim.close())
        elif now == outage[1]:
            asyncio.run(sim.open())
        # What the engine drove one step earlier, integrated with the trapezoid rule.
        current = {
            name: float(values.get("intensity", 0.0)) for name, values in show.last_values.items()
        }
        if previous is not None:
            for name, watts in power.items():
                average = (previous.get(name, 0.0) + current.get(name, 0.0)) / 2
                expected_wh[name] += watts * average * step / 3600
        previous = current
        if show.state(now) == "showing" and (not shown or shown[-1] != show.playlist.current):
            shown.append(show.playlist.current or "")

    simulate_night(show, sim, start, end, recorder, step_s=step, on_step=observe)
    report = build_report(log, night, night, config.report, now=end)
    entry = report["nights"][0]
    for name, watt_hours in expected_wh.items():
        assert watt_hours > 0
        assert math.isclose(entry["fixtures"][name]["energy_kwh"], watt_hours / 1000, rel_tol=0.02)
    total_kwh = sum(expected_wh.values()) / 1000
    assert math.isclose(
        entry["co2_kg"], total_kwh * config.report.grid_gco2_per_kwh / 1000, rel_tol=0.02
    )
    showings = {art: sum(1 for s in shown if s == art) for art in set(shown)}
    assert {a: v["showings"] for a, v in entry["artworks"].items()} == showings
    # Rotation every 30 minutes through the whole show time.
    show_hours = sum((w.end - w.start).total_seconds() for w in plan.windows) / 3600
    assert len(shown) == math.ceil(show_hours * 2)
    assert [(o["output"], round(o["minutes"])) for o in entry["outages"]] == [("sim", 15)]
