"""A steel gobo a maker can cut, and that holds: on a grid of a quarter of the finest rule.

Rules (settings, confirmed with the maker): every opening and every metal line at
least `min_feature_mm` wide, every bridge at least `min_bridge_mm`, and the metal
one piece through necks no narrower than the minimum. So the metal's pieces are
what is left joined when it is thinned by half the minimum on each side; every
piece but the plate is tied to its neighbour by a bridge where that cuts the least
light (a neck that is too thin is such a place: a bridge there widens it).
Which side gives way where both are too thin follows the drawing: in line work
the light is the drawing (thin strokes are thickened, thin gaps between them
close); in a coloured-in drawing or a painting the dark lines are (thin ones are
widened, slivers of light between them close).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from artwork.groups import Groups
from artwork.settings import Settings

_SMALL_SHAPE_MM2 = 4.0  # a shape smaller than this is fine detail (an eye, a letter) ...
_SMALL_PIECE_MM2 = 80.0  # a piece of metal this small (an eye) is tied to a large one
_DETAIL_MM = 0.15  # ... if it is at least this wide each way (smaller ones are grain)


@dataclass
class Stencil:
    open: np.ndarray  # bool grid, True = cut out (light passes)
    pitch_mm: float
    changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def grid_pitch(settings: Settings) -> float:
    """A quarter of the finest rule: a minimum width is four cells or more."""
    return min(settings.min_bridge_mm, settings.min_feature_mm) / 4


def make_stencil(open_: np.ndarray, pitch_mm: float, settings: Settings, style: str) -> Stencil:
    """`open_`: the light on the grid (True = open), metal outside the image circle."""
    feature = max(2, math.ceil(settings.min_feature_mm / pitch_mm - 0.01))
    bridge = max(feature, math.ceil(settings.min_bridge_mm / pitch_mm - 0.01))
    # Beyond the light and a ring of plate round it nothing changes: the rest of the grid
    # (most of it, past the image circle and around a drawing's shape) is left out.
    part = _around(open_, 2 * (bridge + feature))
    stencil = Stencil(open_[part].copy(), pitch_mm)
    before = _small_shapes(stencil.open, pitch_mm, style)
    _drop_specks(stencil, feature)
    drawn_in_light = style == "lines"  # else the drawing is in its dark lines
    _widen_thin(stencil, feature, light=drawn_in_light)
    _close_thin(stencil, feature, light=not drawn_in_light)
    _tie_pieces(stencil, feature, bridge)
    if not drawn_in_light:  # what widening had no room for (a line's tapering end)
        _close_thin(stencil, feature, light=False)
    _drop_loose_metal(stencil)
    _report_detail(stencil, before, style)
    whole = np.zeros_like(open_)
    whole[part] = stencil.open
    stencil.open = whole
    return stencil


def _around(open_: np.ndarray, ring: int) -> tuple[slice, slice]:
    """The part of the grid with every open cell and `ring` cells round them, cut alike from
    opposite sides: the grid's centre, where bridges are measured from, stays its centre."""
    part = []
    for across in (1, 0):  # rows, then columns
        used = np.flatnonzero(open_.any(axis=across))
        size = open_.shape[1 - across]
        cut = max(0, min(used[0], size - 1 - used[-1]) - ring) if used.size else 0
        part.append(slice(cut, size - cut))
    return part[0], part[1]


def _disc(diameter: int) -> np.ndarray:
    """A disc a cell wider than `diameter`: an odd size sits centred, and a narrow neck at
    an angle to the grid cannot slip through a shape only that wide along the axes."""
    side = diameter + 1 + diameter % 2
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


def _area_mm2(cells: int, pitch: float) -> float:
    return round(cells * pitch * pitch, 2)


def _drop_specks(stencil: Stencil, feature: int) -> None:
    """Openings and metal islands too small to cut at all go (into metal, into light)."""
    for light in (True, False):
        mask = stencil.open if light else ~stencil.open
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=4)
        tiny = stats[:, cv2.CC_STAT_AREA] < feature * feature
        tiny[0] = False
        if not light:
            tiny[labels[0, 0]] = False  # the plate
        if tiny.any():
            stencil.open ^= np.take(tiny, labels)
            stencil.changes.append(
                {
                    "change": "specks removed" if light else "metal specks dropped",
                    "count": int(tiny.sum()),
                    "below_mm2": round(feature * feature * stencil.pitch_mm**2, 3),
                }
            )


