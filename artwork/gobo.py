"""Gobo artwork from a cleaned drawing: placement in the disc, kinds, steel bridges.

Positive artwork: white = light passes. The drawing's ink is what lights up,
so on a steel gobo the strokes are cut out of the metal and everything a
stroke encloses (a face, the inside of an O) is an island that must be tied
to the plate. That topology work runs on a grid of about 0.1 mm cells and is
scaled up, so a 4700 px disc costs little more than a 900 px one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from artwork import keystone, morph
from artwork.cleanup import INK_FLOOR, channel_max, channel_min
from artwork.settings import Settings
from artwork.targets import GoboTarget

_MARGIN = 0.98  # the drawing's farthest ink sits at 98 % of the image radius
_PLAIN_BEAM = 30.0  # any beam works without keystone: the scale cancels out


@dataclass(frozen=True)
class Placement:
    """Where the ink lies in the cleaned image: centre and farthest ink distance (px)."""

    cx: float
    cy: float
    radius: float


# Ink strength for each value of a pixel's darkest channel (the same float32 steps
# per pixel would give): a table lookup instead of float work on the whole image.
_ALPHA_OF_MIN = np.clip(
    (1.0 - np.arange(256, dtype=np.float32) / 255.0) / INK_FLOOR, 0.0, 1.0
).astype(np.float32)


def ink_alpha(cleaned: Image.Image) -> np.ndarray:
    """Ink strength 0..1 read back from the cleaned image (ink is >= INK_FLOOR dark)."""
    return _ALPHA_OF_MIN[channel_min(np.asarray(cleaned.convert("RGB")))]


def light_colours(cleaned: Image.Image, inked: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The colour each stroke lets through: its hue at full brightness; black and grey -> white.

    For the inked pixels only (`inked`: flat indices, `alpha`: their ink strength > 0),
    as an N x 3 array; paper passes no light anyway.
    """
    rgb = np.asarray(cleaned.convert("RGB")).reshape(-1, 3)[inked]
    ink = np.clip(1.0 - (1.0 - rgb.astype(np.float32) / 255.0) / alpha[:, None], 0.0, 1.0)
    peak = channel_max(ink)[:, None]
    return np.where(peak > 0.08, ink / np.maximum(peak, 1e-3), np.float32(1.0))


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
    scale = keystone.fit_scale(tilt, beam, _MARGIN)
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


# ---- steel ---------------------------------------------------------------------------


@dataclass
class SteelResult:
    open: np.ndarray  # bool grid, True = cut out (light passes)
    changes: list[dict]


def steel_pitch(target: GoboTarget, settings: Settings) -> float:
    """Grid cell in mm: a third of the finest rule, coarse enough to stay fast."""
    return max(min(settings.min_bridge_mm, settings.min_feature_mm) / 3, target.outer_mm / 1100)


def make_steel(open_: np.ndarray, pitch_mm: float, settings: Settings) -> SteelResult:
    """Make a cuttable stencil: drop specks, fix thin features, bridge every island."""
    changes: list[dict] = []
    area = pitch_mm * pitch_mm
    feature = max(1, math.ceil(settings.min_feature_mm / pitch_mm - 0.02))
    r = math.ceil((feature - 1) / 2)
    open_ = open_.copy()

    labels, count = morph.label(open_)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    tiny = sizes < feature * feature
    tiny[0] = False
    if tiny.any():
        open_ &= ~tiny[labels]
        changes.append({"change": "specks removed", "count": int(tiny.sum()),
                        "below_mm2": round(feature * feature * area, 3)})
    if r:
        thin = open_ & ~morph.opening(open_, r)
        if thin.any():
            widened = morph.dilate(thin, r) & ~open_
            open_ |= widened
            changes.append({"change": "features thickened", "count": morph.label(thin)[1],
                            "to_mm": round((2 * r + 1) * pitch_mm, 3),
                            "area_mm2": round(float(widened.sum()) * area, 2)})
        metal = ~open_
        thin_metal = metal & ~morph.opening(metal, r)
        if thin_metal.any():
            open_ |= thin_metal
            changes.append({"change": "metal lines thinner than the minimum dropped",
                            "count": morph.label(thin_metal)[1],
                            "below_mm": round(feature * pitch_mm, 3),
                            "area_mm2": round(float(thin_metal.sum()) * area, 2)})
    bridges: list[dict] = []
    dropped = 0
    for _ in range(4):
        labels, count = morph.label(~open_)
        if count <= 1:
            break
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        plate = labels[0, 0]
        width = max(1, math.ceil(settings.min_bridge_mm / pitch_mm - 0.02))
        small = sizes < (2 * width) ** 2
        small[[0, plate]] = False
        if small.any():  # too small to hold with a bridge: let the light through
            dropped += int(small.sum())
            open_ |= small[labels]
            continue
        added, found = _bridge(labels, count, open_, pitch_mm, width)
        open_ &= ~added
        bridges.extend(found)
    if dropped:
        changes.append({"change": "metal islands too small to hold dropped", "count": dropped})
    if bridges:
        changes.append({"change": "bridges added", "count": len(bridges),
                        "min_width_mm": settings.min_bridge_mm,
                        "total_length_mm": round(sum(b["length_mm"] for b in bridges), 2),
                        "bridges": bridges})
    return SteelResult(open_, changes)


