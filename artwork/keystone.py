"""Keystone pre-warp for a projector tilted against the surface (one axis).

Gobo coordinates (u, v) are tangents of ray angles in the projector frame, v
up; the surface is the plane at distance 1 along its normal, the projector's
axis tilted by `tilt` from that normal, towards +Y (notes/domain.md 1.5):

    gobo -> surface:  X = u / (cos t - v sin t),  Y = (v cos t + sin t) / (cos t - v sin t)

The picture's top lands on the far side. Pre-warping with the inverse makes
the projected picture a true rectangle again.
"""

from __future__ import annotations

import math

import numpy as np


def gobo_to_surface(tilt_deg: float) -> np.ndarray:
    """3x3 homography taking (u, v, 1) on the gobo to (X, Y, 1) on the surface."""
    t = math.radians(tilt_deg)
    c, s = math.cos(t), math.sin(t)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def surface_to_gobo(tilt_deg: float) -> np.ndarray:
    return np.linalg.inv(gobo_to_surface(tilt_deg))


def apply(h: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w


def top_width_change(tilt_deg: float, beam_deg: float) -> float:
    """Percent change of the top edge's width that the pre-warp applies to a picture
    filling the beam's height: computed from the homography (the closed form is
    100 * (cos(B + A/2) / cos(B - A/2) - 1), checked in the tests)."""
    half = math.tan(math.radians(beam_deg) / 2)
    forward = gobo_to_surface(tilt_deg)
    # The surface rectangle whose bottom edge fills the beam's bottom row...
    _, y_bottom = apply(forward, np.array([0.0]), np.array([-half]))
    _, y_top = apply(forward, np.array([0.0]), np.array([half]))
    x_bottom, _ = apply(forward, np.array([half]), np.array([-half]))
    # ...is pre-warped back: its top corners land narrower on the gobo.
    back = surface_to_gobo(tilt_deg)
    u_top, _ = apply(back, x_bottom, y_top)
    u_bottom, _ = apply(back, x_bottom, y_bottom)
    return float(100.0 * (u_top[0] / u_bottom[0] - 1.0))


def fit_scale(tilt_deg: float, beam_deg: float, limit: float = 0.98) -> float:
    """Largest surface radius s (centred on the axis) whose circle pre-warps inside
    `limit` of the gobo's image circle; the picture's unit circle maps to s."""
    half = math.tan(math.radians(beam_deg) / 2)
    centre_y = math.tan(math.radians(tilt_deg))
    angles = np.linspace(0, 2 * math.pi, 180, endpoint=False)
    back = surface_to_gobo(tilt_deg)
    low, high = 0.0, 10.0 * (half + abs(centre_y) + 1)
    for _ in range(50):
        s = (low + high) / 2
        x, y = s * np.cos(angles), centre_y + s * np.sin(angles)
        in_front = back[2, 1] * y + back[2, 2] > 0  # beyond the horizon nothing lands
        u, v = apply(back, x, y)
        fits = bool(np.all(in_front) and np.all(np.hypot(u, v) <= limit * half))
        low, high = (s, high) if fits else (low, s)
    return low
