"""LED palette and pixel images from drawings made for the purpose."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from artwork import PixelTarget, Settings
from artwork.convert import convert_drawing
from artwork.led import palette, pixel_image


def test_palette_weighted_by_area_of_the_light(tmp_path: Path) -> None:
    image = Image.new("RGB", (900, 600), "white")
    d = ImageDraw.Draw(image)
    d.rectangle((50, 50, 350, 350), fill=(230, 20, 20))  # red: 3 parts
    d.rectangle((450, 50, 550, 350), fill=(20, 20, 230))  # blue: 1 part
    d.line((50, 500, 850, 500), fill=(60, 60, 60), width=12)  # dark ink: metal, no light
    image.save(tmp_path / "d.png")
    result = convert_drawing(tmp_path / "d.png", tmp_path / "out", [PixelTarget(8, 4)], Settings())
    hexes = [h for h, _ in result.palette]
    assert hexes[0][1:3] == "ff" and int(hexes[0][3:5], 16) < 40  # red first
    assert hexes[1][5:7] == "ff" and int(hexes[1][1:3], 16) < 40  # then blue
    assert len(hexes) == 2
    assert result.palette[0][1] == np.round(result.palette[0][1], 3)
    assert 0.7 < result.palette[0][1] < 0.8 and 0.2 < result.palette[1][1] < 0.3
    doc = json.loads((tmp_path / "out" / "palette.json").read_text())
    assert doc["pixels"]["pixels-8x4"]["channel_order"] == "rgb"
    assert Image.open(tmp_path / "out" / "pixels-8x4.png").size == (8, 4)


def test_pencil_figure_with_a_coloured_bow_is_mostly_white_light() -> None:
    light = np.ones((100, 100, 3), np.float32)
    light[:10, :10] = (1.0, 0.6, 0.8)  # a pink bow, a tenth of the ink
    alpha = np.zeros((100, 100), np.float32)
    alpha[:10, :] = 1
    (main, main_weight), (pink, pink_weight) = palette(light, alpha)
    assert main == "#ffffff" and pink == "#ff99cc"
    assert main_weight == 0.9 and pink_weight == 0.1


def test_colourless_drawing_is_white_light() -> None:
    light = np.ones((10, 10, 3), np.float32)
    alpha = np.zeros((10, 10), np.float32)
    alpha[2:8, 2:8] = 1
    assert palette(light, alpha) == [("#ffffff", 1.0)]
    assert palette(light, np.zeros_like(alpha)) == [("#ffffff", 1.0)]


def test_pixels_area_averaged_in_linear_light() -> None:
    glow = np.zeros((40, 80, 3), np.uint8)
    glow[:, :10] = 255  # left LED fully lit
    glow[:, 10:20:2] = 255  # second LED: every other column lit, half the light
    glow[:, 20:21] = 255  # third LED: one thin line of ten
    out, gain = pixel_image(glow, 8, 4)
    assert out.shape == (4, 8, 3) and gain == 1.0
    assert (out[:, 0] == 255).all()
    # Half the light is sRGB 188, not 128: averaging happens in linear light.
    assert 185 <= out[0, 1, 0] <= 190
    assert 0 < out[0, 2, 0] < 128  # a thin stroke dims, it does not vanish
    assert (out[:, 3:] == 0).all()


def test_pixels_letterboxed() -> None:
    glow = np.full((10, 40, 3), 255, np.uint8)
    out, _ = pixel_image(glow, 8, 8)
    assert (out[0] == 0).all() and (out[-1] == 0).all() and (out[4] == 255).all()


def test_dim_line_work_uses_the_fixtures_whole_range() -> None:
    """Thin strokes average to a dim grid; the brightest LED is brought to full."""
    glow = np.zeros((60, 160, 3), np.uint8)
    glow[::10, :] = (255, 128, 0)  # thin orange lines, a tenth of each LED's patch
    out, gain = pixel_image(glow, 16, 6)
    assert gain > 5 and out.max() == 255
    lit = out[out.max(axis=2) > 0]
    assert (lit[:, 0] >= lit[:, 1]).all() and (lit[:, 2] == 0).all()  # still orange
