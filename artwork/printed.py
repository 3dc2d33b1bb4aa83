"""Long straight lines that are not the child's: ruled and margin lines, the sheet's edges.

Found on the small copy among the marks (Hough segments merged into lines).
A line is support when it is
- ruled: one of three or more parallel lines at an even spacing (steadily changing, seen
  at a slant; a line of the ruling that a drawn stroke hides is filled in), or a margin:
  one printed-straight line across most of the sheet, parallel to its side;
- an edge: along the frame (a strip of table or the photo's border), or where
  the paper's light steps from one side of it to the other (a second sheet, a fold).
A hand-drawn line wobbles, stands alone and has the same paper on both sides, so
it stays. Removal keeps strokes that cross: only pixels no darker than the line
itself are taken, and never where marks continue on both sides of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

_MIN_SPAN = 0.2  # of the picture's short side: shorter lines are never support
_FRAME_BAND = 0.03  # an edge line lies this close to the frame
_WIDER = 4  # small-copy px: a mark this wide is no printed line
_STEADY = 0.5  # ruled lines' gaps this near the typical one show how their spacing changes


@dataclass(frozen=True)
class Line:
    normal: tuple[float, float]  # unit normal; points p on the line have normal . p = offset
    offset: float
    half_width: float  # small-copy pixels
    colour: tuple[float, float, float]  # its typical colour on white paper, 0..1
    to_frame: int = 0  # +1/-1: also clear the strip between the line and the frame that way


@dataclass
class Lines:
    found: list[Line] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)

    def add(self, change: str, lines: list[Line]) -> None:
        """`lines` are support too: removed, and told as `change` with their count."""
        if lines:
            self.found += lines
            self.changes.append({"change": change, "count": len(lines)})

    def merge(self, other: Lines) -> None:
        self.found += other.found
        self.changes += other.changes

    def removal(
        self,
        flat: np.ndarray,
        marks: np.ndarray,
        scale: float = 1.0,
        origin: tuple[float, float] = (0.0, 0.0),
    ) -> np.ndarray:
        """Pixels of `marks` (`flat`: the picture on white paper) that belong to the lines,
        in a picture `scale` times the small copy whose top-left is at `origin` (small px)."""
        h, w = marks.shape
        if not self.found:
            return np.zeros((h, w), bool)
        marked = marks.view(np.uint8)
        reach = 2.0 * (h + w) / scale
        geometry = [self._ends(line, reach, scale, origin) for line in self.found]
        # Marks off every line, and marks too wide to be one: a stroke that continues on both
        # sides of a line is kept there (where two printed lines cross, neither protects the
        # other; a crayon stroke along one of a grid's lines still protects the next).
        every_band = np.zeros((h, w), np.uint8)
        for line, ends in zip(self.found, geometry, strict=True):
            self._draw_band(every_band, line, ends, scale)
        side = _WIDER * max(1, round(scale)) + 1
        wide = cv2.morphologyEx(marked, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
        others = marked & ((1 - every_band) | wide)
        del every_band, wide
        out = np.zeros((h, w), np.uint8)
        for line, ends in zip(self.found, geometry, strict=True):
            step = round((line.half_width + 3.0) * scale)
            # Only the rectangle around the band (and a step beyond it) is looked at: a sheet
            # of squared paper has a hundred lines.
            window = self._window(line, ends, scale, (h, w), step)
            if window is None:
                continue
            rows, cols = window
            corner = np.array([cols.start, rows.start], np.float64)
            band = self._draw_band(
                np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.uint8),
                line, (ends[0] - corner, ends[1] - corner), scale,
            )
            taken = band & marked[rows, cols]
            at = taken > 0
            if not at.any():
                continue
            # The line's colour at this resolution, from the band's pixels that look like it
            # (most of a printed line's band; a fold's crosses paint too).
            band_rgb = flat[rows, cols][at]
            alike = _like(band_rgb, line.colour, loose=bool(line.to_frame)) > 0
            sample = band_rgb[alike] if alike.any() else band_rgb
            colour = tuple(float(c) for c in np.median(sample, axis=0) / 255)
            taken[at] = _like(band_rgb, colour, loose=bool(line.to_frame))
            near = others[rows, cols]
            across = _shift(near, line.normal, step) & _shift(near, line.normal, -step)
            out[rows, cols] |= taken & (1 - across)
            if line.to_frame:  # the strip beyond it, but not coloured ink reaching the frame
                away = np.array(line.normal) * line.to_frame * reach * scale
                polygon = np.array([ends[0], ends[1], ends[1] + away, ends[0] + away])
                strip = np.zeros((h, w), np.uint8)
                cv2.fillPoly(strip, [np.round(polygon).astype(np.int32)], 1)
                strip &= marked
                strip[strip > 0] = _like(flat[strip > 0], colour, loose=True)
                out |= strip
        return out.view(bool)

    @staticmethod
    def _ends(
        line: Line, reach: float, scale: float, origin: tuple[float, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Two far points of the line, in the picture's pixels."""
        nx, ny = line.normal
        foot = np.array([nx * line.offset - origin[0], ny * line.offset - origin[1]])
        along = np.array([-ny, nx]) * reach
        return (foot + along) * scale, (foot - along) * scale

    @staticmethod
    def _window(
        line: Line,
        ends: tuple[np.ndarray, np.ndarray],
        scale: float,
        shape: tuple[int, int],
        pad: int,
    ) -> tuple[slice, slice] | None:
        """Rows and columns of the picture around the line's band, `pad` more each way."""
        h, w = shape
        inside, a, b = cv2.clipLine((0, 0, w, h), _point(ends[0]), _point(ends[1]))
        if not inside:
            return None
        margin = round((line.half_width + 1) * scale) + pad + 1
        top, bottom = min(a[1], b[1]) - margin, max(a[1], b[1]) + margin + 1
        left, right = min(a[0], b[0]) - margin, max(a[0], b[0]) + margin + 1
        return slice(max(0, top), min(h, bottom)), slice(max(0, left), min(w, right))

    @staticmethod
    def _draw_band(
        into: np.ndarray, line: Line, ends: tuple[np.ndarray, np.ndarray], scale: float
    ) -> np.ndarray:
        thickness = max(1, round((2 * line.half_width + 2) * scale))
        cv2.line(into, _point(ends[0]), _point(ends[1]), 1, thickness)
        return into


