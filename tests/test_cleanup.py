"""Cleanup on photos made for the purpose, where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from artwork.cleanup import NoDrawing, clean_drawing, perspective_coefficients
from artwork.gobo import ink_alpha
from artwork.morph import dilate

PAPER = (245, 243, 236)


def _sheet() -> Image.Image:
    sheet = Image.new("RGB", (800, 600), PAPER)
    d = ImageDraw.Draw(sheet)
    d.rectangle((250, 150, 550, 450), outline=(20, 20, 120), width=12)
    d.ellipse((330, 230, 470, 370), outline=(200, 30, 30), width=10)
    return sheet


def _on_table(sheet: Image.Image, corners: list[tuple[int, int]]) -> Image.Image:
    """The sheet photographed at an angle on a wooden table."""
    noise = np.random.default_rng(1).normal(0, 12, (1200, 1600, 1))
    table = np.clip(np.array([120, 80, 50], np.float32) + noise, 0, 255).astype(np.uint8)
    photo = Image.fromarray(table, "RGB")
    w, h = sheet.size
    coeffs = perspective_coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    warped = sheet.transform(photo.size, Image.Transform.PERSPECTIVE, coeffs,
                             Image.Resampling.BILINEAR)
    mask = Image.new("L", photo.size, 0)
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    photo.paste(warped, (0, 0), mask)
    return photo


def test_sheet_at_an_angle_is_found_and_squared() -> None:
    photo = _on_table(_sheet(), [(420, 180), (1230, 260), (1350, 1000), (300, 940)])
    result = clean_drawing(photo)
    assert {"change": "sheet found and perspective corrected"} in result.changes
    rgb = np.asarray(result.image, np.float32)
    ink = ink_alpha(result.image) > 0.5
    # Nothing of the brown table: every ink pixel is the blue square or the red ring.
    r, _, b = rgb[ink].T
    assert ((b > r + 40) | (r > b + 60)).mean() > 0.97
    # The square's top edge is level again: its first inked row is the same left and right.
    blue = ink & (rgb[..., 2] > rgb[..., 0] + 40)
    cols = np.nonzero(blue.any(axis=0))[0]
    left, right = cols[0] + (cols[-1] - cols[0]) // 4, cols[-1] - (cols[-1] - cols[0]) // 4
    top_left, top_right = np.argmax(blue[:, left]), np.argmax(blue[:, right])
    assert abs(int(top_left) - int(top_right)) <= 0.02 * blue.shape[0]
    red = ink & (rgb[..., 0] > rgb[..., 2] + 60)
    ys, xs = np.nonzero(red)
    assert np.ptp(xs) / np.ptp(ys) == pytest.approx(1.0, abs=0.1)  # the ring is round


def test_uneven_light_flattened_and_faint_pen_kept() -> None:
    sheet = Image.new("RGB", (1200, 900), PAPER)
    d = ImageDraw.Draw(sheet)
    d.line((200, 450, 1000, 450), fill=(150, 185, 235), width=5)  # faint light-blue pen
    d.line((600, 150, 600, 750), fill=(70, 70, 70), width=3)  # thin pencil
    d.rectangle((150, 600, 450, 850), fill=(230, 200, 40))  # a big crayon fill
    light = np.linspace(1.0, 0.45, 1200, dtype=np.float32)[None, :, None]  # dim on the right
    shadow = Image.new("L", (1200, 900), 0)
    ImageDraw.Draw(shadow).ellipse((700, 100, 1150, 420), fill=90)  # a hand's soft shadow
    shade = 1 - np.asarray(shadow.filter(ImageFilter.GaussianBlur(40)), np.float32)[..., None] / 255
    photo = np.asarray(sheet, np.float32) * light * shade
    result = clean_drawing(Image.fromarray(photo.astype(np.uint8), "RGB"))
    ink = ink_alpha(result.image) > 0.5
    rgb = np.asarray(result.image)
    # The result is cropped; find the blue pen's row and check it runs the whole width.
    blue = ink & (rgb[..., 2].astype(int) > rgb[..., 0].astype(int) + 40)
    assert blue.any(axis=0).mean() > 0.6
    assert blue.sum() < 0.03 * ink.size  # a line, not the shadow
    fill = ink & (rgb[..., 0].astype(int) > rgb[..., 2].astype(int) + 60)
    assert fill.sum() > 0.8 * 300 * 250  # the crayon fill kept whole, not as an outline
    assert ink.mean() < 0.2  # the shadow and the dim side stay paper
    # Paper is white on both the bright and the dim side.
    paper = rgb[~dilate(ink, 6)]
    assert paper.min() >= 250


def test_blank_sheet_has_no_drawing() -> None:
    noise = np.random.default_rng(2).normal(0, 3, (600, 800, 1))
    blank = np.clip(np.array(PAPER, np.float32) + noise, 0, 255).astype(np.uint8)
    with pytest.raises(NoDrawing):
        clean_drawing(Image.fromarray(blank, "RGB"))
