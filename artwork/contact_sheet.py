"""Contact sheet of the library: each artwork's projected preview with id, status and credit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from artwork.library import ArtworkRecord
from artwork.png import save_png

_BACKGROUND = (24, 24, 24)
_TEXT = (235, 235, 235)
_STATUS_COLOURS = {
    "approved": (120, 220, 120),
    "pending": (240, 200, 90),
    "rejected": (240, 110, 110),
    "retired": (150, 150, 150),
}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size)
    except (OSError, ValueError, TypeError):  # Pillow built without FreeType: bitmap font
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, font: object, width: int) -> str:
    if draw.textlength(text, font=font) <= width:  # type: ignore[arg-type]
        return text
    while text and draw.textlength(text + "…", font=font) > width:  # type: ignore[arg-type]
        text = text[:-1]
    return text + "…"


def render_contact_sheet(
    records: Sequence[ArtworkRecord], thumb: int = 240, columns: int | None = None
) -> Image.Image:
    """One tile per record: preview.png (or cleaned.png) scaled into a square, three text lines."""
    columns = columns or max(1, min(6, math.ceil(math.sqrt(max(1, len(records))))))
    rows = max(1, math.ceil(len(records) / columns))
    pad, line = 12, max(12, thumb // 14)
    font = _font(line)
    tile_w, tile_h = thumb + pad, thumb + pad + 3 * (line + 4)
    sheet = Image.new("RGB", (columns * tile_w + pad, rows * tile_h + pad), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if not records:
        draw.text((pad, pad), "the library is empty", fill=_TEXT, font=font)
        return sheet
    for index, record in enumerate(records):
        x = pad + (index % columns) * tile_w
        y = pad + (index // columns) * tile_h
        image_path = record.directory / "preview.png"
        if not image_path.is_file():
            image_path = record.directory / "cleaned.png"
        try:
            with Image.open(image_path) as opened:
                picture = opened.convert("RGB")
            picture.thumbnail((thumb, thumb), Image.Resampling.LANCZOS)
            offset = ((thumb - picture.width) // 2, (thumb - picture.height) // 2)
            sheet.paste(picture, (x + offset[0], y + offset[1]))
        except OSError:
            draw.rectangle((x, y, x + thumb - 1, y + thumb - 1), outline=_TEXT)
            draw.text((x + 6, y + 6), "no preview", fill=_TEXT, font=font)
        text_y = y + thumb + 4
        draw.text((x, text_y), record.id, fill=_TEXT, font=font)
        draw.text(
            (x, text_y + line + 4), record.status,
            fill=_STATUS_COLOURS.get(record.status, _TEXT), font=font,
        )
        credit = _fit(draw, record.credit or record.original_name, font, thumb)
        draw.text((x, text_y + 2 * (line + 4)), credit, fill=_TEXT, font=font)
    return sheet


def write_contact_sheet(
    records: Sequence[ArtworkRecord], out: Path, thumb: int = 240, columns: int | None = None
) -> Path:
    """Write the sheet as a PNG (no metadata), atomically; returns the path."""
    out = Path(out)
    save_png(render_contact_sheet(records, thumb=thumb, columns=columns), out)
    return out
