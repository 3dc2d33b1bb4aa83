"""Safe decoding: formats by content, orientation, transparency, limits, clear refusals."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from artwork import RejectedDrawing, Settings
from artwork.ingest import HEIC_SUPPORTED, glance, load_drawing


def _drawing(mode: str = "RGB") -> Image.Image:
    """White sheet with a black square in the left half."""
    image = Image.new("RGB", (64, 48), "white")
    image.paste((0, 0, 0), (8, 8, 24, 40))
    return image.convert(mode)


@pytest.mark.parametrize(
    ("fmt", "name", "mode"),
    [
        ("JPEG", "photo.png", "RGB"),  # JPEG data named .png
        ("PNG", "pal.jpg", "P"),
        ("WEBP", "a.webp", "RGB"),
        ("TIFF", "scan.tif", "RGB"),
        ("BMP", "old.bmp", "L"),
        ("PNG", "cmyk.png", "L"),
        ("TIFF", "cmyk.tif", "CMYK"),
    ],
)
def test_formats_detected_by_content(tmp_path: Path, fmt: str, name: str, mode: str) -> None:
    path = tmp_path / name
    _drawing(mode).save(path, fmt)
    pixels = load_drawing(path, Settings()).rgb
    assert pixels.shape == (48, 64, 3) and pixels.dtype == np.uint8
    assert pixels[24, 16].max() < 40  # the square stays dark
    assert pixels[24, 50].min() > 215  # the paper stays light


def test_transparency_becomes_paper_not_black(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgba.paste((200, 0, 0, 255), (10, 10, 20, 20))
    rgba.save(tmp_path / "a.png")
    pal = Image.new("P", (40, 40), 0)
    pal.putpalette([0, 0, 0, 0, 0, 255])
    pal.paste(1, (10, 10, 20, 20))
    pal.save(tmp_path / "p.png", transparency=0)
    for name in ("a.png", "p.png"):
        pixels = load_drawing(tmp_path / name, Settings()).rgb
        assert tuple(pixels[0, 0]) == (255, 255, 255)
        assert pixels[15, 15].max() > 150 and pixels[15, 15].min() < 30


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.full((32, 32), 65535, np.uint16)
    values[:, :16] = 1000
    values[:, 16:20] = 32896  # half grey
    Image.fromarray(values).save(tmp_path / "deep.png")
    pixels = load_drawing(tmp_path / "deep.png", Settings()).rgb
    assert pixels[0, 0, 0] < 10 and pixels[0, 30, 0] == 255
    assert 120 <= pixels[0, 17, 0] <= 135


def test_animation_first_frame_with_a_warning(tmp_path: Path) -> None:
    frames = [Image.new("L", (32, 32), v) for v in (0, 128, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    decoded = load_drawing(tmp_path / "anim.gif", Settings())
    assert decoded.rgb.max() < 10
    assert decoded.warnings == ["animation: only its first picture is used"]
    _drawing().save(tmp_path / "still.gif")
    assert load_drawing(tmp_path / "still.gif", Settings()).warnings == []


def _tiff_with_broken_second_page() -> bytes:
    """A 16x16 black grey page, then a page header without a width (as a damaged scan)."""
    side = 16
    tags = [(256, 3, side), (257, 3, side), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 0), (278, 3, side), (279, 4, side * side)]
    second = 8 + 2 + 12 * len(tags) + 4
    pixels = second + 2 + 12 + 4
    entries = b"".join(
        struct.pack("<HHII", tag, kind, 1, pixels if tag == 273 else value)
        for tag, kind, value in tags
    )
    first = struct.pack("<H", len(tags)) + entries + struct.pack("<I", second)
    broken = struct.pack("<HHHII", 1, 257, 3, 1, side) + struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", 8) + first + broken + b"\0" * side * side


def test_tiff_first_page_read_without_walking_the_others(tmp_path: Path) -> None:
    (tmp_path / "scan.tif").write_bytes(_tiff_with_broken_second_page())
    pixels = load_drawing(tmp_path / "scan.tif", Settings()).rgb
    assert pixels.shape == (16, 16, 3) and pixels.max() == 0


def test_exif_orientation_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    _drawing().save(tmp_path / "phone.jpg", exif=exif)
    pixels = load_drawing(tmp_path / "phone.jpg", Settings()).rgb
    assert pixels.shape[:2] == (64, 48)
    # The square on the left of the stored picture is at the top after rotating clockwise.
    assert pixels[16, 24].max() < 60


@pytest.mark.parametrize(("name", "mode"), [("big.jpg", "RGB"), ("big.png", "L"), ("big.tif", "P")])
def test_large_pictures_reduced_while_decoding(tmp_path: Path, name: str, mode: str) -> None:
    """Above DECODE_PIXELS a picture is reduced as it is decoded (memory stays bounded);
    its shape and its marks stay."""
    image = Image.new("RGB", (6000, 4500), "white")
    image.paste((0, 0, 0), (1000, 1000, 1400, 1400))
    image.convert(mode).save(tmp_path / name)
    pixels = load_drawing(tmp_path / name, Settings()).rgb
    assert pixels.shape[0] * pixels.shape[1] <= 16_000_000
    assert pixels.shape[1] / pixels.shape[0] == pytest.approx(4 / 3, 0.01)
    scale = pixels.shape[1] / 6000
    assert pixels[round(1200 * scale), round(1200 * scale)].max() < 40


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG that claims a size but holds almost no data: a bomb's signature."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("side", "mp"), [(7000, 49), (12000, 144)])
def test_decompression_bomb_refused_from_header(tmp_path: Path, side: int, mp: int) -> None:
    before = Image.MAX_IMAGE_PIXELS
    _png_header_only(tmp_path / "bomb.png", side, side)
    with pytest.raises(RejectedDrawing) as caught:
        load_drawing(tmp_path / "bomb.png", Settings(max_pixels=40_000_000))
    assert caught.value.reason == f"too large: {mp} MP (limit 40 MP)"
    assert before == Image.MAX_IMAGE_PIXELS  # the process-wide limit is left as it was


def test_pixel_limit_below_pillows_warning(tmp_path: Path) -> None:
    _drawing().save(tmp_path / "d.png")
    with pytest.raises(RejectedDrawing, match=r"^too large: "):
        load_drawing(tmp_path / "d.png", Settings(max_pixels=2000))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, not a picture\n", "not an image file"),
        (b"", "empty file"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, "HEIC photo: export it as JPEG"),
    ],
)
def test_plain_reasons(tmp_path: Path, content: bytes, reason: str) -> None:
    if reason.startswith("HEIC") and HEIC_SUPPORTED:
        pytest.skip("pillow-heif is installed: HEIC is decoded, not refused")
    (tmp_path / "x.png").write_bytes(content)
    with pytest.raises(RejectedDrawing) as caught:
        load_drawing(tmp_path / "x.png", Settings())
    assert caught.value.reason == reason


def test_truncated_and_oversized_files(tmp_path: Path) -> None:
    _drawing().save(tmp_path / "whole.jpg")
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(RejectedDrawing, match="damaged image file"):
        load_drawing(tmp_path / "cut.jpg", Settings())
    too_large = r"^too large: [\d.e-]+ MB file \(limit 0\.0001 MB\)$"
    with pytest.raises(RejectedDrawing, match=too_large):
        load_drawing(tmp_path / "whole.jpg", Settings(max_file_mb=0.0001))
    with pytest.raises(RejectedDrawing, match="cannot read the file"):
        load_drawing(tmp_path / "missing.png", Settings())


def test_a_big_jpeg_is_glanced_at_small_and_upright(tmp_path: Path) -> None:
    """A phone photo's small copy straight from its DCT: upright as the whole picture is,
    at least the asked size, within a level or two of the whole picture made small; other
    types, and pictures too small to gain from it, get none."""
    rng = np.random.default_rng(4)
    sheet = np.full((1800, 2400, 3), 235, np.uint8)
    sheet[200:900, 300:1000] = (30, 40, 170)  # a blue square at the stored top left
    sheet = np.clip(sheet + rng.normal(0, 3, sheet.shape), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(sheet).save(tmp_path / "phone.jpg", exif=exif, quality=92)
    small = glance(tmp_path / "phone.jpg", Settings(), 500)
    assert small is not None and small.shape == (600, 450, 3)  # 1/4 of 2400 x 1800, turned
    whole = load_drawing(tmp_path / "phone.jpg", Settings()).rgb
    expected = cv2.resize(whole, (450, 600), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - expected).mean() < 1.0
    assert small[150, 310, 2] > 150 > small[150, 310, 0]  # the square, now at the top right
    Image.fromarray(sheet).save(tmp_path / "scan.png")
    assert glance(tmp_path / "scan.png", Settings(), 500) is None
    assert glance(tmp_path / "phone.jpg", Settings(), 1300) is None  # under twice the size
