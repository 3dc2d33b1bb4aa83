"""Gobo artwork on its disc: where the drawing sits, and rendering at the maker's resolution.

Positive artwork: white = light passes. The drawing is placed so its farthest
light sits at 98 % of the image radius, flipped and pre-warped for keystone as
the fixture needs; nothing outside the image circle passes light.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from artwork import keystone
from artwork.targets import GoboTarget

MARGIN = 0.98  # the drawing's farthest ink sits at 98 % of the image radius
_PLAIN_BEAM = 30.0  # any beam works without keystone: the scale cancels out


@dataclass(frozen=True)
class Placement:
    """Where the ink lies in the cleaned image: centre and farthest ink distance (px)."""

    cx: float
    cy: float
    radius: float


def placement(alpha: np.ndarray) -> Placement:
    ys, xs = np.divmod(np.flatnonzero(alpha > 0.5), alpha.shape[1])
    if xs.size == 0:
        h, w = alpha.shape
        return Placement(w / 2, h / 2, max(w, h) / 2)
    cx = (xs.min() + xs.max() + 1) / 2
    cy = (ys.min() + ys.max() + 1) / 2
    step = max(1, xs.size // 50_000)
    radius = float(np.sqrt(((xs[::step] + 0.5 - cx) ** 2 + (ys[::step] + 0.5 - cy) ** 2).max()))
    return Placement(float(cx), float(cy), max(radius, 1.0))


def canvas_matrix(
    target: GoboTarget, canvas_px: int, image_px: float, where: Placement
) -> np.ndarray:
    """3x3 map from a canvas pixel to a cleaned-image pixel (flip, keystone, scale, centre)."""
    tilt, beam = target.keystone if target.keystone else (0.0, _PLAIN_BEAM)
    half = math.tan(math.radians(beam) / 2)
    centre, radius = canvas_px / 2, image_px / 2
    mirror = -1.0 if target.flip else 1.0
    to_gobo = np.array(  # canvas px -> (u, v), v up, tangent units
        [[mirror * half / radius, 0, -mirror * half * centre / radius],
         [0, -half / radius, half * centre / radius],
         [0, 0, 1]]
    )
    scale = keystone.fit_scale(tilt, beam, MARGIN)
    lift = math.tan(math.radians(tilt))
    to_picture = np.array(  # surface -> cleaned px (picture y down)
        [[where.radius / scale, 0, where.cx],
         [0, -where.radius / scale, where.cy + lift * where.radius / scale],
         [0, 0, 1]]
    )
    return to_picture @ keystone.gobo_to_surface(tilt) @ to_gobo


def render(
    source: Image.Image, matrix: np.ndarray, canvas_px: int, image_px: float
) -> Image.Image:
    """Warp `source` (L or RGB) onto a black canvas; nothing outside the image circle."""
    square, offset = _square(source, matrix, canvas_px, image_px)
    return _in_disc(square, canvas_px, offset)


def render_bits(
    source: Image.Image, matrix: np.ndarray, canvas_px: int, image_px: float, threshold: int
) -> np.ndarray:
    """`render` of an L source as a bool canvas: light (True) where it is above `threshold`."""
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    m = _square_matrix(matrix, offset)
    if _affine(m):
        padded, box, flip_x, flip_y = _affine_box(source, m, side)
        bits = _resized_bits(padded, box, side, threshold)
        bits = bits[::-1 if flip_y else 1, ::-1 if flip_x else 1]
    else:
        square, _ = _square(source, matrix, canvas_px, image_px)
        bits = np.asarray(square) > threshold
    return _bits_in_disc(bits, canvas_px, offset)


def _square_matrix(matrix: np.ndarray, offset: int) -> np.ndarray:
    """`matrix` for pixels of the image circle's square (its corner at `offset`)."""
    m = matrix @ np.array([[1, 0, offset], [0, 1, offset], [0, 0, 1]], float)
    return m / m[2, 2]


def _affine(m: np.ndarray) -> bool:
    return bool(m[0, 1] == m[1, 0] == m[2, 0] == m[2, 1] == 0)


def _square(
    source: Image.Image, matrix: np.ndarray, canvas_px: int, image_px: float
) -> tuple[Image.Image, int]:
    """Only the image circle's square is rendered; the rest of the disc is plain black."""
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    m = _square_matrix(matrix, offset)
    if _affine(m):
        return _scaled(source, m, side), offset
    zoom = 1.0 / math.hypot(m[0, 0], m[1, 0])  # output px per source px
    if zoom < 0.5:  # shrink first by area so thin strokes are averaged, not skipped
        factor = int(1 / zoom)
        source = source.reduce(factor)
        m = np.diag([1 / factor, 1 / factor, 1.0]) @ m
    coeffs = tuple(float(c) for c in m.ravel()[:8])
    square = source.transform(
        (side, side), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
        fillcolor=0,
    )
    return square, offset


