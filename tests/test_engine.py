"""The pure frame function and the per-artwork looks, on a real patch from built-in profiles."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import hardware
from controller.engine import (
    EngineState,
    Scene,
    Segment,
    crossfade_fraction,
    gate_artwork,
    render_frame,
    window_level,
)
from controller.looks import (
    BREATH_DEPTH,
    Look,
    breathing,
    drift_colour,
    look_from_record,
    palette_colours,
    rotation_angle,
)

RED = (1.0, 0.0, 0.0)
BLUE = (0.0, 0.0, 1.0)


@pytest.fixture(scope="module")
def patch() -> hardware.Patch:
    return hardware.parse_patch(
        [{"name": "main", "type": "artnet", "host": "127.0.0.1"}],
        [
            {"name": "steel", "profile": "generic-gobo-wheel", "output": "main", "universe": 1,
             "address": 1, "gobo_kind": "steel", "gobo_slots": {"3": "aaaa00000000"}},
            {"name": "digital", "profile": "generic-led-gobo", "output": "main", "universe": 1,
             "address": 20, "gobo_kind": "glass"},
            {"name": "wash", "profile": "generic-rgbw", "output": "main", "universe": 1,
             "address": 40},
            {"name": "matrix", "profile": "generic-pixel-matrix", "pixels": [2, 2],
             "output": "main", "universe": 1, "address": 60},
        ],
        Path("."),
    )


@pytest.fixture(scope="module")
def scene(patch: hardware.Patch) -> Scene:
    red = Look("aaaa00000000", "Aino", (RED,), {(2, 2): np.array((RED, RED, BLUE, BLUE))})
    blue = Look("bbbb00000000", "Eero", (BLUE,))
    return Scene(patch.fixtures, {red.artwork_id: red, blue.artwork_id: blue})


def showing(**changes: object) -> EngineState:
    base = {"current": "aaaa00000000", "level": 1.0, "master": 1.0}
    base.update(changes)
    return EngineState(**base)  # type: ignore[arg-type]


def test_look_selects_wheel_slot_palette_and_pixel_image(scene: Scene) -> None:
    frame = render_frame(0.0, showing(), scene)
    assert frame["steel"]["gobo"] == 3  # the slot that holds this artwork's steel gobo
    assert (frame["steel"]["red"], frame["steel"]["green"], frame["steel"]["blue"]) == (1, 0, 0)
    assert frame["wash"]["red"] == 1.0 and frame["wash"]["blue"] == 0.0
    assert frame["matrix"]["pixels"].tolist() == [list(RED), list(RED), list(BLUE), list(BLUE)]
    assert "gobo" not in frame["digital"]  # no wheel: the image is in its gate instead
    # the artwork not in the wheel leaves the slot alone
    other = render_frame(0.0, showing(current="bbbb00000000"), scene)
    assert "gobo" not in other["steel"] and other["wash"]["blue"] == 1.0


def test_white_takes_the_common_part_on_rgbw() -> None:
    look = Look("x", colours=((1.0, 0.8, 0.6),))
    patch = hardware.parse_patch(
        [{"name": "o", "type": "simulated"}],
        [{"name": "w", "profile": "generic-rgbw", "output": "o", "universe": 1, "address": 1}],
        Path("."),
    )
    scene = Scene(patch.fixtures, {"x": look})
    values = render_frame(0.0, EngineState(current="x", level=1.0), scene)
    assert values["w"]["white"] == pytest.approx(0.6)
    assert values["w"]["red"] == pytest.approx(0.4) and values["w"]["blue"] == pytest.approx(0.0)


def test_animation_breathes_rotates_and_drifts() -> None:
    assert breathing(0.0) == 1.0
    assert min(breathing(t / 10) for t in range(200)) == pytest.approx(1 - BREATH_DEPTH, abs=1e-3)
    assert rotation_angle(0.0) == 0.0 < rotation_angle(60.0) < rotation_angle(120.0) < 1.0
    colours = (RED, BLUE)
    assert drift_colour(colours, 0.0) == RED
    later = [drift_colour(colours, t) for t in range(0, 49)]
    assert BLUE in later  # reaches the second colour ...
    steps = [max(abs(a - b) for a, b in zip(x, y, strict=True)) for x, y in pairwise(later)]
    assert max(steps) < 0.25  # ... without a jump


def test_crossfade_midpoint(scene: Scene) -> None:
    state = showing(current="bbbb00000000", previous="aaaa00000000", fade_start=100.0,
                    crossfade_s=4.0)
    assert crossfade_fraction(102.0, state) == 0.5
    mid = render_frame(102.0, state, scene)
    # washes blend colour: half red, half blue
    assert mid["wash"]["red"] == pytest.approx(0.5) and mid["wash"]["blue"] == pytest.approx(0.5)
    assert mid["matrix"]["pixels"][0].tolist() == pytest.approx([0.5, 0.0, 0.5])
    # gobo fixtures are dark at the midpoint, where the gobo swaps
    assert mid["steel"]["intensity"] == pytest.approx(0.0)
    assert gate_artwork(101.9, state) == "aaaa00000000"
    assert gate_artwork(102.0, state) == "bbbb00000000"
    quarter = render_frame(101.0, state, scene)
    assert quarter["steel"]["gobo"] == 3 and quarter["steel"]["intensity"] == pytest.approx(
        0.5 * breathing(101.0)
    )
    done = render_frame(104.0, state, scene)
    assert done["wash"]["blue"] == 1.0 and done["wash"]["red"] == 0.0


def test_level_times_master(scene: Scene) -> None:
    full = render_frame(0.0, showing(), scene)
    scaled = render_frame(0.0, showing(level=0.8, master=0.5), scene)
    for name in ("steel", "wash", "matrix"):
        assert scaled[name]["intensity"] == pytest.approx(full[name]["intensity"] * 0.4)
    dark = render_frame(0.0, showing(level=0.0), scene)
    assert all(values["intensity"] == 0.0 for values in dark.values())


def test_priority_blackout_over_identify_over_override_over_schedule(scene: Scene) -> None:
    override = {"wash": {"red": 0.2, "intensity": 0.8}}
    state = showing(overrides=override, master=0.5)
    frame = render_frame(0.0, state, scene)
    assert frame["wash"]["red"] == 0.2 and frame["wash"]["blue"] == 0.0
    assert frame["wash"]["intensity"] == pytest.approx(0.4)  # master scales overrides too
    assert frame["steel"]["gobo"] == 3  # others keep the schedule
    # identify beats the override, flashing at 2 Hz, not scaled by the master
    state = showing(overrides=override, master=0.5, identify={"wash": 10.0})
    on, off = render_frame(0.1, state, scene), render_frame(0.35, state, scene)
    assert on["wash"]["intensity"] == 1.0 and on["wash"]["white"] == 1.0
    assert off["wash"]["intensity"] == 0.0
    assert render_frame(10.1, state, scene)["wash"]["red"] == 0.2  # identify over
    # blackout beats everything
    state = showing(overrides=override, identify={"wash": 10.0}, blackout=True)
    frame = render_frame(0.1, state, scene)
    for values in frame.values():
        assert values["intensity"] == 0.0
        assert all(v == 0.0 for k, v in values.items() if k in ("red", "green", "blue", "white"))
    assert not frame["matrix"]["pixels"].any() and frame["matrix"]["pixels"].shape == (4, 3)


def test_override_sets_only_the_attributes_it_names(scene: Scene) -> None:
    blue = "bbbb00000000"  # the wash shows blue=1, white=0 and a breathing intensity
    scheduled = render_frame(3.0, showing(current=blue, master=0.5), scene)["wash"]
    assert scheduled["blue"] == 1.0 and 0.0 < scheduled["intensity"] < 0.5

    def wash(override: dict[str, object]) -> dict[str, object]:
        state = showing(current=blue, master=0.5, overrides={"wash": override})
        return render_frame(3.0, state, scene)["wash"]

    # one colour: the other colours and the intensity keep their scheduled values
    assert wash({"red": 0.2}) == {**scheduled, "red": 0.2}
    # intensity alone keeps the look's colours; the master scales it as it scales the schedule
    assert wash({"intensity": 0.8}) == {**scheduled, "intensity": pytest.approx(0.4)}
    # color is red, green and blue; white (a fourth emitter) keeps its scheduled value
    assert wash({"color": "#00ff00"}) == {**scheduled, "red": 0.0, "green": 1.0, "blue": 0.0}
    # a pixel fixture keeps its scheduled image under an intensity override
    matrix = render_frame(3.0, showing(overrides={"matrix": {"intensity": 1.0}}), scene)["matrix"]
    assert matrix["intensity"] == 1.0
    assert matrix["pixels"].tolist() == [list(RED), list(RED), list(BLUE), list(BLUE)]


def test_shutdown_fade_scales_all_light(scene: Scene) -> None:
    state = showing(overrides={"wash": {"red": 1.0}}, identify={"steel": 5.0}, fade=0.0)
    frame = render_frame(0.1, state, scene)
    assert all(values["intensity"] == 0.0 for values in frame.values())


def test_window_fade_in_and_out_never_outside_the_window() -> None:
    segment = Segment(level=0.8, window="evening", start=1000.0, prev_level=0.0, end=5000.0,
                      next_level=0.0)
    assert window_level(1000.0, segment, 10.0) == 0.0  # starts dark at the window start
    assert window_level(1005.0, segment, 10.0) == pytest.approx(0.4)
    assert window_level(1010.0, segment, 10.0) == pytest.approx(0.8)
    assert window_level(3000.0, segment, 10.0) == pytest.approx(0.8)
    assert window_level(4995.0, segment, 10.0) == pytest.approx(0.4)
    assert window_level(5000.0, segment, 10.0) == pytest.approx(0.0)  # dark by the curfew
    # a step down to a dimmer window ramps to the new level, not through zero
    dimmer = Segment(level=1.0, window="evening", start=0.0, prev_level=0.0, end=100.0,
                     next_level=0.5)
    assert window_level(95.0, dimmer, 10.0) == pytest.approx(0.75)
    ramp = [window_level(1000.0 + i / 4, segment, 10.0) for i in range(41)]
    assert all(b >= a for a, b in pairwise(ramp))
    assert max(b - a for a, b in pairwise(ramp)) <= 0.8 / 40 + 1e-9


def test_look_from_library_files(tmp_path: Path) -> None:
    image = Image.new("RGB", (2, 1))
    image.putpixel((0, 0), (255, 0, 0))
    image.putpixel((1, 0), (0, 0, 255))
    image.save(tmp_path / "pixels-2x1.png")
    (tmp_path / "gobo-steel-B.png").write_bytes(b"")
    look = look_from_record(
        "cccc", "Ville", [("#202020", 0.1), ("#800000", 0.6), ("#000080", 0.3)],
        {"pixels-2x1": tmp_path / "pixels-2x1.png", "gobo-steel-B": tmp_path / "gobo-steel-B.png"},
        "fills",
    )
    assert look.pixels[(2, 1)].tolist() == [list(RED), list(BLUE)]
    assert look.colours[0] == RED  # heaviest first, brightened to full
    assert look.gobo_images["gobo-steel-B"].name == "gobo-steel-B.png" and look.style == "fills"
    assert palette_colours([]) == palette_colours([("#000000", 1.0)])  # fallback warm white
