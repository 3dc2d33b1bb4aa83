"""Orchestration: a drawing in, every derived file out, with a manifest of what was done.

Files in out_dir (written atomically, never carrying the original's metadata):
cleaned.png, gobo-<key>.png + gobo-<key>.json per GoboTarget, <key>.png per
PixelTarget (e.g. pixels-16x6.png), palette.json, preview.png.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from artwork import gobo, keystone, led, preview
from artwork.cleanup import NoDrawing, clean_drawing
from artwork.ingest import RejectedDrawing, load_drawing
from artwork.png import encode_png, save_png, write_atomically
from artwork.settings import Settings
from artwork.targets import GoboTarget, PixelTarget, gobo_target

_MODES = {
    "steel": "1-bit",
    "glass": "1-bit",
    "glass-grey": "8-bit greyscale, Floyd-Steinberg dithered",
    "colour": "RGB",
}


@dataclass
class Conversion:
    files: dict[str, Path]
    palette: list[tuple[str, float]]
    warnings: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def convert_drawing(
    source: Path,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
) -> Conversion:
    """Decode, clean and derive everything; bad input raises RejectedDrawing only."""
    photo = load_drawing(Path(source), settings, settings.working_px)
    try:
        cleaned = clean_drawing(photo)
    except NoDrawing:
        raise RejectedDrawing("blank: no drawing found") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    cleaned_path = out_dir / "cleaned.png"
    with _Writer() as writer:
        writer.save(cleaned.image, cleaned_path)
        result = _derive(cleaned.image, out_dir, targets, settings, writer)
    result.files = {"cleaned": cleaned_path, **result.files}
    result.warnings = cleaned.warnings + result.warnings
    result.manifest = {
        "source": {"file": Path(source).name, "decoded_px": list(photo.size)},
        "cleanup": cleaned.changes,
        **result.manifest,
    }
    return result


def convert_targets(
    cleaned_png: Path,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
) -> Conversion:
    """Derive (more) targets from a stored cleaned.png without redoing cleanup."""
    cleaned = load_drawing(Path(cleaned_png), settings, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _Writer() as writer:
        return _derive(cleaned, out_dir, targets, settings, writer)


def _derive(
    cleaned: Image.Image,
    out_dir: Path,
    targets: Sequence[GoboTarget | PixelTarget],
    settings: Settings,
    writer: _Writer,
) -> Conversion:
    alpha = gobo.ink_alpha(cleaned)
    if not (alpha > 0.5).any():
        raise RejectedDrawing("blank: no drawing found")
    where = gobo.placement(alpha)
    alpha_img = Image.fromarray(np.round(alpha * 255).astype(np.uint8), "L")
    glow = np.zeros((*alpha.shape, 3), np.uint8)  # light leaving the gobo: colour x strength
    files: dict[str, Path] = {}
    gobos: dict[str, Any] = {}
    pixels: dict[str, Any] = {}
    shown: Image.Image | None = None  # what the preview projects
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="artwork-gobo") as pool:
        # Gobos render side by side (their big resizes and most numpy work drop the GIL)
        # while this thread works out the colours, palette and pixel images. Steel goes
        # in two steps: its stencil first, then the big picture of it, made while the
        # preview is drawn. Colour gobos wait for the light colours.
        jobs: list[Future[Any] | None] = [
            None if isinstance(target, PixelTarget) or target.kind == "colour"
            else pool.submit(steel_stencil, alpha_img, where, target, settings)
            if target.kind == "steel"
            else pool.submit(_encoded_gobo, alpha_img, glow, where, target, settings)
            for target in targets
        ]
        # Colour work is done on the inked pixels only (a few percent of the picture).
        inked = np.flatnonzero(alpha > 0)
        strength = alpha.ravel()[inked]
        light = gobo.light_colours(cleaned, inked, strength)
        glow.reshape(-1, 3)[inked] = np.round(light * (255 * strength)[:, None]).astype(np.uint8)
        for i, target in enumerate(targets):
            if isinstance(target, GoboTarget) and target.kind == "colour":
                jobs[i] = pool.submit(_encoded_gobo, alpha_img, glow, where, target, settings)
        colours = led.palette(light[None], strength[None])  # the inked pixels as one row
        for target in targets:
            if isinstance(target, PixelTarget):
                path = out_dir / f"{target.key}.png"
                writer.save(led.pixel_image(glow, target.width, target.height), path)
                files[target.key] = path
                pixels[target.key] = {
                    "file": path.name, "width": target.width, "height": target.height,
                    "channel_order": "rgb",
                    "encoding": "sRGB, area-averaged in linear light; row-major from top-left",
                }
        for i, (target, job) in enumerate(zip(targets, jobs, strict=True)):
            if job is None or not isinstance(target, GoboTarget) or target.kind != "steel":
                continue
            steel = job.result()
            jobs[i] = pool.submit(_encoded_gobo, alpha_img, glow, where, target, settings, steel)
            if shown is None and target.keystone is None:
                # The steel grid: the preview shows its bridges, un-mirrored as the
                # audience sees it.
                shown = Image.fromarray(steel.open.astype(np.uint8) * 255)
                if target.flip:
                    shown = shown.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if shown is None:
            plain = gobo_target("glass")
            size = preview.PREVIEW_PX
            image_px = size * plain.image_mm / plain.outer_mm
            shown = gobo.render(
                alpha_img, gobo.canvas_matrix(plain, size, image_px, where), size, image_px
            )
        preview_path = out_dir / "preview.png"
        writer.save(preview.projected(shown, colours[0][0]), preview_path)
    for target, job in zip(targets, jobs, strict=True):
        if job is None:
            continue
        png, info = job.result()
        path = out_dir / f"gobo-{target.key}.png"
        writer.write(png, path)
        info = {"file": path.name, **info}
        _write_json(out_dir / f"gobo-{target.key}.json", info)
        files[f"gobo-{target.key}"] = path
        files[f"gobo-{target.key}.json"] = out_dir / f"gobo-{target.key}.json"
        gobos[target.key] = info
    palette_doc = {
        "colours": [{"hex": h, "weight": w} for h, w in colours],
        "main": colours[0][0],
        "pixels": pixels,
    }
    palette_path = out_dir / "palette.json"
    _write_json(palette_path, palette_doc)
    files["preview"] = preview_path
    files["palette"] = palette_path
    warnings = [] if colours[0][0] != led.WHITE else ["no coloured ink: shown in white light"]
    return Conversion(
        files=files,
        palette=colours,
        warnings=warnings,
        manifest={"gobos": gobos, "palette": palette_doc},
    )


def _encoded_gobo(
    alpha_img: Image.Image,
    glow: np.ndarray,
    where: gobo.Placement,
    target: GoboTarget,
    settings: Settings,
    steel: gobo.SteelResult | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """render_gobo with the artwork already a PNG, so the big canvas is dropped at once."""
    image, info = render_gobo(alpha_img, glow, where, target, settings, steel)
    return encode_png(np.asarray(image)), info


def steel_stencil(
    alpha_img: Image.Image, where: gobo.Placement, target: GoboTarget, settings: Settings
) -> gobo.SteelResult:
    """The cuttable stencil on its grid (bridges, minimum features) for a steel target."""
    pitch = gobo.steel_pitch(target, settings)
    cells = math.ceil(target.outer_mm / pitch)
    pitch = target.outer_mm / cells
    image_cells = target.image_mm / pitch
    matrix = gobo.canvas_matrix(target, cells, image_cells, where)
    grid = gobo.render_bits(alpha_img, matrix, cells, image_cells, threshold=90)
    return gobo.make_steel(grid, pitch, settings)


def render_gobo(
    alpha_img: Image.Image,
    glow: np.ndarray,
    where: gobo.Placement,
    target: GoboTarget,
    settings: Settings,
    steel: gobo.SteelResult | None = None,
) -> tuple[Image.Image | np.ndarray, dict[str, Any]]:
    """The artwork (1-bit kinds as a bool array) and its manifest; for steel, `steel` is
    its stencil if already made."""
    image_px = settings.min_image_px
    image: Image.Image | np.ndarray
    canvas_px = 2 * math.ceil(image_px * target.outer_mm / target.image_mm / 2)
    changes: list[dict] = []
    if target.kind == "steel":
        steel = steel or steel_stencil(alpha_img, where, target, settings)
        changes = steel.changes
        image = gobo.steel_image(steel, canvas_px, image_px)
    else:
        matrix = gobo.canvas_matrix(target, canvas_px, image_px, where)
        if target.kind == "colour":
            image = gobo.render(Image.fromarray(glow, "RGB"), matrix, canvas_px, image_px)
        elif target.kind == "glass":
            image = gobo.render_bits(alpha_img, matrix, canvas_px, image_px, threshold=127)
        else:  # Floyd-Steinberg dots of coating, kept as 8-bit for the maker
            grey = gobo.render(alpha_img, matrix, canvas_px, image_px)
            image = grey.convert("1").convert("L")
    info: dict[str, Any] = {
        "kind": target.kind,
        "size": target.size,
        "outer_diameter_mm": target.outer_mm,
        "image_diameter_mm": target.image_mm,
        "pixels": [canvas_px, canvas_px],
        "image_diameter_px": image_px,
        "dpi": round(image_px / (target.image_mm / 25.4), 1),
        "mode": _MODES[target.kind],
        "polarity": "white = light passes",
        "outside_image": "black (metal or coating)",
        "orientation": (
            "mirrored (flip) as seen from the lamp" if target.flip
            else "right-reading as seen from the lamp"
        ),
        "keystone": None,
        "changes": changes,
    }
    if target.keystone is not None:
        tilt, beam = target.keystone
        info["keystone"] = {
            "tilt_deg": tilt,
            "beam_deg": beam,
            "top_width_change_percent": round(keystone.top_width_change(tilt, beam), 2),
        }
    return image, info


class _Writer:
    """Writes PNGs on a helper thread while the next target is computed (zlib drops the
    GIL); leaving the block waits for every file and re-raises any write error."""

    def __enter__(self) -> _Writer:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-png")
        self._pending: list[Future[None]] = []
        return self

    def save(self, image: Image.Image | np.ndarray, path: Path) -> None:
        """An image, or an array as artwork.png takes it (bool: 1-bit)."""
        self._pending.append(self._pool.submit(save_png, image, path))

    def write(self, data: bytes, path: Path) -> None:
        """Bytes already encoded (a PNG)."""
        self._pending.append(self._pool.submit(write_atomically, path, data))

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        for job in self._pending:
            job.result()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode())
