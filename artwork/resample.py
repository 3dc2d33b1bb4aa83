"""Shrinking pictures by area averaging, fast: OpenCV averages whole k x k boxes four to
twenty times faster than fractional ones, so a picture is first shrunk by the largest
whole k that stays above the target, then the fractional rest of the way (within a
level or two of a one-step average)."""

from __future__ import annotations

import cv2
import numpy as np


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` area-averaged to `size` (width, height), never enlarged."""
    h, w = image.shape[:2]
    whole = min(w // size[0], h // size[1])
    if whole > 1:
        image = cv2.resize(image, None, fx=1 / whole, fy=1 / whole, interpolation=cv2.INTER_AREA)
    if image.shape[1] == size[0] and image.shape[0] == size[1]:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
