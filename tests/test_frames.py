"""Frame assembly and decoding on real profiles (built-in and OFL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardware import parse_patch
from hardware.frames import FrameAssembler, assemble, decode, parse_value

OUTPUTS = [{"name": "main", "type": "simulated"}, {"name": "side", "type": "simulated"}]


def _assembler(*fixtures: dict[str, Any], base_dir: Path = Path(".")) -> FrameAssembler:
    return FrameAssembler(parse_patch(OUTPUTS, list(fixtures), base_dir))


def _at(frame: bytes, address: int, count: int) -> list[int]:
    return list(frame[address - 1 : address - 1 + count])


def test_values_land_on_their_channels_and_universes() -> None:
    fa = _assembler(
        {"name": "a", "profile": "generic-drgb", "address": 1},
        {"name": "b", "profile": "generic-rgbw", "address": 101, "universe": 2},
        {"name": "c", "profile": "generic-dimmer", "address": 7, "output": "side"},
    )
    frames = fa.assemble(
        {
            "a": {"intensity": 1.0, "color": "#ff8000"},
            "b": {"white": 0.5},
            "c": {"intensity": "40%"},
        }
    )
    assert set(frames) == {"main", "side"} and set(frames["main"]) == {1, 2}
    assert all(len(f) == 512 for u in frames.values() for f in u.values())
    assert _at(frames["main"][1], 1, 4) == [255, 255, 128, 0]
    assert _at(frames["main"][2], 101, 4) == [0, 0, 0, 128]
    assert _at(frames["side"][1], 7, 1) == [102]
    assert sum(frames["main"][1]) == 255 + 255 + 128  # nothing else written


def test_sixteen_and_24_bit_channels_split_coarse_fine(ofl_dir: Path) -> None:
    fa = _assembler(
        {
            "name": "d16",
            "profile": "fixtures/generic/drgbw-fader.json",
            "mode": "16bit",
            "address": 1,
        },
        {
            "name": "d24",
            "profile": "fixtures/generic/desk-channel.json",
            "mode": "24bit",
            "address": 20,
        },
        base_dir=ofl_dir,
    )
    frame = fa.assemble(
        {"d16": {"intensity": 0.5, "red": 1.0, "green": 0.25}, "d24": {"intensity": 0.5}}
    )["main"][1]
    assert _at(frame, 1, 6) == [128, 0, 255, 255, 64, 0]  # 32768, 65535, 16384
    assert _at(frame, 20, 3) == [128, 0, 0]  # round(0.5 * 16777215) = 0x800000


def test_intensity_curves() -> None:
    fa = _assembler(
        {"name": "lin", "profile": "generic-dimmer", "address": 1},
        {"name": "sq", "profile": "generic-dimmer", "address": 2, "curve": "square-law"},
        {"name": "gam", "profile": "generic-dimmer", "address": 3, "curve": "gamma2.2"},
    )
    frame = fa.assemble({n: {"intensity": 0.5} for n in ("lin", "sq", "gam")})["main"][1]
    assert _at(frame, 1, 3) == [128, 64, round(0.5**2.2 * 255)]


def test_rgb_only_fixture_gets_intensity_multiplied_into_colour() -> None:
    fa = _assembler({"name": "rgb", "profile": "generic-rgb", "address": 1, "curve": "square-law"})
    frame = fa.assemble({"rgb": {"intensity": 0.5, "red": 1.0, "green": 0.5}})["main"][1]
    assert _at(frame, 1, 3) == [64, 32, 0]
    assert _at(fa.assemble({"rgb": {"red": 1.0}})["main"][1], 1, 1) == [255]


def test_capability_aware_strobe_and_gobo(ofl_dir: Path) -> None:
    fa = _assembler(
        {"name": "irock", "profile": "fixtures/jb-systems/irock-5c.json", "address": 1},
        {"name": "wheel", "profile": "generic-gobo-wheel", "address": 10},
        base_dir=ofl_dir,
    )
    # iRock 5C: ch1 shutter (8-15 open, 16-131 strobe), ch2 gobo wheel (slot 3 = 32-47)
    rest = fa.assemble({})["main"][1]
    assert 8 <= rest[0] <= 15  # shutter open at rest, so the fixture can light
    frame = fa.assemble({"irock": {"strobe": 0, "gobo": 3}, "wheel": {"gobo": 2}})["main"][1]
    assert 8 <= frame[0] <= 15 and 32 <= frame[1] <= 47
    assert 32 <= frame[10] <= 63
    fast = fa.assemble({"irock": {"strobe": 1.0}})["main"][1]
    assert fast[0] == 131
    assert fa.assemble({"irock": {"strobe": float("nan")}})["main"][1][0] == rest[0]  # as 0
    with pytest.raises(ValueError, match=r"wheel slots are 1\.\.8"):
        fa.assemble({"wheel": {"gobo": 9}})


def test_pixels_in_row_major_order(ofl_dir: Path) -> None:
    fa = _assembler(
        {"name": "m", "profile": "generic-pixel-matrix", "pixels": [2, 2], "address": 1},
        {
            "name": "tube",
            "profile": "fixtures/eurolite/led-dmx-pixel-tube-16-rgb-ip20.json",
            "address": 100,
        },
        base_dir=ofl_dir,
    )
    pixels = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)]
    tube = [(i / 15, 0, 1 - i / 15) for i in range(16)]
    frames = fa.assemble({"m": {"pixels": pixels}, "tube": {"pixels": tube, "intensity": 0.5}})
    frame = frames["main"][1]
    assert _at(frame, 1, 12) == [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]
    assert _at(frame, 100, 3) == [0, 0, 128] and _at(frame, 145, 3) == [128, 0, 0]
    with pytest.raises(ValueError, match="need 4"):
        fa.assemble({"m": {"pixels": pixels[:3]}})


def test_decode_inverts_assemble(ofl_dir: Path) -> None:
    patch = parse_patch(
        OUTPUTS,
        [
            {"name": "spot", "profile": "fixtures/showtec/phantom-50-led-spot.json", "address": 1},
            {
                "name": "par",
                "profile": "fixtures/generic/rgbw-fader.json",
                "mode": "16bit",
                "address": 20,
            },
            {"name": "m", "profile": "generic-pixel-matrix", "pixels": [3, 1], "address": 40},
        ],
        ofl_dir,
    )
    values = {
        "spot": {"intensity": 0.6, "gobo": 4, "pan": 0.25, "strobe": 0},
        "par": {"red": 0.123, "white": 1.0},
        "m": {"pixels": [(1, 0, 0), (0, 0.5, 0), (0, 0, 0)]},
    }
    decoded = decode(patch, assemble(patch, values))
    assert decoded["spot"]["gobo"] == 4 and decoded["spot"]["strobe"] == 0
    assert decoded["spot"]["intensity"] == pytest.approx(0.6, abs=1 / 255)
    assert decoded["spot"]["pan"] == pytest.approx(0.25, abs=1 / 65535 * 2)
    assert decoded["par"]["red"] == pytest.approx(0.123, abs=1e-4)
    assert decoded["par"]["intensity"] == 1.0  # no dimmer: colours carry the level
    assert decoded["m"]["pixels"][1] == pytest.approx((0, 0.5, 0), abs=1 / 255)


def test_bad_input_is_a_clear_value_error() -> None:
    fa = _assembler({"name": "a", "profile": "generic-rgb", "address": 1})
    with pytest.raises(ValueError, match="unknown fixture 'zz'"):
        fa.assemble({"zz": {"intensity": 1}})
    with pytest.raises(ValueError, match="fixture 'a' has no attribute 'zoom'"):
        fa.assemble({"a": {"zoom": 1}})
    with pytest.raises(ValueError, match="not a number"):
        fa.assemble({"a": {"red": "lots"}})
    with pytest.raises(ValueError, match="not a number"):
        fa.assemble({"a": {"red": None}})
    wheel = _assembler({"name": "w", "profile": "generic-gobo-wheel", "address": 1})
    for bad in (float("inf"), float("nan"), "1e400"):
        with pytest.raises(ValueError, match=r"gobo=.*slot"):
            wheel.assemble({"w": {"gobo": bad}})


def test_same_layout_new_values_is_recomputed() -> None:
    fa = _assembler({"name": "a", "profile": "generic-drgb", "address": 1})
    first = fa.assemble({"a": {"intensity": 0.2, "red": 0.1}})["main"][1]
    second = fa.assemble({"a": {"intensity": 0.9, "red": 0.1}})["main"][1]
    mixed = fa.assemble({"a": {"red": 0.1, "intensity": 0.9}})["main"][1]
    assert first[0] == 51 and second[0] == 230 and mixed[:2] == second[:2]


@pytest.mark.parametrize(
    ("attr", "text", "value"),
    [
        ("intensity", "50%", 0.5),
        ("red", "0.25", 0.25),
        ("gobo", "3", 3.0),
        ("color", "#ff8800", (1.0, 0x88 / 255, 0.0)),
    ],
)
def test_parse_value(attr: str, text: str, value: Any) -> None:
    assert parse_value(attr, text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("attr", "text", "message"),
    [
        ("intensity", "150%", r"0\.\.1"),
        ("color", "orange", "#rrggbb"),
        ("gobo", "0", "slot"),
        ("gobo", "inf", "slot"),
        ("gobo", "nan", "slot"),
        ("sparkle", "1", "unknown attribute"),
        ("zoom", "far", "not a number"),
    ],
)
def test_parse_value_errors(attr: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_value(attr, text)


def test_rest_frame_holds_ofl_default_values(ofl_dir: Path) -> None:
    fa = _assembler(
        {"name": "spot", "profile": "fixtures/showtec/phantom-50-led-spot.json", "address": 1},
        {"name": "robin", "profile": "fixtures/robe/robin-600e-spot.json", "address": 101},
        base_dir=ofl_dir,
    )
    frame = fa.assemble({})["main"][1]
    # Phantom: Pan, Tilt, Pan fine, Tilt fine; default 128 at 8 bit -> 32768 at 16 bit
    assert _at(frame, 1, 4) == [128, 128, 0, 0]
    # Robin: Pan, Pan fine default "50%" of 16 bit = 32768
    assert _at(frame, 101, 2) == [128, 0]
    moved = fa.assemble({"spot": {"pan": 1.0}})["main"][1]
    assert _at(moved, 1, 4) == [255, 128, 255, 0]


def test_the_off_frame_closes_shutters_and_zeroes_light(ofl_dir: Path) -> None:
    """The last frame before the daemon exits: light 0, the shutter closed where the fixture
    has one (not the "open" value a dark frame holds it at), everything else at its default."""
    fa = _assembler(
        {"name": "spot", "profile": "fixtures/stairville/mh-x20.json", "address": 1},
        {"name": "rock", "profile": "fixtures/jb-systems/irock-5c.json", "address": 11},
        {"name": "wash", "profile": "generic-rgbw", "address": 21},
        base_dir=ofl_dir,
    )
    dark = fa.assemble({"spot": {"intensity": 0.0}, "rock": {"intensity": 0.0},
                        "wash": {"intensity": 0.0}})["main"][1]
    off = fa.assemble_off()["main"][1]
    # mh-x20 6-channel: pan, tilt, colour, shutter (0-3 closed, 4-7 open), dimmer, gobo
    assert _at(dark, 1, 6) == [0, 0, 0, 5, 0, 0]
    assert _at(off, 1, 6) == [0, 0, 0, 1, 0, 0]
    # iRock 5C: shutter (0-7 closed, 8-15 open), gobo, colour, rotation, dimmer 255..0
    assert _at(dark, 11, 5)[0] == 11 and _at(off, 11, 5) == [3, 0, 0, 0, 255]
    assert _at(off, 21, 4) == [0, 0, 0, 0]
