"""Orchestration: a drawing in, every derived file out, with a manifest of all that was done.

Files in out_dir (written atomically, never carrying the original's metadata):
cleaned.png; per GoboTarget gobo-<key>.png with its manifest gobo-<key>.json and
preview-<key>.png; per PixelTarget <key>.png (e.g. pixels-16x6.png); palette.json;
preview.png (the colour gobo's where there is one); manifest.json: the source,
every cleanup step, the style and why, each gobo's changes and the warnings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from artwork import gobo, keystone, led, preview
from artwork.cleanup import NoDrawing, Photo, clean_drawing
from artwork.contract import Conversion, RejectedDrawing
from artwork.ingest import glance, load_drawing
from artwork.model import Drawing, model_drawing
from artwork.paper import ANALYSIS_PX, channel_max, small_copy
from artwork.png import encode_png, write_atomically, write_png
from artwork.resample import shrink
from artwork.settings import Settings
from artwork.steel import grid_pitch, make_stencil
from artwork.targets import GoboTarget, PixelTarget, gobo_target

_MODES = {
    "steel": "1-bit",
    "glass": "1-bit",
    "glass-grey": "8-bit greyscale, Floyd-Steinberg dithered",
    "colour": "RGB",
}
_ALL_OPEN = 0.985  # of the image circle: a gobo with no shape left to show
_ALL_CLOSED = 0.001


def needed_px(settings: Settings) -> float:
    """The drawing's diagonal that fills a gobo at the maker's resolution."""
    return settings.min_image_px / gobo.MARGIN


def convert_drawing(
    source: Path,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
    style: str | None = None,
) -> Conversion:
    """Decode, clean, model and derive everything; bad input raises RejectedDrawing only.
    `style`: a curator's choice (lines, fills, painting); None: the converter's."""
    # A big JPEG's small copy comes straight from its DCT, and the cleanup's decisions are
    # made on it while the whole picture decodes (the decoder lets go of the GIL).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-decode") as decoder:
        warm = decoder.submit(_first_use)
        decoding = decoder.submit(load_drawing, Path(source), settings)
        if any(isinstance(t, GoboTarget) for t in targets):
            # Made once in a process (30 ms), now on the decoder's thread rather than when
            # the gobos keep both cores busy.
            decoder.submit(preview.pavement)
        glanced = glance(Path(source), settings, ANALYSIS_PX)
        if glanced is None:
            photo = Photo.of(decoding.result().take())
        else:
            photo = Photo(small_copy(glanced), lambda: decoding.result().take())
        del glanced
        np.median(np.zeros(1))  # its first use imports numpy.ma (18 ms): while the tables are made
        warm.result()  # (OpenCV makes its Lab tables unguarded: no Lab here before they are done)
        try:
            cleaned = clean_drawing(photo, needed_px(settings))
        except NoDrawing as exc:
            raise RejectedDrawing(f"blank: {str(exc) or 'no drawing found'}") from None
        del photo
    decoded = decoding.result()
    out_dir.mkdir(parents=True, exist_ok=True)
    # The cleaned picture is deflated (ISA-L lets go of the GIL) while it is modelled.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-cleaned") as writer:
        written = writer.submit(write_png, out_dir / "cleaned.png", cleaned.image)
        drawing = model_drawing(cleaned.image, style, cleaned.paper_share)
        result = _derive(drawing, out_dir, targets, settings)
        written.result()
    result.files = {"cleaned": out_dir / "cleaned.png", **result.files}
    result.warnings = decoded.warnings + cleaned.warnings + result.warnings
    result.manifest = {
        "source": {"file": Path(source).name, "decoded_px": decoded.size},
        "cleanup": cleaned.changes,
        "style": {
            "used": result.style,
            "chosen_by": "curator" if style else "converter",
            "automatic": drawing.automatic,
            "reason": drawing.reason,
            "measured": drawing.measured,
        },
        **result.manifest,
        "warnings": result.warnings,
    }
    _write_json(out_dir / "manifest.json", result.manifest)
    result.files["manifest"] = out_dir / "manifest.json"
    return result


def _first_use() -> None:
    """What OpenCV builds on first use in a process, paid while the small copy decodes: its
    Lab tables (60 ms in each conversion's fresh child)."""
    cv2.cvtColor(np.zeros((1, 1, 3), np.uint8), cv2.COLOR_RGB2Lab)


def convert_targets(
    cleaned_png: Path,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
    style: str,
) -> Conversion:
    """Derive (more) targets from a stored cleaned.png without redoing cleanup."""
    cleaned = load_drawing(Path(cleaned_png), settings).rgb
    out_dir.mkdir(parents=True, exist_ok=True)
    return _derive(model_drawing(cleaned, style), out_dir, targets, settings)


def _derive(
    drawing: Drawing,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
) -> Conversion:
    lit = (drawing.light > 127) | (channel_max(drawing.colour) > 40)
    if not lit.any():
        raise RejectedDrawing("blank: nothing of the drawing would pass light")
    where = gobo.placement(lit)
    colours = _palette(drawing)
    files: dict[str, Path] = {}
    gobos: dict[str, Any] = {}
    pixels: dict[str, Any] = {}
    warnings: list[str] = []
    previews: dict[str, bytes] = {}  # each gobo's light as the audience sees it, as PNG
    gobo_targets = [t for t in targets if isinstance(t, GoboTarget)]
    # Two one-colour gobos at a time (the pixel images made meanwhile), then a colour gobo
    # (three times their memory) alone: each holds a picture of the maker's resolution
    # while it is made, and the conversion has a memory limit.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="artwork-gobo") as pool:

        def make(target: GoboTarget) -> Future[tuple[dict[str, Any], bytes]]:
            lamp = colours[0][0]
            return pool.submit(_gobo_files, drawing, where, target, settings, out_dir, lamp)

        jobs = {t.key: make(t) for t in gobo_targets if t.kind != "colour"}
        for target in targets:
            if isinstance(target, PixelTarget):
                files[target.key], pixels[target.key] = _pixel_files(drawing, target, out_dir)
        made = {key: job.result() for key, job in jobs.items()}
        made |= {t.key: make(t).result() for t in gobo_targets if t.kind == "colour"}
    for target in gobo_targets:
        info, previews[target.key] = made[target.key]
        files[f"gobo-{target.key}"] = out_dir / info["file"]
        files[f"gobo-{target.key}.json"] = out_dir / f"gobo-{target.key}.json"
        files[f"preview-{target.key}"] = out_dir / f"preview-{target.key}.png"
        gobos[target.key] = info
        warnings += [w for w in info["warnings"] if w not in warnings]
    main = next(
        (t.key for t in gobo_targets if t.kind == "colour"),
        next(iter(previews), None),
    )
    preview_path = out_dir / "preview.png"
    if main is None:  # pixel fixtures only: the drawing's light on a plain glass gobo
        audience = _plain_audience(drawing, where, gobo_target("glass"))
        write_atomically(
            preview_path, encode_png(preview.projected(preview.in_colour(audience, colours[0][0])))
        )
    else:
        write_atomically(preview_path, previews[main])
    palette_doc = {
        "colours": [{"hex": h, "weight": w} for h, w in colours],
        "main": colours[0][0],
        "pixels": pixels,
    }
    _write_json(out_dir / "palette.json", palette_doc)
    files["preview"] = preview_path
    files["palette"] = out_dir / "palette.json"
    if colours[0][0] == led.WHITE:
        what = "no coloured ink" if len(colours) == 1 else "mostly grey or black ink"
        warnings.append(f"{what}: one-colour gobos shown in white light")
    return Conversion(
        files=files,
        palette=colours,
        style=drawing.style,
        warnings=warnings,
        manifest={"gobos": gobos, "palette": palette_doc, "model": drawing.shares},
    )


def _palette(drawing: Drawing) -> list[tuple[str, float]]:
    """Up to six colours of the light, weighted by area (on a small copy: colours, not detail)."""
    light = small_copy(drawing.colour, 400)
    peak = channel_max(light).astype(np.float32)
    hue = light.astype(np.float32) / np.maximum(peak[..., None], 1)
    return led.palette(hue, peak / 255)


def _pixel_files(drawing: Drawing, target: PixelTarget, out_dir: Path) -> tuple[Path, dict]:
    """A pixel fixture's image in `out_dir`, and what palette.json tells of it."""
    path = out_dir / f"{target.key}.png"
    image, gain = led.pixel_image(drawing.colour, target.width, target.height)
    write_atomically(path, encode_png(image))
    return path, {
        "file": path.name,
        "width": target.width,
        "height": target.height,
        "channel_order": "rgb",
        "scaled_to_full_range": round(gain, 3),
        "encoding": "sRGB, area-averaged in linear light; row-major from top-left",
    }


def _gobo_files(
    drawing: Drawing,
    where: gobo.Placement,
    target: GoboTarget,
    settings: Settings,
    out_dir: Path,
    lamp: str,
) -> tuple[dict[str, Any], bytes]:
    """A gobo's artwork, manifest and preview (a one-colour gobo's in the `lamp` colour) in
    `out_dir`; its manifest and the preview as PNG."""
    path = out_dir / f"gobo-{target.key}.png"
    info, audience = _gobo(drawing, where, target, settings, path)
    info = {"file": path.name, **info}
    _write_json(out_dir / f"gobo-{target.key}.json", info)
    light = audience if target.kind == "colour" else preview.in_colour(audience, lamp)
    shown = encode_png(preview.projected(light))
    write_atomically(out_dir / f"preview-{target.key}.png", shown)
    return info, shown


def _gobo(
    drawing: Drawing, where: gobo.Placement, target: GoboTarget, settings: Settings, path: Path
) -> tuple[dict[str, Any], np.ndarray]:
    """Write the artwork to `path`; its manifest, and its light as the audience sees it."""
    image_px = settings.min_image_px
    canvas_px = 2 * math.ceil(image_px * target.outer_mm / target.image_mm / 2)
    changes: list[dict] = []
    warnings: list[str] = []
    if target.kind == "steel":
        pitch = grid_pitch(settings)
        cells = math.ceil(target.outer_mm / pitch)
        pitch = target.outer_mm / cells
        matrix = gobo.canvas_matrix(target, cells, target.image_mm / pitch, where)
        # Cells are several drawing pixels wide: a cell partly covered by the drawing's side
        # (the light of a stroke, the dark of an outline) takes that side, so thin lines survive.
        threshold = 64 if drawing.style == "lines" else 200
        grid = gobo.render_bits(drawing.light, matrix, cells, target.image_mm / pitch, threshold)
        stencil = make_stencil(grid.canvas(), pitch, settings, drawing.style)
        changes, warnings = stencil.changes, stencil.warnings
        disc = gobo.stencil_image(stencil.open, canvas_px, image_px)
        seen = gobo.Disc(stencil.open, cells, 0)  # the same at preview size, in 1/10 the pixels
    else:
        matrix = gobo.canvas_matrix(target, canvas_px, image_px, where)
        if target.kind == "colour":
            disc = gobo.render(drawing.colour, matrix, canvas_px, image_px)
        elif target.kind == "glass":
            disc = gobo.render_bits(drawing.light, matrix, canvas_px, image_px, threshold=127)
        else:  # Floyd-Steinberg dots of coating, kept as 8-bit for the maker
            disc = gobo.render(drawing.light, matrix, canvas_px, image_px)
            disc.square = np.asarray(Image.fromarray(disc.square).convert("1").convert("L"))
        seen = disc
    if target.kind != "colour":
        _check_open(disc.square)
    dpi = round(image_px / (target.image_mm / 25.4), 1)
    info: dict[str, Any] = {
        "kind": target.kind,
        "size": target.size,
        "style": drawing.style,
        "outer_diameter_mm": target.outer_mm,
        "image_diameter_mm": target.image_mm,
        "pixels": [canvas_px, canvas_px],
        "image_diameter_px": image_px,
        "dpi": dpi,
        "mode": _MODES[target.kind],
        "polarity": "white = light passes",
        "outside_image": "black (metal or coating)",
        "orientation": (
            "mirrored (flip) as seen from the lamp"
            if target.flip
            else "right-reading as seen from the lamp"
        ),
        "keystone": None,
        "changes": changes,
        "warnings": warnings,
    }
    if target.keystone is not None:
        tilt, beam = target.keystone
        info["keystone"] = {
            "tilt_deg": tilt,
            "beam_deg": beam,
            "top_width_change_percent": round(keystone.top_width_change(tilt, beam), 2),
        }
    write_png(path, disc.square, dpi=dpi, canvas=(disc.canvas_px, disc.offset))
    return info, _audience(seen, target, drawing, where)


def _check_open(square: np.ndarray) -> None:
    """Refuse a gobo with no shape: its image circle all open, or all closed."""
    side = square.shape[0]
    share = float(np.count_nonzero(square)) / (math.pi * side * side / 4)
    if share < _ALL_CLOSED:
        raise RejectedDrawing("blank: nothing of the drawing would pass light through the gobo")
    if share > _ALL_OPEN:
        raise RejectedDrawing("no shape to show: the gobo would be open across its whole image")


def _audience(
    disc: gobo.Disc, target: GoboTarget, drawing: Drawing, where: gobo.Placement
) -> np.ndarray:
    """The gobo's light at preview size as seen on the ground: a keystoned gobo's picture
    lands undistorted, so it is shown from a plain rendering; a flip is undone."""
    size = preview.PREVIEW_PX
    if target.keystone is not None:
        return _plain_audience(drawing, where, target)
    side = round(disc.square.shape[0] * size / disc.canvas_px)
    square = disc.square.view(np.uint8) * 255 if disc.square.dtype == bool else disc.square
    small = gobo.Disc(shrink(square, (side, side)), size, (size - side) // 2).canvas()
    return small[:, ::-1].copy() if target.flip else small


def _plain_audience(drawing: Drawing, where: gobo.Placement, target: GoboTarget) -> np.ndarray:
    """The drawing's light at preview size through a plain gobo of the target's kind."""
    plain = replace(target, keystone=None, flip=False)
    size = preview.PREVIEW_PX
    image_px = size * plain.image_mm / plain.outer_mm
    matrix = gobo.canvas_matrix(plain, size, image_px, where)
    source = drawing.colour if target.kind == "colour" else drawing.light
    return gobo.render(source, matrix, size, image_px).canvas()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode())
