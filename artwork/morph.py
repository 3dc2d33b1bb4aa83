"""Binary-image tools in numpy: box morphology and connected-component labelling.

No scipy/OpenCV on the Pi: every loop here is a numpy call; the labelling
works on horizontal runs, so its cost follows the number of runs, not pixels.
"""

from __future__ import annotations

import numpy as np


def box_sum(mask: np.ndarray, radius: int, outside: int = 0) -> np.ndarray:
    """Sum of `mask` over the (2r+1)^2 square around each pixel; off-edge cells count `outside`."""
    a = np.pad(mask.astype(np.int32), radius + 1, constant_values=outside)
    for axis in (0, 1):
        c = np.cumsum(a, axis=axis)
        hi = c.take(np.arange(2 * radius + 1, c.shape[axis]), axis=axis)
        lo = c.take(np.arange(0, c.shape[axis] - 2 * radius - 1), axis=axis)
        a = hi - lo
    return a[: mask.shape[0], : mask.shape[1]]


def _grow_1d(mask: np.ndarray, radius: int, axis: int, edge: bool) -> np.ndarray:
    """OR over a (2r+1) segment along one axis in O(log r) shifted passes.

    Each pass ORs in the previous pass shifted by +-s, through slices (no padded copies);
    `edge` says whether cells beyond the ends count as set.
    """
    out = mask.copy()
    covered, step = 0, 1
    while covered < radius:
        s = min(step, radius - covered)
        n = out.shape[axis]
        prev = out.copy()
        head = (slice(None),) * axis
        if s < n:
            out[(*head, slice(s, None))] |= prev[(*head, slice(0, n - s))]
            out[(*head, slice(0, n - s))] |= prev[(*head, slice(s, None))]
        if edge:
            out[(*head, slice(0, s))] = True
            out[(*head, slice(max(0, n - s), None))] = True
        covered += s
        step *= 2
    return out


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Square dilation by `radius` (separable, logarithmic in the radius)."""
    if radius <= 0:
        return mask.copy()
    return _grow_1d(_grow_1d(mask, radius, 0, False), radius, 1, False)


def erode(mask: np.ndarray, radius: int, outside: bool = False) -> np.ndarray:
    """Square erosion; `outside` says whether cells beyond the edge count as set."""
    if radius <= 0:
        return mask.copy()
    inverse = ~mask
    return ~_grow_1d(_grow_1d(inverse, radius, 0, not outside), radius, 1, not outside)


def opening(mask: np.ndarray, radius: int) -> np.ndarray:
    return dilate(erode(mask, radius, outside=True), radius)


def closing(mask: np.ndarray, radius: int) -> np.ndarray:
    return erode(dilate(mask, radius), radius, outside=True)


def label(mask: np.ndarray, eight: bool = False) -> tuple[np.ndarray, int]:
    """Label connected components (4- or 8-connected): int32 image 1..n, 0 = background."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), bool)
    padded[:, 1:-1] = mask
    # Every change along a row is a run's start or its (exclusive) end, in turn.
    # (Flat indices split by divmod: numpy's 2-D nonzero is several times slower.)
    edge_rows, edge_cols = np.divmod(np.flatnonzero(padded[:, 1:] != padded[:, :-1]), w + 1)
    rows, starts, ends = edge_rows[0::2], edge_cols[0::2], edge_cols[1::2]
    n = rows.size
    if n == 0:
        return np.zeros((h, w), np.int32), 0
    width = w + 2
    start_keys = rows * width + starts
    end_keys = rows * width + ends
    slack = 1 if eight else 0
    # Runs in the row above that overlap run i form one contiguous range [lo, hi].
    above = (rows - 1) * width
    lo = np.searchsorted(end_keys, above + starts - slack, side="right")
    hi = np.searchsorted(start_keys, above + ends + slack, side="left") - 1
    ok = (rows > 0) & (lo <= hi)
    ok &= rows[np.minimum(lo, n - 1)] == rows - 1
    counts = np.where(ok, hi - lo + 1, 0)
    a = np.repeat(np.arange(n), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b = np.repeat(lo, counts) + within
    parent = _union(n, a, b)
    roots, run_label = np.unique(parent, return_inverse=True)
    # Paint the runs: +label where a run starts, -label just after it, summed along rows.
    run_label = run_label.astype(np.int32) + 1
    out = np.zeros((h, w), np.int32)
    out[rows, starts] = run_label
    inside = ends < w
    out[rows[inside], ends[inside]] = -run_label[inside]
    np.cumsum(out, axis=1, dtype=np.int32, out=out)
    return out, int(roots.size)


def _union(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over edges (a, b), vectorised: hook larger roots under smaller, then compress."""
    parent = np.arange(n)
    while True:
        pa, pb = parent[a], parent[b]
        low, high = np.minimum(pa, pb), np.maximum(pa, pb)
        differ = low != high
        if not differ.any():
            return parent
        np.minimum.at(parent, high[differ], low[differ])
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
