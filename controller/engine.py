"""The pure frame function: (time, engine state, scene) -> attribute values per fixture.

No clock, no I/O: the show computes an `EngineState` for an instant, and
`render_frame` says what every fixture does then. Priority, highest first:
blackout, identify (one fixture flashing), manual override (of the attributes it names),
the schedule's look.
The grand master scales overrides and the schedule alike; `fade` (the daemon's
fade to black on shutdown) scales everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from controller.looks import Look, colour_attributes, fixture_look, hex_to_rgb, is_gobo_fixture

Values = dict[str, Any]
Frame = dict[str, Values]

IDENTIFY_HZ = 2.0
# Attributes that emit light: zeroed in the dark, blended in crossfades.
LIGHT_ATTRIBUTES = ("intensity", "red", "green", "blue", "white", "amber", "uv")


@dataclass(frozen=True)
class EngineState:
    current: str | None = None  # artwork shown (or fading in)
    previous: str | None = None  # artwork fading out
    fade_start: float = 0.0  # when the crossfade from previous to current began
    crossfade_s: float = 5.0
    level: float = 0.0  # schedule level at this instant, window fades applied, 0..1
    master: float = 1.0
    blackout: bool = False
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    identify: Mapping[str, float] = field(default_factory=dict)  # fixture -> until t
    fade: float = 1.0  # final multiplier (shutdown fade to black)


@dataclass(frozen=True)
class Scene:
    fixtures: Sequence[Any]  # hardware PatchedFixture
    looks: Mapping[str, Look]


def crossfade_fraction(t: float, state: EngineState) -> float:
    """0 at the start of a crossfade, 1 once the current artwork is fully in."""
    if state.previous is None or state.crossfade_s <= 0:
        return 1.0
    return min(1.0, max(0.0, (t - state.fade_start) / state.crossfade_s))


def gate_artwork(t: float, state: EngineState) -> str | None:
    """The artwork in gobo fixtures' gates: they swap at the crossfade's dark midpoint."""
    if crossfade_fraction(t, state) < 0.5:
        return state.previous
    return state.current


def render_frame(t: float, state: EngineState, scene: Scene) -> Frame:
    frame: Frame = {}
    scheduled = ScheduledLook(t, state, scene.looks)
    for fixture in scene.fixtures:
        if state.blackout:
            frame[fixture.name] = dark(fixture)
            continue
        until = state.identify.get(fixture.name)
        if until is not None and t < until:
            values = identify_values(fixture, t)
        elif fixture.name in state.overrides:
            override = state.overrides[fixture.name]
            values = override_values(scheduled.values(fixture), override, state.master)
        else:
            values = scheduled.values(fixture)
        frame[fixture.name] = scale_light(values, state.fade) if state.fade < 1.0 else values
    return frame


def dark(fixture: Any) -> Values:
    values: Values = {a: 0.0 for a in LIGHT_ATTRIBUTES if a in fixture.attributes}
    values["intensity"] = 0.0
    if fixture.pixels:
        values["pixels"] = np.zeros((fixture.pixels[0] * fixture.pixels[1], 3))
    return values


def identify_values(fixture: Any, t: float) -> Values:
    """Full white, on for half of each 2 Hz period: easy to spot, not scaled by the master."""
    on = 1.0 if (t * IDENTIFY_HZ) % 1.0 < 0.5 else 0.0
    values: Values = {a: on for a in ("red", "green", "blue", "white") if a in fixture.attributes}
    values["intensity"] = on
    if fixture.pixels:
        values["pixels"] = np.full((fixture.pixels[0] * fixture.pixels[1], 3), on)
    return values


def override_values(scheduled: Values, override: Mapping[str, Any], master: float) -> Values:
    """A manual override sets only the attributes it names (`color` sets red, green and blue);
    the fixture's others keep their scheduled values, as a desk takes one channel over.
    The master scales an overridden intensity as it scales the schedule's."""
    values = dict(scheduled)
    for key, value in override.items():
        if key == "color" and isinstance(value, str):
            values.update(colour_attributes(hex_to_rgb(value), {"red", "green", "blue"}))
        elif key == "intensity" and isinstance(value, int | float):
            values[key] = float(value) * master
        else:
            values[key] = value
    return values


def scheduled_values(
    fixture: Any, t: float, state: EngineState, looks: Mapping[str, Look]
) -> Values:
    return ScheduledLook(t, state, looks).values(fixture)


class ScheduledLook:
    """The schedule's look at one instant, worked out once per frame for every fixture."""

    def __init__(self, t: float, state: EngineState, looks: Mapping[str, Look]) -> None:
        self.t = t
        self.scale = state.level * state.master
        current = looks.get(state.current) if state.current else None
        self.current = current if self.scale > 0.0 else None
        self.x = crossfade_fraction(t, state)
        previous = looks.get(state.previous) if state.previous else None
        self.previous = previous if self.x < 1.0 else None

    def values(self, fixture: Any) -> Values:
        current, previous, t, scale, x = self.current, self.previous, self.t, self.scale, self.x
        if current is None:
            return dark(fixture)
        if previous is None:
            return fixture_look(fixture, current, t, scale)
        if is_gobo_fixture(fixture):
            # a gobo cannot morph: dim out on the old one, swap in the dark, dim in on the new one
            if x < 0.5:
                return fixture_look(fixture, previous, t, scale * (1.0 - 2.0 * x))
            return fixture_look(fixture, current, t, scale * (2.0 * x - 1.0))
        return fixture_look(fixture, current, t, scale, fading_from=previous, x=x)


def scale_light(values: Values, scale: float) -> Values:
    out = dict(values)
    for key in LIGHT_ATTRIBUTES:
        if isinstance(out.get(key), int | float):
            out[key] = out[key] * scale
    if "pixels" in out:
        out["pixels"] = out["pixels"] * scale
    return out


@dataclass(frozen=True)
class Segment:
    """The schedule around an instant: the level now, the step that led here and the next one.

    Times are epoch seconds. `start` is the current window's start (None outside a window),
    `end` the next transition (None if there is none ahead).
    """

    level: float
    window: str | None = None
    start: float | None = None
    prev_level: float = 0.0
    end: float | None = None
    next_level: float = 0.0


def window_level(t: float, segment: Segment, fade_s: float) -> float:
    """The schedule level with fades: rising steps ramp up after they happen (never light
    before a window opens), falling steps ramp down to reach their level by the step
    (dark by the curfew)."""
    level = segment.level
    if fade_s <= 0:
        return level
    if segment.start is not None and segment.prev_level < level:
        ramp = (t - segment.start) / fade_s
        if ramp < 1.0:
            level = segment.prev_level + (level - segment.prev_level) * max(0.0, ramp)
    if segment.end is not None and segment.next_level < segment.level:
        ramp = (segment.end - t) / fade_s
        if ramp < 1.0:
            falling = segment.next_level + (segment.level - segment.next_level) * max(0.0, ramp)
            level = min(level, falling)
    return max(0.0, min(1.0, level))
