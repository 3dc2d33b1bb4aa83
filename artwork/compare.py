"""A comparison sheet of one conversion: the original beside what was made of it.

One row of pictures (original, cleaned, each gobo as the maker gets it, each gobo
as projected, the LED pixels, the palette) over a few lines of text (style and
why, the cleanup, each gobo's changes, warnings), so a curator can judge a
drawing, or a whole set, at a glance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from artwork.contract import RejectedDrawing
from artwork.derivatives import describe_changes, read_manifest
from artwork.ingest import load_drawing
from artwork.png import save_png
from artwork.settings import Settings

TILE = 320
_GAP = 8
_BACKGROUND = (28, 28, 28)
_TEXT = (235, 235, 235)
_DIM = (160, 160, 160)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size)
    except (OSError, ValueError, TypeError):  # Pillow built without FreeType
        return ImageFont.load_default()


def write_comparison(directory: Path, original: Path, out: Path) -> Path:
    """The sheet for the conversion in `directory` (made from `original`) as PNG `out`."""
    save_png(comparison_sheet(directory, original), out)
    return out


def comparison_sheet(directory: Path, original: Path) -> np.ndarray:
    manifest = read_manifest(directory)
    tiles: list[tuple[np.ndarray, str]] = []
    try:
        tiles.append((load_drawing(original, Settings()).rgb, "original"))
    except RejectedDrawing as exc:
        tiles.append((np.zeros((TILE, TILE, 3), np.uint8), f"original: {exc.reason}"))
    style = manifest.get("style", {}).get("used", "?")
    tiles.append((_png(directory / "cleaned.png"), f"cleaned ({style})"))
    for key, info in manifest.get("gobos", {}).items():
        tiles.append((_image_circle(_png(directory / f"gobo-{key}.png"), info), f"gobo {key}"))
    for key in manifest.get("gobos", {}):
        projected = directory / f"preview-{key}.png"
        if projected.is_file():
            tiles.append((_png(projected), f"projected {key}"))
    for pixels in sorted(directory.glob("pixels-*.png")):
        grid = _png(pixels)
        scale = max(1, TILE // max(grid.shape[:2]))
        tiles.append(
            (
                cv2.resize(grid, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST),
                pixels.stem,
            )
        )
    tiles.append((_swatches(manifest.get("palette", {}).get("colours", [])), "palette"))
    return _layout(tiles, _notes(manifest))


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _image_circle(gobo: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """The square around the image circle (the plate outside it is all black)."""
    side = int(info.get("image_diameter_px", gobo.shape[0]))
    offset = max(0, (gobo.shape[0] - side) // 2)
    return gobo[offset : offset + side, offset : offset + side]


def _swatches(colours: list[dict[str, Any]]) -> np.ndarray:
    out = np.zeros((TILE, TILE, 3), np.uint8)
    top = 0
    for entry in colours:
        height = max(8, round(TILE * float(entry.get("weight", 0))))
        value = str(entry.get("hex", "#000000")).lstrip("#")
        out[top : top + height] = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
        top += height
    return out


def _notes(manifest: dict[str, Any]) -> list[tuple[str, tuple[int, int, int]]]:
    style = manifest.get("style", {})
    lines = [
        (
            f"{manifest.get('source', {}).get('file', '')}: style {style.get('used', '?')}"
            f" (chosen by the {style.get('chosen_by', 'converter')}; "
            f"the converter's choice: {style.get('automatic', '?')}, {style.get('reason', '')})",
            _TEXT,
        )
    ]
    cleanup = describe_changes(manifest.get("cleanup", []))
    lines.append((f"cleanup: {cleanup}", _DIM))
    for key, info in manifest.get("gobos", {}).items():
        done = describe_changes(info.get("changes", [])) or "no changes"
        lines.append((f"{key}: {done}", _DIM))
    lines += [(f"warning: {w}", (240, 200, 90)) for w in manifest.get("warnings", [])]
    return lines


def _layout(
    tiles: list[tuple[np.ndarray, str]],
    notes: list[tuple[str, tuple[int, int, int]]],
) -> np.ndarray:
    label = _font(15)
    text = _font(16)
    width = len(tiles) * (TILE + _GAP) + _GAP
    height = TILE + 2 * _GAP + 24 + 22 * len(notes) + _GAP
    sheet = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, (picture, caption) in enumerate(tiles):
        thumb = Image.fromarray(picture)
        thumb.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
        x = _GAP + i * (TILE + _GAP)
        sheet.paste(thumb, (x + (TILE - thumb.width) // 2, _GAP + (TILE - thumb.height) // 2))
        draw.text((x, _GAP + TILE + 4), caption, fill=_TEXT, font=label)
    y = _GAP + TILE + 30
    for line, colour in notes:
        draw.text((_GAP, y), line, fill=colour, font=text)
        y += 22
    return np.asarray(sheet)
