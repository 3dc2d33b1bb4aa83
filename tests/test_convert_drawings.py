"""Every real drawing and painting in ../shared/data/drawings through the whole conversion.

Each is converted once (steel, glass and colour B, a 16x6 pixel fixture) and the
results are checked for properties a curator or a gobo maker would check by eye,
with tools that are not the converter's own (scipy.ndimage for metal, colorsys-style
HSV in numpy for hues): steel holds, coloured-in drawings keep their inner lines,
the colour gobo keeps the ink's hues and keeps dark ink dark, nothing at the sheet's
edges glows, and every change is written down.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from scipy import ndimage

from artwork import Conversion, PixelTarget, Settings, gobo_target
from artwork.convert import convert_drawing

TARGETS = (gobo_target("steel"), gobo_target("glass"), gobo_target("colour"), PixelTarget(16, 6))
PX_PER_MM = 3543 / 64.5
SHEET_EDGE_SHOWN = ("animdraw_char4_original_img.png", "animdraw_char5_image.png",
                    "sketch2code_8935c4a2.png")
INNER_LINES = ("kidpaint_AB-2020-3.jpg", "kidpokemon_bulbasaur-julia.webp",
               "kidpokemon_charmander-thiago.webp", "kidpokemon_jigglypuff-thiago.webp",
               "kidpokemon_pikachu-julia.webp")
# What a curator expects of each: the style the converter chooses.
STYLES = {
    "animdraw_char1_texture.png": "lines",
    "animdraw_char2_texture.png": "lines",
    "animdraw_char4_original_img.png": "lines",
    "animdraw_char5_image.png": "lines",
    "controlnet_bag_scribble.png": "lines",
    "controlnet_user_1.png": "lines",
    "kidpaint_AB-2020-3.jpg": "fills",
    "kidpaint_AB-2020-4.jpg": "lines",  # colour pencil hatched over the sheet, not paint
    "kidpaint_AB-2020.jpg": "painting",
    "kidpaint_KB-2020-2.jpg": "fills",
    "kidpaint_OB-2020-2.jpg": "painting",
    "kidpokemon_bulbasaur-julia.webp": "fills",
    "kidpokemon_charmander-thiago.webp": "fills",
    "kidpokemon_jigglypuff-thiago.webp": "fills",
    "kidpokemon_pikachu-julia.webp": "fills",
    "quickdraw_preview.jpg": "lines",
    "sketch2code_319257ad.png": "lines",
    "sketch2code_3cf4d5e6.png": "lines",
    "sketch2code_54f95c56.png": "lines",
    "sketch2code_8935c4a2.png": "lines",
    "sketchsimp_fig06_pepper.png": "lines",
}


@pytest.fixture(scope="module")
def converted(drawings_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    files = sorted(p for p in drawings_dir.iterdir() if p.suffix in (".png", ".jpg", ".webp"))
    assert {p.name for p in files} >= set(STYLES), "the shared drawings changed"
    out = tmp_path_factory.mktemp("drawings")
    return {
        p.name: (convert_drawing(p, out / p.stem, TARGETS, Settings()), out / p.stem)
        for p in files
        if p.name in STYLES
    }


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _ink(out: Path) -> np.ndarray:
    return _rgb(out / "cleaned.png").min(axis=2) < 200


def _image_square(out: Path, key: str, conversion: Conversion) -> np.ndarray:
    """The gobo's image circle's square (the plate around it is black by construction)."""
    with Image.open(out / f"gobo-{key}.png") as image:
        pixels = np.asarray(image)
    side = conversion.manifest["gobos"][key]["image_diameter_px"]
    offset = (pixels.shape[0] - side) // 2
    return pixels[offset : offset + side, offset : offset + side]


def _hue_saturation(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HSV hue (degrees) and saturation of N x 3 uint8 colours, as colorsys defines them."""
    c = rgb.astype(np.float64) / 255
    top, low = c.max(axis=1), c.min(axis=1)
    span = np.maximum(top - low, 1e-9)
    r, g, b = c.T
    hue = np.where(top == r, (g - b) / span % 6, np.where(top == g, (b - r) / span + 2,
                                                           (r - g) / span + 4)) * 60
    return hue, (top - low) / np.maximum(top, 1e-9)


def _main_hues(rgb: np.ndarray) -> np.ndarray:
    """The commonest hues of the bright, coloured pixels (dark ink has no hue to keep), in
    5-degree bins: the top one and any nearly as common (blobs of paint as large as each
    other)."""
    hue, saturation = _hue_saturation(rgb)
    vivid = hue[(saturation > 0.15) & (rgb.max(axis=1) > 120)]
    counts, edges = np.histogram(vivid, bins=72, range=(0, 360))
    return edges[:-1][counts >= 0.8 * counts.max()] + 2.5


