"""Built-in profiles: the attributes DESIGN.md promises, loaded like OFL profiles."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hardware.profiles import BUILTIN_NAMES, ProfileError, load_profile

EXPECTED = {
    "generic-dimmer": ["intensity"],
    "generic-rgb": ["red", "green", "blue"],
    "generic-rgbw": ["red", "green", "blue", "white"],
    "generic-drgb": ["intensity", "red", "green", "blue"],
    "generic-led-gobo": ["intensity", "red", "green", "blue", "white", "gobo_rotation"],
    "generic-gobo-wheel": ["intensity", "gobo", "gobo_rotation", "red", "green", "blue", "white"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_channel_layout(name: str) -> None:
    profile = load_profile(name, Path("."))
    mode = profile.mode("")
    assert [c.attribute for c in mode.channels] == EXPECTED[name]
    assert [c.offset for c in mode.channels] == list(range(1, len(EXPECTED[name]) + 1))
    assert all(c.byte == "coarse" and c.resolution == 1 for c in mode.channels)


def test_gobo_wheel_has_eight_slots_with_ranges() -> None:
    mode = load_profile("generic-gobo-wheel", Path(".")).mode("")
    assert [s.kind for s in mode.gobo_wheel] == ["Open"] + ["Gobo"] * 7
    gobo = mode.channels[1]
    ranges = [(c.slot, c.start, c.end) for c in gobo.capabilities]
    assert ranges[0] == (1, 0, 31) and ranges[-1] == (8, 224, 255)
    assert all(a[2] + 1 == b[1] for a, b in itertools.pairwise(ranges))


def test_pixel_matrix_takes_its_size() -> None:
    mode = load_profile("generic-pixel-matrix", Path("."), pixels=(5, 3)).mode("")
    assert mode.pixels == (5, 3) and mode.footprint == 45
    last = mode.channels[-1]
    assert (last.pixel, last.attribute, last.offset) == (14, "blue", 45)


def test_every_builtin_listed_loads() -> None:
    for name in BUILTIN_NAMES:
        assert load_profile(name, Path(".")).modes


def test_unknown_name_lists_builtins() -> None:
    with pytest.raises(ProfileError, match="generic-led-gobo"):
        load_profile("generic-laser", Path("."))
