"""What to make from a drawing: gobo artwork (kind, size, optics) and LED pixel images."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("steel", "glass", "glass-grey", "colour")
# Standard gobo sizes: (outside diameter, image diameter) in mm (Rosco row, notes/domain.md 1.1).
SIZES: dict[str, tuple[float, float]] = {
    "A": (100.0, 75.0),
    "B": (86.0, 64.5),
    "M": (66.0, 48.0),
    "E": (37.5, 28.0),
}


@dataclass(frozen=True)
class GoboTarget:
    kind: str
    size: str
    outer_mm: float
    image_mm: float
    flip: bool = False
    keystone: tuple[float, float] | None = None  # (tilt_deg from the surface normal, beam_deg)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"gobo kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0 < self.image_mm <= self.outer_mm:
            raise ValueError(
                f"gobo image diameter {self.image_mm} mm must be > 0 and <= outer {self.outer_mm}"
            )
        if self.keystone is not None:
            tilt, beam = self.keystone
            if not 0 < beam < 120 or abs(tilt) + beam / 2 >= 89:
                raise ValueError(f"keystone tilt {tilt} / beam {beam} degrees cannot be projected")

    @property
    def key(self) -> str:
        """Stable name for files: steel-B, glass-M-flip, steel-B-k20x26, colour-B-60in86."""
        parts = [self.kind, self.size]
        if self.size not in SIZES or SIZES[self.size] != (self.outer_mm, self.image_mm):
            parts.append(f"{self.image_mm:g}in{self.outer_mm:g}")
        if self.flip:
            parts.append("flip")
        if self.keystone is not None:
            parts.append(f"k{self.keystone[0]:g}x{self.keystone[1]:g}")
        return "-".join(parts)


@dataclass(frozen=True)
class PixelTarget:
    width: int
    height: int

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 1024 and 1 <= self.height <= 1024):
            raise ValueError(f"pixel grid {self.width}x{self.height} must be 1..1024 each way")

    @property
    def key(self) -> str:
        return f"pixels-{self.width}x{self.height}"


def gobo_target(
    kind: str,
    size: str = "B",
    image_mm: float | None = None,
    flip: bool = False,
    keystone: tuple[float, float] | None = None,
    outer_mm: float | None = None,
) -> GoboTarget:
    """A standard size by letter (A, B, M, E), diameters overridable per fixture."""
    if size in SIZES:
        std_outer, std_image = SIZES[size]
    elif image_mm is None or outer_mm is None:
        raise ValueError(f"gobo size {size!r} is not one of {', '.join(SIZES)}; give its diameters")
    else:
        std_outer, std_image = outer_mm, image_mm
    return GoboTarget(
        kind=kind,
        size=size,
        outer_mm=float(outer_mm if outer_mm is not None else std_outer),
        image_mm=float(image_mm if image_mm is not None else std_image),
        flip=flip,
        keystone=keystone,
    )