def _near(hue: float, hues: np.ndarray, within: float) -> bool:
    apart = np.abs(hues - hue)
    return bool((np.minimum(apart, 360 - apart) <= within).any())


def _disc(radius: float) -> np.ndarray:
    r = int(radius)
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= radius * radius


def test_every_drawing_converts_with_all_files_and_its_style(converted: dict) -> None:
    for name, (conversion, out) in converted.items():
        expected = {"cleaned.png", "palette.json", "preview.png", "manifest.json",
                    "pixels-16x6.png"}
        for key in ("steel-B", "glass-B", "colour-B"):
            expected |= {f"gobo-{key}.png", f"gobo-{key}.json", f"preview-{key}.png"}
        assert {p.name for p in out.iterdir()} == expected, name
        assert conversion.style == STYLES[name], (name, conversion.manifest["style"])
    # The mermaid's sky is hatched in pale pencil over most of the sheet: paper, not paint.
    reason = converted["kidpaint_AB-2020-4.jpg"][0].manifest["style"]["reason"]
    assert reason.startswith("strokes") and "paint covers" not in reason, reason


def test_every_manifest_lists_the_cleanup_and_each_gobo(converted: dict) -> None:
    for name, (conversion, out) in converted.items():
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest == json.loads(json.dumps(conversion.manifest)), name
        assert manifest["cleanup"][-1]["change"] == "cropped to the drawing", name
        assert manifest["style"]["reason"] and manifest["style"]["chosen_by"] == "converter"
        for key, info in manifest["gobos"].items():
            assert info == json.loads((out / f"gobo-{key}.json").read_text()), (name, key)
            with Image.open(out / f"gobo-{key}.png") as image:
                assert image.info["dpi"][0] == pytest.approx(info["dpi"], abs=0.1), (name, key)


def test_steel_is_one_piece_and_holds_thinned_by_half_the_minimum(converted: dict) -> None:
    thin = _disc(Settings().min_feature_mm / 2 * PX_PER_MM - 1)
    for name, (conversion, out) in converted.items():
        metal = ~_image_square(out, "steel-B", conversion)
        assert ndimage.label(metal)[1] == 1, name
        thinned = ndimage.binary_erosion(metal, thin, border_value=1)
        assert ndimage.label(thinned)[1] == 1, name


def test_coloured_in_drawings_keep_their_inner_lines(converted: dict) -> None:
    """In steel and glass the fills pass light and the line work inside them stays metal:
    the figure is not one blob of light."""
    for name in INNER_LINES:
        conversion, out = converted[name]
        for key in ("steel-B", "glass-B"):
            lit = _image_square(out, key, conversion)[::4, ::4]
            # The figure's outline with its inner lines and bridges closed over, then only
            # its inside: what is metal there is the drawing's line work.
            closed = ndimage.binary_closing(lit, iterations=8, border_value=0)
            inside = ndimage.binary_erosion(ndimage.binary_fill_holes(closed), iterations=8)
            inner_metal = inside & ~lit
            silhouette = inside
            assert inner_metal.sum() > 0.01 * silhouette.sum(), (name, key)
            assert ndimage.label(inner_metal)[1] >= 2, (name, key)


def test_colour_gobo_keeps_the_hues_and_dark_ink_dark(converted: dict) -> None:
    for name, (conversion, out) in converted.items():
        if STYLES[name] == "lines":
            continue
        cleaned = _rgb(out / "cleaned.png").reshape(-1, 3)
        colour = _image_square(out, "colour-B", conversion)[::3, ::3].reshape(-1, 3)
        lit = colour[colour.max(axis=1) > 40]
        hues_in, hues_out = _main_hues(cleaned[cleaned.min(axis=1) < 230]), _main_hues(lit)
        assert all(_near(hue, hues_in, 10) for hue in hues_out), (name, hues_in, hues_out)
        assert any(_near(hue, hues_out, 10) for hue in hues_in), (name, hues_in, hues_out)
        if STYLES[name] == "fills":
            # Where the drawing is near black, the colour gobo is dark too (not orange-red).
            square = _image_square(out, "colour-B", conversion)[::3, ::3]
            figure = ndimage.binary_fill_holes(square.max(axis=2) > 40)
            dark = figure & (square.max(axis=2) < 90)
            ink = _rgb(out / "cleaned.png")
            ink_figure = ndimage.binary_fill_holes(ink.min(axis=2) < 230)
            ink_dark = ink_figure & (ink.max(axis=2) < 70)
            assert dark.sum() / figure.sum() > 0.3 * ink_dark.sum() / ink_figure.sum(), name


