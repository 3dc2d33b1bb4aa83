"""Folds: a sheet that was folded shows a crease, a soft grey valley of shadow straight across
it, in the photo.

Found on the small copy among the marks. A fold is fainter than ink and of no colour of
its own, ruler-straight, and it runs across the sheet from edge to edge (where the drawing
covers it, it is hidden); a line a child draws wobbles, or stops short of an edge, or is
darker. The strokes that cross it stay: its removal (printed.Lines) takes only what is no
darker than the fold.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from artwork.paper import channel_max, channel_min
from artwork.printed import Line, refit

_WIDE = 3  # small-copy px: a band at least this wide
_MAX_HALF_WIDTH = 16  # a crease is no wider than twice this
_MAX_DARKNESS = 0.35  # a crease's shadow is fainter than this at its deepest
_MAX_CHROMA = 0.08  # ... and grey
_MIN_SPAN = 0.3  # of its length across the sheet, the band shows along this much ...
_ENDS = 0.05  # ... and reaches this close to the sheet's edge at both ends
_FRAME = 0.03  # a line this close to a side of the picture along it is an edge, not a fold
_STRAIGHT = 1.0  # small-copy px: how far its middle may wander along it (a hand wobbles more)

_Placed = tuple[tuple[float, float], float]  # a line: its unit normal and offset


def find_folds(
    flat: np.ndarray, dark: np.ndarray, marks: np.ndarray, sheet: np.ndarray
) -> list[Line]:
    """Folds among `marks` of the small copy (`flat`: on white paper, `dark`: its darkness,
    `sheet`: where the sheet is)."""
    h, w = marks.shape
    grey = cv2.subtract(channel_max(flat), channel_min(flat)) < round(255 * _MAX_CHROMA)
    wide = cv2.morphologyEx(marks.view(np.uint8), cv2.MORPH_OPEN, np.ones((_WIDE,) * 2, np.uint8))
    band = wide.view(bool) & grey & (dark < round(255 * _MAX_DARKNESS))
    # Where a fold may run, found at half size (a fold is long and wide), measured at full.
    segments = cv2.HoughLinesP(
        band[::2, ::2].view(np.uint8) * 255,
        1,
        math.pi / 360,
        threshold=int(0.05 * min(h, w)),
        minLineLength=int(0.06 * min(h, w)),  # a fold shows between drawing and edge
        maxLineGap=int(0.01 * max(h, w)),
    )
    if segments is None:
        return []
    segments = segments * 2
    ys, xs = np.nonzero(band)
    folds: list[Line] = []
    tried: list[_Placed] = []  # lines measured, fold or not
    for x1, y1, x2, y2 in segments.reshape(-1, 4).astype(np.float64):
        angle = math.atan2(y2 - y1, x2 - x1) % math.pi
        normal = (-math.sin(angle), math.cos(angle))
        offset = normal[0] * x1 + normal[1] * y1
        if any(_same((normal, offset), other) for other in tried):
            continue  # another piece of a line already measured
        fitted = refit(normal, offset, xs, ys, _MAX_HALF_WIDTH)
        if any(_same(fitted, other) for other in tried):
            continue
        tried.append(fitted)
        fold = _measure(*fitted, xs, ys, flat, sheet)
        if fold is not None:
            folds.append(fold)
    return folds


def _same(a: _Placed, b: _Placed) -> bool:
    """Two pieces of one line (a Hough segment each side of the drawing, or along a band)."""
    (anx, any_), a_offset = a
    (bnx, bny), b_offset = b
    parallel = anx * bnx + any_ * bny
    return abs(parallel) > 0.9995 and abs(a_offset * np.sign(parallel) - b_offset) < 8


def _measure(
    normal: tuple[float, float],
    offset: float,
    xs: np.ndarray,
    ys: np.ndarray,
    flat: np.ndarray,
    sheet: np.ndarray,
) -> Line | None:
    """The band along the (fitted) line, if it is a fold: across the sheet, not too wide,
    straight."""
    nx, ny = normal
    side = xs * nx + ys * ny - offset
    near = np.abs(side) <= _MAX_HALF_WIDTH
    if near.sum() < 50:
        return None
    side, xs, ys = side[near], xs[near], ys[near]
    along = np.round(xs * -ny + ys * nx).astype(np.int64)
    # Its middle every 8 px along it: a fold's stays on one straight line (where a stroke
    # runs beside it, the middle moves: half of the places may).
    bins = (along - along.min()) // 8
    order = np.lexsort((side, bins))
    count = np.bincount(bins)
    count = count[count > 0]
    middles = side[order][np.cumsum(count) - count + count // 2]  # each bin's median
    if float(np.median(np.abs(middles))) > _STRAIGHT:
        return None
    start, end = _across(sheet, normal, offset)
    length = end - start
    if _along_the_frame(normal, offset, (start, end), sheet.shape):
        return None  # the photo's rim or a strip of table: printed.find_lines' edges
    if (
        np.unique(along).size < _MIN_SPAN * length
        or along.min() - start > _ENDS * length
        or end - along.max() > _ENDS * length
    ):
        return None
    half = float(np.percentile(np.abs(side), 95))
    colour = np.median(flat[ys, xs], axis=0) / 255
    return Line(normal, offset, half, (float(colour[0]), float(colour[1]), float(colour[2])))


def _across(sheet: np.ndarray, normal: tuple[float, float], offset: float) -> tuple[float, float]:
    """Where the line enters and leaves the sheet, as positions along it."""
    h, w = sheet.shape
    nx, ny = normal
    reach = math.hypot(h, w)
    t = np.arange(-reach, reach)
    x = np.round(nx * offset - ny * t).astype(np.int64)
    y = np.round(ny * offset + nx * t).astype(np.int64)
    within = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    on = np.zeros(t.size, bool)
    on[within] = sheet[y[within], x[within]]
    if not on.any():
        return 0.0, 0.0
    return float(t[on][0]), float(t[on][-1])


def _along_the_frame(
    normal: tuple[float, float], offset: float, ends: tuple[float, float], shape: tuple[int, int]
) -> bool:
    """Both ends of the line within _FRAME of the same side of the picture."""
    h, w = shape
    nx, ny = normal
    xs = [nx * offset - ny * t for t in ends]
    ys = [ny * offset + nx * t for t in ends]
    near_x, near_y = _FRAME * w, _FRAME * h
    return (
        max(xs) < near_x or min(xs) > w - near_x or max(ys) < near_y or min(ys) > h - near_y
    )
