"""`gobo demo`: a whole night at Laikunlava on simulated fixtures, in seconds.

The demo uses the real parts end to end: its drawings go through the inbox and
the library like an artist's, tonight's windows come from the site's schedule,
the show engine renders every second of the night with the clock injected, and
simulated fixtures draw what the projectors would throw on the ground. The run
log is written as the daemon would, so `gobo report` works on the result.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

import schedules
from controller.config import SiteConfig, load_site_config
from controller.demo_drawings import write_demo_drawings
from controller.liveshow import put_in_gates
from controller.runlog import RunLog, RunRecorder, night_of
from controller.show import Show
from controller.showstatus import Surroundings, run_sample
from controller.showstatus import why as why_line

SIM_STEP_S = 1.0  # one engine frame per simulated second: fades and crossfades stay smooth
SAMPLE_EVERY_S = 10.0  # run-log sampling, as the daemon does (it samples every second)
MARGIN = timedelta(minutes=15)  # simulated before the first window and after the last
GOBO_SLOTS_FIRST = 2  # slot 1 of the generic gobo wheel is the open hole

SITE_TEMPLATE = """\
# Demo site written by `gobo demo`: Laikunlava's coordinates, simulated fixtures.
# Try: gobo --config {config} status | schedule | artwork list | fixtures | report

[site]
name = "Laikunlava (demo)"
latitude = 61.4978
longitude = 23.7610
timezone = "Europe/Helsinki"

[paths]
state = "state"
inbox = "inbox"

[control]
socket = "control.sock"

[osc]
listen = "127.0.0.1:9000"
allow = ["127.0.0.1"]

[show]
rotation_minutes = 30
crossfade_seconds = 5
window_fade_seconds = 10
untrusted_clock = "schedule"

[report]
grid_gco2_per_kwh = 40   # Finland's grid, roughly; a real site sets its own figure

[[output]]
name = "sim"
type = "simulated"

[[fixture]]
name = "gobo-steel"
profile = "generic-gobo-wheel"
address = 1
gobo_kind = "steel"
gobo_size = "B"
power = 150
{steel_slots}
[[fixture]]
name = "gobo-glass"
profile = "generic-led-gobo"
address = 20
gobo_kind = "glass"
gobo_size = "M"
tilt = 20
beam_angle = 26
power = 80

[[fixture]]
name = "wash"
profile = "generic-rgbw"
address = 40
power = 60

[[fixture]]
name = "pixels"
profile = "generic-pixel-matrix"
pixels = [8, 4]
address = 50
power = 40

[schedule]
include = "laikunlava.toml"
"""


@dataclass(frozen=True)
class TimelineEntry:
    at: float  # epoch seconds
    what: str


@dataclass
class NightResult:
    night: date
    start: float
    end: float
    timeline: list[TimelineEntry] = field(default_factory=list)
    stills: list[tuple[float, str, Image.Image]] = field(default_factory=list)


def write_demo_site(out_dir: Path, steel_slots: dict[int, str]) -> Path:
    """The demo's site.toml and the site's schedule rules beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        Path(schedules.__file__).parent / "laikunlava.toml", out_dir / "laikunlava.toml"
    )
    slots = ""
    if steel_slots:
        pairs = ", ".join(f'"{slot}" = "{art}"' for slot, art in sorted(steel_slots.items()))
        slots = f"gobo_slots = {{ {pairs} }}   # wheel slot -> artwork id (gobos made)\n"
    config = out_dir / "site.toml"
    config.write_text(SITE_TEMPLATE.format(config=config, steel_slots=slots), encoding="utf-8")
    return config


def ingest_demo_drawings(config: SiteConfig) -> list[str]:
    """Drop the demo drawings in the inbox and let the inbox take them, as for an artist."""
    from artwork import Inbox, Library
    from controller.artwork_targets import targets_for_patch

    library = Library(config.state_dir)
    write_demo_drawings(config.inbox_dir)
    inbox = Inbox(
        config.inbox_dir, library, lambda: targets_for_patch(config.patch), config.artwork
    )
    for outcome in inbox.process_existing():
        if outcome.reason is not None:
            raise RuntimeError(f"demo drawing {outcome.source.name} refused: {outcome.reason}")
    return [record.id for record in library.approved()]


def pick_night(config: SiteConfig, around: date) -> tuple[date, Any]:
    """Tonight if it has windows, else the next night that has (white nights, blackouts)."""
    for offset in range(366):
        plan = schedules.plan_night(config.site, config.schedule, around + timedelta(days=offset))
        if plan.windows:
            return plan.night, plan
    raise RuntimeError("the schedule has no show window in the coming year")


def simulate_night(
    show: Show,
    sim: Any,
    start: float,
    end: float,
    recorder: RunRecorder | None = None,
    still_times: Sequence[float] = (),
    step_s: float = SIM_STEP_S,
    on_step: Callable[[float], None] | None = None,
) -> NightResult:
    """Step the show through [start, end) with the clock injected; collect what happened."""
    result = NightResult(night_of(start, show.tz), start, end)
    outputs = {sim.name: sim}
    pending_stills = sorted(still_times)
    last_state: str | None = None
    last_window: str | None = None
    last_artwork: str | None = None
    last_sample = -SAMPLE_EVERY_S
    steps = int((end - start) / step_s)
    for index in range(steps + 1):
        now = start + index * step_s
        if on_step is not None:
            on_step(now)
        step = show.step(now)
        put_in_gates(step.events, outputs)
        sim.send(step.frames.get(sim.name, {}))
        around = Surroundings(health={sim.name: sim.health()})
        state = show.state(now)
        artwork = show.playlist.current if state == "showing" else None
        window = show.segment(now).window
        if state != last_state:
            label = state
        elif window != last_window and window is not None:
            label = "window"
        elif artwork != last_artwork and artwork is not None:
            label = "next drawing"
        else:
            label = ""
        if label:
            result.timeline.append(TimelineEntry(now, f"{label}: {why_line(show, now, around)}"))
        last_state, last_window, last_artwork = state, window, artwork
        if recorder is not None and now - last_sample >= SAMPLE_EVERY_S:
            recorder.sample(*run_sample(show, now, around.health))
            last_sample = now
        while pending_stills and pending_stills[0] <= now:
            moment = pending_stills.pop(0)
            result.stills.append((moment, why_line(show, now, around), sim.render((480, 360))))
    if recorder is not None:
        recorder.finish(end)
    return result


