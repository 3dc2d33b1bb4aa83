"""Cleanup: from a phone photo or scan to the child's marks, in their own colours, on white.

Every global decision is made on a small copy: where the sheet is (table and
fingers out, straightened when its four edges show), the paper's light (divided
out, which also white-balances), which long straight lines are printed or are the
sheet's edges (ruled and margin lines, a strip of table), and where the drawing
lies. The crop around the drawing is then taken from the full photo at the
resolution the gobo needs, and its marks found there against the paper around
them. A mark is never dropped for sitting in a shadow or touching an edge:
only specks, printed lines and what is off the sheet are support.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from artwork import printed
from artwork.folds import find_folds
from artwork.grid import find_grid
from artwork.paper import Paper, candidates, darkness, find_paper, flatten, small_copy, square
from artwork.sheet import find_fingers, find_sheet, lab_of


class NoDrawing(Exception):
    """Nothing that looks like a mark on the paper."""


_HIDDEN_PAPER = 0.5  # less plain paper than this in the picture: thin lines may hide it
_UNDER_FINGER = 115  # under a finger only a stroke at least this dark (0..255) is a mark


@dataclass
class Cleaned:
    image: np.ndarray  # uint8 RGB: the marks in their colours, support pure white
    paper_share: float  # of the sheet, plain paper showing (small for a painting)
    darkness: np.ndarray  # uint8: paper.darkness of `image` (0 on its white)
    changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Thresholds:
    low: int  # a mark is at least this dark (0..255) ...
    high: int  # ... and somewhere this dark


@dataclass(frozen=True)
class Photo:
    """A photo to clean: its small copy now, the full picture only once it is needed (it may
    still be decoding meanwhile)."""

    small: np.ndarray  # paper.small_copy of the full picture, or as near as a decoder gives
    full: Callable[[], np.ndarray]  # RGB uint8, upright, handed over

    @classmethod
    def of(cls, rgb: np.ndarray) -> Photo:
        """`rgb`, handed over: the cleanup lets go of it as soon as it has its crop."""
        held = [rgb]
        return cls(small_copy(rgb), held.pop)


def clean_drawing(source: Photo, needed_px: float) -> Cleaned:
    """`needed_px`: the drawing's diagonal the gobo needs."""
    changes: list[dict] = []
    small = source.small
    photo: np.ndarray | None = None
    # Any mark counts, however small its share: a doodle in a corner is a drawing.
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    if int(grey.max()) - int(grey.min()) < 12:
        raise NoDrawing("the picture is one flat colour")
    view, seen = _paper_view(small)
    lab = lab_of(view)
    sheet = find_sheet(lab, seen)
    changes += sheet.changes
    # A second core finds the fingers while the paper's light is found, and printed lines
    # while squared paper's grid and the folds are (OpenCV lets go of the GIL).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-cleanup") as helper:
        on_sheet = helper.submit(find_fingers, lab, seen, sheet.inside)
        del lab
        inside = sheet.inside
        if sheet.corners:
            photo = source.full()
            photo = _straighten(photo, sheet.corners, photo.shape[1] / small.shape[1])
            small = small_copy(photo)
            view, seen = _paper_view(small)
            inside = cv2.erode(np.ones(seen.shape, np.uint8), square(2), borderValue=0).astype(bool)
        paper = find_paper(view, inside, seen)
        del view
        fingers, told = on_sheet.result()
        changes += told
        if sheet.corners:  # straightened: the sheet fills the picture
            fingers = np.zeros_like(inside)
        limits = _thresholds(paper)
        flat = flatten(small, paper.light)
        dark = darkness(flat)
        zone = inside.view(np.uint8) * 2 - (inside & fingers).view(np.uint8)
        marks = _hysteresis(dark, limits) & (dark > _mark_floor(zone, limits.low))
        # Squared paper's grid first: the rest is looked for among what it leaves. Most pages
        # have none: the printed lines are looked for among all marks meanwhile.
        among_all = helper.submit(printed.find_lines, flat, marks, paper.light)
        lines = printed.Lines()
        lines.add("squared paper's lines removed", find_grid(flat, marks))
        if lines.found:
            left = marks & ~lines.removal(flat, marks)
            folds = helper.submit(find_folds, flat, dark, left, inside)
            lines.merge(printed.find_lines(flat, left, paper.light))
            lines.add("folds removed", folds.result())
        else:
            found_folds = find_folds(flat, dark, marks, inside)
            lines.merge(among_all.result())
            lines.add("folds removed", found_folds)
    changes += lines.changes
    marks &= ~lines.removal(flat, marks)
    marks, specks = _without_specks(marks, dark, inside)
    if specks:
        changes.append({"change": "specks removed", "count": specks})
    if not marks.any():
        raise NoDrawing
    box = _crop_box(marks)
    # Which marks are the drawing is settled on the small copy; the full picture gives
    # them their shape, within a pixel of where the small copy found them (zones 3 to 5).
    zone += 3 * cv2.dilate(marks.view(np.uint8), square(1))
    if photo is None:
        photo = source.full()
    work, light, zone = _working_copy(photo, small.shape, box, paper.light, zone, needed_px)
    full_width = photo.shape[1]
    del photo  # handed over: the crop is all that is needed now
    flat = flatten(work, light)
    work_size = [work.shape[1], work.shape[0]]
    del work, light
    dark = darkness(flat)
    candidates_ = dark > _mark_floor(zone, limits.low)
    scale = work_size[0] / (box[3] - box[2])
    # The lines are measured on every candidate (the small copy has them out already).
    full = candidates_ & (zone >= 3) & ~lines.removal(flat, candidates_, scale, (box[2], box[0]))
    if not full.any():
        raise NoDrawing
    changes.append(
        {
            "change": "cropped to the drawing",
            "size_px": work_size,
            "scale": round(scale * small.shape[1] / full_width, 3),
        }
    )
    return Cleaned(_on_white(flat, full, dark), paper.share, dark, changes)


