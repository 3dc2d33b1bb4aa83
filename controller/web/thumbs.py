"""Small copies of an artwork's pictures for phones, made once and kept in a cache folder.

Originals are untrusted and go through the ingest's checked decoder (limits before
decoding, orientation applied, no metadata kept); derived files are the converter's own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from PIL import Image

from artwork.ingest import load_drawing
from artwork.settings import Settings

_one_at_a_time = threading.Lock()  # a 600 dpi gobo decodes to tens of MB: never two at once


class Thumbnails:
    def __init__(self, cache_dir: Path, settings: Settings) -> None:
        self.cache_dir = Path(cache_dir)
        self.settings = settings

    def get(self, source: Path, width: int, untrusted: bool = False) -> Path:
        """A PNG at most `width` pixels on its long edge (sync: call it from a worker thread)."""
        info = source.stat()
        key = hashlib.sha256(
            f"{source}|{info.st_mtime_ns}|{info.st_size}|{width}".encode()
        ).hexdigest()[:32]
        cached = self.cache_dir / f"{key}.png"
        if cached.is_file():
            return cached
        with _one_at_a_time:
            if cached.is_file():
                return cached
            image = (Image.fromarray(load_drawing(source, self.settings).rgb) if untrusted
                     else _derived(source))
            image.thumbnail((width, width), Image.Resampling.LANCZOS)
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.cache_dir, prefix=".thumb-", suffix=".png")
            os.close(handle)
            try:
                image.save(temp, "PNG", optimize=True)
                os.replace(temp, cached)
            finally:
                Path(temp).unlink(missing_ok=True)
        return cached


def _derived(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        if image.mode in ("1", "L", "P", "LA"):
            return image.convert("L")
        return image.convert("RGB")
