"""Fixture profiles: built-in generics and Open Fixture Library files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hardware.profiles.builtin import BUILTIN_NAMES, builtin_profile
from hardware.profiles.model import (
    ATTRIBUTES,
    COLOUR_ATTRIBUTES,
    Capability,
    Channel,
    Mode,
    Profile,
    WheelSlot,
)
from hardware.profiles.ofl import ProfileError, load_ofl

__all__ = [
    "ATTRIBUTES",
    "BUILTIN_NAMES",
    "COLOUR_ATTRIBUTES",
    "Capability",
    "Channel",
    "Mode",
    "Profile",
    "ProfileError",
    "WheelSlot",
    "builtin_profile",
    "load_ofl",
    "load_profile",
]


def load_profile(spec: str, base_dir: Path, pixels: tuple[int, int] | None = None) -> Profile:
    """A built-in by name, else an OFL .json path (relative paths resolve against base_dir)."""
    builtin = builtin_profile(spec, pixels)
    if builtin is not None:
        return builtin
    if not spec.endswith(".json"):
        raise ProfileError(
            f"unknown profile {spec!r}: use a built-in ({', '.join(BUILTIN_NAMES)}) "
            "or a path to an Open Fixture Library .json"
        )
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else base_dir / path
    try:
        stat = path.stat()
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None
    return _cached_ofl(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _cached_ofl(path: Path, mtime_ns: int, size: int) -> Profile:
    # Keyed on mtime and size so an edited file is read again; a patch of 100 identical
    # fixtures reads their profile once.
    return load_ofl(path)
