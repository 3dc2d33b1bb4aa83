"""artwork.png: what it writes is read back by Pillow pixel for pixel, with no metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artwork.png import encode_png, save_png


@pytest.mark.parametrize(
    ("shape", "dtype", "mode"),
    [((37, 13), bool, "1"), ((5, 9), np.uint8, "L"), ((11, 7, 3), np.uint8, "RGB")],
)
def test_round_trip_through_pillow(tmp_path: Path, shape: tuple, dtype: type, mode: str) -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, shape).astype(np.uint8)
    if dtype is bool:
        pixels = pixels > 127  # 13 px wide: the last byte of each row is partly padding
    path = tmp_path / "out.png"
    save_png(pixels, path)
    with Image.open(path) as back:
        assert back.format == "PNG" and back.mode == mode and back.size == shape[1::-1]
        assert np.array_equal(np.asarray(back), pixels)
        assert back.info == {} and not back.getexif()
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary file left


def test_pillow_image_in_and_unsupported_layout_refused(tmp_path: Path) -> None:
    image = Image.new("RGB", (4, 3), (10, 200, 30))
    image.info["exif"] = b"Exif\x00\x00secret"
    save_png(image, tmp_path / "rgb.png")
    with Image.open(tmp_path / "rgb.png") as back:
        assert back.getpixel((3, 2)) == (10, 200, 30) and "exif" not in back.info
    with pytest.raises(ValueError, match="no PNG layout"):
        save_png(np.zeros((3, 3, 4), np.uint8), tmp_path / "rgba.png")


@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_a_square_on_a_black_canvas_and_its_resolution(tmp_path: Path, dtype: type) -> None:
    """A gobo is written as its image circle's square placed on a canvas never made in
    memory, in blocks of rows (over 256 rows, to cross a block's edge); pHYs holds its dpi."""
    rng = np.random.default_rng(3)
    square = rng.integers(0, 256, (301, 301, 3) if dtype is np.uint8 else (301, 301))
    square = square.astype(np.uint8) if dtype is np.uint8 else square > 127
    path = tmp_path / "gobo.png"
    path.write_bytes(encode_png(square, dpi=1395.2, canvas=(613, 157)))
    with Image.open(path) as back:
        pixels = np.asarray(back)
        assert back.size == (613, 613) and back.info["dpi"][0] == pytest.approx(1395.2, abs=0.05)
    expected = np.zeros((613, 613, *square.shape[2:]), square.dtype)
    expected[157:458, 157:458] = square
    assert np.array_equal(pixels, expected)
