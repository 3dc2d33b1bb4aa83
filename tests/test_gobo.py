"""Gobo artwork on drawings made for the purpose: bridges, feature rules, kinds, orientation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artwork import Settings, convert_drawing, convert_targets, gobo_target
from artwork.gobo import make_steel
from artwork.morph import erode, label

MM_PER_INCH = 25.4


def _save(path: Path, draw) -> Path:
    image = Image.new("RGB", (800, 800), "white")
    draw(ImageDraw.Draw(image))
    image.save(path)
    return path


def _rings(d: ImageDraw.ImageDraw) -> None:
    """An O and a sun's face: closed shapes whose middles would fall out of steel."""
    d.ellipse((100, 200, 380, 600), outline="black", width=24)
    d.ellipse((430, 250, 720, 540), outline="black", width=18)
    d.ellipse((520, 340, 560, 380), fill="black")  # an eye: a hole in the face's metal
    d.line((180, 700, 640, 700), fill="black", width=20)


def _metal(path: Path) -> np.ndarray:
    return ~np.asarray(Image.open(path))


def test_steel_bridges_every_island_and_glass_does_not(tmp_path: Path) -> None:
    src = _save(tmp_path / "rings.png", _rings)
    result = convert_drawing(src, tmp_path / "out", [gobo_target("steel"),
                                                     gobo_target("glass")], Settings())
    steel = result.manifest["gobos"]["steel-B"]
    bridges = next(c for c in steel["changes"] if c["change"] == "bridges added")
    assert bridges["count"] >= 2  # inside of the O, the face
    assert all(b["width_mm"] >= 0.4 for b in bridges["bridges"])
    assert label(_metal(tmp_path / "out" / "gobo-steel-B.png"))[1] == 1
    assert label(_metal(tmp_path / "out" / "gobo-glass-B.png")[::2, ::2])[1] >= 3
    doc = json.loads((tmp_path / "out" / "gobo-steel-B.json").read_text())
    assert doc["polarity"] == "white = light passes"
    assert doc["orientation"] == "right-reading as seen from the lamp"
    assert doc["outer_diameter_mm"] == 86.0 and doc["image_diameter_mm"] == 64.5
    assert doc["dpi"] == pytest.approx(3543 / (64.5 / MM_PER_INCH), abs=0.1)
    assert doc["changes"] == steel["changes"]


def test_bridges_are_at_least_the_minimum_width(tmp_path: Path) -> None:
    src = _save(tmp_path / "o.png", lambda d: d.ellipse((150, 150, 650, 650), outline="black",
                                                        width=40))
    settings = Settings(min_bridge_mm=0.6)
    convert_drawing(src, tmp_path / "out", [gobo_target("steel")], settings)
    metal = _metal(tmp_path / "out" / "gobo-steel-B.png")
    px_per_mm = 3543 / 64.5
    # Thinning every piece of metal by just under half the bridge width on each side
    # leaves the bridged disc still joined to the plate.
    thinned = erode(metal, int(0.6 * px_per_mm / 2) - 1, outside=True)
    assert label(thinned[::1, ::1])[1] == 1
    # A bridge of half the width would not survive the same thinning.
    convert_drawing(src, tmp_path / "thin", [gobo_target("steel")], Settings(min_bridge_mm=0.3))
    metal = _metal(tmp_path / "thin" / "gobo-steel-B.png")
    assert label(erode(metal, int(0.6 * px_per_mm / 2) - 1, outside=True))[1] > 1


def test_thin_features_thickened_and_specks_dropped() -> None:
    pitch = 0.1
    grid = np.zeros((200, 200), bool)
    grid[50:150, 100] = True  # a 0.1 mm line of light: too thin to cut
    grid[30, 30] = True  # a speck
    grid[60:140, 20:40] = True  # a wide opening with...
    grid[60:140, 30] = False  # ...a 0.1 mm metal hair down the middle
    result = make_steel(grid, pitch, Settings())
    kinds = {c["change"]: c for c in result.changes}
    assert kinds["specks removed"]["count"] == 1 and not result.open[30, 30]
    assert "features thickened" in kinds
    assert result.open[50:150, 99:102].all()  # now 0.3 mm wide
    assert result.open[70:130, 30].all()  # the hair is gone
    assert "metal lines thinner than the minimum dropped" in kinds
    assert label(~result.open)[1] == 1


def test_kinds_modes_flip_and_size(tmp_path: Path) -> None:
    def left_blob(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((100, 300, 300, 500), fill=(220, 30, 30))
        d.line((300, 400, 700, 400), fill=(30, 30, 220), width=30)

    src = _save(tmp_path / "blob.png", left_blob)
    targets = [gobo_target("glass"), gobo_target("glass", flip=True),
               gobo_target("glass-grey", "M"), gobo_target("colour", "E", image_mm=25.0)]
    result = convert_drawing(src, tmp_path / "out", targets, Settings())
    assert [t.key for t in targets] == ["glass-B", "glass-B-flip", "glass-grey-M",
                                        "colour-E-25in37.5"]
    glass = np.asarray(Image.open(tmp_path / "out" / "gobo-glass-B.png"))
    flipped = np.asarray(Image.open(tmp_path / "out" / "gobo-glass-B-flip.png"))
    assert np.array_equal(flipped, glass[:, ::-1])
    half = glass.shape[1] // 2
    assert glass[:, :half].sum() > 2 * glass[:, half:].sum()  # the blob stays on the left
    grey = Image.open(tmp_path / "out" / "gobo-glass-grey-M.png")
    assert grey.mode == "L" and set(np.unique(np.asarray(grey))) <= {0, 255}
    colour = Image.open(tmp_path / "out" / "gobo-colour-E-25in37.5.png")
    assert colour.mode == "RGB"
    info = result.manifest["gobos"]["colour-E-25in37.5"]
    assert info["image_diameter_mm"] == 25.0 and info["outer_diameter_mm"] == 37.5
    assert colour.width == 2 * int(np.ceil(3543 * 37.5 / 25.0 / 2))
    pixels = np.asarray(colour)
    c = colour.width // 2
    assert pixels[c, c - 600, 0] > 200 and pixels[c, c - 600, 2] < 60  # red blob lets red through
    assert pixels[c, c + 600, 2] > 200 and pixels[c, c + 600, 0] < 60  # blue line: blue
    assert result.manifest["gobos"]["glass-B-flip"]["orientation"].startswith("mirrored")


def test_targets_from_stored_cleaned_image_match(tmp_path: Path) -> None:
    src = _save(tmp_path / "rings.png", _rings)
    first = convert_drawing(src, tmp_path / "a", [gobo_target("steel")], Settings())
    later = convert_targets(first.files["cleaned"], tmp_path / "b",
                            [gobo_target("steel"), gobo_target("glass", "M")], Settings())
    assert set(later.files) >= {"gobo-steel-B", "gobo-glass-M", "palette", "preview"}
    a = np.asarray(Image.open(tmp_path / "a" / "gobo-steel-B.png"))
    b = np.asarray(Image.open(tmp_path / "b" / "gobo-steel-B.png"))
    assert np.array_equal(a, b)
    assert later.palette == first.palette
