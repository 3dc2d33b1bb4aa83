"""FrameAssembler's planned fast path gives exactly the careful per-value path's frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hardware import parse_patch
from hardware.frames import FrameAssembler, Frames

OUTPUTS = [{"name": "main", "type": "simulated"}, {"name": "side", "type": "simulated"}]


@pytest.fixture(scope="module")
def fa(ofl_dir: Path) -> FrameAssembler:
    fixtures = [
        {"name": "d16", "profile": "fixtures/generic/drgbw-fader.json", "mode": "16bit",
         "address": 1, "curve": "gamma2.2"},
        {"name": "m", "profile": "generic-pixel-matrix", "pixels": [4, 3], "address": 20,
         "curve": "square-law"},
        {"name": "tube", "profile": "fixtures/eurolite/led-dmx-pixel-tube-16-rgb-ip20.json",
         "address": 100},
        {"name": "rgb", "profile": "generic-rgb", "address": 200, "curve": "square-law"},
        {"name": "wash", "profile": "generic-rgbw", "address": 210},
        {"name": "wheel", "profile": "generic-gobo-wheel", "address": 220},
        {"name": "irock", "profile": "fixtures/jb-systems/irock-5c.json", "address": 240},
        {"name": "side", "profile": "generic-drgb", "output": "side", "universe": 3, "address": 1},
    ]
    return FrameAssembler(parse_patch(OUTPUTS, fixtures, ofl_dir))


def _random_frame(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    def level() -> Any:
        kind = rng.integers(7)
        x = float(rng.uniform(-0.2, 1.3))  # under and over range: clipped alike
        numbers = (x, np.float64(x), np.float32(x), int(x > 0.5), x > 0.5)
        return (*numbers, f"{rng.integers(101)}%", "0.25")[kind]

    def pixels(count: int) -> Any:
        cells = rng.uniform(-0.1, 1.1, (count, 3 + int(rng.integers(2))))  # rgb or rgbw
        return cells if rng.random() < 0.5 else [tuple(p) for p in cells.tolist()]

    colour = f"#{rng.integers(1 << 24):06x}" if rng.random() < 0.5 else (level(), level(), 0.5)
    return {
        "d16": {"intensity": level(), "red": level(), "white": level()},
        "m": {"pixels": pixels(12), "intensity": level()},
        "tube": {"intensity": level(), "pixels": pixels(16)},
        "rgb": {"color": colour, "intensity": level()},
        "wash": {"red": level(), "green": level(), "blue": level(), "white": float("nan")},
        "wheel": {"gobo": int(rng.integers(1, 9)), "gobo_rotation": level(), "intensity": 1},
        "irock": {"strobe": level(), "gobo": float(rng.integers(1, 5))},
        "side": {"color": "#ff8000", "intensity": level()},
    }


def _careful(fa: FrameAssembler, values: dict[str, dict[str, Any]]) -> Frames:
    return fa._assemble_careful(values)


def test_fast_path_matches_careful_path_byte_for_byte(fa: FrameAssembler) -> None:
    rng = np.random.default_rng(5)
    for _ in range(60):
        values = _random_frame(rng)
        frames = fa.assemble(values)
        plan = fa._plan
        assert plan is not None  # pixels, colours and text keep the frame on the fast path
        assert fa._assemble_planned(plan, values) == frames == _careful(fa, values)
    assert frames["side"][3][:4] == bytes([frames["side"][3][0], 255, 128, 0])


def test_fast_path_covers_a_partial_layout_and_rests_the_rest(fa: FrameAssembler) -> None:
    values = {"m": {"pixels": np.full((12, 3), 0.5)}, "wheel": {"gobo": 3}}
    frames = fa.assemble(values)
    assert fa._plan is not None and fa._assemble_planned(fa._plan, values) == frames
    assert frames == _careful(fa, values)
    assert frames["main"][1][19:22] == bytes([128, 128, 128])  # no dimmer: intensity rests full


@pytest.mark.parametrize(
    "values",
    [
        {"wheel": {"gobo": "1.5"}},  # text must name a wheel slot, even where a number rounds
        {"rgb": {"red": "2"}},  # text outside 0..1 is refused, numbers are clipped
        {"rgb": {"red": None}},
        {"rgb": {"red": b"0.5"}},
        {"rgb": {"red": 10**400}},  # too big for a float: a ValueError too, not OverflowError
        {"rgb": {"color": "orange"}},
        {"rgb": {"color": (1, 0)}},
        {"m": {"pixels": [(1, 0, 0)] * 11}},
        {"tube": {"pixels": "bright"}},
        {"wheel": {"gobo": 9}},
        {"rgb": {"zoom": 1.0}},
        {"nobody": {"intensity": 1.0}},
    ],
)
def test_fast_path_hands_bad_input_to_the_careful_path(
    fa: FrameAssembler, values: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(ValueError) as careful:
        _careful(fa, values)
    with pytest.raises(ValueError) as fast:
        fa.assemble(values)
    assert str(fast.value) == str(careful.value)


def test_colour_next_to_its_channels_follows_the_careful_order(fa: FrameAssembler) -> None:
    # both given: the later key wins, so this layout is left to the careful path
    colour_last = {"rgb": {"red": 0.2, "color": "#00ff00"}}
    red_last = {"rgb": {"color": "#00ff00", "red": 0.2}}
    for values in (colour_last, red_last):
        assert fa.assemble(values) == _careful(fa, values)
    assert fa.assemble(colour_last)["main"][1][199] == 0
    assert fa.assemble(red_last)["main"][1][199] == 51