def _drop_loose_metal(stencil: Stencil) -> None:
    """Slivers of metal the plate does not hold (too small to be a piece, or touching it only
    at a corner) would fall out of the cut: they let the light through instead."""
    _, labels = cv2.connectedComponents((~stencil.open).view(np.uint8), connectivity=4)
    loose = (labels != labels[0, 0]) & ~stencil.open
    if loose.any():
        stencil.open |= loose
        stencil.changes.append(
            {
                "change": "loose slivers of metal opened",
                "count": cv2.connectedComponents(loose.view(np.uint8))[0] - 1,
                "area_mm2": _area_mm2(int(loose.sum()), stencil.pitch_mm),
            }
        )


def _thin(mask: np.ndarray, feature: int) -> np.ndarray:
    """Parts of `mask` narrower than `feature` cells."""
    opened = cv2.morphologyEx(mask.view(np.uint8), cv2.MORPH_OPEN, _disc(feature))
    return mask & ~opened.view(bool)


def _widen_thin(stencil: Stencil, feature: int, light: bool) -> None:
    """Thin strokes of light (or lines of metal) widened to the minimum."""
    mask = stencil.open if light else ~stencil.open
    thin = _thin(mask, feature)
    if not thin.any():
        return
    grown = cv2.dilate(thin.view(np.uint8), _disc(feature)).view(bool) & ~mask
    if light:
        stencil.open |= grown
    else:
        stencil.open &= ~grown
    stencil.changes.append(
        {
            "change": "thin strokes thickened" if light else "thin metal lines widened",
            "count": cv2.connectedComponents(thin.view(np.uint8))[0] - 1,
            "to_mm": round(feature * stencil.pitch_mm, 3),
            "area_mm2": _area_mm2(int(grown.sum()), stencil.pitch_mm),
        }
    )


def _close_thin(stencil: Stencil, feature: int, light: bool) -> None:
    """What is still too thin after widening (it had no room) goes to the other side."""
    mask = stencil.open if light else ~stencil.open
    thin = _thin(mask, feature)
    if not thin.any():
        return
    stencil.open ^= thin
    stencil.changes.append(
        {
            "change": "slivers of light closed"
            if light
            else "gaps of metal too thin to cut opened",
            "count": cv2.connectedComponents(thin.view(np.uint8))[0] - 1,
            "area_mm2": _area_mm2(int(thin.sum()), stencil.pitch_mm),
        }
    )


def _tie_pieces(stencil: Stencil, feature: int, bridge: int) -> None:
    """Bridges until the metal thinned by half the minimum on each side is one piece."""
    bridges: list[dict] = []
    dropped = 0
    for _ in range(4):
        core = cv2.erode((~stencil.open).view(np.uint8), _disc(feature), borderValue=1)
        count, pieces = cv2.connectedComponents(core, connectivity=4)
        if count <= 2:
            break
        plate = pieces[0, 0]
        sizes = np.bincount(pieces.ravel(), minlength=count)
        # A piece too small to take a bridge lets its light through instead.
        small = sizes < bridge * bridge
        small[[0, plate]] = False
        if small.any():
            dropped += int(small.sum())
            grown = cv2.dilate(np.take(small, pieces).view(np.uint8), _disc(feature)).view(bool)
            stencil.open |= grown & _metal_of(stencil.open, pieces, small, feature)
            continue
        path, found = _bridges(pieces, sizes, stencil.pitch_mm, bridge)
        stencil.open &= ~cv2.dilate(path.view(np.uint8), _disc(bridge)).view(bool)
        bridges += found
    if dropped:
        stencil.changes.append(
            {"change": "metal islands too small to hold opened", "count": dropped}
        )
    if bridges:
        stencil.changes.append(
            {
                "change": "bridges added",
                "count": len(bridges),
                "width_mm": round(bridge * stencil.pitch_mm, 3),
                "total_length_mm": round(sum(b["length_mm"] for b in bridges), 2),
                "bridges": bridges,
            }
        )


def _metal_of(
    open_: np.ndarray, pieces: np.ndarray, chosen: np.ndarray, feature: int
) -> np.ndarray:
    """The metal around the chosen pieces' cores (the core grown back by the erosion)."""
    grown = cv2.dilate(np.take(chosen, pieces).view(np.uint8), _disc(feature)).view(bool)
    return grown & ~open_