def _like(rgb: np.ndarray, colour: tuple[float, float, float], loose: bool) -> np.ndarray:
    """1 where a pixel (N x 3 uint8) could be the line: its hue, no more colourful than
    twice the line and no darker than it by much (a stroke along or across it is kept).
    `loose`: an edge at the frame, whose darkness varies (table, shadow): colour only."""
    pixel = rgb.astype(np.float32) / 255
    line = np.array(colour, np.float32)
    line_chroma = float(line.max() - line.min())
    chroma = pixel.max(axis=1) - pixel.min(axis=1)
    alike = chroma < 2 * line_chroma + 0.1
    if line_chroma > 0.1:  # a coloured line: a stroke of another hue crossing it stays
        alike &= _hue_distance(pixel, line) < 40
    if not loose:
        line_dark = 1 - float(line.min())
        alike &= (1 - pixel.min(axis=1)) - line_dark < max(0.15, 0.8 * line_dark)
    return alike.astype(np.uint8)


def _hue_distance(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Degrees between each pixel's hue and the colour's (N x 3 and 3, 0..1)."""
    hues = cv2.cvtColor(np.vstack([pixels, colour[None]])[None], cv2.COLOR_RGB2HSV)[0, :, 0]
    difference = np.abs(hues[:-1] - hues[-1])
    return np.minimum(difference, 360 - difference)


def refit(
    normal: tuple[float, float], offset: float, xs: np.ndarray, ys: np.ndarray, reach: float
) -> tuple[tuple[float, float], float]:
    """The line through the middle of the marks (xs, ys) within `reach` of the line (normal,
    offset), fitted twice: the second time to what lies within half that of the first fit."""
    for within in (reach, reach / 2):
        nx, ny = normal
        side = xs * nx + ys * ny - offset
        near = np.abs(side) <= within
        if near.sum() < 50:
            break
        along, across = xs[near] * -ny + ys[near] * nx, side[near]
        centred = along - along.mean()
        slope = float(np.dot(centred, across - across.mean()) / max(np.dot(centred, centred), 1e-9))
        shift = float(across.mean() - slope * along.mean())
        # side = slope * along + shift on the band: p . (n - slope * d) = offset + shift
        mx, my = nx + slope * ny, ny - slope * nx
        size = math.hypot(mx, my)
        normal, offset = (mx / size, my / size), (offset + shift) / size
    return normal, offset


def _point(p: np.ndarray) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def find_lines(flat: np.ndarray, marks: np.ndarray, light: np.ndarray) -> Lines:
    """Support lines among `marks` of the small copy (`flat`: on white paper, `light`: the
    paper's light)."""
    h, w = marks.shape
    # Only thin marks can be printed lines or edges: a painted area is opened away.
    thin = marks.view(np.uint8) & (
        1 - cv2.morphologyEx(marks.view(np.uint8), cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    )
    segments = cv2.HoughLinesP(
        thin * 255,
        1,
        math.pi / 720,
        threshold=int(0.1 * min(h, w)),
        minLineLength=int(_MIN_SPAN * min(h, w)),
        maxLineGap=int(0.01 * max(h, w)),
    )
    result = Lines()
    if segments is None:
        return result
    pixels = _Pixels(marks, flat)
    measured = [m for m in (_measure(c, pixels, h, w) for c in _merge(segments, h, w)) if m]
    ruled, hidden = _ruled(measured)
    edges = [m for m in measured if m not in ruled and _is_edge(m, light, h, w)]
    margins = [m for m in measured if m not in ruled and m not in edges and _is_margin(m)]
    for kind, group in (
        ("ruled lines removed", [m.line for m in ruled] + hidden),
        ("sheet edges removed", [m.line for m in edges]),
        ("margin line removed", [m.line for m in margins]),
    ):
        result.add(kind, group)
    return result


@dataclass(frozen=True)
class _Pixels:
    """The marks as coordinate lists, with each one's colour on white paper."""

    xs: np.ndarray
    ys: np.ndarray
    rgb: np.ndarray  # N x 3, 0..1

    def __init__(self, marks: np.ndarray, flat: np.ndarray) -> None:
        """`flat`: uint8 RGB on white paper."""
        at = np.flatnonzero(marks)
        ys, xs = np.divmod(at, marks.shape[1])
        object.__setattr__(self, "xs", xs.astype(np.float32))
        object.__setattr__(self, "ys", ys.astype(np.float32))
        object.__setattr__(self, "rgb", flat.reshape(-1, 3)[at].astype(np.float32) / 255)


@dataclass(eq=False)  # compared by identity
class _Measured:
    line: Line
    angle: float  # degrees, 0..180
    span: float  # share of the picture's extent along the line that it covers
    wobble: float  # RMS distance of its pixels from a straight line, beyond its own width
    colour: np.ndarray  # median RGB on white, 0..1
    ends_at_frame: bool

    @property
    def darkness(self) -> float:
        return 1.0 - float(self.colour.min())

    @property
    def chroma(self) -> float:
        return float(self.colour.max() - self.colour.min())

    @property
    def reddish(self) -> bool:
        red, green, blue = self.colour
        return self.chroma > 0.1 and red > max(green, blue)


def _merge(segments: np.ndarray, h: int, w: int) -> list[tuple[float, float]]:
    """(angle, offset) of distinct lines among the segments, the longest first (at most 40)."""
    lines: list[tuple[float, float]] = []
    flat = segments.reshape(-1, 4).astype(np.float64)
    order = np.argsort(-np.hypot(flat[:, 2] - flat[:, 0], flat[:, 3] - flat[:, 1]))
    for x1, y1, x2, y2 in flat[order]:
        angle = math.atan2(y2 - y1, x2 - x1) % math.pi
        nx, ny = -math.sin(angle), math.cos(angle)
        offset = nx * x1 + ny * y1
        if not any(abs(angle - a) < math.radians(1.0) and abs(offset - o) < 3 for a, o in lines):
            lines.append((angle, offset))
        if len(lines) == 40:
            break
    return lines


def _measure(candidate: tuple[float, float], pixels: _Pixels, h: int, w: int) -> _Measured | None:
    """The line's width, straightness and colour, if it is a line: paper on both sides."""
    angle, offset = candidate
    nx, ny = -math.sin(angle), math.cos(angle)
    side = pixels.xs * nx + pixels.ys * ny - offset
    near = np.abs(side) <= 4
    if near.sum() < 20:
        return None
    offset += float(np.median(side[near]))
    side = pixels.xs * nx + pixels.ys * ny - offset
    core = np.abs(side) <= 3
    along = np.round(pixels.xs[core] * -ny + pixels.ys[core] * nx).astype(np.int64)
    covered = np.unique(along).size
    thickness = core.sum() / max(covered, 1)
    half = max(1.0, thickness / 2)
    beside = (np.abs(side) > half + 2) & (np.abs(side) <= half + 7)
    if beside.sum() > 0.2 * 10 * covered:  # marks crowd it: part of a fill, not a line
        return None
    wobble = max(0.0, float(np.sqrt(np.mean(side[core] ** 2))) - thickness / math.sqrt(12))
    extent = abs(w * math.cos(angle)) + abs(h * math.sin(angle))
    xs, ys = pixels.xs[core], pixels.ys[core]
    margin = 0.02 * max(h, w)
    at_frame = bool(
        (xs < margin).any()
        or (ys < margin).any()
        or (xs > w - 1 - margin).any()
        or (ys > h - 1 - margin).any()
    )
    colour = np.median(pixels.rgb[core], axis=0)
    line = Line((nx, ny), offset, half, (float(colour[0]), float(colour[1]), float(colour[2])))
    return _Measured(line, math.degrees(angle), covered / extent, wobble, colour, at_frame)


def _ruled(lines: list[_Measured]) -> tuple[list[_Measured], list[Line]]:
    """Three or more parallel, straight lines at an even spacing; and the lines of theirs
    that a drawn stroke along them hid (where a gap is two or more spacings wide)."""
    found: list[_Measured] = []
    hidden: list[Line] = []
    for m in lines:
        family = sorted(
            (o for o in lines if abs(o.angle - m.angle) < 1.5 and o.span > 0.5 and o.wobble < 1.0),
            key=lambda o: o.line.offset,
        )
        if len(family) < 3:
            continue
        offsets = np.array([o.line.offset for o in family])
        gaps = np.diff(offsets)
        typical = np.full(gaps.size, np.median(gaps))
        # Photographed at a slant the lines close in, their spacing changing steadily across
        # the sheet: it is followed along it (a straight fit to the gaps near the typical).
        middles = (offsets[1:] + offsets[:-1]) / 2
        steady = np.abs(gaps - typical) < _STEADY * typical
        if np.unique(middles[steady]).size >= 3:
            slope, intercept = np.polyfit(middles[steady], gaps[steady], 1)
            typical = np.clip(slope * middles + intercept, typical / 2, typical * 2)
        even = [i for i, g in enumerate(gaps) if abs(g - typical[i]) < 0.2 * typical[i]]
        members = set(even) | {i + 1 for i in even}
        if len(members) < 3:
            continue
        found += [family[i] for i in sorted(members) if family[i] not in found]
        for i, gap in enumerate(gaps):
            steps = round(gap / typical[i])
            if steps < 2 or not {i, i + 1} <= members:
                continue
            if abs(gap - steps * typical[i]) >= 0.2 * typical[i]:
                continue
            for k in range(1, steps):
                line = _between(family[i].line, family[i + 1].line, k / steps)
                if not any(_alike(line, known) for known in hidden):
                    hidden.append(line)
    return found, hidden


def _between(a: Line, b: Line, t: float) -> Line:
    """The line `t` of the way from line `a` to its neighbour `b` (nearly parallel)."""
    nx, ny = (1 - t) * a.normal[0] + t * b.normal[0], (1 - t) * a.normal[1] + t * b.normal[1]
    size = math.hypot(nx, ny)
    offset = (1 - t) * a.offset + t * b.offset
    return Line((nx / size, ny / size), offset / size, a.half_width, a.colour)


def _alike(a: Line, b: Line) -> bool:
    parallel = a.normal[0] * b.normal[0] + a.normal[1] * b.normal[1]
    return parallel > 0.9995 and abs(a.offset - b.offset) < 1


def _square_to_frame(m: _Measured, tolerance: float) -> bool:
    return min(abs(m.angle - a) for a in (0, 90, 180)) < tolerance


def _is_edge(m: _Measured, light: np.ndarray, h: int, w: int) -> bool:
    """Along the frame, or a grey, faint, straight line running off it (another sheet's
    edge, a fold), or where the paper's light steps across it."""
    if not _square_to_frame(m, 3) or m.wobble > 0.6:
        return False
    nx, ny = m.line.normal
    vertical = abs(nx) > abs(ny)
    extent = w if vertical else h
    position = m.line.offset / (nx if vertical else ny)  # x or y where it crosses
    for frame, direction in ((0.0, -1), (float(extent), 1)):
        if abs(position - frame) < _FRAME_BAND * extent:
            m.line = Line(
                m.line.normal,
                m.line.offset,
                m.line.half_width,
                m.line.colour,
                direction * (1 if (nx if vertical else ny) > 0 else -1),
            )
            return True
    # Ruler-straight (a hand-drawn line wobbles more), grey and faint, running off the frame.
    if (
        m.ends_at_frame
        and m.span > 0.3
        and m.wobble < 0.35
        and m.chroma < 0.08
        and m.darkness < 0.35
    ):
        return True
    ys, xs = np.mgrid[0:h:4, 0:w:4]
    grey = light[::4, ::4].mean(axis=2)  # every fourth pixel each way is enough to compare
    side = xs * nx + ys * ny - m.line.offset
    before = grey[(side > -12) & (side < -4)]
    after = grey[(side > 4) & (side < 12)]
    if before.size < 10 or after.size < 10:
        return False
    return abs(float(np.median(before)) / max(float(np.median(after)), 1.0) - 1) > 0.04


def _is_margin(m: _Measured) -> bool:
    """One printed-straight red line across the sheet, parallel to its side, paler than ink."""
    return (
        _square_to_frame(m, 3)
        and m.span > 0.85
        and m.wobble < 0.5
        and m.reddish
        and m.darkness < 0.5
    )


def _shift(mask: np.ndarray, normal: tuple[float, float], distance: int) -> np.ndarray:
    """uint8 `mask` moved `distance` pixels along `normal` (nearest whole pixels)."""
    dx, dy = round(normal[0] * distance), round(normal[1] * distance)
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(mask, matrix, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_NEAREST)