def _paper_view(small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The picture the sheet and its paper are found in, and where paper shows in it: `small`
    itself, or where thin printed lines hide most of the paper (squared paper, however it
    was photographed) a copy without them (a median over 7 px)."""
    seen = candidates(small)
    if seen.mean() < _HIDDEN_PAPER:
        smooth = cv2.medianBlur(small, 7)
        seen_smooth = candidates(smooth)
        if seen_smooth.mean() > max(1.5 * seen.mean(), _HIDDEN_PAPER / 2):
            return smooth, seen_smooth
    return small, seen


def _straighten(photo: np.ndarray, corners: list[tuple[float, float]], scale: float) -> np.ndarray:
    quad = np.array(corners, np.float32) * scale
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    height = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(
        photo,
        matrix,
        (round(width), round(height)),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _thresholds(paper: Paper) -> _Thresholds:
    low = max(0.07, 5 * paper.noise)
    high = max(0.16, 10 * paper.noise)
    return _Thresholds(round(255 * min(low, 0.5)), round(255 * min(high, 0.6)))


def _hysteresis(dark: np.ndarray, limits: _Thresholds) -> np.ndarray:
    """Marks: connected regions above `low` that reach `high` somewhere."""
    count, labels = cv2.connectedComponents((dark > limits.low).view(np.uint8), connectivity=8)
    strong = np.zeros(count, bool)
    strong[labels[dark > limits.high]] = True
    strong[0] = False
    return np.take(strong, labels)


def _working_copy(
    photo: np.ndarray,
    small_shape: tuple[int, ...],
    box: tuple[int, int, int, int],
    light: np.ndarray,
    zone: np.ndarray,
    needed_px: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The crop at the resolution the gobo needs (never enlarged), with the paper's light
    and the small copy's uint8 `zone` brought to the same pixels."""
    top, bottom, left, right = box
    scale = photo.shape[1] / small_shape[1]
    crop = photo[
        round(top * scale) : round(bottom * scale), round(left * scale) : round(right * scale)
    ]
    factor = min(1.0, needed_px / math.hypot(*crop.shape[:2]))
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    if factor < 1.0:
        method = cv2.INTER_AREA if factor < 0.5 else cv2.INTER_LINEAR
        crop = cv2.resize(crop, size, interpolation=method)
    else:
        crop = crop.copy()  # not a view: the whole photo can be let go
    part = (slice(top, bottom), slice(left, right))
    light = cv2.resize(light[part], size, interpolation=cv2.INTER_LINEAR)
    zone = cv2.resize(zone[part], size, interpolation=cv2.INTER_NEAREST)
    return crop, light, zone


def _mark_floor(zone: np.ndarray, low: int) -> np.ndarray:
    """How dark a mark must be (more than this, 0..255) in each `zone`: off the sheet (0)
    none can be; under a finger (1) only a dark stroke (a finger and its shadow are soft and
    light; a pencil line running under it is not); on the sheet (2) more than `low`. Zones
    3 to 5 are 0 to 2 near a mark the small copy found."""
    floors = np.full(256, 255, np.uint8)
    floors[[1, 4]] = max(low, _UNDER_FINGER - 1)
    floors[[2, 5]] = low
    return cv2.LUT(zone, floors)


def _without_specks(
    marks: np.ndarray, dark: np.ndarray, on_sheet: np.ndarray
) -> tuple[np.ndarray, int]:
    """Drop dust and paper grain: tiny marks, small faint ones (a child's dot is dark), and
    crumbs at the edge of the sheet or the picture (the last of a table, a shadow's rim)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marks.view(np.uint8), connectivity=8)
    long_edge = max(marks.shape)
    area = stats[:, cv2.CC_STAT_AREA]
    dark_somewhere = np.zeros(count, bool)
    dark_somewhere[labels[dark > 90]] = True
    rim = cv2.dilate((~on_sheet).view(np.uint8), square(round(0.01 * long_edge)), borderValue=1)
    at_rim = np.zeros(count, bool)
    at_rim[labels[rim > 0]] = True
    drop = (
        (area < (0.0012 * long_edge) ** 2)
        | ((area < (0.004 * long_edge) ** 2) & ~dark_somewhere)
        | ((area < (0.008 * long_edge) ** 2) & at_rim)
    )
    drop[0] = False
    return marks & ~np.take(drop, labels), int(drop.sum())


def _crop_box(marks: np.ndarray) -> tuple[int, int, int, int]:
    """top, bottom, left, right around the marks, with a margin of 4 %."""
    rows = np.flatnonzero(marks.any(axis=1))
    cols = np.flatnonzero(marks.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = int(0.04 * max(bottom - top, right - left)) + 2
    h, w = marks.shape
    return (
        max(0, top - margin),
        min(h, bottom + margin),
        max(0, left - margin),
        min(w, right + margin),
    )


def _on_white(flat: np.ndarray, marks: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """The marks in their flattened colours (`flat`, changed in place), the rest white; one
    pixel around each mark is kept too, for its soft edge. `dark`, flat's darkness, is made
    the result's (in place)."""
    keep = cv2.dilate(marks.view(np.uint8), square(1))
    paper = (keep == 0).view(np.uint8)
    cv2.bitwise_and(dark, 0, dst=dark, mask=paper)
    return cv2.bitwise_or(flat, (255, 255, 255, 0), dst=flat, mask=paper)
