"""OFL import against the real fixture files in ../shared/data/ofl."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from hardware.profiles import ProfileError, load_ofl
from hardware.profiles.ofl import MAX_REDIRECTS


def _fixture_files(ofl_dir: Path) -> list[Path]:
    return sorted(p for p in (ofl_dir / "fixtures").glob("*/*.json"))


def _pixel_count(data: dict) -> int:
    matrix = data["matrix"]
    if "pixelCount" in matrix:
        return math.prod(matrix["pixelCount"])
    return sum(key is not None for plane in matrix["pixelKeys"] for row in plane for key in row)


def _expected_channels(data: dict, mode: dict) -> int:
    """Count a mode's DMX channels straight from the JSON: insert blocks expand."""
    total = 0
    for entry in mode["channels"]:
        if isinstance(entry, dict):
            repeat = entry["repeatFor"]
            if isinstance(repeat, list):
                pixels = len(repeat)
            elif repeat == "eachPixelGroup":
                pixels = len(data["matrix"]["pixelGroups"])
            else:
                pixels = _pixel_count(data)
            total += pixels * len(entry["templateChannels"])
        else:
            total += 1
    return total


def test_every_fixture_every_mode_has_the_files_channel_count(ofl_dir: Path) -> None:
    files = _fixture_files(ofl_dir)
    fixtures = [p for p in files if "modes" in json.loads(p.read_text())]
    assert len(fixtures) >= 16, "the shared OFL set has 16 fixtures with modes"
    checked = 0
    for path in fixtures:
        data = json.loads(path.read_text())
        profile = load_ofl(path)
        assert [m.name for m in profile.modes] == [m["name"] for m in data["modes"]]
        for mode_json, mode in zip(data["modes"], profile.modes, strict=True):
            expected = _expected_channels(data, mode_json)
            assert mode.footprint == expected, f"{path.name} mode {mode.name}"
            assert [c.offset for c in mode.channels] == list(range(1, expected + 1))
            checked += 1
    assert checked >= 70


def test_matrix_insert_block_expands_to_pixels_times_template(ofl_dir: Path) -> None:
    tube = load_ofl(ofl_dir / "fixtures/eurolite/led-dmx-pixel-tube-16-rgb-ip20.json")
    mode = tube.modes[0]
    assert mode.footprint == 48 and mode.pixels == (16, 1)
    assert [(c.pixel, c.attribute) for c in mode.channels[3:6]] == [
        (1, "red"),
        (1, "green"),
        (1, "blue"),
    ]


def test_fine_channels_16_and_24_bit(ofl_dir: Path) -> None:
    desk = load_ofl(ofl_dir / "fixtures/generic/desk-channel.json")
    bytes_by_mode = {m.name: [c.byte for c in m.channels] for m in desk.modes}
    assert list(bytes_by_mode.values()) == [
        ["coarse"],
        ["coarse", "fine"],
        ["coarse", "fine", "fine2"],
    ]
    full = desk.mode("24bit").channels[0]
    assert full.resolution == 3 and full.capabilities[0].end == 256**3 - 1
    assert desk.mode("8bit").channels[0].capabilities[0].end == 255


def test_mode_by_short_name_and_unknown_mode(ofl_dir: Path) -> None:
    flare = load_ofl(ofl_dir / "fixtures/tmb/solaris-flare.json")
    assert flare.mode("RGBW16bit").name == "Basic RGBW 16bit"
    assert flare.mode("").name == flare.modes[0].name
    with pytest.raises(LookupError, match="no mode 'nope'"):
        flare.mode("nope")


def test_gobo_wheel_slots_with_resource_images(ofl_dir: Path) -> None:
    irock = load_ofl(ofl_dir / "fixtures/jb-systems/irock-5c.json")
    wheel = irock.modes[0].gobo_wheel
    assert [s.kind for s in wheel[:3]] == ["Open", "Gobo", "Gobo"]
    assert wheel[1].resource == ofl_dir / "resources/gobos/10-circles.svg"
    assert wheel[5].resource == ofl_dir / "resources/gobos/glass-raindrops-on-window.png"
    assert wheel[2].resource is None  # "Shattered" has no image in OFL
    gobo = next(c for c in irock.modes[0].channels if c.attribute == "gobo")
    assert {c.slot: (c.start, c.end) for c in gobo.capabilities if c.slot}[3] == (32, 47)