def _bridge(
    labels: np.ndarray, count: int, open_: np.ndarray, pitch: float, width: int
) -> tuple[np.ndarray, list[dict]]:
    """Tie all metal pieces together with the least cutting: grow every piece through
    the openings at once, take the cheapest meeting point of each pair of pieces,
    and join them along a minimum spanning tree."""
    h, w = labels.shape
    owner, dist, came = _grow(labels, open_)
    owner2, dist2 = owner.reshape(h, w), dist.reshape(h, w)
    candidates = []
    for a_own, b_own, a_dist, b_dist, a_idx, b_idx in (
        (owner2[:, :-1], owner2[:, 1:], dist2[:, :-1], dist2[:, 1:], 0, 1),
        (owner2[:-1], owner2[1:], dist2[:-1], dist2[1:], 0, w),
    ):
        meet = (a_own > 0) & (b_own > 0) & (a_own != b_own)
        ys, xs = np.divmod(np.flatnonzero(meet), meet.shape[1])
        p = ys * w + xs
        cost = a_dist[meet] + b_dist[meet] + 1
        candidates.append((a_own[meet], b_own[meet], cost, p + a_idx, p + b_idx))
    la, lb, cost, pa, pb = (np.concatenate(c) for c in zip(*candidates, strict=True))
    order = np.argsort(cost, kind="stable")
    parent = list(range(count + 1))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    path = np.zeros(h * w, bool)
    found: list[dict] = []
    joined = 1
    for i in order:
        ra, rb = find(int(la[i])), find(int(lb[i]))
        if ra == rb:
            continue
        parent[max(ra, rb)] = min(ra, rb)
        cells = _trace(int(pa[i]), came, dist) + _trace(int(pb[i]), came, dist)
        path[cells] = True
        ys, xs = np.divmod(np.array(cells), w)
        found.append({
            "at_mm": [round((float(xs.mean()) - w / 2) * pitch, 2),
                      round((h / 2 - float(ys.mean())) * pitch, 2)],
            "length_mm": round(len(cells) * pitch, 2),
            "width_mm": round((2 * math.ceil((width - 1) / 2) + 1) * pitch, 2),
        })
        joined += 1
        if joined == count:
            break
    added = morph.dilate(path.reshape(h, w), math.ceil((width - 1) / 2))
    return added, found


def _grow(labels: np.ndarray, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first growth of every metal piece through open cells (4-neighbours)."""
    h, w = labels.shape
    n = h * w
    owner = labels.ravel().copy()
    passable = open_.ravel()
    dist = np.where(owner > 0, 0, -1).astype(np.int32)
    came = np.full(n, -1, np.int64)
    # Only metal cells beside an opening can grow: the plate's inside is skipped (the
    # order of the remaining cells, and so every tie, is as if it had been scanned).
    near = np.zeros((h, w), bool)
    near[1:] |= open_[:-1]
    near[:-1] |= open_[1:]
    near[:, 1:] |= open_[:, :-1]
    near[:, :-1] |= open_[:, 1:]
    frontier = np.flatnonzero((labels > 0) & near)
    step = 0
    while frontier.size:
        step += 1
        grown = []
        for offset in (-w, w, -1, 1):
            nb = frontier + offset
            ok = (nb >= 0) & (nb < n)
            if offset == -1:
                ok &= frontier % w != 0
            elif offset == 1:
                ok &= frontier % w != w - 1
            src, nb = frontier[ok], nb[ok]
            fresh = passable[nb] & (dist[nb] < 0)
            src, nb = src[fresh], nb[fresh]
            nb, first = np.unique(nb, return_index=True)
            src = src[first]
            dist[nb] = step
            owner[nb] = owner[src]
            came[nb] = src
            grown.append(nb)
        frontier = np.concatenate(grown)
    return owner, dist, came


def _trace(cell: int, came: np.ndarray, dist: np.ndarray) -> list[int]:
    cells = []
    while dist[cell] > 0:
        cells.append(cell)
        cell = int(came[cell])
    return cells


def steel_image(result: SteelResult, canvas_px: int, image_px: float) -> np.ndarray:
    """Scale the grid up smoothly; bilinear + threshold keeps every metal piece joined.

    Only the image circle's square is scaled (outside it all is plate). A bool canvas.
    """
    cells = result.open.shape[0]
    side = math.ceil(image_px)
    offset = (canvas_px - side) // 2
    scale = cells / canvas_px  # grid cells per output pixel
    box = (offset * scale, offset * scale, (offset + side) * scale, (offset + side) * scale)
    grid = Image.fromarray(result.open.astype(np.uint8) * 255)
    return _bits_in_disc(_resized_bits(grid, box, side, 128), canvas_px, offset)
