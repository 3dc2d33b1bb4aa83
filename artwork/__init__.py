"""Artwork: drawing ingest, conversion to gobo/LED artwork, library and inbox."""

from artwork.convert import Conversion, convert_drawing, convert_targets
from artwork.inbox import Inbox, InboxOutcome
from artwork.ingest import HEIC_SUPPORTED, RejectedDrawing, load_drawing
from artwork.library import AddResult, ArtworkNotFound, ArtworkRecord, Library, LibraryError
from artwork.settings import Settings, parse_settings
from artwork.targets import KINDS, SIZES, GoboTarget, PixelTarget, gobo_target

__all__ = [
    "HEIC_SUPPORTED",
    "KINDS",
    "SIZES",
    "AddResult",
    "ArtworkNotFound",
    "ArtworkRecord",
    "Conversion",
    "GoboTarget",
    "Inbox",
    "InboxOutcome",
    "Library",
    "LibraryError",
    "PixelTarget",
    "RejectedDrawing",
    "Settings",
    "convert_drawing",
    "convert_targets",
    "gobo_target",
    "load_drawing",
    "parse_settings",
]