def test_nothing_at_the_sheets_edges_glows(converted: dict) -> None:
    """Photos that show the sheet's edge (a table, a second sheet, a canvas around it): a
    mark along the cleaned picture's edge that does not reach into it is support left
    behind (a paper edge, a strip of table); the child's strokes reach well inside."""
    for name in SHEET_EDGE_SHOWN:
        out = converted[name][1]
        ink = _ink(out)
        h, w = ink.shape
        band = max(2, int(0.015 * min(h, w)))
        labels, _ = ndimage.label(ink)
        rows, cols = np.ogrid[:h, :w]
        depth = np.minimum(np.minimum(rows, h - 1 - rows), np.minimum(cols, w - 1 - cols))
        at_edge = np.unique(labels[(depth < band) & ink])
        reach = ndimage.maximum(depth, labels, at_edge) if at_edge.size else []
        assert all(r >= 3 * band for r in np.atleast_1d(reach)), name
    # The phone photo: of the cloth below the sheet nothing stays, and of the finger at its
    # top left only the pencil line that runs under it (no pink, no shadow).
    photo = _rgb(converted["animdraw_char4_original_img.png"][1] / "cleaned.png")
    h, w = photo.shape[:2]
    assert (photo[-h // 20 :].min(axis=2) < 200).mean() < 0.01
    corner = photo[: h // 8, : w // 8].reshape(-1, 3).astype(int)
    marked = corner[corner.min(axis=1) < 200]
    assert (marked.max(axis=1) - marked.min(axis=1) > 40).mean() < 0.1  # grey pencil, not skin


def test_palettes_and_pixels(converted: dict) -> None:
    for name, (conversion, out) in converted.items():
        doc = json.loads((out / "palette.json").read_text())
        assert doc["main"] == conversion.palette[0][0], name
        assert sum(c["weight"] for c in doc["colours"]) == pytest.approx(1.0, abs=0.01)
        assert 1 <= len(doc["colours"]) <= 6
        pixels = _rgb(out / "pixels-16x6.png")
        assert pixels.max() == 255, name  # the fixture's whole range is used
    assert 195 <= _palette_hue(converted["animdraw_char5_image.png"][0]) <= 230  # light-blue pen
    assert 235 <= _palette_hue(converted["animdraw_char1_texture.png"][0]) <= 290  # purple marker
    assert converted["controlnet_user_1.png"][0].palette == [("#ffffff", 1.0)]  # black pen
    assert converted["animdraw_char2_texture.png"][0].palette[0][0] == "#ffffff"  # pencil
    assert 300 <= _palette_hue(converted["kidpokemon_jigglypuff-thiago.webp"][0]) <= 345  # pink


def _palette_hue(conversion: Conversion) -> float:
    code = conversion.palette[0][0]
    rgb = np.array([[int(code[i : i + 2], 16) for i in (1, 3, 5)]], np.uint8)
    return float(_hue_saturation(rgb)[0][0])


@pytest.mark.parametrize("change", ["brighter", "darker", "much darker"])
def test_the_phone_photos_sheet_edge_is_followed_however_it_is_taken(
    drawings_dir: Path, tmp_path: Path, change: str
) -> None:
    """The phone photo taken again a shade lighter or darker: the sheet's bottom edge sags
    and curls, so no straight line fits it; neither its shadow nor the cloth below it may
    show as a bar along it (a level or two of light made one appear between the stool's
    and the figure's legs). Only the strokes that run down to the edge reach the bottom of
    the cleaned picture, each a few % wide."""
    with Image.open(drawings_dir / "animdraw_char4_original_img.png") as image:
        rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB")).astype(np.int16)
    rgb = {
        "brighter": rgb + 2,
        "darker": rgb - 2,
        "much darker": rgb - 6,
    }[change]
    photo = tmp_path / "again.jpg"
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(photo, quality=92)
    convert_drawing(photo, tmp_path / "out", [gobo_target("glass")], Settings())
    ink = _ink(tmp_path / "out")
    h, w = ink.shape
    bottom = ink[-h // 20 :]
    edges = np.diff(np.pad(bottom.view(np.int8), ((0, 0), (1, 1))), axis=1)
    runs = np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)
    assert runs.max(initial=0) < 0.03 * w
