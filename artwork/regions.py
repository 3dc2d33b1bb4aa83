"""A painting's main colour areas, on a small copy: pure functions of the pixels."""

from __future__ import annotations

import cv2
import numpy as np

from artwork.groups import Groups


def colour_areas(small: np.ndarray) -> np.ndarray:
    """A painting's main colour areas (int32 ids): mean shift, k-means in Lab, connected
    areas; small ones join their nearest neighbour, like-coloured neighbours merge."""
    spread = cv2.pyrMeanShiftFiltering(small, 12, 28)
    lab = cv2.cvtColor(spread, cv2.COLOR_RGB2Lab)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(7)  # the same painting always gives the same gobo
    _, classes, _ = cv2.kmeans(
        lab.reshape(-1, 3).astype(np.float32), 6, None, criteria, 2, cv2.KMEANS_PP_CENTERS
    )
    classes = cv2.medianBlur(classes.reshape(small.shape[:2]).astype(np.uint8), 7)
    regions = np.zeros(classes.shape, np.int32)
    for k in np.unique(classes):
        _, parts = cv2.connectedComponents((classes == k).view(np.uint8), connectivity=4)
        at = parts > 0
        regions[at] = parts[at] + regions.max()
    regions = _absorb_small(regions, 0.008 * regions.size)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).astype(np.float32)
    lab[..., 0] /= 3  # brush strokes vary in lightness, a painting's shapes in hue
    return _merge_alike(regions, lab, 14.0)


def _absorb_small(regions: np.ndarray, min_area: float) -> np.ndarray:
    """Areas smaller than `min_area` take the id of the nearest pixel of a larger one."""
    sizes = np.bincount(regions.ravel())
    small = np.take(sizes, regions) < min_area
    if not small.any() or small.all():
        return regions
    # distanceTransformWithLabels numbers the other pixels in raster order.
    _, nearest = cv2.distanceTransformWithLabels(
        small.view(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    out = regions.copy()
    out[small] = regions.ravel()[np.flatnonzero(~small)][nearest[small] - 1]
    return out


def _merge_alike(regions: np.ndarray, lab: np.ndarray, within: float) -> np.ndarray:
    """Neighbouring areas whose mean colours differ by less than `within` (Lab) become one."""
    ids, flat = np.unique(regions, return_inverse=True)
    regions = flat.reshape(lab.shape[:2])
    n = ids.size
    counts = np.bincount(regions.ravel(), minlength=n).astype(np.float64)
    sums = np.stack(
        [np.bincount(regions.ravel(), lab[..., c].ravel(), minlength=n) for c in range(3)], axis=1
    )
    pairs = np.concatenate(
        [
            np.stack([regions[:, 1:].ravel(), regions[:, :-1].ravel()], axis=1),
            np.stack([regions[1:, :].ravel(), regions[:-1, :].ravel()], axis=1),
        ]
    )
    pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
    groups = Groups(n)
    merged = True
    while merged:
        merged = False
        for a, b in pairs:
            ra, rb = groups.find(int(a)), groups.find(int(b))
            if ra != rb and np.linalg.norm(sums[ra] / counts[ra] - sums[rb] / counts[rb]) < within:
                groups.join(ra, rb)
                sums[ra] += sums[rb]
                counts[ra] += counts[rb]
                merged = True
    return np.take(np.array([groups.find(i) for i in range(n)]), regions)


def area_edges(regions: np.ndarray) -> np.ndarray:
    """Pixels on the border between two areas."""
    edge = np.zeros(regions.shape, bool)
    edge[:, 1:] |= regions[:, 1:] != regions[:, :-1]
    edge[1:, :] |= regions[1:, :] != regions[:-1, :]
    return edge
