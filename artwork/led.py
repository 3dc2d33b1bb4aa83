"""LED patterns from a drawing: its palette as light, and small pixel images."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from artwork.resample import shrink

MAX_COLOURS = 6
MIN_SATURATION = 0.2  # a colour to name: pastel crayon is above, grey pencil far below
TINTED = 0.1  # below this the light is white; between, a pale shade of the colours named
MIN_SHARE = 0.03  # palette entries smaller than this share of the coloured ink are noise
WHITE = "#ffffff"


def channel_min(rgb: np.ndarray) -> np.ndarray:
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def channel_max(rgb: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def palette(light: np.ndarray, alpha: np.ndarray) -> list[tuple[str, float]]:
    """Up to six colours of the light, weighted by area; grey ink's light is white.

    `light` is each pixel's light colour (H x W x 3, 0..1, peak channel 1), `alpha` its
    strength (paper is 0). A drawing without colour gives [("#ffffff", 1.0)].
    """
    ink = alpha > 0.5
    colours = light[ink]
    if colours.shape[0] == 0:
        return [(WHITE, 1.0)]
    sat = channel_max(colours) - channel_min(colours)
    vivid = colours[sat >= MIN_SATURATION]
    if vivid.shape[0] < max(20, 0.02 * colours.shape[0]):
        return [(WHITE, 1.0)]
    coloured_share = float(np.count_nonzero(sat >= TINTED)) / colours.shape[0]
    vivid = vivid[:: max(1, vivid.shape[0] // 100_000)]
    strip = Image.fromarray(np.round(vivid[None] * 255).astype(np.uint8), "RGB")
    quant = strip.quantize(colors=MAX_COLOURS, method=Image.Quantize.MEDIANCUT)
    counts = np.bincount(np.asarray(quant).ravel(), minlength=MAX_COLOURS)
    table = np.array(quant.getpalette()[: 3 * MAX_COLOURS], float).reshape(-1, 3)[: counts.size]
    merged: list[list[float]] = []  # [r, g, b, count]; close shades count as one colour
    for index in np.argsort(-counts):
        if counts[index] == 0:
            continue
        rgb = table[index]
        for entry in merged:
            if np.abs(np.array(entry[:3]) - rgb).max() < 48:
                entry[3] += counts[index]
                break
        else:
            merged.append([*rgb.tolist(), float(counts[index])])
    # A pencil figure with a pink bow is mostly white light: the colours weigh their share.
    total = sum(e[3] for e in merged)
    weighted = [(r, g, b, coloured_share * n / total) for r, g, b, n in merged]
    weighted.append((255.0, 255.0, 255.0, 1 - coloured_share))
    result = []
    for r, g, b, share in sorted(weighted, key=lambda e: -e[3]):
        if share < MIN_SHARE:
            continue
        peak = max(r, g, b, 1.0)
        hexcode = "#{:02x}{:02x}{:02x}".format(*(round(255 * c / peak) for c in (r, g, b)))
        result.append((hexcode, share))
    result = result[:MAX_COLOURS]  # six colours and white light can be seven
    kept = sum(share for _, share in result)
    return [(h, round(float(share / kept), 3)) for h, share in result]


_LEVELS = np.arange(256) / 255.0
_LINEAR = np.where(_LEVELS <= 0.04045, _LEVELS / 12.92, ((_LEVELS + 0.055) / 1.055) ** 2.4)


_LINEAR16 = np.round(_LINEAR * 65535).astype(np.uint16)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def pixel_image(glow: np.ndarray, width: int, height: int) -> tuple[np.ndarray, float]:
    """The drawing as light on black (`glow`: H x W x 3 uint8 sRGB) at width x height,
    letterboxed, each LED the area average of its patch in linear light (so thin
    strokes dim rather than vanish), then scaled so the brightest LED uses the
    fixture's whole range. Returns the RGB array and that scale (in linear light).
    """
    h, w = glow.shape[:2]
    scale = min(width / w, height / h)
    fit_w, fit_h = max(1, round(w * scale)), max(1, round(h * scale))
    # Linear light in 16 bits (a third of float32's memory), averaged by area.
    linear = cv2.LUT(glow, _LINEAR16)
    small = shrink(linear, (fit_w, fit_h))
    out = np.zeros((height, width, 3), np.float32)
    top, left = (height - fit_h) // 2, (width - fit_w) // 2
    out[top : top + fit_h, left : left + fit_w] = small.reshape(fit_h, fit_w, 3) / 65535.0
    peak = float(out.max())
    gain = 1.0 / peak if peak > 0 else 1.0
    return np.round(_to_srgb(out * gain) * 255).astype(np.uint8), gain
