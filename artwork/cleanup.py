"""Cleanup: from a phone photo or scan of a drawing to clean colour ink on white.

Order: find the sheet (drop table and hands, undo perspective), divide out
the paper's light (flattens shadows and white-balances), separate ink by how
far it falls below the paper in its darkest channel (so light-blue pen and
yellow crayon count, not only dark lines), drop specks, crop with a margin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter

from artwork import morph

# Ink at full strength is at least this dark in its darkest channel on the cleaned
# image; convert_targets reads alpha back as darkness / INK_FLOOR.
INK_FLOOR = 0.6
_SMALL = 256  # long edge for finding the sheet


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel darkest channel; pairwise minimum beats a reduction over the last axis."""
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def channel_max(rgb: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


class NoDrawing(Exception):
    """Nothing that looks like ink on the paper."""


@dataclass
class Cleaned:
    image: Image.Image  # RGB: ink in its own colour on pure white
    changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def clean_drawing(photo: Image.Image) -> Cleaned:
    result = Cleaned(photo)
    paper = _find_paper(photo, result)
    if paper is None:
        paper = np.ones((result.image.height, result.image.width), bool)
        seam = np.zeros_like(paper)
    else:  # where the sheet was cut out: shadows and the table's edge gather here
        seam = morph.dilate(~paper, max(3, max(paper.shape) // 40)) & paper
    pixels = np.asarray(result.image)
    light = _paper_light(result.image, paper)
    # The flattened picture is min(pixels / light, 1); only its darkest channel is
    # needed everywhere, one plane at a time (no full float RGB copy).
    darkness = np.divide(pixels[..., 0], light[..., 0], dtype=np.float32)
    for c in (1, 2):
        np.minimum(darkness, np.divide(pixels[..., c], light[..., c], dtype=np.float32),
                   out=darkness)
    np.subtract(1.0, np.minimum(darkness, 1.0, out=darkness), out=darkness)
    np.multiply(darkness, paper, out=darkness)  # off the sheet: nothing
    ink, alpha = _separate_ink(darkness, paper, seam, result)
    top, bottom, left, right = _crop_box(ink)
    alpha, darkness = alpha[top:bottom, left:right], darkness[top:bottom, left:right]
    # Faint pen is deepened (hue kept) so it reads on the page and survives thresholds.
    # Only inked pixels are computed: the rest is plain white paper.
    at = np.flatnonzero(alpha > 0)  # flat indices: whole RGB rows are gathered in one go
    ys, xs = np.divmod(at, alpha.shape[1])
    full = (ys + top) * pixels.shape[1] + xs + left
    rgb = np.divide(pixels.reshape(-1, 3)[full], light.reshape(-1, 3)[full], dtype=np.float32)
    np.minimum(rgb, 1.0, out=rgb)
    gain = np.maximum(1.0, INK_FLOOR / np.maximum(darkness[ys, xs], 1e-3))[:, None]
    colour = np.clip(1.0 - (1.0 - rgb) * gain, 0.0, 1.0)
    out = np.full((*alpha.shape, 3), 255, np.uint8)
    strength = alpha[ys, xs][:, None]
    out.reshape(-1, 3)[at] = np.round(255 * (1.0 - strength * (1.0 - colour))).astype(np.uint8)
    result.image = Image.fromarray(out, "RGB")
    h, w = alpha.shape
    result.changes.append({"change": "cropped to the drawing", "size_px": [w, h]})
    return result


def _find_paper(photo: Image.Image, result: Cleaned) -> np.ndarray | None:
    """Mask of the sheet at full size (None: the sheet fills the picture).

    What is not paper: large, thick regions reaching the frame's edge that are
    mostly mid-tone, unlike ink (dark strokes on bright paper) - a table, a hand,
    cloth. Blue/violet saturated regions count as ink (markers), skin and wood
    do not. Shading on the paper fades in; a table or hand has an edge, so only
    regions with a sharp outline count. A sheet seen whole with four corners is
    rectified (result.image is replaced); one cut by the frame is masked.
    """
    small = photo.copy()
    small.thumbnail((_SMALL, _SMALL), Image.Resampling.BOX)
    a = np.asarray(small, np.float32) / 255.0
    value = a.mean(axis=2)
    top = channel_max(a)
    sat = (top - channel_min(a)) / np.maximum(top, 1e-3)
    q = np.round(value * 255).astype(np.int64)
    mean = morph.box_sum(q, 1) / 9
    std = np.sqrt(np.maximum(morph.box_sum(q * q, 1) / 9 - mean**2, 0)) / 255
    odd = (value < _otsu(value) * 0.9) | (sat > 0.35) | (std > max(0.03, 4 * np.median(std)))
    # Regions, not strokes: mostly odd over a 9x9 window, and thick.
    odd = morph.opening(morph.box_sum(odd, 4) > 0.45 * 81, 5)
    labels, count = morph.label(odd)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    paper_value = np.percentile(value, 90)
    inky = (sat > 0.25) & (a.argmax(axis=2) == 2)
    mid = (value > 0.3 * paper_value) & (value < 0.85 * paper_value) & ~inky
    mid_share = np.bincount(labels.ravel(), mid.ravel(), minlength=count + 1) / np.maximum(sizes, 1)
    rim = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    foreign = [
        k for k in rim
        if k and sizes[k] > 0.015 * labels.size and mid_share[k] > 0.6
        and _edge_strength(value, labels == k) > 0.08
    ]
    if not foreign:
        return None
    sheet = _fill_holes(~morph.dilate(np.isin(labels, foreign), 2))
    quad = _corners(sheet)
    h, w = sheet.shape
    inside = quad is not None and all(2 <= x <= w - 3 and 2 <= y <= h - 3 for x, y in quad)
    if inside and quad is not None and sheet.sum() / _quad_area(quad) > 0.92:
        scale = photo.width / w
        result.image = _rectify(photo, [(x * scale, y * scale) for x, y in quad])
        result.changes.append({"change": "sheet found and perspective corrected"})
        mask = np.ones((result.image.height, result.image.width), bool)
        return morph.erode(mask, max(2, result.image.width // 150), outside=True)
    result.changes.append(
        {"change": "table and objects outside the sheet removed",
         "share_removed": round(1 - float(sheet.mean()), 3)}
    )
    big = Image.fromarray(sheet.astype(np.uint8) * 255)
    return np.asarray(big.resize(photo.size, Image.Resampling.BILINEAR)) > 127


def _edge_strength(value: np.ndarray, region: np.ndarray) -> float:
    """Mean brightness step across the region's outline (excluding the frame)."""
    outline = morph.dilate(region, 1) & ~region
    outline[[0, -1], :] = False
    outline[:, [0, -1]] = False
    if not outline.any():
        return 0.0
    grad = np.zeros_like(value)
    grad[1:-1, 1:-1] = np.maximum(
        np.abs(value[2:, 1:-1] - value[:-2, 1:-1]), np.abs(value[1:-1, 2:] - value[1:-1, :-2])
    )
    # The region's outline may sit a pixel or two off the true edge: look nearby.
    return float(_square_rank(grad, 3, np.maximum)[outline].mean())


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    p = hist / hist.sum()
    omega = np.cumsum(p)
    mu = np.cumsum(p * edges[:-1])
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-9)
    return float(edges[int(np.argmax(between))])


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    holes, count = morph.label(~mask)
    if count == 0:
        return mask
    edge = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    outside = np.isin(holes, edge[edge > 0])
    return ~outside


def _corners(mask: np.ndarray) -> list[tuple[float, float]] | None:
    """Extreme points along the diagonals: top-left, top-right, bottom-right, bottom-left."""
    ys, xs = np.nonzero(mask)
    if xs.size < 16:
        return None
    picks = [np.argmin(xs + ys), np.argmax(xs - ys), np.argmax(xs + ys), np.argmin(xs - ys)]
    return [(float(xs[i]), float(ys[i])) for i in picks]


def _quad_area(quad: list[tuple[float, float]]) -> float:
    xs = np.array([p[0] for p in quad])
    ys = np.array([p[1] for p in quad])
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2) or 1.0


def perspective_coefficients(
    src: list[tuple[float, float]], dst: list[tuple[float, float]]
) -> tuple[float, ...]:
    """Coefficients for Image.transform(PERSPECTIVE) taking output points `dst` to input `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return tuple(np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist())


def _rectify(photo: Image.Image, quad: list[tuple[float, float]]) -> Image.Image:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    width = int((np.hypot(x1 - x0, y1 - y0) + np.hypot(x2 - x3, y2 - y3)) / 2)
    height = int((np.hypot(x3 - x0, y3 - y0) + np.hypot(x2 - x1, y2 - y1)) / 2)
    target = [(0, 0), (width, 0), (width, height), (0, height)]
    coeffs = perspective_coefficients(quad, target)
    return photo.transform(
        (width, height), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    )


def _paper_light(image: Image.Image, paper: np.ndarray) -> np.ndarray:
    """The paper's own light at full size, to divide out (which also white-balances it):
    8-bit, or float32 where it is so dark it has to be held at 12.75 (5 %).

    On a 160 px thumbnail (non-paper painted paper-coloured) a closing over ~9 %
    of the sheet follows shadows and steps. A filled area wider than that would
    pass for paper, so where the closing is far darker or more colourful than a
    smooth cubic fitted to the bright paper, the fitted surface is used instead.
    """
    small = image.copy()
    small.thumbnail((160, 160), Image.Resampling.BOX)
    s = np.asarray(small, np.float32) / 255.0
    mask = Image.fromarray(paper.astype(np.uint8) * 255).resize(small.size, Image.Resampling.BOX)
    inside = np.asarray(mask) > 127
    fill = np.median(s[inside], axis=0) if inside.any() else np.ones(3, np.float32)
    s = np.where(inside[..., None], s, fill)
    # Closing (max then min): strokes vanish, but a step such as a sheet on a whiter
    # background stays a step instead of casting a dark halo into the paper.
    closed = _square_rank(_square_rank(s, 7, np.maximum), 7, np.minimum)
    smooth = _paper_surface(s)
    lum_ratio = closed.mean(axis=2) / np.maximum(smooth.mean(axis=2), 1e-3)
    colourful = _saturation(closed) - _saturation(smooth) > 0.12
    est = np.where(((lum_ratio < 0.6) | colourful)[..., None], smooth, closed)
    est_img = Image.fromarray(np.round(np.clip(est, 0, 1) * 255).astype(np.uint8), "RGB")
    est_img = est_img.filter(ImageFilter.GaussianBlur(2))
    bg = np.asarray(est_img.resize(image.size, Image.Resampling.BILINEAR))
    # Bilinear never undershoots its inputs: if the small estimate is all above 12,
    # so is every full-size value, and the 8-bit array divides as it is.
    if np.asarray(est_img).min() > 12:
        return bg
    return np.maximum(bg.astype(np.float32), 12.75)


def _square_rank(a: np.ndarray, radius: int, pick: np.ufunc) -> np.ndarray:
    """Max or min over a (2r+1)^2 square, separably, edges replicated."""
    for axis in (0, 1):
        n = a.shape[axis]
        pad = [(0, 0)] * a.ndim
        pad[axis] = (radius, radius)
        wide = np.pad(a, pad, mode="edge")
        out = wide.take(np.arange(n), axis=axis)
        for shift in range(1, 2 * radius + 1):
            out = pick(out, wide.take(np.arange(shift, shift + n), axis=axis))
        a = out
    return a


def _saturation(rgb: np.ndarray) -> np.ndarray:
    top = channel_max(rgb)
    return (top - channel_min(rgb)) / np.maximum(top, 1e-3)


@functools.lru_cache(maxsize=4)
def _cubic_terms(h: int, w: int) -> np.ndarray:
    """The 10 terms of a cubic in x, y on [-1, 1] for every pixel of an h x w grid."""
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    terms = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y,
                      x**3, x * x * y, x * y * y, y**3], axis=-1).reshape(-1, 10)
    terms.flags.writeable = False
    return terms


def _paper_surface(small: np.ndarray) -> np.ndarray:
    """Cubic surface per channel through the bright pixels (paper), ink rejected iteratively."""
    h, w = small.shape[:2]
    terms = _cubic_terms(h, w)
    value = small.mean(axis=2).ravel()
    use = value >= np.percentile(value, 40)
    colours = small.reshape(-1, 3).astype(np.float64)
    for _ in range(3):
        # Normal equations: 10 well-scaled terms on [-1, 1] are far from ill-conditioned,
        # and give the same fit as lstsq for well under a millisecond (its SVD took ~40).
        chosen = terms[use]
        coef = np.linalg.solve(chosen.T @ chosen, chosen.T @ colours[use])
        fitted = terms @ coef
        use = value > fitted.mean(axis=1) * 0.9
    return fitted.reshape(h, w, 3).astype(np.float32)


def _separate_ink(
    darkness: np.ndarray, paper: np.ndarray, seam: np.ndarray, result: Cleaned
) -> tuple[np.ndarray, np.ndarray]:
    """Hysteresis on darkness with thresholds set from the paper's own noise.

    Marks lying mostly in the seam where the table was cut away, and faint marks
    cut by the frame, are shadow (or a finger), not ink.
    """
    sample = darkness[paper][:: max(1, int(paper.sum()) // 200_000)]
    median = float(np.median(sample))
    sigma = 1.4826 * float(np.median(np.abs(sample - median)))
    low = max(0.08, median + 5 * sigma)
    high = max(0.18, median + 10 * sigma)
    labels, count = morph.label(darkness > low, eight=True)
    if count == 0:
        raise NoDrawing
    # Per-region sums over the labelled pixels only (a few percent of the sheet);
    # entry 0 (paper) is never used.
    marked = np.flatnonzero(labels > 0)  # (nonzero on bool is several times faster)
    marked_labels = labels.ravel()[marked]
    marked_dark = darkness.ravel()[marked]
    strong = np.zeros(count + 1, bool)
    strong[marked_labels[marked_dark > high]] = True
    sizes = np.bincount(marked_labels, minlength=count + 1)
    min_area = max(6, int((0.002 * max(darkness.shape)) ** 2))
    speck = strong & (sizes < min_area)
    in_seam = np.bincount(labels[seam], minlength=count + 1)
    at_seam = in_seam > 0.4 * sizes
    # Faint soft marks cut by the frame are shadows and fingers, not strokes.
    mean_dark = np.bincount(marked_labels, marked_dark, minlength=count + 1) / np.maximum(sizes, 1)
    frame = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    at_frame = np.zeros(count + 1, bool)
    at_frame[frame] = True
    at_seam |= at_frame & (mean_dark < 0.25)
    at_seam[0] = False
    keep = strong & ~speck & ~at_seam
    if not keep.any():
        raise NoDrawing
    ink = np.zeros(labels.shape, bool)
    ink.ravel()[marked[keep[marked_labels]]] = True
    specks = int(speck.sum()) + int(count - strong[1:].sum())
    if specks:
        result.changes.append({"change": "specks removed", "count": specks})
    shadows = int((at_seam & strong).sum())
    if shadows:
        result.changes.append({"change": "shadows at the sheet's edge removed", "count": shadows})
    ramp = max(high, low + 0.15)
    alpha = np.subtract(darkness, low)
    alpha /= ramp - low
    np.clip(alpha, 0.0, 1.0, out=alpha)
    alpha *= morph.dilate(ink, 1)
    coverage = float(ink.sum()) / max(1, int(paper.sum()))
    if coverage > 0.5:
        result.warnings.append(
            f"ink covers {coverage:.0%} of the sheet: is this a photo rather than a drawing?"
        )
    return ink, alpha


def _crop_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.nonzero(ink.any(axis=1))[0]
    cols = np.nonzero(ink.any(axis=0))[0]
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = int(0.04 * max(bottom - top, right - left)) + 4
    h, w = ink.shape
    top, left = max(0, top - margin), max(0, left - margin)
    return top, min(h, bottom + margin), left, min(w, right + margin)
