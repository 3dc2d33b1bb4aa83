"""Artwork: drawing ingest, conversion to gobo/LED artwork, library and inbox."""

from artwork.convert import Conversion, convert_drawing, convert_targets
from artwork.ingest import HEIC_SUPPORTED, RejectedDrawing, load_drawing
from artwork.settings import Settings, SettingsError, parse_settings
from artwork.targets import KINDS, SIZES, GoboTarget, PixelTarget, gobo_target

__all__ = [
    "HEIC_SUPPORTED",
    "KINDS",
    "SIZES",
    "Conversion",
    "GoboTarget",
    "PixelTarget",
    "RejectedDrawing",
    "Settings",
    "SettingsError",
    "convert_drawing",
    "convert_targets",
    "gobo_target",
    "load_drawing",
    "parse_settings",
]
