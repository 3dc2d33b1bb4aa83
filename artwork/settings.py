"""Artwork settings from the `[artwork]` table of the site configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteconfig import Table


@dataclass(frozen=True)
class Settings:
    max_file_mb: float = 40.0  # refuse larger uploads before reading them
    max_pixels: int = 40_000_000  # refuse larger images from the header, before decoding
    require_approval: bool = False  # new drawings wait for a curator
    min_bridge_mm: float = 0.4  # steel: narrowest tie holding an island, at gobo scale
    min_feature_mm: float = 0.3  # steel: narrowest opening or metal line
    min_image_px: int = 3543  # pixels across the image diameter (600 dpi at 150 mm)
    stable_seconds: float = 2.0  # inbox: a file must stay complete and unchanged this long
    # The daemon converts in a child limited to this much data (virtual: a 12 MP photo needs
    # about 270 MB resident, 340 MB of data).
    conversion_memory_mb: int = 360


def parse_settings(table: Table | Mapping[str, Any], file: Path | str | None = None) -> Settings:
    """`[artwork]` -> Settings, or ConfigError naming the key (unknown keys included)."""
    read = Table.of(table, "artwork", file)
    d = Settings()
    settings = Settings(
        max_file_mb=read.number("max_file_mb", 0.001, 2048, d.max_file_mb),
        max_pixels=read.integer("max_pixels", 1_000, 500_000_000, d.max_pixels),
        require_approval=read.boolean("require_approval", d.require_approval),
        min_bridge_mm=read.number("min_bridge_mm", 0.05, 5.0, d.min_bridge_mm),
        min_feature_mm=read.number("min_feature_mm", 0.05, 5.0, d.min_feature_mm),
        min_image_px=read.integer("min_image_px", 3543, 20_000, d.min_image_px),
        stable_seconds=read.number("stable_seconds", 0.0, 3600.0, d.stable_seconds),
        conversion_memory_mb=read.integer("conversion_memory_mb", 64, 65536,
                                          d.conversion_memory_mb),
    )
    read.close()
    return settings
