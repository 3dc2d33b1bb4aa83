"""A gobo's files: its artwork at the maker's resolution, its manifest, and its preview.

Made in two steps, so that two threads share the work: the gobo first (the light on
its disc; for steel the stencil on its grid, with the maker's changes), then, side by
side, the artwork written (a stencil scaled up from its grid on the way) and its light
on the pavement as the audience sees it (a one-colour gobo's in the lamp colour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from artwork import gobo, keystone, preview
from artwork.contract import RejectedDrawing
from artwork.model import Drawing
from artwork.png import encode_png, write_atomically, write_json, write_png
from artwork.resample import shrink
from artwork.settings import Settings
from artwork.steel import grid_pitch, make_stencil
from artwork.targets import GoboTarget

_MODES = {
    "steel": "1-bit",
    "glass": "1-bit",
    "glass-grey": "8-bit greyscale, Floyd-Steinberg dithered",
    "colour": "RGB",
}
_ALL_OPEN = 0.985  # of the image circle: a gobo with no shape left to show
_ALL_CLOSED = 0.001


@dataclass(frozen=True)
class Made:
    """A gobo made, not yet written."""

    target: GoboTarget
    info: dict[str, Any]  # its manifest
    seen: gobo.Disc  # its light: the artwork, or a stencil's grid (a tenth of the pixels)


def make_gobo(
    drawing: Drawing, where: gobo.Placement, target: GoboTarget, settings: Settings
) -> Made:
    """The gobo for `target`: the drawing's light on its disc (steel: the stencil on its grid,
    made to hold) and its manifest; nothing written yet."""
    image_px = settings.min_image_px
    canvas_px = 2 * math.ceil(image_px * target.outer_mm / target.image_mm / 2)
    changes: list[dict] = []
    warnings: list[str] = []
    if target.kind == "steel":
        pitch = grid_pitch(settings)
        cells = math.ceil(target.outer_mm / pitch)
        pitch = target.outer_mm / cells
        matrix = gobo.canvas_matrix(target, cells, target.image_mm / pitch, where)
        # Cells are several drawing pixels wide: a cell partly covered by the drawing's side
        # (the light of a stroke, the dark of an outline) takes that side, so thin lines survive.
        threshold = 64 if drawing.style == "lines" else 200
        grid = gobo.render_bits(drawing.light, matrix, cells, target.image_mm / pitch, threshold)
        stencil = make_stencil(grid.canvas(), pitch, settings, drawing.style)
        changes, warnings = stencil.changes, stencil.warnings
        seen = gobo.Disc(stencil.open, cells, 0)
    else:
        matrix = gobo.canvas_matrix(target, canvas_px, image_px, where)
        if target.kind == "colour":
            seen = gobo.render(drawing.colour, matrix, canvas_px, image_px)
        elif target.kind == "glass":
            seen = gobo.render_bits(drawing.light, matrix, canvas_px, image_px, threshold=127)
        else:  # Floyd-Steinberg dots of coating, kept as 8-bit for the maker
            seen = gobo.render(drawing.light, matrix, canvas_px, image_px)
            seen.square = np.asarray(Image.fromarray(seen.square).convert("1").convert("L"))
    info: dict[str, Any] = {
        "file": f"gobo-{target.key}.png",
        "kind": target.kind,
        "size": target.size,
        "style": drawing.style,
        "outer_diameter_mm": target.outer_mm,
        "image_diameter_mm": target.image_mm,
        "pixels": [canvas_px, canvas_px],
        "image_diameter_px": image_px,
        "dpi": round(image_px / (target.image_mm / 25.4), 1),
        "mode": _MODES[target.kind],
        "polarity": "white = light passes",
        "outside_image": "black (metal or coating)",
        "orientation": (
            "mirrored (flip) as seen from the lamp"
            if target.flip
            else "right-reading as seen from the lamp"
        ),
        "keystone": None,
        "changes": changes,
        "warnings": warnings,
    }
    if target.keystone is not None:
        tilt, beam = target.keystone
        info["keystone"] = {
            "tilt_deg": tilt,
            "beam_deg": beam,
            "top_width_change_percent": round(keystone.top_width_change(tilt, beam), 2),
        }
    return Made(target, info, seen)


def write_gobo(made: Made, out_dir: Path) -> None:
    """The artwork and its manifest in `out_dir`; a one-colour gobo with no shape (its image
    circle all open or all closed) is refused instead."""
    disc = made.seen
    if made.target.kind == "steel":  # the grid scaled up smoothly
        canvas_px, image_px = made.info["pixels"][0], made.info["image_diameter_px"]
        disc = gobo.stencil_image(disc.square, canvas_px, image_px)
    if made.target.kind != "colour":
        _check_open(disc.square)
    path = out_dir / made.info["file"]
    write_png(path, disc.square, dpi=made.info["dpi"], canvas=(disc.canvas_px, disc.offset))
    write_json(out_dir / f"gobo-{made.target.key}.json", made.info)


def write_preview(
    made: Made, drawing: Drawing, where: gobo.Placement, lamp: str, out_dir: Path
) -> bytes:
    """The gobo's light on the pavement (a one-colour gobo's in the `lamp` colour) in
    `out_dir`, and as PNG."""
    audience = _audience(made.seen, made.target, drawing, where)
    light = audience if made.target.kind == "colour" else preview.in_colour(audience, lamp)
    shown = encode_png(preview.projected(light))
    write_atomically(out_dir / f"preview-{made.target.key}.png", shown)
    return shown


def _check_open(square: np.ndarray) -> None:
    """Refuse a gobo with no shape: its image circle all open, or all closed."""
    side = square.shape[0]
    share = float(np.count_nonzero(square)) / (math.pi * side * side / 4)
    if share < _ALL_CLOSED:
        raise RejectedDrawing("blank: nothing of the drawing would pass light through the gobo")
    if share > _ALL_OPEN:
        raise RejectedDrawing("no shape to show: the gobo would be open across its whole image")


def _audience(
    disc: gobo.Disc, target: GoboTarget, drawing: Drawing, where: gobo.Placement
) -> np.ndarray:
    """The gobo's light at preview size as seen on the ground: a keystoned gobo's picture
    lands undistorted, so it is shown from a plain rendering; a flip is undone."""
    size = preview.PREVIEW_PX
    if target.keystone is not None:
        return plain_audience(drawing, where, target)
    side = round(disc.square.shape[0] * size / disc.canvas_px)
    square = disc.square.view(np.uint8) * 255 if disc.square.dtype == bool else disc.square
    small = gobo.Disc(shrink(square, (side, side)), size, (size - side) // 2).canvas()
    return small[:, ::-1].copy() if target.flip else small


def plain_audience(drawing: Drawing, where: gobo.Placement, target: GoboTarget) -> np.ndarray:
    """The drawing's light at preview size through a plain gobo of the target's kind."""
    plain = replace(target, keystone=None, flip=False)
    size = preview.PREVIEW_PX
    image_px = size * plain.image_mm / plain.outer_mm
    matrix = gobo.canvas_matrix(plain, size, image_px, where)
    source = drawing.colour if target.kind == "colour" else drawing.light
    return gobo.render(source, matrix, size, image_px).canvas()