def test_qlcplus_alias_resources_resolve(ofl_dir: Path) -> None:
    mhx = load_ofl(ofl_dir / "fixtures/stairville/mh-x20.json")
    resources = [s.resource for s in mhx.modes[0].gobo_wheel if s.resource]
    assert ofl_dir / "resources/gobos/circular-drops.svg" in resources
    assert ofl_dir / "resources/gobos/stars.png" in resources


def test_redirect_is_followed_with_a_note(ofl_dir: Path) -> None:
    profile = load_ofl(ofl_dir / "fixtures/cameo/ts60.json")
    assert profile.name == "TS 60 RGBW"
    assert any("redirect" in w and "cameo/ts-60-rgbw" in w for w in profile.warnings)


def test_redirect_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fixtures/maker").mkdir(parents=True)
    bad = tmp_path / "fixtures/maker/bad.json"
    bad.write_text(json.dumps({"name": "x", "redirectTo": "../../../etc/passwd"}))
    with pytest.raises(ProfileError, match="not in"):
        load_ofl(bad)


def test_redirect_chains_up_to_the_limit(tmp_path: Path, ofl_dir: Path) -> None:
    makers = tmp_path / "fixtures/maker"
    makers.mkdir(parents=True)
    (makers / "real.json").write_text((ofl_dir / "fixtures/generic/rgb-fader.json").read_text())
    previous = "real"
    for hop in range(1, MAX_REDIRECTS + 2):
        (makers / f"hop{hop}.json").write_text(json.dumps({"redirectTo": f"maker/{previous}"}))
        previous = f"hop{hop}"
    chained = load_ofl(makers / f"hop{MAX_REDIRECTS}.json")
    assert sum("redirect" in w for w in chained.warnings) == MAX_REDIRECTS
    with pytest.raises(ProfileError, match=f"more than {MAX_REDIRECTS} redirects"):
        load_ofl(makers / f"hop{MAX_REDIRECTS + 1}.json")


def test_switching_channels_warn_and_still_load(ofl_dir: Path) -> None:
    par = load_ofl(ofl_dir / "fixtures/flash-professional/led-par-64-slim-7x10w-rgbw-mk2.json")
    assert any("'Speed' is not defined" in w for w in par.warnings)
    assert par.mode("Classic 8").footprint == 8


def test_broken_files_give_profile_errors(tmp_path: Path, ofl_dir: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(ProfileError, match="not valid JSON"):
        load_ofl(garbage)
    garbage.write_text("[]")
    with pytest.raises(ProfileError, match="not an Open Fixture Library fixture"):
        load_ofl(garbage)
    data = json.loads((ofl_dir / "fixtures/generic/rgb-fader.json").read_text())
    data["modes"][0]["channels"].append({"insert": "somethingElse"})
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match="bad entry"):
        load_ofl(odd)
    flare = json.loads((ofl_dir / "fixtures/tmb/solaris-flare.json").read_text())
    flare["matrix"]["pixelGroups"]["1-Pixel"] = {"name": "("}  # not a regular expression
    odd.write_text(json.dumps(flare))
    with pytest.raises(ProfileError, match="not a valid OFL fixture"):
        load_ofl(odd)


def test_resources_resolve_relative_to_the_tree_holding_the_fixture(
    tmp_path: Path, ofl_dir: Path
) -> None:
    shutil.copytree(ofl_dir / "fixtures/jb-systems", tmp_path / "fixtures/jb-systems")
    profile = load_ofl(tmp_path / "fixtures/jb-systems/irock-5c.json")
    assert all(s.resource is None for s in profile.modes[0].gobo_wheel)


def test_schema_violations_are_refused_not_tracebacks(tmp_path: Path, ofl_dir: Path) -> None:
    data = json.loads((ofl_dir / "fixtures/generic/rgb-fader.json").read_text())
    del data["availableChannels"]["Red"]["capability"]
    data["availableChannels"]["Red"]["capabilities"] = [{"type": "ColorIntensity", "dmxRange": 7}]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match=r"broken\.json: not a valid OFL fixture"):
        load_ofl(broken)


def test_pixel_group_modes_drive_groups_from_pixels(ofl_dir: Path) -> None:
    flare = load_ofl(ofl_dir / "fixtures/tmb/solaris-flare.json")
    mode = next(m for m in flare.modes if m.name.endswith("RGB Strobe 3-Pixel"))
    grouped = [c for c in mode.channels if c.pixel is not None]
    assert len(grouped) == 9 and mode.pixels == (16, 6)
    # groups are rows 1-2, 3-4, 5-6: their first pixels are (1,1), (1,3), (1,5)
    assert sorted({c.pixel for c in grouped}) == [0, 32, 64]
    assert any("pixel-group" in w for w in flare.warnings)
