"""The show core stepped with explicit times: real config parser, patch, schedule and assembler.

Commands go in through `apply`, frames and events come out; `persist` plays the daemon's edge
(writing each Changed event's state), so a restart is a second core reading that file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.config import parse_site_config
from controller.decisions import (
    Changed,
    Identify,
    Next,
    Play,
    Resume,
    SetBlackout,
    SetMaster,
    SetOverride,
    StateChanged,
)
from controller.liveshow import put_in_gates
from controller.looks import Look
from controller.show import Show
from controller.showstatus import Surroundings, status, why
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


class Site:
    """One show core with the daemon's persistence edge and a settable clock."""

    def __init__(self, tmp_path: Path, now: float, looks: list[Look] = LOOKS) -> None:
        self.now = now
        self.state_file = tmp_path / "show-state.json"
        config = parse_site_config(SITE, tmp_path / "site.toml")
        self.show = Show(config)
        self.persist(self.show.restore(load_state(self.state_file), now))
        self.persist(self.show.set_library(looks, now))

    def persist(self, events) -> None:
        for event in events:
            if isinstance(event, Changed):
                save_state(self.state_file, event.state)

    def do(self, command):
        applied = self.show.apply(command, self.now)
        self.persist(applied.events)
        return applied.result

    def step(self, now: float | None = None):
        step = self.show.step(self.now if now is None else now)
        self.persist(step.events)
        return step

    def why(self) -> str:
        return why(self.show, self.now, Surroundings())

    def status(self) -> dict:
        return status(self.show, self.now, Surroundings())


def wash(show: Show) -> list[int]:
    return list(show.last_frames["main"][1][39:43])  # intensity, red, green, blue


