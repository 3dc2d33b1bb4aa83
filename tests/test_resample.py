"""shrink: the two-step area average stays close to OpenCV's one-step one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from artwork.resample import shrink


@pytest.mark.parametrize(
    ("shape", "size"),
    [((3024, 4032, 3), (1000, 750)), ((3543, 3543), (581, 581)), ((2740, 2359, 3), (7, 6))],
)
def test_shrink_is_an_area_average(shape: tuple[int, ...], size: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    # Smooth shading with sharp strokes across it: what photos and gobos hold.
    image = cv2.GaussianBlur(rng.integers(0, 256, shape, np.uint8), (0, 0), 6)
    image[shape[0] // 3 :: 97] = 0
    image[:, shape[1] // 5 :: 53] = 255
    made = shrink(image, size)
    exact = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    assert made.shape == exact.shape
    # Each pixel within what the one-step average has in its 3 x 3 neighbourhood (a box's
    # edge may move by less than a pixel, sharing a thin line differently), give or take
    # 16 levels.
    box = np.ones((3, 3), np.uint8)
    assert (made.astype(int) >= cv2.erode(exact, box).astype(int) - 16).all()
    assert (made.astype(int) <= cv2.dilate(exact, box).astype(int) + 16).all()
    assert np.abs(made.astype(int) - exact).mean() < 3


def test_shrink_to_the_same_size_is_the_picture() -> None:
    image = np.arange(500 * 400, dtype=np.uint32).reshape(500, 400).astype(np.uint8)
    assert np.array_equal(shrink(image, (400, 500)), image)