def key_moments(plan: Any, rotation_s: float, crossfade_s: float) -> list[float]:
    """Fade-in done, the middle of the first crossfade, each window at its level, the end."""
    first = plan.windows[0].start.timestamp()
    moments = [first + 60.0, first + rotation_s + crossfade_s / 2]
    for window in plan.windows:
        start, end = window.start.timestamp(), window.end.timestamp()
        moments.append(start + (end - start) * 0.6)
    moments.append(plan.windows[-1].end.timestamp() + 120.0)
    return sorted(set(moments))


def filmstrip(stills: Sequence[tuple[float, str, Image.Image]], tz: Any) -> Image.Image:
    font = ImageFont.load_default()
    width, height = 480, 360
    strip = Image.new("RGB", (width * len(stills), height + 44), (12, 12, 16))
    draw = ImageDraw.Draw(strip)
    for index, (moment, why, still) in enumerate(stills):
        strip.paste(still, (index * width, 0))
        stamp = datetime.fromtimestamp(moment, tz).strftime("%H:%M")
        draw.text((index * width + 8, height + 6), stamp, fill=(240, 240, 240), font=font)
        draw.text((index * width + 8, height + 22), why[:78], fill=(180, 180, 190), font=font)
    return strip


def run_demo(out_dir: Path, today: date | None = None) -> dict[str, Any]:
    """Everything `gobo demo` does; returns what it printed as data (for --json and tests)."""
    # The demo prints its own timeline; the parts' routine log lines would only clutter it.
    logging.getLogger().setLevel(logging.ERROR)
    out_dir = out_dir.resolve()
    config = load_site_config(write_demo_site(out_dir, {}))
    artworks = ingest_demo_drawings(config)
    slots = {GOBO_SLOTS_FIRST + i: art for i, art in enumerate(artworks[:7])}
    config = load_site_config(write_demo_site(out_dir, slots))

    from artwork import Library
    from artwork.contact_sheet import write_contact_sheet
    from controller.library_watch import load_looks
    from hardware.outputs import create_output
    from schedules.chart import render_year

    library = Library(config.state_dir)
    _, looks = load_looks(library, {})
    sim = create_output(config.patch.outputs[0], config.patch.fixtures)
    asyncio.run(sim.open())
    today = today or night_of(datetime.now(UTC).timestamp(), config.site.tz)
    night, plan = pick_night(config, today)
    start = plan.windows[0].start.timestamp() - MARGIN.total_seconds()
    end = plan.windows[-1].end.timestamp() + MARGIN.total_seconds()
    show = Show(config)
    show.clock_trusted = True
    show.set_library(looks, start)
    runlog_path = config.state_dir / "runlog.sqlite3"
    for stale in runlog_path.parent.glob(runlog_path.name + "*"):
        stale.unlink()  # a re-run replaces the demo night rather than counting it twice
    runlog = RunLog(runlog_path)
    power = {f.name: f.power_watts or 0.0 for f in config.patch.fixtures}
    recorder = RunRecorder(runlog, config.site.tz, power)
    moments = key_moments(plan, config.show.rotation_minutes * 60.0, config.show.crossfade_seconds)
    simulation_started = time.monotonic()
    result = simulate_night(show, sim, start, end, recorder, moments)
    simulation_seconds = time.monotonic() - simulation_started
    runlog.close()
    asyncio.run(sim.close())

    sheet = write_contact_sheet(library.approved(), out_dir / "artworks.png")
    strip_path = out_dir / "filmstrip.png"
    filmstrip(result.stills, config.site.tz).save(strip_path, format="PNG")
    chart_path = out_dir / "schedule.png"
    render_year(config.site, config.schedule, night.year, title="Laikunlava (demo)").save(
        chart_path, format="PNG"
    )
    tz = config.site.tz
    from controller.web.settings import USERS_FILE
    from controller.web.users import UserStore, add_demo_users

    web_users = add_demo_users(UserStore(config.state_dir / USERS_FILE))
    return {
        "web": {"url": "http://127.0.0.1:8080/", "users": web_users},
        "night": night.isoformat(),
        "tonight": night == today,
        "config": str(config.path),
        "artworks": artworks,
        "windows": [
            {
                "start": w.start.astimezone(tz).isoformat(),
                "end": w.end.astimezone(tz).isoformat(),
                "level": w.level,
                "rule": w.rule,
                "note": w.note,
            }
            for w in plan.windows
        ],
        "timeline": [
            {"at": datetime.fromtimestamp(e.at, tz).isoformat(), "what": e.what}
            for e in result.timeline
        ],
        "simulated_seconds": end - start,
        "simulation_wall_seconds": round(simulation_seconds, 1),
        "files": {
            "contact_sheet": str(sheet),
            "filmstrip": str(strip_path),
            "schedule_chart": str(chart_path),
        },
    }
