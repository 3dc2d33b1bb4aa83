"""artwork.png: what it writes is read back by Pillow pixel for pixel, with no metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artwork.png import save_png


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