def _affine_box(
    source: Image.Image, m: np.ndarray, side: int
) -> tuple[Image.Image, tuple[float, float, float, float], bool, bool]:
    """The affine case (no keystone) as a separable resize of a box of `source` (padded
    with black where the box reaches past it), then mirrored as `m` says."""
    xs = sorted((float(m[0, 2]), float(m[0, 0] * side + m[0, 2])))
    ys = sorted((float(m[1, 2]), float(m[1, 1] * side + m[1, 2])))
    pad = [max(0, math.ceil(-xs[0])), max(0, math.ceil(-ys[0])),
           max(0, math.ceil(xs[1] - source.width)), max(0, math.ceil(ys[1] - source.height))]
    if any(pad):
        source = ImageOps.expand(source, tuple(pad), fill=0)
    box = (xs[0] + pad[0], ys[0] + pad[1], xs[1] + pad[0], ys[1] + pad[1])
    return source, box, bool(m[0, 0] < 0), bool(m[1, 1] < 0)


def _scaled(source: Image.Image, m: np.ndarray, side: int) -> Image.Image:
    """The affine case as a resize: several times faster than a general transform."""
    source, box, flip_x, flip_y = _affine_box(source, m, side)
    out = source.resize((side, side), Image.Resampling.BILINEAR, box=box)
    if flip_x:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if flip_y:
        out = out.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return out


def _resized_bits(
    source: Image.Image, box: tuple[float, float, float, float], side: int, threshold: int
) -> np.ndarray:
    """source.resize((side, side), BILINEAR, box=box) > threshold, tile by tile: a tile
    whose source pixels (with the filter's reach) are all at or below the threshold
    stays dark without being resized - bilinear never overshoots its inputs, and most
    of a drawing is paper."""
    values = np.asarray(source)
    x0, y0, x1, y1 = box
    sx, sy = (x1 - x0) / side, (y1 - y0) / side
    reach = math.ceil(max(sx, sy, 1.0)) + 2  # source pixels a tile's filter can touch
    out = np.zeros((side, side), bool)
    for top in range(0, side, _TILE):
        bottom = min(side, top + _TILE)
        rows = slice(max(0, int(y0 + top * sy) - reach), int(y0 + bottom * sy) + reach + 1)
        for left in range(0, side, _TILE):
            right = min(side, left + _TILE)
            cols = slice(max(0, int(x0 + left * sx) - reach), int(x0 + right * sx) + reach + 1)
            if values[rows, cols].max(initial=0) <= threshold:
                continue
            tile = source.resize(
                (right - left, bottom - top), Image.Resampling.BILINEAR,
                box=(x0 + left * sx, y0 + top * sy, x0 + right * sx, y0 + bottom * sy),
            )
            np.greater(np.asarray(tile), threshold, out=out[top:bottom, left:right])
    return out


_TILE = 256  # output pixels per side of a tile of a big 1-bit resize


def _in_disc(square: Image.Image, canvas_px: int, offset: int) -> Image.Image:
    """Black out the square's corners (outside the image circle) and centre it on the canvas."""
    canvas = Image.new(square.mode, (canvas_px, canvas_px), 0)
    canvas.paste(square, (offset, offset), _disc(square.width))
    return canvas


def _bits_in_disc(bits: np.ndarray, canvas_px: int, offset: int) -> np.ndarray:
    """`_in_disc` for a bool square, in numpy: Pillow keeps 1-bit images at a byte per
    pixel and its 1-bit paths (point, paste, PNG packing) cost more than the resize."""
    side = bits.shape[0]
    canvas = np.zeros((canvas_px, canvas_px), bool)
    inside = canvas[offset : offset + side, offset : offset + side]
    np.logical_and(bits, _disc_mask(side), out=inside)
    return canvas


def _draw_disc(side: int) -> Image.Image:
    disc = Image.new("L", (side, side), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, side - 1, side - 1), fill=255)
    return disc


_disc = functools.lru_cache(maxsize=4)(_draw_disc)


@functools.lru_cache(maxsize=4)
def _disc_mask(side: int) -> np.ndarray:
    """The same disc as a read-only bool array (not via _disc: no second copy kept)."""
    mask = np.asarray(_draw_disc(side)) > 127
    mask.flags.writeable = False
    return mask


def stencil_image(open_: np.ndarray, canvas_px: int, image_px: float) -> np.ndarray:
    """A steel stencil's grid scaled up smoothly (bilinear + threshold keeps every metal
    piece joined); only the image circle's square is scaled, outside it all is plate."""
    cells = open_.shape[0]
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    scale = cells / canvas_px  # grid cells per output pixel
    box = (offset * scale, offset * scale, (offset + side) * scale, (offset + side) * scale)
    grid = Image.fromarray(open_.astype(np.uint8) * 255)
    return _bits_in_disc(_resized_bits(grid, box, side, 128), canvas_px, offset)
