"""The technicians' live commands, run as real `gobo` subprocesses against a real socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from control_show import TinyShow, server_in_thread, short_dir

from controller.commands.live import (
    describe_transition,
    format_dump,
    format_status,
    parse_assignments,
    parse_duration,
    parse_level,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def site() -> Path:
    """A site.toml whose [control] socket is relative to it, as a demo DIR would have."""
    directory = short_dir()
    config = directory / "site.toml"
    config.write_text(
        '[site]\nlatitude = 61.4978\nlongitude = 23.761\n[control]\nsocket = "run/control.sock"\n'
    )
    return config


@pytest.fixture
def show(site: Path) -> Iterator[TinyShow]:
    show = TinyShow()
    with server_in_thread(site.parent / "run" / "control.sock", show, monitor_interval=0.02):
        yield show


def gobo(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOBO_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "controller", "--config", str(site), *args],
        capture_output=True, text=True, timeout=30, cwd=REPO, env=env,
    )


def test_status_human_and_json(site: Path, show: TinyShow) -> None:
    out = gobo(site, "status")
    assert out.returncode == 0, out.stderr
    assert "state     showing" in out.stdout
    assert "level     0.80 x master 1.00" in out.stdout
    assert "next      window ends at 23:00" in out.stdout
    assert "main: ok since 16:02" in out.stdout
    assert "40.0 fps, 0 late, jitter p99 0.40 ms" in out.stdout
    assert "why       showing cat in the evening window until 23:00" in out.stdout
    data = json.loads(gobo(site, "status", "--json").stdout)
    assert data == {**show.status(), "nodes": [], "wire_warnings": []}  # no Art-Net output


def test_set_blackout_resume_master(site: Path, show: TinyShow) -> None:
    out = gobo(site, "set", "gobo-1", "intensity=50%", "color=#FF8800", "--for", "10m")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "gobo-1: intensity=50%, color=#ff8800 (for 10m)"
    assert show.overrides == {"gobo-1": {"intensity": 0.5, "color": "#ff8800"}}
    assert show.durations == {"gobo-1": 600.0}

    assert gobo(site, "blackout").returncode == 0
    assert show.blackout_source is not None and show.blackout_source.startswith("gobo blackout (")
    assert gobo(site, "why").stdout.startswith("blackout by gobo blackout")
    assert json.loads(gobo(site, "status", "--json").stdout)["state"] == "blackout"

    assert gobo(site, "resume").returncode == 0
    assert show.blackout_source is None and show.overrides == {}

    assert gobo(site, "master", "25%").stdout.strip() == "master 25%"
    assert show.master == 0.25


def test_play_next_identify(site: Path, show: TinyShow) -> None:
    out = gobo(site, "play", "boat", "--for", "1h30m", "--json")
    assert json.loads(out.stdout) == {"artwork": "boat", "duration_s": 5400.0}
    assert show.pinned == "boat"
    assert gobo(site, "next").stdout.strip() == "now showing sun"
    assert gobo(site, "identify", "wash").returncode == 0
    assert show.identified == [("wash", 10.0)]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("set", "ghost", "intensity=1"), 1, "gobo: unknown fixture 'ghost'"),
        (("set", "wash", "pan=1"), 1, "gobo: fixture 'wash' has no attribute 'pan'"),
        (("play", "dragon"), 1, "gobo: unknown artwork 'dragon'"),
        (("set", "wash", "intensity=150%"), 2, "gobo: set: intensity: '150%' is outside 0..1"),
        (("set", "wash", "color=orange"), 2, "gobo: set: color=orange: give #rrggbb"),
        (("set", "wash", "intensity"), 2, "gobo: set: 'intensity' is not ATTR=VALUE"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    site: Path, show: TinyShow, args: tuple[str, ...], code: int, message: str
) -> None:
    out = gobo(site, *args)
    assert out.returncode == code
    assert out.stderr.startswith(message) and out.stderr.count("\n") == 1
    assert show.overrides == {} and show.pinned is None


def test_bad_durations_and_levels_are_usage_errors(site: Path) -> None:
    for args in (("master", "2"), ("play", "cat", "--for", "soon")):
        out = gobo(site, *args)
        assert out.returncode == 2 and "Traceback" not in out.stderr


def test_no_daemon(site: Path) -> None:
    for command in ("status", "why", "blackout", "monitor"):
        out = gobo(site, command)
        assert out.returncode == 1
        socket_path = site.parent / "run" / "control.sock"
        assert out.stderr == f"gobo: gobo daemon is not running (no socket at {socket_path})\n"


def test_monitor_once(site: Path, show: TinyShow) -> None:
    show.master = 0.5
    frames = json.loads(gobo(site, "monitor", "--once", "--json", "--universe", "1").stdout)
    assert list(frames) == ["main/1"] and frames["main/1"][:2] == [128, 0]
    text = gobo(site, "monitor", "--once").stdout
    assert "main/1  (2 of 512 channels lit)" in text
    assert "   1: 128   0   0   0   0" in text
    assert "main/2  (0 of 512 channels lit)" in text and "   1-512: all 0" in text


def test_monitor_streams_until_stopped(site: Path, show: TinyShow) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GOBO_CONFIG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "controller", "--config", str(site), "monitor", "--json"],
        stdout=subprocess.PIPE, text=True, cwd=REPO, env=env,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        show.blackout_source = "test"
        for line in proc.stdout:  # pushed frames follow the show
            if json.loads(line)["main/1"][0] == 0:
                break
        assert first["main/1"][0] == 255
    finally:
        proc.terminate()
        proc.wait(10)


def test_parsers() -> None:
    assert parse_duration("10m") == 600 and parse_duration("1h30m") == 5400
    assert parse_duration("90s") == 90 and parse_duration("45") == 45
    assert parse_duration("1.5h") == 5400
    for bad in ("", "0", "-5m", "10x", "m", "2y"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert parse_level("50%") == 0.5 and parse_level("0.25") == 0.25
    for bad in ("101%", "-0.1", "half", "nan"):
        with pytest.raises(ValueError):
            parse_level(bad)
    assert parse_assignments(["Red=1", "color=#00FF00"]) == {"red": 1.0, "color": "#00ff00"}


def test_formatters() -> None:
    assert describe_transition(None) == "none scheduled"
    assert describe_transition("2026-11-28T16:42:00+02:00") == "16:42"
    lines = format_status({"state": "dark", "outputs": {"main": {"state": "disconnected",
                                                                 "detail": "timeout"}}})
    assert "outputs   main: disconnected (timeout)" in lines
    lines = format_status({
        "state": "override", "window": "evening",
        "overrides": {"wash": {"values": {"red": 0.5, "color": "#ff8800"},
                               "until": "2026-11-27T22:10:00+02:00", "by": "gobo set (anna)"}},
    })
    assert "window    evening" in lines
    assert "override  wash: red=0.50, color=#ff8800 until 22:10 by gobo set (anna)" in lines
    osc = {"received": 9, "handled": 4, "malformed": 2, "unknown": 1, "ignored": 1,
           "refused_source": 1}
    assert format_status({"state": "dark", "osc": osc})[-1] == (
        "osc       9 received, 4 handled, 2 malformed, 1 unknown address, 1 ignored, 1 refused"
    )
    dump = format_dump({"main/10": [0] * 32 + [7] + [0] * 479, "main/2": [0] * 512}, 16)
    assert dump[0].startswith("main/2")  # numeric universe order
    assert "  33:   7   0" in "\n".join(dump) and "   1-32: all 0" in dump
    assert "  49-512: all 0" in dump


def test_live_commands_stay_light() -> None:
    """`gobo status` must not load the heavy stacks (speed itself is in tests/benchmarks)."""
    code = (
        "import sys; from controller.cli import main\n"
        "try:\n    main(['--config', sys.argv[1], 'status'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'numpy', 'PIL', 'astral', 'pyartnet', 'apscheduler', 'asyncio',\n"
        "         'controller.config'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    directory = short_dir()
    (directory / "site.toml").write_text('[control]\nsocket = "none.sock"\n')
    out = subprocess.run(
        [sys.executable, "-c", code, str(directory / "site.toml")],
        capture_output=True, text=True, timeout=30, cwd=REPO,
    )
    assert out.stdout.strip() == "[]", out.stderr
    assert "gobo daemon is not running" in out.stderr


def test_fast_path_registers_exactly_the_live_commands() -> None:
    import argparse

    from controller import cli
    from controller.commands import live

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    live.register(commands)
    assert set(commands.choices) == cli.LIVE_COMMANDS
    assert cli.build_parser().parse_args(["status"]).command == "status"  # and the full parser


def test_bad_control_table_falls_back_and_says_so(site: Path) -> None:
    site.write_text("[control]\nsocket = 5\n")  # never read well: no socket remembered for it
    out = gobo(site, "status")
    assert out.returncode == 2
    problem = f"{site}: control.socket and control.group must be strings"
    assert out.stderr.splitlines() == [
        f"gobo: warning: {problem}; using the default control socket /run/gobo/control.sock",
        f"gobo: {problem}, and gobo daemon is not running (no socket at /run/gobo/control.sock)",
    ]
