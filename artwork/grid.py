"""Squared paper (a school's squared notebook): printed lines in two directions, square to each
other, at one spacing.

Found on the small copy from the thin marks' rhythm: projected across each direction of the
sheet (turned up to _MAX_TILT from the frame), a grid's lines pile up in evenly spaced peaks,
whatever the drawing hides of them; a child's strokes keep no such rhythm, and ruled paper has
it one way only (printed.find_lines takes those). A sheet photographed at a slant, its
lines closing in, is looked at square-on (artwork.slant). Every line of the grid is returned; its
removal (printed.Lines) takes only what is no darker than the line and not a stroke going on
across it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from artwork.printed import Line, refit
from artwork.slant import square_on

_MAX_TILT = 8.0  # degrees the sheet may be turned from the frame
_MIN_LINES = 6  # a grid shows at least this many lines each way ...
_SEEN = 0.6  # ... and at this share of the places its spacing gives
_RHYTHM = 0.2  # autocorrelation at the spacing, of that at 0: a rhythm, not chance
_SAME_SPACING = 0.15  # both ways' spacings differ by less than this share
_SAMPLE = 60_000  # thin pixels enough to find the grid's turn
_SLANTED_SHARE = 0.03  # thin marks over this share of the picture: perhaps a slanted grid
_FORESHORTENED = 0.5  # ... whose spacings, seen square-on, differ by less than this share
_REFIT_REACH = 4.0  # small-copy px: the marks a slanted grid's line is fitted to lie this near

_Way = tuple[tuple[float, float], float, np.ndarray]  # lines' unit normal, spacing, offsets


def find_grid(flat: np.ndarray, marks: np.ndarray) -> list[Line]:
    """The lines of a squared sheet among `marks` of the small copy (`flat`: on white paper),
    or none."""
    h, w = marks.shape
    opened = cv2.morphologyEx(marks.view(np.uint8), cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    thin = marks.view(np.uint8) & (1 - opened)
    ys, xs = np.nonzero(thin)
    if ys.size < 0.002 * h * w:
        return []
    xs, ys = xs.astype(np.float32), ys.astype(np.float32)
    # Photographed at a slant, a grid's lines close in on two vanishing points and keep a
    # rhythm only in part, or not at all: seen square-on they keep it all over. Looked for
    # where thin marks are everywhere (a sheet of them).
    if ys.size >= _SLANTED_SHARE * h * w:
        view = square_on(thin)
        if view is not None:
            seen = _mapped(view, xs, ys)
            lines = _grid_lines(flat, (xs, ys), seen, _ways(*seen), view)
            if lines:
                return lines
    return _grid_lines(flat, (xs, ys), (xs, ys), _ways(xs, ys), None)


def _ways(xs: np.ndarray, ys: np.ndarray) -> tuple[_Way | None, _Way | None]:
    return _way(xs, ys, 0.0), _way(xs, ys, 90.0)


def _grid_lines(
    flat: np.ndarray,
    marks: tuple[np.ndarray, np.ndarray],
    seen: tuple[np.ndarray, np.ndarray],
    ways: tuple[_Way | None, _Way | None],
    view: np.ndarray | None,
) -> list[Line]:
    """The grid's lines, if both `ways` found lines that make one: `seen` are the thin
    `marks` (x, y) as the ways were looked for, in `view` (a projective map of the picture,
    3 x 3) or in the picture as it is (None)."""
    first, second = ways
    if first is None or second is None:
        return []
    (n1, s1, o1), (n2, s2, o2) = first, second
    # Squares: one spacing both ways; seen square-on from a slant one way is foreshortened
    # (the view makes the lines parallel, not their spacings equal).
    same = _SAME_SPACING if view is None else _FORESHORTENED
    if abs(s1 - s2) > same * max(s1, s2) or abs(n1[0] * n2[0] + n1[1] * n2[1]) > 0.05:
        return []
    lines = []
    for normal, offsets in ((n1, o1), (n2, o2)):
        across = seen[0] * normal[0] + seen[1] * normal[1]
        colour = _colour(flat, *marks, across, offsets)
        if view is None:
            lines += [Line(normal, float(offset), 1.5, colour) for offset in offsets]
            continue
        for offset in offsets:  # the view's line, in the picture: a line still ...
            a, b, c = view.T @ np.array([normal[0], normal[1], -offset])
            length = math.hypot(a, b)
            # ... fitted to its own marks: a view from vanishing points is off by a pixel or
            # two at the far end of a long line.
            placed = refit((a / length, b / length), -c / length, *marks, _REFIT_REACH)
            lines.append(Line(*placed, 1.5, colour))
    return lines


def _mapped(view: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y, z = view @ np.vstack([xs, ys, np.ones_like(xs)]).astype(np.float64)
    return (x / z).astype(np.float32), (y / z).astype(np.float32)


def _way(xs: np.ndarray, ys: np.ndarray, base: float) -> _Way | None:
    """One direction's lines: their unit normal, spacing and offsets, if they keep a rhythm."""
    step = max(1, xs.size // _SAMPLE)
    coarse = np.arange(-_MAX_TILT, _MAX_TILT + 0.01, 0.5)
    turn = max(coarse, key=lambda a: _peakiness(xs[::step], ys[::step], base + a))
    fine = np.arange(turn - 0.5, turn + 0.51, 0.1)
    turn = max(fine, key=lambda a: _peakiness(xs[::step], ys[::step], base + a))
    normal = _normal(base + turn)
    across = xs * normal[0] + ys * normal[1]
    low = float(across.min())
    profile = np.bincount(np.round(across - low).astype(np.int64)).astype(np.float64)
    found = _rhythm(profile)
    if found is None:
        return None
    spacing, places = found
    return normal, spacing, low + places


def _normal(degrees: float) -> tuple[float, float]:
    """The normal of lines `degrees` from horizontal (90: vertical lines, normal along x)."""
    radians = math.radians(degrees)
    return (-math.sin(radians), math.cos(radians))


def _peakiness(xs: np.ndarray, ys: np.ndarray, degrees: float) -> float:
    """How much the pixels pile up across lines at this angle (lines seen edge-on pile up)."""
    nx, ny = _normal(degrees)
    across = xs * nx + ys * ny
    profile = np.bincount(np.round(across - across.min()).astype(np.int64))
    return float(np.dot(profile, profile))


def _rhythm(profile: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Spacing and positions of evenly spaced peaks in `profile`, if it has them."""
    size = profile.size
    if size < 60:
        return None
    detail = profile - np.convolve(profile, np.ones(31) / 31, mode="same")
    spectrum = np.fft.rfft(detail, 2 * size)
    correlation = np.fft.irfft(spectrum * np.conj(spectrum))[:size]
    if correlation[0] <= 0:
        return None
    lags = np.arange(6, size // _MIN_LINES)
    if lags.size == 0:
        return None
    strongest = float(correlation[lags].max())
    if strongest < _RHYTHM * correlation[0]:
        return None
    # The spacing itself, not a multiple of it (every other line may be fainter): the first
    # peak of the correlation nearly as high as the highest.
    tops = [
        int(k) for k in lags
        if correlation[k] >= 0.7 * strongest
        and correlation[k] >= correlation[k - 1] and correlation[k] >= correlation[k + 1]
    ]
    lag = tops[0] if tops else int(lags[np.argmax(correlation[lags])])
    # The spacing between whole pixels, and the phase that meets the most of the peaks ...
    left, centre, right = correlation[lag - 1 : lag + 2]
    bend = left - 2 * centre + right
    spacing = lag + (float(np.clip(0.5 * (left - right) / bend, -0.5, 0.5)) if bend < 0 else 0.0)
    count = int(size / spacing) + 1
    combs = [phase + spacing * np.arange(count) for phase in np.arange(0.0, spacing, 0.5)]
    comb = max(combs, key=lambda c: float(detail[np.round(c[c < size - 0.5]).astype(int)].sum()))
    # ... then fitted to the peaks themselves (a tenth of a pixel off is lines off by the end).
    reach = max(1, int(spacing / 4))
    index = np.arange(comb.size)
    found = []
    for k, place in zip(index, comb, strict=True):
        low, high = max(0, round(place) - reach), min(size, round(place) + reach + 1)
        if high - low > 2:
            peak = low + int(np.argmax(profile[low:high]))
            if detail[peak] > 0 and low < peak < high - 1:
                found.append((k, peak))
    if len(found) < max(_MIN_LINES, _SEEN * comb[comb < size - 0.5].size):
        return None
    ks, peaks = np.array(found, np.float64).T
    spacing, phase = np.polyfit(ks, peaks, 1)
    places = phase + spacing * index
    return float(spacing), places[(places > -0.5) & (places < size - 0.5)]


def _colour(
    flat: np.ndarray, xs: np.ndarray, ys: np.ndarray, across: np.ndarray, offsets: np.ndarray
) -> tuple[float, float, float]:
    """The grid's printed colour: the median of the thin marks at (xs, ys) whose place
    `across` the lines is on one of them (at `offsets`)."""
    after = np.clip(np.searchsorted(offsets, across), 1, offsets.size - 1)
    nearest = np.minimum(np.abs(across - offsets[after - 1]), np.abs(across - offsets[after]))
    on = nearest <= 1.0
    on = on if on.any() else np.ones_like(on)
    rgb = np.median(flat[ys[on].astype(np.int64), xs[on].astype(np.int64)], axis=0) / 255
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))