def test_dark_outside_the_window(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    site.step()
    assert site.show.state(site.now) == "dark"
    assert site.why() == "outside the show window until 18:00"
    assert not any(site.show.last_frames["main"][1])
    status = site.status()
    assert status["next_transition"] == "2026-11-27T18:00:00+02:00"
    assert status["window"] is None and status["level"] == 0.0


def test_window_fades_in_then_shows_with_why(tmp_path: Path) -> None:
    site = Site(tmp_path, at("18:00"))
    show = site.show
    site.step(at("18:00"))
    assert wash(show)[0] == 0  # no snap at the window start
    site.step(at("18:00") + 5)
    assert 0 < show.last_values["wash"]["intensity"] < 0.6
    site.now = at("20:00")
    site.step()
    assert show.state(site.now) == "showing"
    current = show.playlist.current
    assert current in ("aaaa00000000", "bbbb00000000")
    credit = "Aino" if current.startswith("a") else "Eero"
    assert site.why() == f"showing {current} ({credit}) at 100% in window 'evening' until 23:00"
    assert site.status()["reasons"] == [{"code": "showing", "artwork": current, "credit": credit,
                                         "level": 1.0, "window": "evening", "until": "23:00"}]
    # dimmer window after 23:00: 50 %, reached by a ramp ending at 23:00
    site.now = at("22:59") + 55
    site.step()
    assert 0.5 < show.last_level < 1.0
    site.now = at("23:30")
    site.step()
    assert show.last_level == pytest.approx(0.5)
    assert "at 50% in window 'late' until 00:30" in site.why()


def test_no_approved_artwork_and_an_unreadable_library(tmp_path: Path) -> None:
    site = Site(tmp_path, at("20:00"), looks=[])
    site.step()
    assert site.why() == "no approved artwork" and site.show.state(site.now) == "dark"
    assert not any(site.show.last_frames["main"][1])
    # The real cause of darkness, not "no approved artwork":
    around = Surroundings(library="disk I/O error")
    assert why(site.show, site.now, around) == (
        "no artwork to show; library not readable: disk I/O error"
    )


def test_override_scaled_by_master_then_blackout_then_resume(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    show = site.show
    result = site.do(SetOverride("wash", {"intensity": 1.0, "red": 1.0, "green": "50%"}, None))
    assert result["values"] == {"intensity": 1.0, "red": 1.0, "green": 0.5}
    site.step()
    assert wash(show) == [255, 255, 128, 0]  # generic-drgb: intensity, red, green, blue
    assert show.state(site.now) == "override"
    site.do(SetOverride("wash", {"blue": 0.0}, None, "OSC 127.0.0.1"))
    assert site.why() == "manual override: wash by OSC 127.0.0.1"
    site.do(SetMaster(0.5, "OSC 127.0.0.1"))
    site.step()
    assert wash(show)[0] in (127, 128)
    site.do(SetBlackout(True, "gobo blackout"))
    site.step()
    assert not any(show.last_frames["main"][1])
    assert show.state(site.now) == "blackout"
    assert site.why() == "blackout since 15:00 by gobo blackout"
    assert site.status()["reasons"] == [
        {"code": "blackout", "since": "15:00", "by": "gobo blackout"}
    ]
    site.do(Resume("gobo resume"))
    site.step()
    assert show.state(site.now) == "dark" and not any(show.last_frames["main"][1])


def test_commands_answer_with_events_and_a_refused_one_changes_nothing(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    applied = site.show.apply(SetBlackout(True, "gobo blackout (anna)"), site.now)
    [changed] = applied.events
    assert isinstance(changed, Changed) and not changed.fader
    assert changed.note == "blackout by gobo blackout (anna)"
    assert changed.state.blackout is not None and changed.state.blackout.since == site.now
    fader = site.show.apply(SetMaster(0.3, "OSC 127.0.0.1"), site.now).events
    assert [(type(e), e.fader) for e in fader] == [(Changed, True)]  # coalesced by the edge
    assert site.show.apply(SetBlackout(True, "again"), site.now).events == ()
    step = site.show.step(site.now)
    assert StateChanged("blackout") in step.events


def test_override_refusals_name_the_problem(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    with pytest.raises(ValueError, match="unknown fixture 'nope'"):
        site.do(SetOverride("nope", {"red": 1.0}, None))
    with pytest.raises(ValueError, match="fixture 'wash' has no attribute 'pan'"):
        site.do(SetOverride("wash", {"pan": 1.0}, None))
    with pytest.raises(ValueError, match="color"):
        site.do(SetOverride("wash", {"color": "orange"}, None))
    with pytest.raises(ValueError, match="master"):
        site.do(SetMaster(1.5, "test"))
    with pytest.raises(KeyError, match="unknown or not approved artwork 'ffff'"):
        site.do(Play("ffff", None, "test"))
    assert site.show.overrides == {}


def test_timed_override_ends_and_survives_a_restart(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    site.do(SetOverride("wash", {"color": "#0000FF"}, 600.0))
    site.do(SetBlackout(True, "gobo blackout"))
    site.do(SetMaster(0.8, "test"))
    # a new process reads the persisted state: same decisions
    again = Site(tmp_path, at("15:05"))
    show = again.show
    assert show.blackout_state is not None and show.blackout_state.source == "gobo blackout"
    assert show.master == 0.8
    assert show.overrides["wash"].values == {"color": "#0000ff"}
    again.do(Resume("test"))
    again.do(SetOverride("wash", {"color": "#0000ff", "intensity": 1.0}, 600.0))
    again.step()
    assert wash(show) == [204, 0, 0, 255]
    again.now = at("15:05") + 601
    again.step()
    assert show.overrides == {} and show.state(again.now) == "dark"
    assert load_state(tmp_path / "show-state.json").overrides == {}


def test_play_next_identify_and_gates(tmp_path: Path) -> None:
    site = Site(tmp_path, at("20:00"))
    show = site.show
    site.step()
    assert site.do(Play("bbbb", 60.0, "gobo play")) == "bbbb00000000"
    site.now += 2  # mid crossfade (4 s): the gobo is dark while it swaps
    site.step()
    assert show.last_values["gobo"]["intensity"] == pytest.approx(0.0, abs=1e-6)
    site.now += 10
    site.step()
    assert show.playlist.current == "bbbb00000000"
    assert show.last_values["wash"]["blue"] == 1.0
    assert site.do(Next("gobo next")) == "aaaa00000000"
    site.now += 10
    site.step()
    assert show.last_values["gobo"]["gobo"] == 2  # its steel gobo's wheel slot
    site.do(Identify("wash", 5.0, "gobo identify (anna)"))
    site.step(site.now + 0.1)
    assert wash(show) == [255, 255, 255, 255]
    assert "identifying wash until 20:00 (by gobo identify (anna))" in site.why()
    assert site.status()["identify"]["wash"]["by"] == "gobo identify (anna)"
    site.step(site.now + 0.3)
    assert wash(show)[0] == 0


def test_identify_is_bounded_and_ends(tmp_path: Path) -> None:
    site = Site(tmp_path, at("20:00"))
    for seconds in (1e300, 601.0, 0.0, -1.0):
        with pytest.raises(ValueError, match="identify: for up to 10 minutes"):
            site.do(Identify("wash", seconds))
    assert site.show.identifying == {}
    site.do(Identify("wash", 600.0))
    site.now += 600.5
    site.step()
    assert site.show.identifying == {} and "identifying" not in site.why()
    assert site.status()["identify"] == {}


def test_play_in_daylight_lights_it_for_its_duration_and_says_so(tmp_path: Path) -> None:
    site = Site(tmp_path, at("12:00"))  # outside the 18:00 window: a technician testing
    show = site.show
    site.step()
    assert show.state(site.now) == "dark" and wash(show)[0] == 0
    assert site.do(Play("aaaa", 300.0, "gobo play (anna)")) == "aaaa00000000"
    site.now += 10  # after the crossfade in
    site.step()
    assert show.state(site.now) == "showing"
    intensity, red = wash(show)[:2]  # Aino's red at level 1 x master 1, breathing 85..100 %
    assert red == 255 and intensity >= 0.85 * 255
    assert site.why() == ("playing aaaa00000000 (Aino) at 100% outside the show window until "
                          "12:05 (by gobo play (anna))")
    assert site.status()["played"]["outside_window"] is True
    # it survives a restart, and ends on time
    again = Site(tmp_path, site.now)
    again.step()
    assert again.show.played is not None and wash(again.show)[0] >= 0.85 * 255
    again.now = at("12:05") + 1
    again.step()
    assert again.show.state(again.now) == "dark" and wash(again.show)[0] == 0
    assert again.why() == "outside the show window until 18:00"


def test_untrusted_clock_holds_dark(tmp_path: Path) -> None:
    site = Site(tmp_path, at("20:00"))
    site.show.clock_trusted = False
    site.step()
    assert site.show.state(site.now) == "waiting-for-clock"
    assert site.why() == "waiting for a trusted clock"
    assert not any(site.show.last_frames["main"][1])
    site.show.clock_trusted = True
    site.step()
    assert site.show.state(site.now) == "showing"


def test_shutdown_fades_to_black_then_every_channel_off(tmp_path: Path) -> None:
    site = Site(tmp_path, at("15:00"))
    show = site.show
    site.do(SetOverride("wash", {"intensity": 1.0}, None))
    show.begin_shutdown(site.now)
    site.step(site.now + 0.3)
    assert 0 < wash(show)[0] < 255
    assert show.shutdown_done(site.now + 1.0)
    site.step(site.now + 1.0)
    assert not any(show.last_frames["main"][1])
    assert not any(show.off_frame()["main"][1])
    # the shutdown fade is not a decision to persist
    assert load_state(tmp_path / "show-state.json").overrides["wash"].values == {"intensity": 1.0}


def test_persisted_state_shape(tmp_path: Path) -> None:
    site = Site(tmp_path, at("20:00"))
    site.step()
    state = site.show.persisted()
    assert isinstance(state, PersistedState)
    assert state.current_artwork == site.show.playlist.current


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
    show = Show(config)
    show.set_library(looks, at("20:00"))

    def brightness(now: float) -> float:
        step = show.step(now)
        put_in_gates(step.events, {"sim": sim})
        sim.send(step.frames["sim"])
        return ImageStat.Stat(sim.render((200, 150)).convert("L")).mean[0]

    dark_gobo = brightness(at("20:00") + 30)
    assert show.playlist.current == "aaaa00000000"
    show.apply(Play("bbbb", None, "test"), at("20:00") + 30)
    assert brightness(at("20:00") + 60) > dark_gobo + 1.0


def test_saved_override_the_patch_cannot_take_is_dropped(tmp_path: Path) -> None:
    from controller.statestore import Override

    state = PersistedState(overrides={
        "gone": Override({"red": 1.0}, None, "gobo set"),
        "wash": Override({"pan": 0.5}, None, "gobo set"),
        "gobo": Override({"blue": 1.0}, None, "gobo set"),
    })
    save_state(tmp_path / "show-state.json", state)
    site = Site(tmp_path, at("15:00"))
    assert list(site.show.overrides) == ["gobo"]
    site.step()  # frames still assemble
    assert site.show.last_values["gobo"]["blue"] == 1.0


def test_newly_approved_drawing_keeps_its_early_slot_across_a_restart(tmp_path: Path) -> None:
    site = Site(tmp_path, at("18:05"))
    site.step()
    assert site.show.playlist.current == "aaaa00000000"
    newcomer = Look("cccc00000000", "Venla", (BLUE,))
    site.persist(site.show.set_library([*LOOKS, newcomer], site.now))  # approved while A shows
    assert site.show.playlist.queue == ("cccc00000000",)
    # The daemon is killed and restarted; the newcomer is still next, ahead of B.
    again = Site(tmp_path, at("18:06"), [*LOOKS, newcomer])
    assert again.show.playlist.queue == ("cccc00000000",)
    again.now = at("18:16")  # A's 10-minute slot is over
    again.step()
    assert again.show.playlist.current == "cccc00000000"
