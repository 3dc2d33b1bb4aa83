"""Safe decoding of an untrusted drawing into an oriented RGB image on white.

Limits are checked before pixels are decoded: file size from stat, pixel
count from the header (Pillow's bomb check, per call, restored afterwards).
Pictures larger than DECODE_PIXELS are reduced while they are decoded (JPEG in
the DCT domain, others by whole-pixel boxes before colour conversion), so memory
stays bounded for anything under the limits. Any failure becomes a
RejectedDrawing with a reason an artist understands.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from artwork.contract import RejectedDrawing
from artwork.settings import Settings

try:  # optional: HEIC from iPhones
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:
    HEIC_SUPPORTED = False


# More pixels than a gobo can use even from a small drawing in a big photo; above this a
# picture is reduced while decoding (an RGB copy of 16 MP is 48 MB).
DECODE_PIXELS = 16_000_000


@dataclass
class Decoded:
    rgb: np.ndarray  # uint8 H x W x 3, upright, transparency on white
    warnings: list[str] = field(default_factory=list)
    size: tuple[int, int] = field(init=False)  # width, height: still known once taken

    def __post_init__(self) -> None:
        self.size = (self.rgb.shape[1], self.rgb.shape[0])

    def take(self) -> np.ndarray:
        """The picture, handed over: this object lets go of it, so it is freed as soon as
        its new holder is done with it (a 12 MP photo is 36 MB)."""
        rgb, self.rgb = self.rgb, np.empty((0, 0, 3), np.uint8)
        return rgb


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "GIF", "HEIF", "AVIF"}
_limit_lock = threading.Lock()  # Image.MAX_IMAGE_PIXELS is process-wide


def _is_heif(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _open_checked(path: Path, max_pixels: int) -> Image.Image:
    """Image.open under our pixel limit, the bomb warning promoted to an error."""
    with _limit_lock:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    return image


def open_drawing(path: Path, settings: Settings) -> Image.Image:
    """Open `path` lazily once its size, type and pixel count pass the limits (no decoding).

    The caller closes the image; the web console checks uploads with this before the inbox.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(32)
    except OSError as exc:
        raise RejectedDrawing(f"cannot read the file: {exc.strerror}") from None
    limit = settings.max_file_mb * 1024 * 1024
    if size > limit:
        raise RejectedDrawing(
            f"too large: {size / 1048576:.3g} MB file (limit {settings.max_file_mb:g} MB)"
        )
    if size == 0:
        raise RejectedDrawing("empty file")
    if _is_heif(head) and not HEIC_SUPPORTED:
        raise RejectedDrawing("HEIC photo: export it as JPEG")
    mp = settings.max_pixels / 1e6
    try:
        image = _open_checked(path, settings.max_pixels)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)) / 1e6:.0f} MP" if found else "too many pixels"
        raise RejectedDrawing(f"too large: {pixels} (limit {mp:g} MP)") from None
    except UnidentifiedImageError:
        raise RejectedDrawing("not an image file") from None
    except (OSError, ValueError, SyntaxError):
        raise RejectedDrawing("damaged image file") from None
    try:
        if image.format not in _FORMATS:
            raise RejectedDrawing(f"unsupported image type {image.format}: use JPEG or PNG")
        width, height = image.size
        if width * height > settings.max_pixels:
            raise RejectedDrawing(
                f"too large: {width * height / 1e6:.0f} MP (limit {mp:g} MP)"
            )
        if width < 16 or height < 16:
            raise RejectedDrawing(f"too small: {width}x{height} pixels")
    except BaseException:
        image.close()
        raise
    return image


def load_drawing(path: Path, settings: Settings) -> Decoded:
    """Decode `path` to upright RGB, at most DECODE_PIXELS."""
    with open_drawing(path, settings) as image:
        notes = _frames_note(image)
        return Decoded(_decode(image), notes)


def glance(path: Path, settings: Settings, long_edge: int) -> np.ndarray | None:
    """A big JPEG upright at about `long_edge` pixels (at least that many), decoded straight
    from its DCT in a fraction of a full decode's time, so decisions can be made on it while
    the whole picture decodes; None for other types and small pictures."""
    with open_drawing(path, settings) as image:
        if image.format not in ("JPEG", "MPO") or max(image.size) < 2 * long_edge:
            return None
        scale = long_edge / max(image.size)
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        return _decode(image)


def _frames_note(image: Image.Image) -> list[str]:
    """A warning for an animation or a multi-page file: only the first picture is used.
    (is_animated looks at the second frame only; a damaged one counts as none.)"""
    try:
        several = bool(getattr(image, "is_animated", False))
    except (OSError, ValueError, SyntaxError, EOFError, TypeError):
        several = False
    finally:
        image.seek(0)
    if not several:
        return []
    what = "animation" if image.format in ("GIF", "WEBP", "PNG") else "file of several pages"
    return [f"{what}: only its first picture is used"]


def _decode(image: Image.Image) -> np.ndarray:
    """The picture's pixels, upright RGB; a damaged file is refused."""
    try:
        return _upright_rgb(image)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise RejectedDrawing("damaged image file") from None


def _upright_rgb(image: Image.Image) -> np.ndarray:
    factor = math.ceil(math.sqrt(image.width * image.height / DECODE_PIXELS))
    if factor > 1 and image.format in ("JPEG", "MPO"):
        # DCT-domain downscale: 1/2..1/8 of the pixels at a fraction of the cost.
        image.draft(image.mode, (image.width // factor, image.height // factor))
        factor = math.ceil(math.sqrt(image.width * image.height / DECODE_PIXELS))
    # Image.open leaves GIF and TIFF on their first frame.
    orientation = image.getexif().get(0x0112, 1)
    image.load()
    if factor > 1:  # boxes of whole pixels, before the copy grows to RGB
        if image.mode == "1":
            image = image.convert("L")
        elif image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        full, image = image, image.reduce(factor)
        full.close()  # a 40 MP picture is 160 MB in Pillow: gone before the next copy
    # One picture at a time: Pillow's, then the array (no EXIF comes along), then upright.
    rgb = np.asarray(image if image.mode == "RGB" else _on_white(image))
    image.close()
    return _ORIENT[orientation](rgb) if orientation in _ORIENT else rgb


_ORIENT = {  # EXIF orientation -> what turns the stored pixels upright
    2: lambda a: cv2.flip(a, 1),
    3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
    4: lambda a: cv2.flip(a, 0),
    5: lambda a: np.ascontiguousarray(a.transpose(1, 0, 2)),
    6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
    7: lambda a: cv2.rotate(cv2.flip(a, 1), cv2.ROTATE_90_CLOCKWISE),
    8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


def _on_white(image: Image.Image) -> Image.Image:
    """Any mode to RGB; transparency becomes paper, not black; 16-bit scaled, not clipped."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.point(lambda v: v / 257).convert("L").convert("RGB")
    if (mode == "P" and "transparency" in image.info) or mode == "PA":
        image = image.convert("RGBA")
    if mode == "1":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
