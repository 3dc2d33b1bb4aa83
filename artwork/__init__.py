"""Artwork: drawing ingest, conversion to gobo/LED artwork, library and inbox."""

from artwork.settings import Settings, SettingsError, parse_settings

__all__ = ["Settings", "SettingsError", "parse_settings"]
