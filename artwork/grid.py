"""Squared paper (a school's squared notebook): printed lines in two directions, square to each
other, at one spacing.

Found on the small copy from the thin marks' rhythm: projected across each direction of the
sheet (turned up to _MAX_TILT from the frame), a grid's lines pile up in evenly spaced peaks,
whatever the drawing hides of them; a child's strokes keep no such rhythm, and ruled paper has
it one way only (printed.find_lines takes those). Every line of the grid is returned; its
removal (printed.Lines) takes only what is no darker than the line and not a stroke going on
across it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from artwork.printed import Line

_MAX_TILT = 8.0  # degrees the sheet may be turned from the frame
_MIN_LINES = 6  # a grid shows at least this many lines each way ...
_SEEN = 0.6  # ... and at this share of the places its spacing gives
_RHYTHM = 0.2  # autocorrelation at the spacing, of that at 0: a rhythm, not chance
_SAME_SPACING = 0.15  # both ways' spacings differ by less than this share
_SAMPLE = 60_000  # thin pixels enough to find the grid's turn


def find_grid(flat: np.ndarray, marks: np.ndarray) -> list[Line]:
    """The lines of a squared sheet among `marks` of the small copy (`flat`: on white paper),
    or none."""
    h, w = marks.shape
    opened = cv2.morphologyEx(marks.view(np.uint8), cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    ys, xs = np.nonzero(marks.view(np.uint8) & (1 - opened))
    if ys.size < 0.002 * h * w:
        return []
    xs, ys = xs.astype(np.float32), ys.astype(np.float32)
    ways = [_way(xs, ys, base) for base in (0.0, 90.0)]
    if any(way is None for way in ways):
        return []
    (n1, s1, o1), (n2, s2, o2) = ways  # type: ignore[misc]
    if abs(s1 - s2) > _SAME_SPACING * max(s1, s2) or abs(n1[0] * n2[0] + n1[1] * n2[1]) > 0.05:
        return []
    lines = []
    for normal, offsets in ((n1, o1), (n2, o2)):
        colour = _colour(flat, xs, ys, normal, offsets)
        lines += [Line(normal, float(offset), 1.5, colour) for offset in offsets]
    return lines


def _way(
    xs: np.ndarray, ys: np.ndarray, base: float
) -> tuple[tuple[float, float], float, np.ndarray] | None:
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
    lag = int(lags[np.argmax(correlation[lags])])
    if correlation[lag] < _RHYTHM * correlation[0]:
        return None
    # The spacing between whole pixels, and the phase that meets the most of the peaks.
    left, centre, right = correlation[lag - 1 : lag + 2]
    bend = left - 2 * centre + right
    spacing = lag + (0.5 * (left - right) / bend if bend < 0 else 0.0)
    phases = np.arange(0.0, spacing, 0.5)
    count = int(size / spacing) + 1
    places = [phase + spacing * np.arange(count) for phase in phases]
    places = [p[p < size - 0.5] for p in places]
    phase_best = max(places, key=lambda p: float(detail[np.round(p).astype(np.int64)].sum()))
    at = np.round(phase_best).astype(np.int64)
    peaks = (detail[at] > 0) & (profile[at] >= profile[np.clip(at - 2, 0, size - 1)]) & (
        profile[at] >= profile[np.clip(at + 2, 0, size - 1)]
    )
    if peaks.sum() < max(_MIN_LINES, _SEEN * at.size):
        return None
    return spacing, phase_best


def _colour(
    flat: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    normal: tuple[float, float],
    offsets: np.ndarray,
) -> tuple[float, float, float]:
    """The grid's printed colour: the median of the thin marks on its lines."""
    across = xs * normal[0] + ys * normal[1]
    after = np.clip(np.searchsorted(offsets, across), 1, offsets.size - 1)
    nearest = np.minimum(np.abs(across - offsets[after - 1]), np.abs(across - offsets[after]))
    on = nearest <= 1.0
    on = on if on.any() else np.ones_like(on)
    rgb = np.median(flat[ys[on].astype(np.int64), xs[on].astype(np.int64)], axis=0) / 255
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))
