"""A squared sheet photographed at a slant, seen square-on again (artwork.slant).

The grid is drawn through a known perspective; its true lines, mapped by the view that
square_on returns, must run along the axes at an even spacing.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from artwork.slant import square_on

SPACING = 26
SIDE = 1040


def _slanted(corners: list[list[float]], families: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Thin grid lines of a square sheet (SIDE px, a line every SPACING px) as a camera at a
    slant sees them in a 900 x 700 picture; and the perspective that put them there."""
    square = np.float32([[0, 0], [SIDE, 0], [SIDE, SIDE], [0, SIDE]])
    matrix = cv2.getPerspectiveTransform(square, np.float32(corners))
    picture = np.zeros((700, 900), np.uint8)
    for at in range(0, SIDE + 1, SPACING):
        ends = [((0, at), (SIDE, at)), ((at, 0), (at, SIDE))][:families]
        for a, b in ends:
            (pa, pb) = cv2.perspectiveTransform(np.float32([[a, b]]), matrix)[0]
            cv2.line(picture, tuple(np.round(pa).astype(int)), tuple(np.round(pb).astype(int)), 1)
    return picture, matrix


def _through(view: np.ndarray, matrix: np.ndarray, points: list[tuple[int, int]]) -> np.ndarray:
    on_sheet = np.float32([points])
    in_picture = cv2.perspectiveTransform(on_sheet, matrix)
    return cv2.perspectiveTransform(in_picture, view)[0]


def test_a_slanted_grid_is_seen_square_on() -> None:
    # Photographed from below and a little to the side: the lines close in towards the top.
    picture, matrix = _slanted([[40, -60], [860, -20], [1050, 820], [-160, 780]])
    view = square_on(picture)
    assert view is not None
    ats = range(0, SIDE, SPACING)
    rows = np.array([_through(view, matrix, [(0, at), (SIDE, at)]) for at in ats])
    cols = np.array([_through(view, matrix, [(at, 0), (at, SIDE)]) for at in ats])
    for lines, axis in ((rows, 0), (cols, 1)):
        run = lines[:, 1] - lines[:, 0]
        turned = np.degrees(np.arctan2(run[:, 1 - axis], run[:, axis]))
        assert np.abs(turned).max() < 0.5  # parallel to the axis
        places = lines[:, 0, 1 - axis]  # where each line crosses the other axis
        gaps = np.diff(places)
        assert gaps.std() < 0.03 * abs(gaps.mean())  # evenly spaced


def test_a_grid_seen_square_on_already_or_lines_one_way_give_no_view() -> None:
    straight, _ = _slanted([[-60, -170], [980, -170], [980, 870], [-60, 870]])
    assert square_on(straight) is None  # parallel already: the grid finder sees it as it is
    ruled, _ = _slanted([[40, -60], [860, -20], [1050, 820], [-160, 780]], families=1)
    assert square_on(ruled) is None  # one family (ruled paper) is no grid
    assert square_on(np.zeros((700, 900), np.uint8)) is None
    # Ruled lines and a child's three long strokes side by side, each in pieces: three
    # lines, not a family of printed ones.
    for x in (250, 420, 640):
        for y in range(0, 700, 170):
            top, bottom = (x + (y - 350) * 0.08, y), (x + (y + 150 - 350) * 0.08, y + 150)
            cv2.line(ruled, tuple(map(round, top)), tuple(map(round, bottom)), 1)
    assert square_on(ruled) is None
    turned = math.radians(3)  # nor is a grid merely turned
    c, s = math.cos(turned), math.sin(turned)
    corners = [[450 + c * x - s * y, 350 + s * x + c * y] for x, y in
               [(-520, -520), (520, -520), (520, 520), (-520, 520)]]
    assert square_on(_slanted(corners)[0]) is None
