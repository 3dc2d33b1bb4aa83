"""Groups that merge: union-find over 0..n-1 (path halving), for pieces of steel tied by
bridges and a painting's colour areas joined with their like neighbours."""

from __future__ import annotations


class Groups:
    def __init__(self, n: int) -> None:
        self._parent = list(range(n))

    def find(self, x: int) -> int:
        """The id the group holding `x` goes by."""
        parent = self._parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, keep: int, other: int) -> None:
        """The group going by `other` joins the one going by `keep` (both as find gives)."""
        self._parent[other] = keep