def _bridges(
    pieces: np.ndarray, sizes: np.ndarray, pitch: float, width: int
) -> tuple[np.ndarray, list[dict]]:
    """Tie all pieces together with the least light cut: grow every piece at once over
    the grid, take the cheapest meeting of each pair, join along a minimum spanning tree.
    `sizes`: each piece's cells."""
    h, w = pieces.shape
    count = sizes.size
    owner, dist, source = _grow(pieces)
    owner2, dist2 = owner.reshape(h, w), dist.reshape(h, w)
    candidates = []
    for a_own, b_own, a_dist, b_dist, step in (
        (owner2[:, :-1], owner2[:, 1:], dist2[:, :-1], dist2[:, 1:], 1),
        (owner2[:-1], owner2[1:], dist2[:-1], dist2[1:], w),
    ):
        meet = (a_own > 0) & (b_own > 0) & (a_own != b_own)
        ys, xs = np.divmod(np.flatnonzero(meet), meet.shape[1])
        at = ys * w + xs
        candidates.append(
            (a_own[meet], b_own[meet], a_dist[meet] + b_dist[meet] + 1, at, at + step)
        )
    la, lb, cost, pa, pb = (np.concatenate(c) for c in zip(*candidates, strict=True))
    # Small pieces (eyes, the inside of letters) are tied to something large, never to each
    # other: a bar from eye to eye reads as spectacles.
    small = sizes < _SMALL_PIECE_MM2 / pitch**2
    small[pieces[0, 0]] = False
    cost = np.where(small[la] & small[lb], cost * 4, cost)
    order = np.argsort(cost, kind="stable")
    # Only a pair's cheapest meeting can join it: the rest are skipped before the loop.
    pair = np.minimum(la, lb).astype(np.int64) * count + np.maximum(la, lb)
    order = order[np.sort(np.unique(pair[order], return_index=True)[1])]
    groups = Groups(count)
    path = np.zeros((h, w), np.uint8)
    found: list[dict] = []
    for i in order:
        ra, rb = groups.find(int(la[i])), groups.find(int(lb[i]))
        if ra == rb:
            continue
        groups.join(min(ra, rb), max(ra, rb))
        # Straight from the cell of one piece the meeting grew from to that of the other: a
        # bridge as a maker cuts it, not the grid's staircase.
        (ya, xa), (yb, xb) = (divmod(int(source[p]), w) for p in (pa[i], pb[i]))
        cv2.line(path, (xa, ya), (xb, yb), 1, 1)
        length = math.hypot(xb - xa, yb - ya) - 1  # the cells between the two pieces
        found.append(
            {
                "at_mm": [
                    round(((xa + xb) / 2 - w / 2) * pitch, 2),
                    round((h / 2 - (ya + yb) / 2) * pitch, 2),
                ],
                "length_mm": round((length + width) * pitch, 2),
                "width_mm": round(width * pitch, 2),
            }
        )
        if len(found) == count - 2:
            break
    return path.view(bool), found


def _grow(pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every piece grown over the rest of the grid at once (4-neighbour steps): each cell's
    nearest piece, how many steps away, and which cell of that piece it grew from (flat)."""
    piece_cells = np.flatnonzero(pieces.ravel())
    dist, nearest = cv2.distanceTransformWithLabels(
        (pieces == 0).view(np.uint8), cv2.DIST_L1, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    source = piece_cells[nearest.ravel() - 1]  # piece cells are labelled in raster order
    return pieces.ravel()[source], dist.ravel().astype(np.int32), source


def _small_shapes(open_: np.ndarray, pitch: float, style: str) -> np.ndarray:
    """The drawing's fine detail as a label grid: the small shapes it encloses, which steel
    fills first: the paper inside an O or an eye in line work (metal islands), the white of
    an eye or a gap between lines in a coloured-in drawing or a painting (openings)."""
    mask = ~open_ if style == "lines" else open_
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=4)
    least = _DETAIL_MM / pitch
    small = (
        (stats[:, cv2.CC_STAT_AREA] < _SMALL_SHAPE_MM2 / (pitch * pitch))
        & (stats[:, cv2.CC_STAT_WIDTH] >= least)
        & (stats[:, cv2.CC_STAT_HEIGHT] >= least)
    )
    small[0] = False
    small[labels[0, 0]] = False  # the plate
    return np.take(np.where(small, np.arange(count), 0), labels)


def _report_detail(stencil: Stencil, before: np.ndarray, style: str) -> None:
    """How many of the small enclosed shapes kept most of their area; warn when steel
    fills most of them (small writing and doodles become blobs)."""
    side = ~stencil.open if style == "lines" else stencil.open
    area = np.bincount(before.ravel())
    shapes = np.flatnonzero(area[1:]) + 1
    if not shapes.size:
        return
    kept = np.bincount(before[side & (before > 0)], minlength=area.size)
    lost = int((kept[shapes] < area[shapes] / 2).sum())
    filled = float((area[shapes] - kept[shapes]).sum()) * stencil.pitch_mm**2
    stencil.changes.append(
        {
            "change": "fine detail filled",
            "small_shapes": int(shapes.size),
            "filled": lost,
            "area_mm2": round(filled, 2),
        }
    )
    if lost >= 10 and lost > 0.6 * shapes.size:
        stencil.warnings.append(
            f"steel fills {lost} of {shapes.size} small shapes of this drawing (the inside of "
            "letters and eyes, gaps between lines): glass keeps them"
        )
