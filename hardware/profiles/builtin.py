"""Built-in profiles: plain 8-bit generic fixtures, described as attribute lists."""

from __future__ import annotations

from hardware.profiles.model import Capability, Channel, Mode, Profile, WheelSlot

WHEEL_SLOTS = 8
_SLOT_WIDTH = 256 // WHEEL_SLOTS

_SIMPLE: dict[str, tuple[str, ...]] = {
    "generic-dimmer": ("intensity",),
    "generic-rgb": ("red", "green", "blue"),
    "generic-rgbw": ("red", "green", "blue", "white"),
    "generic-drgb": ("intensity", "red", "green", "blue"),
    "generic-led-gobo": ("intensity", "red", "green", "blue", "white", "gobo_rotation"),
    "generic-gobo-wheel": (
        "intensity",
        "gobo",
        "gobo_rotation",
        "red",
        "green",
        "blue",
        "white",
    ),
}
BUILTIN_NAMES = (*_SIMPLE, "generic-pixel-matrix")


def _channel(offset: int, attribute: str, pixel: int | None = None, label: str = "") -> Channel:
    if attribute == "gobo":
        caps = tuple(
            Capability(
                (slot - 1) * _SLOT_WIDTH, slot * _SLOT_WIDTH - 1, "WheelSlot", "gobo", slot=slot
            )
            for slot in range(1, WHEEL_SLOTS + 1)
        )
    else:
        caps = (Capability(0, 255, "Generic", attribute),)
    name = label or attribute
    return Channel(offset, attribute, "coarse", name, group=name, capabilities=caps, pixel=pixel)


def _wheel() -> tuple[WheelSlot, ...]:
    open_slot = WheelSlot(1, "Open", "Open")
    return (open_slot, *(WheelSlot(n, "Gobo", f"Gobo {n}") for n in range(2, WHEEL_SLOTS + 1)))


def builtin_profile(name: str, pixels: tuple[int, int] | None = None) -> Profile | None:
    """The named built-in profile, or None when there is no such built-in."""
    if name in _SIMPLE:
        attrs = _SIMPLE[name]
        channels = tuple(_channel(i, a) for i, a in enumerate(attrs, start=1))
        wheel = _wheel() if "gobo" in attrs else ()
        short = f"{len(channels)}ch"
        return Profile(name, "built-in", (Mode(short, short, channels, gobo_wheel=wheel),))
    if name == "generic-pixel-matrix":
        width, height = pixels or (8, 1)
        channels = tuple(
            _channel(3 * p + i + 1, attr, pixel=p, label=f"{attr} {p + 1}")
            for p in range(width * height)
            for i, attr in enumerate(("red", "green", "blue"))
        )
        short = f"{width}x{height}"
        return Profile(name, "built-in", (Mode(short, short, channels, pixels=(width, height)),))
    return None
