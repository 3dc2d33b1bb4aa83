"""Patch validation: outputs, addresses, overlaps, per-fixture keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardware import parse_patch
from siteconfig import ConfigError

OUTPUTS = [
    {"name": "main", "type": "artnet", "host": "127.0.0.1"},
    {"name": "sim", "type": "simulated"},
]


def _patch(*fixtures: dict[str, Any], base_dir: Path = Path(".")) -> Any:
    return parse_patch(OUTPUTS, list(fixtures), base_dir)


def _error(*fixtures: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _patch(*fixtures)
    return info.value


def test_builtin_fixtures_and_their_channel_maps() -> None:
    patch = _patch(
        {"name": "wash", "profile": "generic-drgb", "output": "main", "address": 1},
        {
            "name": "gobo",
            "profile": "generic-gobo-wheel",
            "output": "main",
            "address": 5,
            "gobo_kind": "steel",
            "gobo_slots": {"2": "ab12"},
            "tilt": 20,
            "beam_angle": 30,
            "curve": "gamma2.2",
            "power": 150,
        },
        {
            "name": "tube",
            "profile": "generic-pixel-matrix",
            "pixels": [4, 2],
            "output": "sim",
            "universe": 3,
            "address": 1,
        },
    )
    wash, gobo, tube = patch.fixtures
    assert [c.attribute for c in wash.channels] == ["intensity", "red", "green", "blue"]
    assert wash.attributes >= {"intensity", "color", "red"} and wash.wheel_slots == 0
    assert gobo.wheel_slots == 8 and gobo.gobo_slots == {2: "ab12"}
    assert gobo.keystone == (20.0, 30.0) and gobo.curve == "gamma2.2"
    assert gobo.gobo_kind == "steel" and gobo.gobo_size == "B" and gobo.power_watts == 150
    assert tube.pixels == (4, 2) and tube.footprint == 24 and "pixels" in tube.attributes
    assert patch.universes() == {("main", 1), ("sim", 3)}
    assert patch.fixture("tube") is tube


def test_rgb_only_fixture_still_takes_intensity() -> None:
    (rgb,) = _patch({"name": "rgb", "profile": "generic-rgb", "address": 1}).fixtures
    assert "intensity" in rgb.attributes and rgb.output == "main"


def test_ofl_profile_by_relative_path_and_mode(ofl_dir: Path) -> None:
    patch = _patch(
        {
            "name": "par",
            "profile": "fixtures/generic/drgbw-fader.json",
            "mode": "16bit",
            "address": 1,
        },
        base_dir=ofl_dir,
    )
    par = patch.fixtures[0]
    assert par.footprint == 10 and par.mode == "16 bit"  # found by its shortName
    assert [(c.attribute, c.byte) for c in par.channels[:2]] == [
        ("intensity", "coarse"),
        ("intensity", "fine"),
    ]


def test_overlap_names_both_fixtures_and_channels() -> None:
    error = _error(
        {"name": "a", "profile": "generic-rgbw", "address": 10},
        {"name": "b", "profile": "generic-drgb", "address": 12},
    )
    assert error.key == "fixture[2].address"
    assert "'b'" in error.message and "'a'" in error.message and "channels 12-13" in error.message


def test_same_address_on_other_universe_or_output_is_fine() -> None:
    patch = _patch(
        {"name": "a", "profile": "generic-rgbw", "address": 10},
        {"name": "b", "profile": "generic-rgbw", "address": 10, "universe": 2},
        {"name": "c", "profile": "generic-rgbw", "address": 10, "output": "sim"},
    )
    assert len(patch.fixtures) == 3


def test_beyond_512_names_fixture_and_channel() -> None:
    error = _error({"name": "late", "profile": "generic-drgb", "address": 510})
    assert error.key == "fixture[1].address"
    assert "'late'" in error.message and "channel 4 (blue)" in error.message
    assert "513" in error.message


@pytest.mark.parametrize(
    ("entry", "key", "text"),
    [
        ({"profile": "generic-rgb", "address": 1}, "fixture[1].name", "missing"),
        ({"name": "x", "profile": "generic-rgb"}, "fixture[1].address", "missing"),
        ({"name": "x", "profile": "generic-rgb", "address": 0}, "fixture[1].address", "0 is"),
        ({"name": "x", "profile": "generic-rgb", "address": "1"}, "fixture[1].address", "whole"),
        ({"name": "x", "profile": "nope", "address": 1}, "fixture[1].profile", "unknown profile"),
        (
            {"name": "x", "profile": "missing.json", "address": 1},
            "fixture[1].profile",
            "cannot read",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "mode": "9ch", "address": 1},
            "fixture[1].mode",
            "no mode '9ch'",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "output": "dmx"},
            "fixture[1].output",
            "unknown output 'dmx'",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "curve": "cubic"},
            "fixture[1].curve",
            "square-law",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "gobo_kind": "paper"},
            "fixture[1].gobo_kind",
            "steel",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "gobo_slots": {"1": "a"}},
            "fixture[1].gobo_slots",
            "no gobo wheel",
        ),
        (
            {"name": "x", "profile": "generic-gobo-wheel", "address": 1, "gobo_slots": {"9": "a"}},
            "fixture[1].gobo_slots.9",
            "1..8",
        ),
        (
            {"name": "x", "profile": "generic-gobo-wheel", "address": 1, "gobo_slots": {"²": "a"}},
            "fixture[1].gobo_slots.²",
            "1..8",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "tilt": 10},
            "fixture[1].beam_angle",
            "both",
        ),
        (
            {"name": "x", "profile": "generic-pixel-matrix", "address": 1, "pixels": [20, 20]},
            "fixture[1].pixels",
            "512",
        ),
        (
            {"name": "x", "profile": "generic-rgb", "address": 1, "universe": 40000},
            "fixture[1].universe",
            "outside",
        ),
    ],
)
def test_bad_fixture_entries_name_the_key(entry: dict[str, Any], key: str, text: str) -> None:
    error = _error(entry)
    assert error.key == key
    assert text in error.message


def test_duplicate_names() -> None:
    error = _error(
        {"name": "a", "profile": "generic-rgb", "address": 1},
        {"name": "a", "profile": "generic-rgb", "address": 100},
    )
    assert error.key == "fixture[2].name"
    with pytest.raises(ConfigError, match="duplicate output name"):
        parse_patch([OUTPUTS[0], OUTPUTS[0]], [], Path("."))


def test_unknown_fixture_keys_are_refused_with_the_nearest_name() -> None:
    error = _error({"name": "a", "profile": "generic-rgb", "address": 1, "adress": 4})
    assert error.key == "fixture[1].adress"
    assert error.message == "unknown key (did you mean 'address'?)"
    error = _error({"name": "a", "profile": "generic-rgb", "address": 1, "colour": "red"})
    assert error.key == "fixture[1].colour" and error.message.startswith("unknown key (known")


def test_ofl_notes_become_warnings(ofl_dir: Path) -> None:
    patch = _patch(
        {"name": "b", "profile": "fixtures/cameo/ts60.json", "address": 10},
        base_dir=ofl_dir,
    )
    assert any("fixture 'b'" in w and "redirect" in w for w in patch.warnings)


def test_power_falls_back_to_ofl_physical(ofl_dir: Path) -> None:
    patch = _patch(
        {"name": "a", "profile": "fixtures/showtec/club-par-12-4-rgbw.json", "address": 1},
        base_dir=ofl_dir,
    )
    assert patch.fixtures[0].power_watts is not None and patch.fixtures[0].power_watts > 0
