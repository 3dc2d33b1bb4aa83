"""Profile objects shared by the built-in profiles and the OFL importer.

A Mode is a flat list of DMX slots. Slots that belong to one logical channel
(coarse, fine, fine2) share a `group`; capability ranges are expressed at the
resolution the mode actually uses for that group, so the frame assembler never
needs to know where a profile came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ATTRIBUTES = (
    "intensity",
    "red",
    "green",
    "blue",
    "white",
    "amber",
    "uv",
    "gobo",
    "gobo_rotation",
    "rotation_speed",
    "focus",
    "zoom",
    "strobe",
    "pan",
    "tilt",
)
COLOUR_ATTRIBUTES = ("red", "green", "blue", "white", "amber", "uv")
BYTE_NAMES = ("coarse", "fine", "fine2")


@dataclass(frozen=True)
class Capability:
    start: int  # DMX range at the group's resolution in this mode, inclusive
    end: int
    kind: str  # OFL capability type, e.g. "Intensity", "WheelSlot", "ShutterStrobe"
    attribute: str | None
    slot: int | None = None  # exact wheel slot number for WheelSlot
    effect: str = ""  # shutterEffect for ShutterStrobe ("Open", "Closed", "Strobe", ...)


@dataclass(frozen=True)
class Channel:
    offset: int  # 1-based within the fixture
    attribute: str | None  # None: not driven, held at `default`
    byte: str  # "coarse" | "fine" | "fine2"
    name: str
    group: str  # slots with the same group form one 8/16/24-bit value
    resolution: int = 1  # bytes of the group present in this mode
    default: int = 0  # at the group's resolution
    capabilities: tuple[Capability, ...] = ()
    pixel: int | None = None  # row-major pixel index for matrix channels


@dataclass(frozen=True)
class WheelSlot:
    number: int
    kind: str  # "Open", "Gobo", "Color", ...
    name: str
    resource: Path | None = None  # gobo image (SVG or PNG) when the OFL tree has it


@dataclass(frozen=True)
class Mode:
    name: str
    short_name: str
    channels: tuple[Channel, ...]
    pixels: tuple[int, int] | None = None
    gobo_wheel: tuple[WheelSlot, ...] = ()

    @property
    def footprint(self) -> int:
        return len(self.channels)

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(c.attribute for c in self.channels if c.attribute and c.pixel is None)


@dataclass(frozen=True)
class Profile:
    name: str
    source: str  # "built-in" or the OFL file path
    modes: tuple[Mode, ...]
    power_watts: float | None = None
    warnings: tuple[str, ...] = field(default=())

    def mode(self, wanted: str) -> Mode:
        """By name or short name (case-insensitive); empty means the first mode."""
        if not wanted:
            return self.modes[0]
        folded = wanted.casefold()
        for mode in self.modes:
            if folded in (mode.name.casefold(), mode.short_name.casefold()):
                return mode
        names = ", ".join(repr(m.name) for m in self.modes)
        raise LookupError(f"profile {self.name!r} has no mode {wanted!r} (modes: {names})")
