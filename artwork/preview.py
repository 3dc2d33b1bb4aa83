"""Preview: a gobo's light as it falls on dark pavement, as the audience sees it."""

from __future__ import annotations

import functools

import cv2
import numpy as np

PREVIEW_PX = 640


def hex_to_rgb(code: str) -> tuple[float, float, float]:
    value = code.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


@functools.cache
def pavement() -> tuple[np.ndarray, np.ndarray]:
    """Dark asphalt with a fixed grain, so previews compare like for like (seeded: the same
    in every process and thread, unlike Pillow's noise from the C library's rand()), and how
    much of the light on it each point reflects."""
    grain = np.random.default_rng(7).normal(0.0, 4.6 / 255, (PREVIEW_PX, PREVIEW_PX))
    ground = np.clip(0.09 + grain, 0.0, 1.0)[..., None] * np.array([1.0, 1.0, 1.04])
    ground = ground.astype(np.float32)
    reflection = 0.55 + 4.0 * ground
    for plane in (ground, reflection):
        plane.flags.writeable = False
    return ground, reflection


def in_colour(mask: np.ndarray, colour: str) -> np.ndarray:
    """A one-colour gobo's light (`mask`: bool or 0..255, True/255 = open) in a lamp colour."""
    if mask.dtype == bool:
        mask = mask.view(np.uint8) * np.uint8(255)
    return cv2.LUT(cv2.merge([mask] * 3), _lamp_levels(colour))


@functools.lru_cache(maxsize=8)
def _lamp_levels(colour: str) -> np.ndarray:
    """Each of the 256 levels of a gobo's light in the lamp's colour (a 3-channel table)."""
    level = np.arange(256, dtype=np.float32) / 255.0
    table = np.round(level[:, None] * np.array(hex_to_rgb(colour), np.float32) * 255)
    return table.astype(np.uint8).reshape(256, 1, 3)


def projected(light: np.ndarray) -> np.ndarray:
    """`light`: uint8 RGB, the light leaving the gobo as the audience sees it (square)."""
    small = cv2.resize(light, (PREVIEW_PX, PREVIEW_PX), interpolation=cv2.INTER_AREA)
    beam = small.astype(np.float32) / 255
    out = cv2.GaussianBlur(beam, (0, 0), 1.0) * 0.9
    glow = _glow(beam, 11)
    glow *= 0.5
    out += glow
    # Lit asphalt reflects the light; grain shows through the beam as on a real path.
    ground, reflection = pavement()
    out *= reflection
    out += ground
    np.clip(out, 0, 1, out=out)
    out *= 255
    return np.round(out, out=out).astype(np.uint8)


def _glow(beam: np.ndarray, sigma: float) -> np.ndarray:
    """A wide Gaussian blur, made at a quarter of the size (a glow has no detail to lose):
    a twentieth of the time of blurring at full size."""
    h, w = beam.shape[:2]
    small = cv2.resize(beam, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
