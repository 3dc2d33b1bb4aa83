"""The paper under a drawing: where it shows, and its light, to divide out.

Works on a small copy of the photo (about 1000 px on the long edge). Paper is
what is smooth, holds no stroke (a closing with a kernel wider than a crayon
stroke leaves it as it is) and has the sheet's own colour: white, grey or cream,
which a shadow may shift a little. Coloured paper, and paint that covers the
sheet, are not paper: they are part of the picture.

The paper's light is interpolated under the drawing from the paper around it
(normalised convolution on a pyramid). Where paper shows on both sides of a
shadow's edge the light follows the step, so a stroke in the shadow is judged
against the shadowed paper beside it, not against white.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from artwork.resample import shrink

ANALYSIS_PX = 1000  # long edge of the small copy every global decision is made on
_MIN_SHARE = 0.03  # less paper than this: the sheet is covered (a painting)


@dataclass(frozen=True)
class Paper:
    seen: np.ndarray  # bool, small copy: plain paper shows here
    light: np.ndarray  # uint8 H x W x 3 (>= 8): the paper's light (white where none shows)
    share: float  # of the sheet's area, paper showing
    noise: float  # spread of the paper's darkness (robust sigma, 0..1)


def small_copy(rgb: np.ndarray, long_edge: int = ANALYSIS_PX) -> np.ndarray:
    """`rgb` area-averaged to `long_edge` pixels on its long side (never enlarged)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, long_edge / max(h, w))
    if scale == 1.0:
        return rgb
    return shrink(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))


def square(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))


def candidates(small: np.ndarray) -> np.ndarray:
    """Pixels that look like plain paper: no stroke, smooth, near the sheet's colour."""
    h, w = small.shape[:2]
    radius = max(3, round(max(h, w) / 100))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, square(radius))
    stroke = channel_max(cv2.subtract(closed, small))
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (5, 5))
    spread = cv2.blur(grey * grey, (5, 5)) - mean * mean
    lightness, a, b = cv2.split(cv2.cvtColor(small, cv2.COLOR_RGB2Lab))
    a = a.astype(np.float32) - 128
    b = b.astype(np.float32) - 128
    plain = (stroke < 14) & (spread < 36) & (cv2.magnitude(a, b) < 22) & (lightness > 40)
    if np.count_nonzero(plain) < _MIN_SHARE * plain.size:
        return plain
    # The sheet's own tint, so pale crayon (pink, yellow) is not taken for paper; a shadow,
    # darker than the lit paper, may be tinted more (blue skylight).
    sample = np.flatnonzero(plain)[:: max(1, np.count_nonzero(plain) // 20_000)]
    tint_a, tint_b = np.median(a.ravel()[sample]), np.median(b.ravel()[sample])
    lit = np.median(lightness.ravel()[sample])
    off_tint = cv2.magnitude(a - tint_a, b - tint_b)
    plain &= (off_tint < 16) | ((off_tint < 30) & (lightness < lit - 12))
    return cv2.morphologyEx(plain.view(np.uint8), cv2.MORPH_OPEN, square(1)).view(bool)


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's brightest channel (uint8 RGB; a fifth of numpy's max over axis 2)."""
    r, g, b = cv2.split(rgb)
    return cv2.max(cv2.max(r, g), b)


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's darkest channel (uint8 RGB)."""
    r, g, b = cv2.split(rgb)
    return cv2.min(cv2.min(r, g), b)


def find_paper(small: np.ndarray, inside: np.ndarray, seen: np.ndarray) -> Paper:
    """The paper's light over the sheet (`inside`), from where it is `seen`."""
    seen = seen & inside
    share = float(seen.sum()) / max(1, int(inside.sum()))
    if share < _MIN_SHARE:
        # Covered sheet: no paper to measure. Light from its brightest parts, so a
        # painting is neither darkened nor re-coloured.
        top = np.percentile(small[inside].reshape(-1, 3), 99.5, axis=0) if inside.any() else 255
        light = np.empty(small.shape, np.uint8)
        light[:] = np.round(np.maximum(np.max(top) * 0.9, top))
        return Paper(seen, light, share, 0.0)
    filled = cv2.GaussianBlur(_fill(small.astype(np.float32), seen), (0, 0), 1.0)
    light = np.clip(filled, 8, 255).round().astype(np.uint8)
    where = np.flatnonzero(seen)[:: max(1, np.count_nonzero(seen) // 50_000)]
    # Signed, not clipped at white: half the paper is brighter than its smoothed light, and
    # clipped the spread of the rest came out as 0 on every photo.
    ratio = small.reshape(-1, 3)[where].astype(np.float32) / light.reshape(-1, 3)[where]
    dark = 1 - ratio.min(axis=1)
    centre = float(np.median(dark))
    noise = 1.4826 * float(np.median(np.abs(dark - centre)))
    return Paper(seen, light, share, noise)


def _fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Normalised convolution on a pyramid: `values` where `known`, interpolated elsewhere."""
    weight = known.astype(np.float32)
    mask = known.view(np.uint8)
    levels = [(cv2.copyTo(values, mask, np.zeros_like(values)), weight)]
    while min(levels[-1][1].shape) > 8:
        v, wt = levels[-1]
        levels.append((cv2.pyrDown(v), cv2.pyrDown(wt)))
    v, wt = levels[-1]
    at = np.flatnonzero(known)[:: max(1, np.count_nonzero(known) // 20_000)]
    estimate = _mean_or(v, wt, np.median(values.reshape(-1, 3)[at], axis=0))
    for v, wt in reversed(levels[1:-1]):
        coarse = _up(estimate, wt.shape)
        weight3 = cv2.merge([wt] * 3)
        local = cv2.divide(v, np.maximum(weight3, 1e-6))  # (cv2's scalars meet channel 0 only)
        trust = np.minimum(weight3 * 4.0, 1.0)
        estimate = cv2.add(cv2.multiply(local, trust), cv2.multiply(coarse, 1.0 - trust))
    # At full size the weight is 0 or 1: the known values themselves, the estimate elsewhere.
    filled = _up(estimate, known.shape)
    return cv2.copyTo(values, mask, filled)


def _up(estimate: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return cv2.resize(estimate, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _mean_or(v: np.ndarray, wt: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    out = np.empty_like(v)
    has = wt > 1e-3
    out[has] = v[has] / wt[has][:, None]
    out[~has] = fallback
    return out


def flatten(rgb: np.ndarray, light: np.ndarray) -> np.ndarray:
    """`rgb` with the paper's light divided out: paper white, marks in their own colours."""
    return cv2.divide(rgb, light, scale=255)


def darkness(flat: np.ndarray) -> np.ndarray:
    """How much a flattened pixel holds back in its darkest channel: 0 paper .. 255 black."""
    return np.subtract(255, channel_min(flat), dtype=np.uint8)
