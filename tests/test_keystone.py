"""Keystone pre-warp: the one-axis formula, and a pre-warped picture projects undistorted."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artwork import Settings, gobo_target
from artwork.convert import convert_drawing
from artwork.keystone import apply, gobo_to_surface, top_width_change


@pytest.mark.parametrize(("beam", "tilt"), [(26, 20), (10, 5), (20, -15), (25, 35), (15, 0)])
def test_top_width_change_matches_one_axis_formula(beam: float, tilt: float) -> None:
    a, b = math.radians(beam), math.radians(tilt)
    expected = 100 * (math.cos(b + a / 2) / math.cos(b - a / 2) - 1)
    assert top_width_change(tilt, beam) == pytest.approx(expected, abs=1e-9)


def test_worked_example() -> None:
    assert round(top_width_change(20, 26), 2) == -15.50


def _square_drawing(path: Path) -> Path:
    image = Image.new("RGB", (600, 600), "white")
    image.paste((0, 0, 0), (100, 100, 500, 500))
    image.save(path)
    return path


def test_prewarped_square_projects_as_a_square(tmp_path: Path) -> None:
    tilt, beam = 20.0, 26.0
    src = _square_drawing(tmp_path / "square.png")
    result = convert_drawing(src, tmp_path / "out", [gobo_target("glass", keystone=(tilt, beam))],
                             Settings())
    info = result.manifest["gobos"]["glass-B-k20x26"]
    assert info["keystone"]["top_width_change_percent"] == -15.5
    lit = np.asarray(Image.open(tmp_path / "out" / "gobo-glass-B-k20x26.png"))
    rows = np.nonzero(lit.any(axis=1))[0]
    top, bottom = rows[0] + 3, rows[-1] - 3
    widths = {r: np.count_nonzero(lit[r]) for r in (top, bottom)}
    assert widths[top] < 0.95 * widths[bottom]  # far edge drawn narrower on the gobo
    # Send every lit pixel through the projector onto the surface: a square again.
    ys, xs = np.nonzero(lit[::4, ::4])
    c = lit.shape[0] / 2
    half = math.tan(math.radians(beam) / 2)
    radius = info["image_diameter_px"] / 2
    u = (xs * 4 + 2 - c) / radius * half
    v = -(ys * 4 + 2 - c) / radius * half
    x, y = apply(gobo_to_surface(tilt), u, v)
    span_x, span_y = x.max() - x.min(), y.max() - y.min()
    assert span_x == pytest.approx(span_y, rel=0.03)
    near_top = x[y > y.max() - 0.05 * span_y]
    near_bottom = x[y < y.min() + 0.05 * span_y]
    assert np.ptp(near_top) == pytest.approx(np.ptp(near_bottom), rel=0.03)
