"""Preview: the gobo's light as it falls on dark pavement, in the palette's main colour."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageFilter

PREVIEW_PX = 640


def hex_to_rgb(code: str) -> tuple[float, float, float]:
    value = code.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


@functools.cache
def _pavement() -> np.ndarray:
    """Dark asphalt with a fixed grain, so previews compare like for like."""
    noise = Image.effect_noise((PREVIEW_PX, PREVIEW_PX), 4.6)
    grain = (np.asarray(noise, np.float32) - 128) / 255
    ground = np.clip(0.09 + grain, 0.0, 1.0)[..., None] * np.array([1.0, 1.0, 1.04], np.float32)
    ground.flags.writeable = False
    return ground


def projected(light_mask: Image.Image, colour: str) -> Image.Image:
    """`light_mask`: L image, 255 where light passes (a gobo as seen from the audience)."""
    mask = light_mask.convert("L").resize((PREVIEW_PX, PREVIEW_PX), Image.Resampling.BOX)
    sharp = np.asarray(mask.filter(ImageFilter.GaussianBlur(1.0)), np.float32) / 255
    glow = np.asarray(mask.filter(ImageFilter.GaussianBlur(11)), np.float32) / 255
    ground = _pavement()
    light = (sharp * 0.9 + glow * 0.5)[..., None] * np.array(hex_to_rgb(colour), np.float32)
    # Lit asphalt reflects the light; grain shows through the beam as on a real path.
    out = ground + light * (0.55 + 4.0 * ground)
    return Image.fromarray(np.round(np.clip(out, 0, 1) * 255).astype(np.uint8), "RGB")
