"""Every real drawing in ../shared/data/drawings through the whole conversion.

Each drawing is converted once (steel and glass B, a 16x6 pixel fixture) and
the results are checked for properties a person would check by eye.
"""

from __future__ import annotations

import colorsys
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artwork import Conversion, PixelTarget, Settings, convert_drawing, gobo_target
from artwork.gobo import ink_alpha
from artwork.morph import label

TARGETS = (gobo_target("steel"), gobo_target("glass"), PixelTarget(16, 6))


@pytest.fixture(scope="module")
def converted(drawings_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    files = sorted(p for p in drawings_dir.iterdir() if p.suffix in (".png", ".jpg"))
    assert len(files) >= 12
    out = tmp_path_factory.mktemp("drawings")
    return {
        p.name: (convert_drawing(p, out / p.stem, TARGETS, Settings()), out / p.stem)
        for p in files
    }


def _ink(out: Path) -> np.ndarray:
    return ink_alpha(Image.open(out / "cleaned.png")) > 0.5


def _hues(conversion: Conversion) -> list[float]:
    hues = []
    for code, _ in conversion.palette:
        rgb = [int(code[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        h, s, _v = colorsys.rgb_to_hsv(*rgb)
        if s > 0.25:
            hues.append(h * 360)
    return hues


def test_every_drawing_has_all_files(converted: dict[str, tuple]) -> None:
    for name, (conversion, out) in converted.items():
        expected = {"cleaned.png", "gobo-steel-B.png", "gobo-steel-B.json", "gobo-glass-B.png",
                    "gobo-glass-B.json", "pixels-16x6.png", "palette.json", "preview.png"}
        assert {p.name for p in out.iterdir()} == expected, name
        assert set(conversion.files.values()) == {out / f for f in expected}, name


def test_not_blank_and_coverage_sane(converted: dict[str, tuple]) -> None:
    for name, (_, out) in converted.items():
        coverage = _ink(out).mean()
        assert 0.01 < coverage < 0.35, (name, coverage)


def test_table_hand_and_shadow_left_behind(converted: dict[str, tuple]) -> None:
    # The phone photo: cloth along the bottom, a finger at the top left.
    ink = _ink(converted["animdraw_char4_original_img.png"][1])
    h, w = ink.shape
    assert ink[-h // 20 :].mean() < 0.01
    assert ink[: h // 10, : w // 10].mean() < 0.01
    # The tiny bug on a big canvas is cropped to the bug, not to the grey sheet's edge.
    bug = _ink(converted["animdraw_char5_image.png"][1])
    assert bug.shape[0] < 700 and bug.shape[1] < 700
    band = np.concatenate([bug[:10].ravel(), bug[-10:].ravel(), bug[:, :10].ravel(),
                           bug[:, -10:].ravel()])
    assert band.mean() == 0.0


def test_colours_kept(converted: dict[str, tuple]) -> None:
    blue = _hues(converted["animdraw_char5_image.png"][0])  # faint light-blue pen
    assert any(195 <= h <= 230 for h in blue), blue
    purple = _hues(converted["animdraw_char1_texture.png"][0])  # purple marker
    assert any(235 <= h <= 290 for h in purple), purple
    ball = _hues(converted["animdraw_char4_original_img.png"][0])  # red/green/blue crayon
    assert any(h < 30 or h > 330 for h in ball) and any(150 <= h <= 230 for h in ball), ball
    assert _hues(converted["controlnet_user_1.png"][0]) == []  # black pen: white light
    for name, (conversion, out) in converted.items():
        doc = json.loads((out / "palette.json").read_text())
        assert doc["main"] == conversion.palette[0][0], name
        assert sum(c["weight"] for c in doc["colours"]) == pytest.approx(1.0, abs=0.01)
        assert 1 <= len(doc["colours"]) <= 6


def test_steel_metal_is_one_piece(converted: dict[str, tuple]) -> None:
    for name, (conversion, out) in converted.items():
        steel = Image.open(out / "gobo-steel-B.png")
        assert steel.mode == "1"
        info = conversion.manifest["gobos"]["steel-B"]
        side = info["image_diameter_px"]
        offset = (steel.width - side) // 2 - 2
        # The rim outside the image circle is plate; label the circle's square and a
        # 2 px frame of that plate around it.
        metal = ~np.asarray(steel.crop((offset, offset, offset + side + 4, offset + side + 4)))
        assert metal[0].all() and metal[-1].all()
        _, pieces = label(metal)
        assert pieces == 1, name


def test_glass_keeps_islands_and_outside_is_black(converted: dict[str, tuple]) -> None:
    conversion, out = converted["animdraw_char1_texture.png"]
    glass = np.asarray(Image.open(out / "gobo-glass-B.png"))
    info = conversion.manifest["gobos"]["glass-B"]
    assert info["image_diameter_px"] >= 3543 and glass.shape[0] >= 3543
    assert _pieces_of_coating(glass) > 1  # the face inside the head needs no bridge on glass
    yy, xx = np.ogrid[: glass.shape[0], : glass.shape[1]]
    c = glass.shape[0] / 2
    outside = (yy + 0.5 - c) ** 2 + (xx + 0.5 - c) ** 2 > (info["image_diameter_px"] / 2 + 1) ** 2
    assert not glass[outside].any()
    assert glass.mean() > 0.01


def _pieces_of_coating(glass: np.ndarray) -> int:
    small = glass[::4, ::4]
    return label(~small)[1]
