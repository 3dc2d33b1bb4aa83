"""Artwork settings from the `[artwork]` table of the site configuration."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


class SettingsError(ValueError):
    """A bad `[artwork]` value; `key` names it (e.g. "artwork.max_file_mb")."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class Settings:
    max_file_mb: float = 40.0  # refuse larger uploads before reading them
    max_pixels: int = 40_000_000  # refuse larger images from the header, before decoding
    require_approval: bool = False  # new drawings wait for a curator
    min_bridge_mm: float = 0.4  # steel: narrowest tie holding an island, at gobo scale
    min_feature_mm: float = 0.3  # steel: narrowest opening or metal line
    min_image_px: int = 3543  # pixels across the image diameter (600 dpi at 150 mm)
    stable_seconds: float = 2.0  # inbox: a file's size must hold this long
    working_px: int = 1600  # long edge the cleanup works at


# key -> (type, low, high); bools have no range.
_RULES: dict[str, tuple[type, float, float]] = {
    "max_file_mb": (float, 0.001, 2048),
    "max_pixels": (int, 1_000, 500_000_000),
    "require_approval": (bool, 0, 0),
    "min_bridge_mm": (float, 0.05, 5.0),
    "min_feature_mm": (float, 0.05, 5.0),
    "min_image_px": (int, 3543, 20_000),
    "stable_seconds": (float, 0.0, 3600.0),
    "working_px": (int, 400, 4000),
}


def parse_settings(table: dict[str, Any]) -> Settings:
    """Validate every key of `[artwork]`; unknown keys are errors, not silently ignored."""
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in table.items():
        key = f"artwork.{name}"
        if name not in known:
            raise SettingsError(key, f"unknown key (known: {', '.join(sorted(known))})")
        kind, low, high = _RULES[name]
        if kind is bool:
            if not isinstance(value, bool):
                raise SettingsError(key, f"must be true or false, not {value!r}")
            values[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(key, f"must be a number, not {value!r}")
        if kind is int and float(value) != int(value):
            raise SettingsError(key, f"must be a whole number, not {value!r}")
        if not low <= value <= high:
            raise SettingsError(key, f"{value} is outside {low:g}..{high:g}")
        values[name] = kind(value)
    return Settings(**values)
