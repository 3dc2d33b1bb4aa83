"""Cleanup on photos made for the purpose, where the right answer is known.

Each photo is a sheet with marks in colours of their own, photographed with the
trouble a workshop brings (a table, an angle, shadows, ruled paper, a finger).
The checks find the marks in the cleaned picture by colour, not through the
converter's own code.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from artwork.cleanup import NoDrawing, Photo, clean_drawing

PAPER = (245, 243, 236)
NEEDED = 3616.0


def _photo(sheet: Image.Image, light: np.ndarray | None = None, noise: float = 2.0) -> np.ndarray:
    """The sheet as a camera sees it: light falloff or shadows, a little blur and noise."""
    pixels = np.asarray(sheet.filter(ImageFilter.GaussianBlur(0.7)), np.float32)
    if light is not None:
        pixels = pixels * light[..., None]
    pixels += np.random.default_rng(3).normal(0, noise, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _ink(cleaned: np.ndarray) -> np.ndarray:
    return cleaned.min(axis=2) < 200


def _colour(cleaned: np.ndarray, rgb: tuple[int, int, int], within: int = 60) -> np.ndarray:
    distance = np.abs(cleaned.astype(np.int32) - np.array(rgb)).max(axis=2)
    return _ink(cleaned) & (distance < within)


def test_sheet_at_an_angle_is_found_and_squared() -> None:
    sheet = Image.new("RGB", (800, 600), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.rectangle((250, 150, 550, 450), outline=(20, 20, 120), width=12)
    draw.ellipse((330, 230, 470, 370), outline=(200, 30, 30), width=10)
    noise = np.random.default_rng(1).normal(0, 12, (1200, 1600, 1))
    table = np.clip(np.array([120, 80, 50], np.float32) + noise, 0, 255).astype(np.uint8)
    corners = np.float32([(420, 180), (1230, 260), (1350, 1000), (300, 940)])
    matrix = cv2.getPerspectiveTransform(np.float32([(0, 0), (800, 0), (800, 600), (0, 600)]),
                                         corners)
    warped = cv2.warpPerspective(np.asarray(sheet), matrix, (1600, 1200))
    inside = cv2.warpPerspective(np.full((600, 800), 255, np.uint8), matrix, (1600, 1200)) > 127
    photo = np.where(inside[..., None], warped, table)
    result = clean_drawing(Photo.of(photo), NEEDED)
    assert {"change": "sheet straightened"} in result.changes
    rgb = result.image.astype(np.int32)
    ink = _ink(result.image)
    # Nothing of the brown table: every ink pixel is the blue square or the red ring.
    r, _, b = rgb[ink].T
    assert ((b > r + 40) | (r > b + 60)).mean() > 0.97
    # The square's top edge is level again, and the ring is round.
    blue = ink & (rgb[..., 2] > rgb[..., 0] + 40)
    cols = np.flatnonzero(blue.any(axis=0))
    left, right = cols[0] + np.ptp(cols) // 4, cols[-1] - np.ptp(cols) // 4
    tops = int(np.argmax(blue[:, left])), int(np.argmax(blue[:, right]))
    assert abs(tops[0] - tops[1]) <= 0.02 * blue.shape[0]
    ys, xs = np.nonzero(ink & (rgb[..., 0] > rgb[..., 2] + 60))
    assert np.ptp(xs) / np.ptp(ys) == pytest.approx(1.0, abs=0.1)


def test_uneven_light_flattened_and_faint_pen_kept() -> None:
    sheet = Image.new("RGB", (1200, 900), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.line((200, 450, 1000, 450), fill=(150, 185, 235), width=5)  # faint light-blue pen
    draw.line((600, 150, 600, 750), fill=(70, 70, 70), width=3)  # thin pencil
    draw.rectangle((150, 600, 450, 850), fill=(230, 200, 40))  # a big crayon fill
    light = np.linspace(1.0, 0.45, 1200, dtype=np.float32)[None, :].repeat(900, 0)
    shadow = Image.new("L", (1200, 900), 0)
    ImageDraw.Draw(shadow).ellipse((700, 100, 1150, 420), fill=90)  # a hand's soft shadow
    light *= 1 - np.asarray(shadow.filter(ImageFilter.GaussianBlur(40)), np.float32) / 255
    result = clean_drawing(Photo.of(_photo(sheet, light)), NEEDED)
    rgb = result.image.astype(np.int32)
    ink = _ink(result.image)
    blue = ink & (rgb[..., 2] > rgb[..., 0] + 40)
    assert blue.any(axis=0).mean() > 0.6  # the pen line runs across the drawing
    assert blue.sum() < 0.03 * ink.size  # a line, not the shadow
    fill = ink & (rgb[..., 0] > rgb[..., 2] + 60)
    scale = result.image.shape[1] / (1000 - 150 + 2 * 0.04 * 850)
    assert fill.sum() > 0.8 * 300 * 250 * scale * scale  # the crayon fill kept whole
    assert ink.mean() < 0.2  # the shadow and the dim side stay paper
    paper = result.image[~cv2.dilate(ink.astype(np.uint8), np.ones((13, 13))).astype(bool)]
    assert paper.min() >= 250


def test_strokes_in_a_hard_shadow_are_kept_whole() -> None:
    """A leg crossing a shadow's sharp edge, words inside the shadow: all stay."""
    sheet = Image.new("RGB", (1200, 900), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.line((300, 100, 300, 800), fill=(30, 110, 40), width=6)  # the leg, crossing the edge
    for i in range(6):  # small writing deep in the shadow
        draw.text((700 + 60 * i, 650), "ab", fill=(40, 40, 150), font_size=40)
    draw.rectangle((150, 0, 450, 120), outline=(150, 40, 40), width=6)  # a box at the top edge
    light = np.ones((900, 1200), np.float32)
    light[450:, :] = 0.5  # a hard shadow over the lower half
    result = clean_drawing(Photo.of(_photo(sheet, light)), NEEDED)
    leg = _colour(result.image, (30, 110, 40))
    rows = np.flatnonzero(leg.any(axis=1))
    drawing_rows = np.flatnonzero(_ink(result.image).any(axis=1))
    assert np.ptp(rows) > 0.9 * np.ptp(drawing_rows) * 700 / 800  # not cut at the edge
    writing = _colour(result.image, (40, 40, 150))
    assert cv2.connectedComponents(writing.astype(np.uint8))[0] - 1 >= 10
    box = _colour(result.image, (150, 40, 40))
    assert box.any()
    assert not any("shadow" in c["change"] for c in result.changes)


def test_ruled_notebook_lines_and_margin_removed_the_drawing_kept() -> None:
    sheet = Image.new("RGB", (1200, 1600), PAPER)
    draw = ImageDraw.Draw(sheet)
    for y in range(180, 1600, 60):
        draw.line((0, y, 1200, y), fill=(165, 195, 230), width=3)
    draw.line((160, 0, 160, 1600), fill=(235, 140, 150), width=3)
    draw.ellipse((400, 500, 800, 900), outline=(20, 20, 20), width=8)  # the child's drawing
    draw.line((600, 900, 600, 1300), fill=(20, 20, 20), width=8)
    draw.rectangle((430, 600, 560, 700), fill=(220, 60, 40))  # crayon over the lines
    result = clean_drawing(Photo.of(_photo(sheet)), NEEDED)
    assert {c["change"] for c in result.changes} >= {"ruled lines removed", "margin line removed"}
    ink = _ink(result.image)
    light_blue = _colour(result.image, (165, 195, 230), within=35) & ~_colour(
        result.image, (20, 20, 20), within=90
    )
    assert light_blue.sum() < 0.02 * ink.sum()
    dark = _colour(result.image, (20, 20, 20), within=90)
    rows = np.flatnonzero(dark.any(axis=1))
    # The stem crosses six ruled lines and stays one unbroken stroke.
    stem = dark[:, dark.shape[1] // 2 - 10 : dark.shape[1] // 2 + 10].any(axis=1)
    lower = stem[rows[0] + (rows[-1] - rows[0]) // 2 + 10 : rows[-1] - 5]
    assert lower.all()
    assert _colour(result.image, (220, 60, 40)).sum() > 0.5 * 130 * 100


def test_a_fingertip_and_another_sheets_edge_are_not_drawn() -> None:
    sheet = Image.new("RGB", (1200, 900), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.ellipse((450, 300, 750, 600), outline=(30, 30, 160), width=8)
    draw.line((0, 60, 700, 60), fill=(205, 205, 200), width=2)  # an edge of a sheet beneath
    photo = _photo(sheet)
    finger = Image.new("L", (1200, 900), 0)
    ImageDraw.Draw(finger).ellipse((-120, 640, 160, 1020), fill=255)
    soft = np.asarray(finger.filter(ImageFilter.GaussianBlur(12)), np.float32)[..., None] / 255
    skin = np.array([205, 150, 130], np.float32)
    photo = np.clip(photo * (1 - soft) + skin * soft, 0, 255).astype(np.uint8)
    result = clean_drawing(Photo.of(photo), NEEDED)
    ink = _ink(result.image)
    blue = _colour(result.image, (30, 30, 160), within=80)
    assert (ink & ~cv2.dilate(blue.astype(np.uint8), np.ones((15, 15))).astype(bool)).sum() < (
        0.02 * blue.sum()
    )


def test_folds_across_the_sheet_do_not_glow_and_what_crosses_them_stays() -> None:
    """A sheet folded in four, photographed a little turned: a soft grey crease down it and
    one across it, partly under the drawing (a ring in pen and a crayon patch they cross)."""
    sheet = Image.new("RGB", (1200, 900), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.ellipse((430, 250, 830, 650), outline=(30, 30, 160), width=8)
    draw.rectangle((560, 380, 700, 520), fill=(230, 120, 30))
    ys, xs = np.mgrid[0:900, 0:1200].astype(np.float32)
    down = xs - 630 - 0.05 * (ys - 450)  # 3 degrees off the frame
    across = ys - 450
    light = (1 - 0.18 * np.exp(-((down / 7) ** 2))) * (1 - 0.15 * np.exp(-((across / 6) ** 2)))
    result = clean_drawing(Photo.of(_photo(sheet, light)), NEEDED)
    assert {"change": "folds removed", "count": 2} in result.changes
    marked = result.image.min(axis=2) < 250  # faint too: a crease would glow in a gobo
    ring = _colour(result.image, (30, 30, 160), within=80)
    crayon = _colour(result.image, (230, 120, 30), within=80)
    drawing = cv2.dilate((ring | crayon).astype(np.uint8), np.ones((15, 15))).astype(bool)
    assert (marked & ~drawing).sum() < 0.01 * marked.sum()  # nothing of the creases left
    # The ring is whole where the creases cross it: one closed outline around its hole.
    count, _, stats, _ = cv2.connectedComponentsWithStats((~ring).astype(np.uint8), connectivity=4)
    assert count - 1 >= 2 and stats[1:, cv2.CC_STAT_AREA].min() > 0.1 * ring.size / 16
    assert crayon.sum() > 0.95 * _colour(result.image, (230, 120, 30), within=120).sum()


def _squared_page() -> Image.Image:
    """A page of a squared notebook, a little turned, with a pen ring, a crayon patch and a
    pale blue crayon line of the grid's own colour."""
    sheet = Image.new("RGB", (1300, 1000), PAPER)
    draw = ImageDraw.Draw(sheet)
    grid = (168, 190, 218)
    for i in range(-2, 60):  # 5 mm squares of an A4 page across 1300 px, turned 2 degrees
        x, y = 26 * i, 26 * i
        draw.line((x, 0, x + 35, 1000), fill=grid, width=2)
        draw.line((0, y, 1300, y - 45), fill=grid, width=2)
    draw.ellipse((430, 250, 830, 650), outline=(30, 30, 160), width=8)
    draw.rectangle((560, 380, 700, 520), fill=(230, 120, 30))
    draw.line((300, 750, 1000, 820), fill=(150, 185, 230), width=10)
    return sheet


def _page_parts(cleaned: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The squared page's pen ring, crayon patch and pale crayon line, by their colours."""
    return (
        _colour(cleaned, (30, 30, 160), within=80),
        _colour(cleaned, (230, 120, 30), within=80),
        _colour(cleaned, (150, 185, 230), within=40),
    )


def _marks_off_the_page_drawing(cleaned: np.ndarray) -> tuple[int, int]:
    """Marks more than a few pixels from the squared page's drawing (grid left), and all."""
    ring, crayon, pale = _page_parts(cleaned)
    marked = cleaned.min(axis=2) < 250
    drawing = cv2.dilate((ring | crayon | pale).astype(np.uint8), np.ones((15, 15))).astype(bool)
    return int((marked & ~drawing).sum()), int(marked.sum())


def test_squared_paper_is_paper_and_what_is_drawn_on_it_stays() -> None:
    """Squared paper's printed grid does not glow, the drawing on it stays whole (the crayon
    line of the grid's colour too) and the sheet is still a drawing on paper, not a painting."""
    result = clean_drawing(Photo.of(_photo(_squared_page())), NEEDED)
    removed = next(c for c in result.changes if c["change"] == "squared paper's lines removed")
    assert removed["count"] > 60
    assert result.paper_share > 0.5
    ring, crayon, pale = _page_parts(result.image)
    off, marked = _marks_off_the_page_drawing(result.image)
    assert off < 0.02 * marked  # no grid left
    holes = cv2.connectedComponents((~ring).astype(np.uint8), connectivity=4)[0] - 1
    assert holes >= 2  # the ring still closes around its hole
    pale &= ~cv2.dilate(ring.astype(np.uint8), np.ones((7, 7))).astype(bool)  # the pen's rim
    sizes = cv2.connectedComponentsWithStats(pale.astype(np.uint8))[2][1:, cv2.CC_STAT_AREA]
    assert (sizes > 20).sum() == 1  # the crayon line whole
    assert crayon.sum() > 0.9 * 140 * 140 * (result.image.shape[1] / 1300) ** 2


def test_squared_paper_photographed_at_an_angle_on_a_table() -> None:
    """The same page on a wooden table, photographed at an angle: the sheet is found (its
    grid is no stroke) and straightened, then its grid goes."""
    page = np.asarray(_squared_page())
    table = np.full((1400, 1800, 3), (120, 90, 60), np.uint8)
    corners = np.float32([[0, 0], [1300, 0], [1300, 1000], [0, 1000]])
    placed = np.float32([[330, 170], [1470, 150], [1620, 1220], [180, 1200]])
    matrix = cv2.getPerspectiveTransform(corners, placed)
    warped = cv2.warpPerspective(page, matrix, (1800, 1400))
    on = cv2.warpPerspective(np.ones((1000, 1300), np.uint8), matrix, (1800, 1400)) > 0
    table[on] = warped[on]
    result = clean_drawing(Photo.of(_photo(Image.fromarray(table))), NEEDED)
    changes = {c["change"] for c in result.changes}
    assert {"sheet straightened", "squared paper's lines removed"} <= changes
    off, marked = _marks_off_the_page_drawing(result.image)
    assert off < 0.02 * marked


def test_squared_paper_photographed_at_a_slant_close_up() -> None:
    """The same page photographed close up from a little below, no edge in sight: its grid's
    lines close in towards the top, unevenly spaced in the picture, and still go."""
    page = np.asarray(_squared_page())
    corners = np.float32([[0, 0], [1300, 0], [1300, 1000], [0, 1000]])
    slanted = np.float32([[-110, -60], [1410, -60], [1520, 1080], [-220, 1080]])
    matrix = cv2.getPerspectiveTransform(corners, slanted)
    photo = cv2.warpPerspective(page, matrix, (1300, 1000), borderMode=cv2.BORDER_REFLECT)
    result = clean_drawing(Photo.of(_photo(Image.fromarray(photo))), NEEDED)
    changes = {c["change"] for c in result.changes}
    assert "squared paper's lines removed" in changes
    assert "sheet straightened" not in changes
    off, marked = _marks_off_the_page_drawing(result.image)
    assert off < 0.02 * marked  # no grid left
    ring = _page_parts(result.image)[0]
    holes = cv2.connectedComponents((~ring).astype(np.uint8), connectivity=4)[0] - 1
    assert holes >= 2  # the ring still closes around its hole


def test_blank_sheet_and_a_black_picture_have_no_drawing() -> None:
    noise = np.random.default_rng(2).normal(0, 3, (600, 800, 1))
    blank = np.clip(np.array(PAPER, np.float32) + noise, 0, 255).astype(np.uint8)
    with pytest.raises(NoDrawing):
        clean_drawing(Photo.of(blank), NEEDED)
    with pytest.raises(NoDrawing, match="one flat colour"):
        clean_drawing(Photo.of(np.zeros((600, 800, 3), np.uint8)), NEEDED)


def test_a_small_doodle_in_a_whole_sheets_photo_is_a_drawing() -> None:
    """A doodle a tenth of a percent of the photo (in its corner) is still a drawing, not
    "one flat colour", and all of it is kept."""
    sheet = Image.new("RGB", (4000, 3000), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.ellipse((3500, 300, 3700, 500), outline=(20, 20, 30), width=8)
    draw.line((3520, 560, 3690, 560), fill=(20, 20, 30), width=8)
    cleaned = clean_drawing(Photo.of(_photo(sheet)), NEEDED).image
    ink = _ink(cleaned)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert (height, width) == pytest.approx((265, 201), abs=4)  # the circle and the line


@pytest.mark.parametrize("grain", [1.0, 2.0, 4.0])
def test_the_papers_noise_is_measured_not_clipped_away(grain: float) -> None:
    """Marks are judged against the paper's own grain: its spread is measured on the paper
    (a robust sigma of the flattened darkness), about grain / paper level, never 0. (The
    small copy is averaged from the photo: 4 levels there are 16 in a 12 MP photo.)"""
    from artwork.paper import candidates, find_paper

    sheet = np.full((750, 1000, 3), PAPER, np.float32)
    sheet += np.random.default_rng(7).normal(0, grain, (750, 1000, 1))  # grey grain
    small = np.clip(sheet, 0, 255).astype(np.uint8)
    paper = find_paper(small, np.ones((750, 1000), bool), candidates(small))
    expected = grain / PAPER[2]  # the darkest channel carries the grain over the lowest level
    assert 0.5 * expected < paper.noise < 1.6 * expected
