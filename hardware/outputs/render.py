"""Draw what a set of fixtures projects: pure functions from decoded values to an image.

Each fixture gets a cell on a dark wall; a beam is a disc in its colour times its
intensity; a gobo image (white = light passes) masks and tints the disc and is
turned by gobo_rotation (0..1 = one full turn); pixel fixtures are a grid of cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image, ImageChops, ImageDraw

from hardware.patch import PatchedFixture

BACKGROUND = (8, 8, 12)
# What one unit of each emitter adds to the beam colour (white LED, amber, UV seen as violet).
EMITTERS = {
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "white": (1.0, 1.0, 1.0),
    "amber": (1.0, 0.75, 0.0),
    "uv": (0.3, 0.0, 0.6),
}


def layout(
    fixtures: Sequence[PatchedFixture], size: tuple[int, int]
) -> dict[str, tuple[int, int, int]]:
    """Centre (x, y) and radius of each fixture's beam: a near-square grid of cells."""
    if not fixtures:
        return {}
    width, height = size
    columns = math.ceil(math.sqrt(len(fixtures) * width / height))
    columns = max(1, min(columns, len(fixtures)))
    rows = math.ceil(len(fixtures) / columns)
    cell_w, cell_h = width / columns, height / rows
    radius = int(min(cell_w, cell_h) * 0.42)
    return {
        f.name: (int(cell_w * (i % columns + 0.5)), int(cell_h * (i // columns + 0.5)), radius)
        for i, f in enumerate(fixtures)
    }


def beam_colour(fixture: PatchedFixture, values: Mapping[str, Any]) -> tuple[float, float, float]:
    """Linear RGB 0..1 of the beam: emitters mixed, times intensity; no emitters = white lamp."""
    emitters = [a for a in EMITTERS if a in fixture.attributes]
    if emitters:
        mixed = [
            sum(EMITTERS[a][i] * float(values.get(a, 0.0)) for a in emitters) for i in range(3)
        ]
    else:
        mixed = [1.0, 1.0, 1.0]
    level = float(values.get("intensity", 0.0))
    return (min(mixed[0], 1.0) * level, min(mixed[1], 1.0) * level, min(mixed[2], 1.0) * level)


def render(
    fixtures: Sequence[PatchedFixture],
    values: Mapping[str, Mapping[str, Any]],
    gobos: Mapping[str, Image.Image | None],
    size: tuple[int, int] = (800, 600),
) -> Image.Image:
    """`values` as decoded from DMX; `gobos[name]` is the image in that fixture's gate."""
    canvas = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    places = layout(fixtures, size)
    for fixture in fixtures:
        cx, cy, radius = places[fixture.name]
        fixture_values = values.get(fixture.name, {})
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        if fixture.pixels and "pixels" in fixture_values:
            _pixels(draw, fixture, fixture_values, box)
            continue
        colour = tuple(round(255 * c) for c in beam_colour(fixture, fixture_values))
        disc = Image.new("L", (2 * radius, 2 * radius), 0)
        ImageDraw.Draw(disc).ellipse((0, 0, 2 * radius - 1, 2 * radius - 1), fill=255)
        beam = Image.new("RGB", disc.size, colour)  # type: ignore[arg-type]
        gobo = gobos.get(fixture.name)
        if gobo is not None:
            angle = 360.0 * float(fixture_values.get("gobo_rotation", 0.0))
            turned = gobo.convert("RGB").resize(disc.size).rotate(-angle, fillcolor=(0, 0, 0))
            beam = ImageChops.multiply(beam, turned)
        canvas.paste(beam, box[:2], disc)
        draw.ellipse(box, outline=(40, 40, 48))
    return canvas


def _pixels(
    draw: ImageDraw.ImageDraw,
    fixture: PatchedFixture,
    values: Mapping[str, Any],
    box: tuple[int, int, int, int],
) -> None:
    assert fixture.pixels is not None
    columns, rows = fixture.pixels
    left, top, right, bottom = box
    cell = min((right - left) / columns, (bottom - top) / rows)
    x0 = (left + right) / 2 - cell * columns / 2
    y0 = (top + bottom) / 2 - cell * rows / 2
    level = float(values.get("intensity", 1.0))
    for index, pixel in enumerate(values["pixels"]):
        r, g, b = (min(1.0, c) for c in pixel[:3])
        w = pixel[3] if len(pixel) > 3 else 0.0
        rgb = tuple(round(255 * min(1.0, (c + w) * level)) for c in (r, g, b))
        x, y = x0 + (index % columns) * cell, y0 + (index // columns) * cell
        draw.rectangle((x + 1, y + 1, x + cell - 2, y + cell - 2), fill=rgb)  # type: ignore[arg-type]
