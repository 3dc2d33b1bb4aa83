"""Gobo artwork on its disc: where the drawing sits, and rendering at the maker's resolution.

Positive artwork: white = light passes. The drawing is placed so its farthest
light sits at 98 % of the image radius, flipped and pre-warped for keystone as
the fixture needs; nothing outside the image circle passes light.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

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


def placement(lit: np.ndarray) -> Placement:
    """`lit`: bool, where the drawing passes light."""
    rows = np.flatnonzero(lit.any(axis=1))
    if rows.size == 0:
        h, w = lit.shape
        return Placement(w / 2, h / 2, max(w, h) / 2)
    cols = np.flatnonzero(lit.any(axis=0))
    cx = (cols[0] + cols[-1] + 1) / 2
    cy = (rows[0] + rows[-1] + 1) / 2
    # A row's farthest ink from the centre is its first or its last: two pixels a row, not
    # the coordinates of every lit pixel (a painting's are 150 MB).
    ink = lit[rows]
    first = ink.argmax(axis=1)
    last = ink.shape[1] - 1 - ink[:, ::-1].argmax(axis=1)
    across = np.maximum(np.abs(first + 0.5 - cx), np.abs(last + 0.5 - cx))
    radius = float(np.sqrt(across**2 + (rows + 0.5 - cy) ** 2).max())
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


@dataclass
class Disc:
    """A gobo's artwork as the square around its image circle, placed at `offset` on a
    black canvas `canvas_px` wide. Only the square is kept: outside it all is black."""

    square: np.ndarray  # bool (1-bit), uint8 (grey) or uint8 RGB; black outside the circle
    canvas_px: int
    offset: int

    def canvas(self) -> np.ndarray:
        """The whole canvas (for small ones: previews, tests)."""
        out = np.zeros((self.canvas_px, self.canvas_px, *self.square.shape[2:]),
                       self.square.dtype)
        side = self.square.shape[0]
        out[self.offset : self.offset + side, self.offset : self.offset + side] = self.square
        return out


def render(source: np.ndarray, matrix: np.ndarray, canvas_px: int, image_px: float) -> Disc:
    """Warp `source` (uint8 grey or RGB) onto the disc; nothing outside the image circle.
    Only the circle's square is made, straight into one array."""
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    m = _square_matrix(matrix, offset)
    zoom = 1.0 / math.hypot(m[0, 0], m[1, 0])  # output px per source px
    if zoom < 0.5:  # shrink first by area so thin strokes are averaged, not skipped
        factor = int(1 / zoom)
        source = cv2.resize(source, None, fx=1 / factor, fy=1 / factor,
                            interpolation=cv2.INTER_AREA)
        m = np.diag([1 / factor, 1 / factor, 1.0]) @ m
    # OpenCV samples at whole pixels, the matrix maps continuous coordinates: shift by half.
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    m = np.linalg.inv(half) @ m @ half
    square = cv2.warpPerspective(source, m, (side, side),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    # Black outside the circle, in place (numpy's broadcast over an RGB disc's channels took 86 ms).
    outside = np.logical_not(_disc_mask(side)).view(np.uint8)
    cv2.bitwise_and(square, (0, 0, 0, 0), dst=square, mask=outside)
    return Disc(square, canvas_px, offset)


def render_bits(
    source: np.ndarray, matrix: np.ndarray, canvas_px: int, image_px: float, threshold: int
) -> Disc:
    """`render` of a grey picture in 1 bit: light (True) where it is above `threshold`.
    Without keystone, resized tile by tile, skipping tiles of plain black."""
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    m = _square_matrix(matrix, offset)
    if not _affine(m):  # (render leaves nothing outside the image circle)
        warped = render(source, matrix, canvas_px, image_px).square
        return Disc(warped > threshold, canvas_px, offset)
    padded, box, flip_x, flip_y = _affine_box(source, m, side)
    bits = _resized_bits(padded, box, side, threshold)
    flip = (slice(None, None, -1 if flip_y else 1), slice(None, None, -1 if flip_x else 1))
    bits &= _disc_mask(side)[flip]  # in place: the circle as the unflipped bits lie
    return Disc(np.ascontiguousarray(bits[flip]), canvas_px, offset)


def _square_matrix(matrix: np.ndarray, offset: int) -> np.ndarray:
    """`matrix` for pixels of the image circle's square (its corner at `offset`)."""
    m = matrix @ np.array([[1, 0, offset], [0, 1, offset], [0, 0, 1]], float)
    return m / m[2, 2]


def _affine(m: np.ndarray) -> bool:
    return bool(m[0, 1] == m[1, 0] == m[2, 0] == m[2, 1] == 0)


def _affine_box(
    source: np.ndarray, m: np.ndarray, side: int
) -> tuple[np.ndarray, tuple[float, float, float, float], bool, bool]:
    """The affine case (no keystone) as a separable resize of a box of `source` (padded
    with black where the box reaches past it), then mirrored as `m` says."""
    height, width = source.shape
    xs = sorted((float(m[0, 2]), float(m[0, 0] * side + m[0, 2])))
    ys = sorted((float(m[1, 2]), float(m[1, 1] * side + m[1, 2])))
    pad = [max(0, math.ceil(-xs[0])), max(0, math.ceil(-ys[0])),
           max(0, math.ceil(xs[1] - width)), max(0, math.ceil(ys[1] - height))]
    if any(pad):
        left, top, right, bottom = pad
        source = cv2.copyMakeBorder(source, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    box = (xs[0] + pad[0], ys[0] + pad[1], xs[1] + pad[0], ys[1] + pad[1])
    return source, box, bool(m[0, 0] < 0), bool(m[1, 1] < 0)


def _resized_bits(
    values: np.ndarray, box: tuple[float, float, float, float], side: int, threshold: int
) -> np.ndarray:
    """Pillow's resize of grey `values` to (side, side), BILINEAR, box=box, > threshold,
    tile by tile: a tile whose source pixels (with the filter's reach) are all at or below
    the threshold stays dark without being resized - bilinear never overshoots its inputs,
    and most of a drawing is paper."""
    source = Image.fromarray(values)  # the array's own memory, not a copy
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


def _draw_disc(side: int) -> Image.Image:
    disc = Image.new("L", (side, side), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, side - 1, side - 1), fill=255)
    return disc


@functools.lru_cache(maxsize=4)
def _disc_mask(side: int) -> np.ndarray:
    """The image circle as a read-only bool array."""
    mask = np.asarray(_draw_disc(side)) > 127
    mask.flags.writeable = False
    return mask


def stencil_image(open_: np.ndarray, canvas_px: int, image_px: float) -> Disc:
    """A steel stencil's grid scaled up smoothly (bilinear + threshold keeps every metal
    piece joined); only the image circle's square is scaled, outside it all is plate."""
    cells = open_.shape[0]
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    scale = cells / canvas_px  # grid cells per output pixel
    box = (offset * scale, offset * scale, (offset + side) * scale, (offset + side) * scale)
    grid = open_.view(np.uint8) * np.uint8(255)
    bits = _resized_bits(grid, box, side, 128)
    bits &= _disc_mask(side)
    return Disc(bits, canvas_px, offset)
