"""A sheet photographed at a slant, seen square-on again from its printed lines alone.

A squared sheet's lines are two families of straight lines; in a photo taken at a slant
each family closes in on a vanishing point (a projective map keeps lines straight). The
map that sends both points to infinity and turns the families to the picture's axes
shows the grid square-on: parallel lines at an even spacing, as the grid finder wants
them. Needed where no edge of the sheet is in sight to straighten it by.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_MIN_LINES = 6  # lines of a family that meet at its vanishing point, at least
_AGREE = math.cos(math.radians(0.7))  # a line points at its family's point within this
_CONVERGE = 0.01  # a square's size changes by this share across the picture: a slant
_TRIES = 200  # pairs of lines tried for a vanishing point


def square_on(thin: np.ndarray) -> np.ndarray | None:
    """The projective map (3 x 3, on pixel coordinates, to about pixel scale) under which the
    two families of long straight lines among `thin` marks are parallel to the axes; None
    when there are no such families, or when they are parallel already."""
    h, w = thin.shape
    # Looked for at half size (every 2 x 2 block with a mark marked): a sheet of printed lines
    # is a hundred thousand points, and long lines need no fine ones.
    pooled = thin[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
    short, long_ = min(pooled.shape), max(pooled.shape)
    segments = cv2.HoughLinesP(
        pooled.view(np.uint8) * 255,
        1,
        math.pi / 360,
        threshold=int(0.1 * short),
        minLineLength=int(0.15 * short),
        maxLineGap=max(1, int(0.01 * long_)),
    )
    if segments is None:
        return None
    segments = segments * 2.0 + 0.5  # the blocks' centres, in the picture's pixels
    # Coordinates about the centre, a half long edge as the unit: well-conditioned products.
    half = max(h, w) / 2
    to_unit = np.array([[1 / half, 0, -w / 2 / half], [0, 1 / half, -h / 2 / half], [0, 0, 1]])
    ends = segments.reshape(-1, 4).astype(np.float64)
    starts = np.c_[ends[:, :2], np.ones(len(ends))] @ to_unit.T
    stops = np.c_[ends[:, 2:], np.ones(len(ends))] @ to_unit.T
    lines = np.cross(starts, stops)
    lines /= np.hypot(lines[:, 0], lines[:, 1])[:, None]
    middles = (starts[:, :2] + stops[:, :2]) / 2
    along = stops[:, :2] - starts[:, :2]
    along /= np.hypot(along[:, 0], along[:, 1])[:, None]
    steep = np.abs(along[:, 1]) > np.abs(along[:, 0])
    points = []
    for family in (~steep, steep):
        point = _vanishing_point(lines[family], middles[family], along[family], 4 / half)
        if point is None:
            return None
        points.append(point)
    horizon = np.cross(points[0], points[1])  # the line through both: sent to infinity
    if abs(horizon[2]) < 1e-9 * np.abs(horizon).max(initial=1e-300):
        return None  # it crosses the picture's centre: no sheet seen like that
    horizon /= horizon[2]
    corners = np.array([[x, y, 1.0] for x in (-w / 2, w / 2) for y in (-h / 2, h / 2)]) / [
        half, half, 1.0
    ]
    depth = corners @ horizon
    if depth.min() <= 0.25 or depth.max() / depth.min() < 1 + _CONVERGE:
        return None  # beside the picture, or so far away that the lines are parallel
    flatten = np.array([[1.0, 0, 0], [0, 1.0, 0], horizon])
    # Sent to infinity, each vanishing point is its family's direction: turned to an axis.
    directions = []
    for point, axis in zip(points, (0, 1), strict=True):
        direction = (flatten @ point)[:2]
        direction /= math.hypot(*direction) * (1 if direction[axis] >= 0 else -1)
        directions.append(direction)
    across = np.column_stack(directions)
    if abs(np.linalg.det(across)) < 0.5:  # the families cross at under 30 degrees: no grid
        return None
    turn = np.eye(3)
    turn[:2, :2] = np.linalg.inv(across)
    return np.diag([half, half, 1.0]) @ turn @ flatten @ to_unit


def _vanishing_point(
    lines: np.ndarray, middles: np.ndarray, along: np.ndarray, apart: float
) -> np.ndarray | None:
    """Where most of the segments meet (homogeneous; at infinity for parallel ones), if at
    least _MIN_LINES lines do (segments `apart` or more from each other, a stroke's pieces
    count once): the best of pairs' meeting points, then fitted to all that agree.
    `lines`: the segments' lines, homogeneous with unit normals; their middles; their unit
    directions."""
    count = len(lines)
    if count < _MIN_LINES:
        return None
    pairs = np.random.default_rng(0).integers(0, count, (_TRIES, 2))
    best = np.zeros(count, bool)
    for first, second in pairs:
        if first != second:
            agree = _agreeing(np.cross(lines[first], lines[second]), middles, along)
            if agree.sum() > best.sum():
                best = agree
    # Each line's offset from the centre, its normal turned one way (the family's lines
    # all lie alike): pieces of one line share it.
    normals = lines[best, :2]
    main = np.abs(normals).argmax(axis=1)
    facing = np.sign(normals[np.arange(main.size), main])
    offsets = np.sort(lines[best, 2] * facing)
    if 1 + np.count_nonzero(np.diff(offsets) > apart) < _MIN_LINES:
        return None
    return np.linalg.svd(lines[best])[2][-1]  # the point nearest all their lines


def _agreeing(point: np.ndarray, middles: np.ndarray, along: np.ndarray) -> np.ndarray:
    """Segments that point at `point` (homogeneous) from their middles."""
    towards = point[:2] - middles * point[2]
    length = np.hypot(towards[:, 0], towards[:, 1])
    cosine = np.abs((towards * along).sum(axis=1)) / np.maximum(length, 1e-300)
    return (length > 0) & (cosine >= _AGREE)
