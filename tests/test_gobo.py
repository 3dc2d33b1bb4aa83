"""Gobo artwork on drawings made for the purpose: steel that holds, kinds, orientation.

Metal is checked with scipy.ndimage (labelling, erosion by a disc), not with the
OpenCV calls the converter uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from artwork import RejectedDrawing, Settings, gobo_target
from artwork.convert import convert_drawing, convert_targets
from artwork.gobo import placement
from artwork.steel import make_stencil

MM_PER_INCH = 25.4
PX_PER_MM = 3543 / 64.5  # a B gobo's image diameter at the maker's resolution


def _save(path: Path, draw, size: tuple[int, int] = (800, 800)) -> Path:
    image = Image.new("RGB", size, "white")
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


def _pieces(mask: np.ndarray) -> int:
    return int(ndimage.label(mask)[1])


def _disc(radius_px: float) -> np.ndarray:
    r = int(radius_px)
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= radius_px * radius_px


def _thinned(metal: np.ndarray, radius_px: float) -> np.ndarray:
    """The metal eroded by a disc (everything outside the picture counts as metal)."""
    return ndimage.binary_erosion(metal, _disc(radius_px), border_value=1)


def test_steel_bridges_every_island_and_glass_does_not(tmp_path: Path) -> None:
    src = _save(tmp_path / "rings.png", _rings)
    result = convert_drawing(
        src, tmp_path / "out", [gobo_target("steel"), gobo_target("glass")], Settings()
    )
    steel = result.manifest["gobos"]["steel-B"]
    bridges = next(c for c in steel["changes"] if c["change"] == "bridges added")
    assert bridges["count"] >= 2  # inside of the O, the face
    assert all(b["width_mm"] >= 0.4 for b in bridges["bridges"])
    assert _pieces(_metal(tmp_path / "out" / "gobo-steel-B.png")) == 1
    assert _pieces(_metal(tmp_path / "out" / "gobo-glass-B.png")[::2, ::2]) >= 3
    doc = json.loads((tmp_path / "out" / "gobo-steel-B.json").read_text())
    assert doc["polarity"] == "white = light passes"
    assert doc["orientation"] == "right-reading as seen from the lamp"
    assert doc["outer_diameter_mm"] == 86.0 and doc["image_diameter_mm"] == 64.5
    assert doc["dpi"] == pytest.approx(3543 / (64.5 / MM_PER_INCH), abs=0.1)
    assert doc["changes"] == steel["changes"]
    # The PNG carries the manifest's resolution, so a maker's software prints it to size.
    with Image.open(tmp_path / "out" / "gobo-steel-B.png") as image:
        assert image.info["dpi"][0] == pytest.approx(doc["dpi"], abs=0.1)


def test_metal_holds_thinned_by_half_the_minimum(tmp_path: Path) -> None:
    """Islands on necks: the metal is one piece thinned by half the minimum on each side,
    and bridges are as wide as promised (half as wide ones would not survive)."""

    def necks(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((150, 150, 650, 650), outline="black", width=40)  # an O
        d.rectangle((300, 300, 500, 500), outline="black", width=14)  # a box inside it
        for x in range(320, 480, 40):  # stripes leaving metal on thin necks
            d.line((x, 310, x, 490), fill="black", width=14)

    src = _save(tmp_path / "o.png", necks)
    settings = Settings(min_bridge_mm=0.6)
    convert_drawing(src, tmp_path / "out", [gobo_target("steel")], settings)
    metal = _metal(tmp_path / "out" / "gobo-steel-B.png")
    assert _pieces(_thinned(metal, settings.min_feature_mm / 2 * PX_PER_MM - 1)) == 1
    assert _pieces(_thinned(metal, 0.6 / 2 * PX_PER_MM - 2)) == 1
    convert_drawing(src, tmp_path / "thin", [gobo_target("steel")], Settings(min_bridge_mm=0.3))
    narrow = _metal(tmp_path / "thin" / "gobo-steel-B.png")
    assert _pieces(_thinned(narrow, 0.6 / 2 * PX_PER_MM - 2)) > 1


def test_thin_strokes_thickened_in_line_work_thin_lines_widened_in_fills() -> None:
    pitch = 0.075  # four cells to the 0.3 mm minimum
    grid = np.zeros((240, 240), bool)
    grid[40:200, 60] = True  # a one-cell stroke of light
    grid[30, 30] = True  # a speck
    grid[60:180, 120:200] = True  # a coloured area with...
    grid[60:180, 160] = False  # ...a one-cell dark line down its middle
    lines = make_stencil(grid, pitch, Settings(), "lines")
    kinds = {c["change"]: c for c in lines.changes}
    assert kinds["specks removed"]["count"] == 1 and not lines.open[30, 30]
    assert lines.open[40:200, 59:62].all()  # the stroke, now wide enough to cut
    assert lines.open[70:170, 160].all()  # the dark hair in the light area could not stay
    fills = make_stencil(grid, pitch, Settings(), "fills")
    assert "thin metal lines widened" in {c["change"] for c in fills.changes}
    assert not fills.open[70:170, 159:162].any()  # the line work stays, widened
    for stencil in (lines, fills):
        assert _pieces(ndimage.binary_erosion(~stencil.open, _disc(1.5), border_value=1)) == 1


def test_bridges_are_placed_from_the_grid_centre_wherever_the_drawing_lies() -> None:
    """A ring of light off in a corner of the grid: its island is tied by a bridge that the
    manifest places where the grid's metal has it (mm from the grid's centre, y up)."""
    pitch = 0.075
    rows, cols = np.ogrid[0:400, 0:400]
    distance = np.hypot(rows - 80, cols - 100)
    grid = (distance >= 20) & (distance <= 30)
    stencil = make_stencil(grid, pitch, Settings(), "lines")
    assert stencil.open.shape == grid.shape
    assert not stencil.open[distance > 34].any()  # nothing opened away from the ring
    (bridges,) = (c["bridges"] for c in stencil.changes if c["change"] == "bridges added")
    assert len(bridges) == 1
    x_mm, y_mm = bridges[0]["at_mm"]
    row, col = round(200 - y_mm / pitch), round(200 + x_mm / pitch)
    assert 18 <= np.hypot(row - 80, col - 100) <= 32  # on the ring ...
    assert not stencil.open[row, col]  # ... where the metal crosses it
    assert _pieces(~stencil.open) == 1


def test_fine_detail_lost_in_steel_is_warned(tmp_path: Path) -> None:
    def doodles(d: ImageDraw.ImageDraw) -> None:
        for row in range(6):
            for col in range(9):
                x, y = 40 + col * 160, 40 + row * 80
                d.ellipse((x, y, x + 34, y + 30), outline="black", width=4)
                d.text((x + 50, y + 4), "aeo", fill="black", font_size=24)

    src = _save(tmp_path / "doodles.png", doodles, size=(1500, 520))
    result = convert_drawing(src, tmp_path / "out", [gobo_target("steel", "E")], Settings())
    detail = next(c for c in result.manifest["gobos"]["steel-E"]["changes"]
                  if c["change"] == "fine detail filled")
    assert detail["filled"] > detail["small_shapes"] / 2
    assert any("glass keeps them" in w for w in result.warnings)


def test_kinds_modes_flip_and_size(tmp_path: Path) -> None:
    def left_blob(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((100, 300, 300, 500), fill=(220, 30, 30))
        d.line((300, 400, 700, 400), fill=(30, 30, 220), width=30)

    src = _save(tmp_path / "blob.png", left_blob)
    targets = [gobo_target("glass"), gobo_target("glass", flip=True),
               gobo_target("glass-grey", "M"), gobo_target("colour", "E", image_mm=25.0)]
    result = convert_drawing(src, tmp_path / "out", targets, Settings(), style="lines")
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
    # Each gobo has its own projected preview; the colour gobo's is the main one.
    previews = {key: np.asarray(Image.open(tmp_path / "out" / f"preview-{key}.png"))
                for key in ("glass-B", "colour-E-25in37.5")}
    assert not np.array_equal(previews["glass-B"], previews["colour-E-25in37.5"])
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "preview.png")),
                          previews["colour-E-25in37.5"])


def test_targets_from_stored_cleaned_image_match(tmp_path: Path) -> None:
    src = _save(tmp_path / "rings.png", _rings)
    first = convert_drawing(src, tmp_path / "a", [gobo_target("steel")], Settings())
    later = convert_targets(first.files["cleaned"], tmp_path / "b",
                            [gobo_target("steel"), gobo_target("glass", "M")], Settings(),
                            first.style)
    assert set(later.files) >= {"gobo-steel-B", "gobo-glass-M", "palette", "preview"}
    a = np.asarray(Image.open(tmp_path / "a" / "gobo-steel-B.png"))
    b = np.asarray(Image.open(tmp_path / "b" / "gobo-steel-B.png"))
    assert np.array_equal(a, b)
    assert later.palette == first.palette


def test_a_gobo_with_nothing_to_show_is_refused(tmp_path: Path) -> None:
    """Pen strokes drawn as a coloured-in drawing: no coloured area, so no light at all."""
    src = _save(tmp_path / "rings.png", _rings)
    with pytest.raises(RejectedDrawing, match="nothing of the drawing would pass light"):
        convert_drawing(src, tmp_path / "out", [gobo_target("steel")], Settings(), style="fills")


@pytest.mark.parametrize("seed", range(40))
def test_placement_reaches_the_farthest_ink(seed: int) -> None:
    """The drawing's farthest lit pixel (by brute force) decides its size on the disc."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(3, 80)), int(rng.integers(3, 80)))
    lit = rng.random(shape) > rng.uniform(0.3, 0.999)
    if not lit.any():
        lit[shape[0] // 2, shape[1] // 3] = True
    where = placement(lit)
    ys, xs = np.nonzero(lit)
    assert where.cx == (xs.min() + xs.max() + 1) / 2
    assert where.cy == (ys.min() + ys.max() + 1) / 2
    farthest = np.hypot(xs + 0.5 - where.cx, ys + 0.5 - where.cy).max()
    assert where.radius == pytest.approx(max(farthest, 1.0), abs=1e-9)
