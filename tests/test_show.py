"""The show stepped with an explicit clock: real config parser, patch, schedule and assembler."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.config import parse_site_config
from controller.looks import Look
from controller.show import Show
from controller.statestore import PersistedState, load_state, save_state

TZ = ZoneInfo("Europe/Helsinki")
RED = (1.0, 0.0, 0.0)
BLUE = (0.0, 0.0, 1.0)


def at(hhmm: str, day: int = 27) -> float:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).timestamp()


SITE = {
    "site": {"name": "test", "latitude": 61.4978, "longitude": 23.7610,
             "timezone": "Europe/Helsinki"},
    "show": {"rotation_minutes": 10, "crossfade_seconds": 4, "window_fade_seconds": 10},
    "output": [{"name": "main", "type": "artnet", "host": "127.0.0.1"}],
    "fixture": [
        {"name": "gobo", "profile": "generic-gobo-wheel", "output": "main", "universe": 1,
         "address": 1, "gobo_kind": "steel", "gobo_slots": {"2": "aaaa00000000"}},
        {"name": "wash", "profile": "generic-drgb", "output": "main", "universe": 1,
         "address": 40},
    ],
    "schedule": {"window": [
        {"name": "evening", "start": "18:00", "end": "23:00", "level": 1.0},
        {"name": "late", "start": "23:00", "end": "00:30", "level": 0.5},
    ]},
}
LOOKS = [Look("aaaa00000000", "Aino", (RED,)), Look("bbbb00000000", "Eero", (BLUE,))]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_show(tmp_path: Path, now: float, looks: list[Look] = LOOKS) -> tuple[Show, Clock]:
    clock = Clock(now)
    state_file = tmp_path / "show-state.json"
    config = parse_site_config(SITE, tmp_path / "site.toml")
    show = Show(config, persisted=load_state(state_file),
                save=lambda state: save_state(state_file, state), clock=clock)
    show.set_library(looks, now)
    show.restore_cursor()
    return show, clock


def wash(show: Show) -> list[int]:
    return list(show.last_frames["main"][1][39:43])  # intensity, red, green, blue


def test_dark_outside_the_window(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("15:00"))
    show.step(clock.now)
    assert show.state() == "dark"
    assert show.why() == "outside the show window until 18:00"
    assert not any(show.last_frames["main"][1])
    status = show.status()
    assert status["next_transition"] == "2026-11-27T18:00:00+02:00"
    assert status["window"] is None and status["level"] == 0.0


def test_window_fades_in_then_shows_with_why(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("18:00"))
    show.step(at("18:00"))
    assert wash(show)[0] == 0  # no snap at the window start
    show.step(at("18:00") + 5)
    assert 0 < show.last_values["wash"]["intensity"] < 0.6
    clock.now = at("20:00")
    show.step(clock.now)
    assert show.state() == "showing"
    current = show.playlist.current
    assert current in ("aaaa00000000", "bbbb00000000")
    credit = "Aino" if current.startswith("a") else "Eero"
    assert show.why() == f"showing {current} ({credit}) at 100% in window 'evening' until 23:00"
    # dimmer window after 23:00: 50 %, reached by a ramp ending at 23:00
    clock.now = at("22:59") + 55
    show.step(clock.now)
    assert 0.5 < show.last_level < 1.0
    clock.now = at("23:30")
    show.step(clock.now)
    assert show.last_level == pytest.approx(0.5)
    assert "at 50% in window 'late' until 00:30" in show.why()


def test_no_approved_artwork(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("20:00"), looks=[])
    show.step(clock.now)
    assert show.why() == "no approved artwork" and show.state() == "dark"
    assert not any(show.last_frames["main"][1])


def test_override_scaled_by_master_then_blackout_then_resume(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("15:00"))
    result = show.set_override("wash", {"intensity": 1.0, "red": 1.0, "green": "50%"}, None)
    assert result["values"] == {"intensity": 1.0, "red": 1.0, "green": 0.5}
    show.step(clock.now)
    assert wash(show) == [255, 255, 128, 0]  # generic-drgb: intensity, red, green, blue
    assert show.state() == "override"
    show.set_override("wash", {"blue": 0.0}, None, "OSC 127.0.0.1")
    assert show.why() == "manual override: wash by OSC 127.0.0.1"
    show.set_master(0.5, "OSC 127.0.0.1")
    show.step(clock.now)
    assert wash(show)[0] in (127, 128)
    show.blackout(True, "gobo blackout")
    show.step(clock.now)
    assert not any(show.last_frames["main"][1])
    assert show.state() == "blackout"
    assert show.why() == "blackout since 15:00 by gobo blackout"
    show.resume("gobo resume")
    show.step(clock.now)
    assert show.state() == "dark" and not any(show.last_frames["main"][1])


def test_override_refusals_name_the_problem(tmp_path: Path) -> None:
    show, _ = make_show(tmp_path, at("15:00"))
    with pytest.raises(ValueError, match="unknown fixture 'nope'"):
        show.set_override("nope", {"red": 1.0}, None)
    with pytest.raises(ValueError, match="fixture 'wash' has no attribute 'pan'"):
        show.set_override("wash", {"pan": 1.0}, None)
    with pytest.raises(ValueError, match="color"):
        show.set_override("wash", {"color": "orange"}, None)
    with pytest.raises(ValueError, match="master"):
        show.set_master(1.5, "test")
    with pytest.raises(KeyError, match="unknown or not approved artwork 'ffff'"):
        show.play("ffff", None, "test")
    assert show.overrides == {}


def test_timed_override_ends_and_survives_a_restart(tmp_path: Path) -> None:
    show, _ = make_show(tmp_path, at("15:00"))
    show.set_override("wash", {"color": "#0000FF"}, 600.0)
    show.blackout(True, "gobo blackout")
    show.set_master(0.8, "test")
    # a new process reads the persisted state: same decisions
    again, clock2 = make_show(tmp_path, at("15:05"))
    assert again.blackout_state is not None and again.blackout_state.source == "gobo blackout"
    assert again.master == 0.8
    assert again.overrides["wash"].values == {"color": "#0000ff"}
    again.resume("test")
    again.set_override("wash", {"color": "#0000ff", "intensity": 1.0}, 600.0)
    again.step(clock2.now)
    assert wash(again) == [204, 0, 0, 255]
    clock2.now = at("15:05") + 601
    again.step(clock2.now)
    assert again.overrides == {} and again.state() == "dark"
    assert load_state(tmp_path / "show-state.json").overrides == {}


def test_play_next_identify_and_monitor(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("20:00"))
    show.step(clock.now)
    assert show.play("bbbb", 60.0, "gobo play") == "bbbb00000000"
    clock.now += 2  # mid crossfade (4 s): the gobo is dark while it swaps
    show.step(clock.now)
    assert show.last_values["gobo"]["intensity"] == pytest.approx(0.0, abs=1e-6)
    clock.now += 10
    show.step(clock.now)
    assert show.playlist.current == "bbbb00000000"
    assert show.last_values["wash"]["blue"] == 1.0
    assert show.next("gobo next") == "aaaa00000000"
    clock.now += 10
    show.step(clock.now)
    assert show.last_values["gobo"]["gobo"] == 2  # its steel gobo's wheel slot
    show.identify("wash", 5.0)
    show.step(clock.now + 0.1)
    assert wash(show) == [255, 255, 255, 255]
    show.step(clock.now + 0.3)
    assert wash(show)[0] == 0
    dump = show.monitor(1)
    assert list(dump) == ["main/1"] and len(dump["main/1"]) == 512
    assert show.monitor(7) == {}


def test_untrusted_clock_holds_dark(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("20:00"))
    show.clock_trusted = False
    show.step(clock.now)
    assert show.state() == "waiting-for-clock"
    assert show.why() == "waiting for a trusted clock"
    assert not any(show.last_frames["main"][1])
    show.clock_trusted = True
    show.step(clock.now)
    assert show.state() == "showing"


def test_shutdown_fades_to_black(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("15:00"))
    show.set_override("wash", {"intensity": 1.0}, None)
    show.begin_shutdown(clock.now)
    show.step(clock.now + 0.3)
    assert 0 < wash(show)[0] < 255
    assert show.shutdown_done(clock.now + 1.0)
    show.step(clock.now + 1.0)
    assert not any(show.last_frames["main"][1])
    # the shutdown fade is not a decision to persist
    assert load_state(tmp_path / "show-state.json").overrides["wash"].values == {"intensity": 1.0}


def test_persisted_state_shape(tmp_path: Path) -> None:
    show, _ = make_show(tmp_path, at("20:00"))
    show.step(at("20:00"))
    state = show.persisted()
    assert isinstance(state, PersistedState)
    assert state.current_artwork == show.playlist.current


def test_simulated_projector_shows_the_artwork_in_its_gate(tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    from hardware.outputs import create_output

    site = dict(SITE)
    site["output"] = [{"name": "sim", "type": "simulated"}]
    site["fixture"] = [{"name": "projector", "profile": "generic-led-gobo", "output": "sim",
                        "universe": 1, "address": 1, "gobo_kind": "glass", "gobo_size": "M"}]
    config = parse_site_config(site, tmp_path / "site.toml")
    sim = create_output(config.patch.outputs[0], config.patch.fixtures)
    looks = []
    for artwork, shade in (("aaaa00000000", 0), ("bbbb00000000", 255)):
        path = tmp_path / f"{artwork}.png"
        Image.new("L", (200, 200), shade).save(path)  # black gobo: no light; white: all light
        looks.append(Look(artwork, "", ((1.0, 1.0, 1.0),), {}, {"gobo-glass-M": path}))
    show = Show(config, {"sim": sim}, clock=Clock(at("20:00")))
    show.set_library(looks, at("20:00"))

    def brightness(now: float) -> float:
        show.send(show.step(now))
        return ImageStat.Stat(sim.render((200, 150)).convert("L")).mean[0]

    dark_gobo = brightness(at("20:00") + 30)
    assert show.playlist.current == "aaaa00000000"
    show.play("bbbb", None, "test")
    assert brightness(at("20:00") + 60) > dark_gobo + 1.0


def test_saved_override_the_patch_cannot_take_is_dropped(tmp_path: Path) -> None:
    from controller.statestore import Override

    state = PersistedState(overrides={
        "gone": Override({"red": 1.0}, None, "gobo set"),
        "wash": Override({"pan": 0.5}, None, "gobo set"),
        "gobo": Override({"blue": 1.0}, None, "gobo set"),
    })
    save_state(tmp_path / "show-state.json", state)
    show, clock = make_show(tmp_path, at("15:00"))
    assert list(show.overrides) == ["gobo"]
    show.step(clock.now)  # frames still assemble
    assert show.last_values["gobo"]["blue"] == 1.0


def test_newly_approved_drawing_keeps_its_early_slot_across_a_restart(tmp_path: Path) -> None:
    show, clock = make_show(tmp_path, at("18:05"))
    show.step(clock.now)
    assert show.playlist.current == "aaaa00000000"
    newcomer = Look("cccc00000000", "Venla", (BLUE,))
    show.set_library([*LOOKS, newcomer], clock.now)  # approved while A is showing
    assert show.playlist.queue == ("cccc00000000",)
    # The daemon is killed and restarted; the newcomer is still next, ahead of B.
    again, clock2 = make_show(tmp_path, at("18:06"), [*LOOKS, newcomer])
    assert again.playlist.queue == ("cccc00000000",)
    clock2.now = at("18:16")  # A's 10-minute slot is over
    again.step(clock2.now)
    assert again.playlist.current == "cccc00000000"
