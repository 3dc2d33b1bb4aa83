"""Artwork: drawing ingest, conversion to gobo/LED artwork, library and inbox.

The package itself is light: the converter (artwork.convert, artwork.ingest) loads OpenCV and is
imported from its modules by whoever converts in-process; the daemon converts in a child.
"""

from artwork.contract import STYLES, Conversion, RejectedDrawing
from artwork.inbox import Inbox, InboxOutcome
from artwork.library import AddResult, ArtworkNotFound, ArtworkRecord, Library, LibraryError
from artwork.settings import Settings, parse_settings
from artwork.targets import KINDS, SIZES, GoboTarget, PixelTarget, gobo_target

__all__ = [
    "KINDS",
    "SIZES",
    "STYLES",
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
    "gobo_target",
    "parse_settings",
]
