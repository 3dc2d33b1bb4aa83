"""What in a photo is not the sheet: the table beyond its straight edges, fingers on it.

A sheet's edge is a straight line with paper on one side and something else
(table, cloth, a second sheet's shadow) between it and the frame, with a step in
colour along most of its length. Anything past such an edge is support; where the
sheet sags or curls away from the fitted line, its edge is followed along it. A curve
is never taken for an edge, so a painted shark that touches the frame stays.
When all four edges are seen the sheet is straightened (its corners are given).
A fingertip is a soft, smooth, skin-coloured blob coming in from the frame.
All on the small copy (paper.ANALYSIS_PX); pure functions of the pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from artwork.paper import square

_EDGE_STEP = 10.0  # Lab distance across a sheet's edge
_MAX_OUTSIDE = 0.45  # past one edge lies at most this share of the picture


@dataclass
class Sheet:
    inside: np.ndarray  # bool: on the sheet (small copy)
    corners: list[tuple[float, float]] | None = None  # TL, TR, BR, BL when all four are seen
    changes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Edge:
    normal: tuple[float, float]  # unit, pointing away from the sheet
    offset: float  # the edge is normal . p = offset


def lab_of(small: np.ndarray) -> np.ndarray:
    """The small copy in Lab as the sheet and the fingers are looked for in (float32, on
    OpenCV's 8-bit scales): made once for both."""
    return cv2.cvtColor(small, cv2.COLOR_RGB2Lab).astype(np.float32)


def find_sheet(lab: np.ndarray, paper: np.ndarray) -> Sheet:
    """`lab`: lab_of the small copy; `paper`: where plain paper shows in it."""
    h, w = paper.shape
    # A column and a row of coordinates: arithmetic on them broadcasts to the whole picture.
    ys, xs = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]
    edges = _sheet_edges(lab, paper, xs, ys)
    inside = np.ones((h, w), bool)
    for edge in edges:  # a little inside the edge: its shadow and a sliver of table go too
        inside &= _on_sheet_side(edge, lab[..., 0], xs, ys) < -0.003 * max(h, w)
    if edges:
        inside &= ~_table_within(lab, paper, inside)
    sheet = Sheet(inside)
    if edges:
        sheet.changes.append(
            {
                "change": "table beyond the sheet's edges removed",
                "edges": len(edges),
                "share_removed": round(1 - float(inside.mean()), 3),
            }
        )
        sheet.corners = _corners(edges, w, h)
        if sheet.corners:
            sheet.changes.append({"change": "sheet straightened"})
    return sheet


def find_fingers(
    lab: np.ndarray, paper: np.ndarray, inside: np.ndarray
) -> tuple[np.ndarray, list[dict]]:
    """Fingers and their shadows over the sheet (`inside`; a dark stroke there stays), and
    the change told when there are any (`lab`: lab_of the small copy)."""
    fingers = _fingers(lab, paper & inside, inside)
    if not fingers.any():
        return fingers, []
    count = cv2.connectedComponents(fingers.astype(np.uint8))[0] - 1
    return fingers, [{"change": "fingers at the frame removed", "count": count}]


