"""`gobo convert`, settings, refusals, and no metadata from the original in any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from artwork import RejectedDrawing, Settings, gobo_target, parse_settings
from artwork.convert import convert_drawing
from artwork.model import model_drawing
from siteconfig import ConfigError

GOBO = [sys.executable, "-m", "controller.cli"]


def _photo_with_gps(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (235, 232, 225))
    d = ImageDraw.Draw(image)
    d.ellipse((200, 120, 440, 360), outline=(40, 40, 160), width=14)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0132] = "2026:06:01 12:00:00"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (61.0, 29.0, 52.08)
    gps[3] = "E"
    gps[4] = (23.0, 45.0, 39.6)
    image.save(path, "JPEG", exif=exif, icc_profile=b"\0" * 128)
    assert Image.open(path).getexif().get_ifd(0x8825)  # the GPS really is in the source
    return path


def test_no_metadata_survives(tmp_path: Path) -> None:
    src = _photo_with_gps(tmp_path / "home.jpg")
    result = convert_drawing(src, tmp_path / "out", [gobo_target("steel"),
                                                     gobo_target("colour")], Settings())
    written = [p for p in result.files.values() if p.suffix == ".png"]
    assert len(written) == 6  # cleaned, two gobos, their previews, preview.png
    for path in written:
        data = path.read_bytes()
        for marker in (b"Exif", b"eXIf", b"iCCP", b"tEXt", b"iTXt", b"zTXt", b"PhoneMaker",
                       b"2026:06:01"):
            assert marker not in data, (path.name, marker)
        with Image.open(path) as image:
            assert not image.getexif()
            assert "icc_profile" not in image.info and "exif" not in image.info
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_blank_page_refused(tmp_path: Path) -> None:
    grain = np.random.default_rng(4).normal(0, 3, (300, 400, 1))
    paper = np.clip(np.array([240, 238, 230]) + grain, 0, 255).astype(np.uint8)
    Image.fromarray(paper).save(tmp_path / "blank.png")
    Image.new("RGB", (400, 300), (0, 0, 0)).save(tmp_path / "black.png")
    for name, reason in (("blank.png", "blank: no drawing found"),
                         ("black.png", "blank: the picture is one flat colour")):
        with pytest.raises(RejectedDrawing) as caught:
            convert_drawing(tmp_path / name, tmp_path / "out", [gobo_target("glass")], Settings())
        assert caught.value.reason == reason
    assert not (tmp_path / "out").exists()


def test_black_ink_in_a_dim_warm_photo_glows_white(drawings_dir: Path, tmp_path: Path) -> None:
    """A black marker drawing photographed in the evening under warm light: darker across
    the sheet, yellow, with the camera's noise. Near black that noise is no colour: the
    strokes glow white, not in speckles of every hue."""
    ink = np.asarray(Image.open(drawings_dir / "controlnet_bag_scribble.png").convert("RGB"))
    light = np.linspace(0.5, 0.9, ink.shape[1])[None, :, None] * np.array([1.0, 0.9, 0.75])
    noise = np.random.default_rng(5).normal(0, 2, ink.shape)
    photo = np.clip(ink * light + noise, 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "evening.jpg", quality=88)
    result = convert_drawing(tmp_path / "evening.jpg", tmp_path / "out",
                             [gobo_target("colour")], Settings())
    assert result.palette == [("#ffffff", 1.0)]
    gobo = np.asarray(Image.open(result.files["gobo-colour-B"]).convert("RGB")).astype(int)
    lit = gobo[gobo.max(axis=2) > 64]
    coloured = (lit.max(axis=1) - lit.min(axis=1)) > 0.25 * lit.max(axis=1)
    assert coloured.mean() < 0.01, f"{coloured.mean():.1%} of the strokes' light is coloured"


def test_near_black_takes_the_colour_of_the_near_black_around_it() -> None:
    """A stroke of black marker with one speck of noise in it and a dark violet pen: the speck
    glows white with the marker, however few such pixels there are, and the pen violet."""
    cleaned = np.full((60, 80, 3), 255, np.uint8)
    cleaned[20:40, 10:30] = (4, 4, 4)  # black marker ...
    cleaned[30, 20] = (6, 0, 2)  # ... with a speck of noise: no hue of its own
    cleaned[20:40, 50:70] = (12, 2, 40)  # dark violet pen
    cleaned[5, 75] = (3, 0, 1)  # a lone near black pixel
    colour = model_drawing(cleaned, "lines").colour.astype(int)
    assert colour[30, 20].tolist() == colour[25, 15].tolist() == [255, 255, 255]
    assert colour[5, 75].min() == colour[5, 75].max()
    violet = colour[30, 60]
    assert violet[2] == 255 and violet[0] < 100 and violet[1] < 40
    alone = np.full((60, 80, 3), 255, np.uint8)
    alone[20:40, 10:30] = (90, 120, 230)  # blue marker, and the only near black pixel:
    alone[30, 20] = (3, 0, 1)
    assert model_drawing(alone, "lines").colour[30, 20].tolist() == [255, 255, 255]



def test_a_gap_the_crayon_left_glows_a_window_drawn_round_does_not() -> None:
    """A figure coloured in pink crayon inside a black outline: a patch the child did not
    colour (pink all round it, 7 % of the figure) glows with the fill in one-colour glass
    instead of showing as a dark blot; a window drawn round with a line, as large, stays
    dark as drawn, and so does the paper inside a loop of paint with no outline."""
    sheet = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(sheet).ellipse((150, 100, 650, 500), fill=(240, 130, 180))
    cleaned = np.array(sheet)
    grain = np.random.default_rng(5).random((600, 800)) < 0.08
    cleaned[(cleaned[..., 1] == 130) & grain] = 255  # crayon grain: flecks of paper
    sheet = Image.fromarray(cleaned)
    draw = ImageDraw.Draw(sheet)
    draw.ellipse((150, 100, 650, 500), outline=(20, 20, 20), width=6)
    draw.ellipse((235, 245, 345, 355), fill="white")  # not coloured in
    draw.rectangle((440, 250, 540, 345), fill="white", outline=(20, 20, 20), width=5)  # a window
    cleaned = np.asarray(sheet)
    drawing = model_drawing(cleaned, "fills")
    assert drawing.light[300, 290] > 200
    assert drawing.light[298, 490] < 50
    assert drawing.light[300, 400] > 200 and drawing.light[300, 150] < 50  # fill; its outline
    loop = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(loop)
    draw.ellipse((100, 150, 330, 450), outline=(240, 130, 180), width=40)
    draw.rectangle((400, 50, 780, 580), fill=(240, 130, 180))  # paint beside it
    assert model_drawing(np.asarray(loop), "fills").light[300, 215] < 50



def test_a_wide_crayon_stroke_on_paper_glows_whole_a_mouth_on_the_fill_stays_a_line() -> None:
    """A sun coloured in yellow with orange rays on the paper around it, one a little wider
    than the others (the width at which a darker line over a fill is told from the fill):
    every ray glows across its whole width in one-colour glass (the wide one was dark at
    its core, so steel broke it into dots), and the red mouth drawn over the yellow stays a
    dark line."""
    sheet = Image.new("RGB", (900, 900), "white")
    draw = ImageDraw.Draw(sheet)
    draw.ellipse((250, 250, 650, 650), fill=(250, 200, 20), outline=(240, 120, 20), width=14)
    draw.line((40, 450, 210, 450), fill=(250, 127, 22), width=16)  # the wide ray
    draw.line((450, 40, 450, 210), fill=(250, 127, 22), width=12)
    draw.arc((350, 420, 550, 560), 20, 160, fill=(200, 40, 40), width=10)  # the mouth
    light = model_drawing(np.asarray(sheet.filter(ImageFilter.GaussianBlur(1.2))), "fills").light
    assert light[450, 125] > 200 and light[125, 450] > 200
    assert light[556, 450] < 50 and light[400, 450] > 200


def _slanted_notebook(path: Path, squared: bool) -> Path:
    """A house drawn on a squared (or ruled) notebook page, photographed close up from below
    as a phone's JPEG: the printed lines close in towards the top (a steep slant: no even
    spacing is left in the picture), no edge of the sheet in sight."""
    sheet = Image.new("RGB", (2400, 3200), (236, 236, 230))
    draw = ImageDraw.Draw(sheet)
    for at in range(0, 3200, 60 if squared else 80):
        if squared:
            draw.line((at, 0, at, 3200), fill=(150, 170, 200), width=3)
        draw.line((0, at, 2400, at), fill=(150, 170, 200), width=3)
    draw.rectangle((700, 1500, 1700, 2500), outline=(30, 30, 30), width=18)
    draw.polygon([(600, 1500), (1200, 900), (1800, 1500)], outline=(200, 30, 30), width=18)
    draw.ellipse((1800, 400, 2200, 800), outline=(240, 170, 0), width=16)  # a sun
    draw.line((900, 2500, 900, 2100), fill=(30, 90, 200), width=16)  # a door
    corners = np.float32([[0, 0], [2400, 0], [2400, 3200], [0, 3200]])
    slanted = np.float32([[480, 0], [1920, 0], [2400, 3200], [0, 3200]])
    matrix = cv2.getPerspectiveTransform(corners, slanted)
    photo = cv2.warpPerspective(np.asarray(sheet), matrix, (2400, 3200))[300:3100, 500:1900]
    shade = np.linspace(0.85, 1.05, photo.shape[1])[None, :, None]  # the phone's shadow
    Image.fromarray(np.clip(photo * shade, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def _drawn(cleaned: np.ndarray) -> np.ndarray:
    """The house, its door and the sun of _slanted_notebook, by their colours."""
    red, blue = cleaned[..., 0].astype(int), cleaned[..., 2].astype(int)
    return (cleaned.max(axis=2) < 90) | (red - blue > 100) | (blue - red > 100)


def test_a_phone_photo_of_squared_paper_at_a_slant_keeps_no_grid(tmp_path: Path) -> None:
    photo = _slanted_notebook(tmp_path / "squared.jpg", squared=True)
    result = convert_drawing(photo, tmp_path / "out", [], Settings())
    assert "squared paper's lines removed" in {c["change"] for c in result.manifest["cleanup"]}
    cleaned = np.asarray(Image.open(tmp_path / "out" / "cleaned.png").convert("RGB"))
    marked, drawing = cleaned.min(axis=2) < 235, _drawn(cleaned)
    near = cv2.dilate(drawing.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
    assert (marked & ~near).sum() < 0.01 * marked.sum()  # no grid left off the drawing
    assert drawing.sum() > 0.5 * marked.sum()  # the house, the door and the sun are there


def test_a_phone_photo_of_ruled_paper_at_a_slant_keeps_few_lines(tmp_path: Path) -> None:
    """Ruled lines closing in are ruled lines still, the two that run along the house's own
    strokes (under the roof, along the floor) too: they fill the gaps in the ruling."""
    photo = _slanted_notebook(tmp_path / "ruled.jpg", squared=False)
    convert_drawing(photo, tmp_path / "out", [], Settings())
    cleaned = np.asarray(Image.open(tmp_path / "out" / "cleaned.png").convert("RGB"))
    drawn = cv2.dilate(_drawn(cleaned).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    lined = (cleaned.min(axis=2) < 235) & ~drawn  # (not a stroke's soft edge)
    rows = np.flatnonzero(lined.mean(axis=1) > 0.5)  # where a printed line runs across
    left = 1 + np.count_nonzero(np.diff(rows) > 20) if rows.size else 0  # rows of one line
    assert left == 0
    assert _drawn(cleaned).sum() > 0.5 * (cleaned.min(axis=2) < 235).sum()


def test_settings_defaults_and_errors() -> None:
    default = parse_settings({})
    assert default == Settings()
    assert (default.max_file_mb, default.max_pixels, default.require_approval) == (40, 40e6, False)
    assert (default.min_bridge_mm, default.stable_seconds, default.min_image_px) == (0.4, 2.0, 3543)
    custom = parse_settings({"require_approval": True, "min_bridge_mm": 0.5, "max_pixels": 24e6})
    assert custom.require_approval and custom.min_bridge_mm == 0.5
    assert custom.max_pixels == 24_000_000 and isinstance(custom.max_pixels, int)
    for table, key, words in [
        ({"max_file_mb": "big"}, "artwork.max_file_mb", "must be a number"),
        ({"require_approval": 1}, "artwork.require_approval", "true or false"),
        ({"min_image_px": 1000}, "artwork.min_image_px", "outside"),
        ({"max_pixels": 1.5e6 + 0.5}, "artwork.max_pixels", "whole number"),
        ({"colour_mode": "x"}, "artwork.colour_mode", "unknown key"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_settings(table)
        assert caught.value.key == key and words in caught.value.message


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOBO, *args], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)


def test_cli_convert_real_photo(drawings_dir: Path, tmp_path: Path) -> None:
    src = drawings_dir / "animdraw_char4_original_img.png"
    done = _run("convert", str(src), "--out", str(tmp_path / "o"), "--gobo-kind", "steel",
                "--pixels", "16x6", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data["files"]) == {"cleaned", "gobo-steel-B", "gobo-steel-B.json", "pixels-16x6",
                                  "preview-steel-B", "preview", "palette", "manifest"}
    assert all(Path(p).is_file() for p in data["files"].values())
    assert data["manifest"]["gobos"]["steel-B"]["kind"] == "steel"
    # Every change is on disk, the cleanup's included, not only on stdout.
    on_disk = json.loads(Path(data["files"]["manifest"]).read_text())
    assert on_disk["cleanup"] == data["manifest"]["cleanup"]
    assert {c["change"] for c in on_disk["cleanup"]} >= {
        "table beyond the sheet's edges removed", "cropped to the drawing"}
    assert on_disk["style"]["used"] == data["style"] == "lines"
    plain = _run("convert", str(src), "--out", str(tmp_path / "p"), "--gobo-size", "M", "--flip")
    assert plain.returncode == 0, plain.stderr
    assert "gobo-glass-M-flip" in plain.stdout and "palette: #" in plain.stdout
    assert "style: lines" in plain.stdout and "cleanup: " in plain.stdout


def test_cli_converts_a_set_with_comparison_sheets(drawings_dir: Path, tmp_path: Path) -> None:
    names = ["kidpokemon_pikachu-julia.webp", "animdraw_char2_texture.png"]
    done = _run("convert", *(str(drawings_dir / n) for n in names), "--out", str(tmp_path),
                "--style", "fills", "--sheet", "--json")
    assert done.returncode == 0, done.stderr
    reports = json.loads(done.stdout)
    assert [r["style"] for r in reports] == ["fills", "fills"]
    for name in names:
        sheet = tmp_path / Path(name).stem / "comparison.png"
        with Image.open(sheet) as image:
            assert image.width > 6 * image.height / 2  # pictures side by side
        chosen = json.loads((sheet.parent / "manifest.json").read_text())["style"]
        assert chosen["chosen_by"] == "curator" and chosen["used"] == "fills"


def test_cli_refusals_and_bad_usage(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("shopping list")
    refused = _run("convert", str(tmp_path / "notes.png"), "--out", str(tmp_path / "o"))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"gobo: {tmp_path / 'notes.png'}: refused: not an image file"
    ]
    for bad in (["--pixels", "16by6"], ["--gobo-kind", "wood"], ["--gobo-size", "Q"],
                ["--keystone", "20"]):
        done = _run("convert", str(tmp_path / "notes.png"), "--out", str(tmp_path / "o"), *bad)
        assert done.returncode == 2, bad
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