def _sheet_edges(lab: np.ndarray, paper: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> list[_Edge]:
    h, w = paper.shape
    # The outline of the paper as a whole, not of every gap in a crayon hatching.
    seen = cv2.morphologyEx(paper.view(np.uint8), cv2.MORPH_CLOSE, square(2))
    seen = cv2.morphologyEx(seen, cv2.MORPH_OPEN, square(3))
    outline = seen - cv2.erode(seen, square(1))
    short = min(h, w)
    found = cv2.HoughLinesP(
        outline * 255,
        1,
        math.pi / 360,
        threshold=int(0.12 * short),
        minLineLength=int(0.25 * short),
        maxLineGap=int(0.03 * max(h, w)),
    )
    if found is None:
        return []
    segments = found.reshape(-1, 4).astype(np.float64)
    segments = segments[np.argsort(-np.hypot(*(segments[:, 2:] - segments[:, :2]).T))]
    tried: list[_Edge] = []
    edges: list[_Edge] = []
    for x1, y1, x2, y2 in segments:
        length = math.hypot(x2 - x1, y2 - y1)
        nx, ny = (y2 - y1) / length, (x1 - x2) / length
        offset = nx * x1 + ny * y1
        for sign in (1.0, -1.0):
            edge = _Edge((sign * nx, sign * ny), sign * offset)
            if any(_same(edge, other, short) for other in tried):
                continue
            tried.append(edge)
            if _is_sheet_edge(edge, lab, paper, xs, ys):
                edges.append(edge)
        if len(tried) >= 24:
            break
    return edges


def _same(a: _Edge, b: _Edge, short: int) -> bool:
    return (
        a.normal[0] * b.normal[0] + a.normal[1] * b.normal[1] > 0.99
        and abs(a.offset - b.offset) < 0.03 * short
    )


def _is_sheet_edge(
    edge: _Edge, lab: np.ndarray, paper: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> bool:
    h, w = paper.shape
    # First the few samples (most lines a Hough transform finds fail here), then the
    # measures over the whole picture.
    if not _steps_across(edge, lab):
        return False
    side = xs * edge.normal[0] + ys * edge.normal[1] - edge.offset
    beyond = side > 1.5
    outside = np.count_nonzero(beyond)
    if outside == 0 or outside / beyond.size > _MAX_OUTSIDE:
        return False
    band = max(4.0, 0.04 * max(h, w))
    near_inside = (side < -1.5) & (side > -band)
    near = np.count_nonzero(near_inside)
    return (
        np.count_nonzero(paper & beyond) / outside <= 0.45
        and near > 0
        and np.count_nonzero(paper & near_inside) / near >= 0.5
    )


def _steps_across(edge: _Edge, lab: np.ndarray) -> bool:
    """A colour step along most of the edge's length: pairs of patches across it sampled."""
    h, w = lab.shape[:2]
    nx, ny = edge.normal
    tx, ty = -ny, nx
    px, py = edge.offset * nx, edge.offset * ny  # the foot of the edge from the origin
    span = math.hypot(w, h)
    step_d = max(3.0, 0.015 * max(h, w))
    steps, tried = 0, 0
    for t in np.arange(-span, span, max(4.0, 0.02 * max(h, w))):
        cx, cy = px + t * tx, py + t * ty
        ix, iy = cx - step_d * nx, cy - step_d * ny
        ox, oy = cx + step_d * nx, cy + step_d * ny
        if not (_within(ix, iy, w, h) and _within(ox, oy, w, h)):
            continue
        tried += 1
        inner, outer = lab[int(iy), int(ix)], lab[int(oy), int(ox)]
        steps += float(np.linalg.norm(inner - outer)) > _EDGE_STEP
    return tried >= 5 and steps >= 0.6 * tried


def _on_sheet_side(
    edge: _Edge, lightness: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Each pixel's distance past the sheet's edge (negative: on the sheet). A sheet's edge
    is seldom quite straight (it curls, it sags): along the fitted line the edge is followed
    where the light steps from paper to table, a stroke crossing it ignored (a median along
    the edge over strokes' widths), within a band of the line."""
    h, w = lightness.shape
    long_edge = max(h, w)
    band = max(3, round(0.03 * long_edge))
    nx, ny = edge.normal
    tx, ty = -ny, nx
    along = xs * tx + ys * ty
    first = math.floor(float(along.min()))
    ts = np.arange(first, math.ceil(float(along.max())) + 1, dtype=np.float32)
    ds = np.arange(-band, band + 1, dtype=np.float32)
    foot_x, foot_y = edge.offset * nx, edge.offset * ny
    map_x = foot_x + ts[:, None] * tx + ds[None, :] * nx
    map_y = foot_y + ts[:, None] * ty + ds[None, :] * ny
    profile = cv2.remap(
        lightness, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0,
    )
    seen = (profile >= 0).all(axis=1)
    side = xs * nx + ys * ny - edge.offset
    if np.count_nonzero(seen) < 0.1 * long_edge:
        return side
    profile = profile[seen]
    reach = round(0.03 * long_edge)
    # The paper's and the table's light on each side, locally (a shadow, a cloth's folds).
    paper = _running_median(np.median(profile[:, : band // 2], axis=1), reach)
    table = _running_median(np.median(profile[:, -(band // 2) :], axis=1), reach)
    # Where the light has gone a quarter of the way from the paper's to the table's (a soft
    # edge's shadow begins there; in the shade a pale cloth is the lighter); where there is
    # no clear step, as where there is.
    towards = np.sign(table - paper)[:, None]
    crossed = (profile - paper[:, None]) * towards > (np.abs(table - paper) / 4)[:, None]
    clear = crossed.any(axis=1) & (np.abs(table - paper) >= 15)
    if np.count_nonzero(clear) < 0.1 * long_edge:
        return side
    where = np.flatnonzero(seen)
    step = crossed.argmax(axis=1)[clear] - band
    found = np.interp(np.arange(ts.size), where[clear], _running_median(step, reach))
    index = np.clip(np.rint(along - first).astype(np.int32), 0, ts.size - 1)
    return side - np.take(found, index)


def _running_median(values: np.ndarray, reach: int) -> np.ndarray:
    padded = np.pad(values, reach, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1), axis=1)


def _table_within(lab: np.ndarray, paper: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Table that reaches past a straight edge fitted to a sheet that is not quite straight:
    not paper, the table's colour, and joined to the table beyond the edge."""
    table = np.median(lab[~inside], axis=0)
    off = cv2.subtract(lab, (*table.tolist(), 0.0))
    # Nearer than 18 in Lab (the sums are exact: Lab is whole, the median whole or a half).
    near = cv2.transform(cv2.multiply(off, off), np.ones((1, 3))) < 18**2
    like = ~paper & near
    count, labels = cv2.connectedComponents((like | ~inside).view(np.uint8), connectivity=8)
    beyond = np.zeros(count, bool)
    beyond[labels[~inside]] = True
    beyond[0] = False
    return np.take(beyond, labels) & inside


def _within(x: float, y: float, w: int, h: int) -> bool:
    return 0 <= x < w and 0 <= y < h


def _corners(edges: list[_Edge], w: int, h: int) -> list[tuple[float, float]] | None:
    """The four corners when one edge faces each way (up, right, down, left)."""
    facing = {}
    for edge in edges:
        nx, ny = edge.normal
        key = (
            ("left", "right")[int(nx > 0)] if abs(nx) > abs(ny) else ("top", "bottom")[int(ny > 0)]
        )
        if key in facing:
            return None
        facing[key] = edge
    if len(facing) != 4:
        return None
    order = [("top", "left"), ("top", "right"), ("bottom", "right"), ("bottom", "left")]
    corners = [_meet(facing[a], facing[b]) for a, b in order]
    if any(p is None for p in corners):
        return None
    return [p for p in corners if p is not None]


def _meet(a: _Edge, b: _Edge) -> tuple[float, float] | None:
    matrix = np.array([a.normal, b.normal])
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    x, y = np.linalg.solve(matrix, np.array([a.offset, b.offset]))
    return float(x), float(y)


def _fingers(lab: np.ndarray, paper: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Smooth, skin-coloured blobs that come in from the frame, with their soft shadow.

    Not on a covered sheet (a painting): there a smooth skin-coloured area is paint."""
    h, w = paper.shape
    if paper.mean() < 0.2:
        return np.zeros((h, w), bool)
    light, a, b = lab[..., 0], lab[..., 1] - 128, lab[..., 2] - 128
    skin = (a > 6) & (b > 2) & (a < 40) & (b < 45) & inside
    blob = cv2.morphologyEx(skin.view(np.uint8), cv2.MORPH_OPEN, square(3))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=8)
    grain = cv2.morphologyEx(light, cv2.MORPH_GRADIENT, square(1))
    out = np.zeros((h, w), np.uint8)
    for k in range(1, count):
        x, y, bw, bh, area = stats[k]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        # A finger is out of focus and smooth inside; crayon and paper grain are not.
        if touches and 0.002 * h * w < area < 0.12 * h * w and np.median(grain[labels == k]) < 8:
            out[labels == k] = 1
    reach = max(2, round(0.015 * max(h, w)))
    return cv2.dilate(out, square(reach)).view(bool)
