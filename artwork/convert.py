"""Orchestration: a drawing in, every derived file out, with a manifest of all that was done.

Files in out_dir (written atomically, never carrying the original's metadata):
cleaned.png; per GoboTarget gobo-<key>.png with its manifest gobo-<key>.json and
preview-<key>.png; per PixelTarget <key>.png (e.g. pixels-16x6.png); palette.json;
preview.png (the colour gobo's where there is one); manifest.json: the source,
every cleanup step, the style and why, each gobo's changes and the warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from artwork import gobo, led, preview
from artwork.cleanup import NoDrawing, Photo, clean_drawing
from artwork.contract import Conversion, RejectedDrawing
from artwork.gobo_files import Made, make_gobo, plain_audience, write_gobo, write_preview
from artwork.ingest import glance, load_drawing
from artwork.model import Drawing, model_drawing
from artwork.paper import ANALYSIS_PX, channel_max, small_copy
from artwork.png import encode_png, write_atomically, write_json, write_png
from artwork.settings import Settings
from artwork.targets import GoboTarget, PixelTarget, gobo_target


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
        drawing = model_drawing(cleaned.image, style, cleaned.paper_share, cleaned.darkness)
        changes, warnings = cleaned.changes, decoded.warnings + cleaned.warnings
        del cleaned  # its pictures let go (once written): the gobos need the memory
        result = _derive(drawing, out_dir, targets, settings)
        written.result()
    result.files = {"cleaned": out_dir / "cleaned.png", **result.files}
    result.warnings = warnings + result.warnings
    result.manifest = {
        "source": {"file": Path(source).name, "decoded_px": decoded.size},
        "cleanup": changes,
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
    write_json(out_dir / "manifest.json", result.manifest)
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
    files: dict[str, Path] = {}
    gobos: dict[str, Any] = {}
    pixels: dict[str, Any] = {}
    warnings: list[str] = []
    gobo_targets = [t for t in targets if isinstance(t, GoboTarget)]
    infos: dict[str, dict[str, Any]] = {}
    finishing: dict[str, tuple[Future[None], Future[bytes]]] = {}  # written; its preview as PNG
    # All on two threads: the palette and the pixel images while where the drawing sits is
    # found, then two one-colour gobos at a time, each written while its preview is made; then
    # a colour gobo (three times their memory) alone: each holds a picture of the maker's
    # resolution until it is written, and the conversion has a memory limit.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="artwork-gobo") as pool:
        palette = pool.submit(_palette, drawing)
        pixel_files = {
            t.key: pool.submit(_pixel_files, drawing, t, out_dir)
            for t in targets
            if isinstance(t, PixelTarget)
        }
        lit = (drawing.light > 127) | (channel_max(drawing.colour) > 40)
        if not lit.any():
            raise RejectedDrawing("blank: nothing of the drawing would pass light")
        where = gobo.placement(lit)
        del lit
        making = [
            pool.submit(make_gobo, drawing, where, t, settings)
            for t in gobo_targets
            if t.kind != "colour"
        ]
        colours = palette.result()

        def finish(made_gobos: Iterable[Made]) -> None:
            for made in made_gobos:
                infos[made.target.key] = made.info
                finishing[made.target.key] = (
                    pool.submit(write_gobo, made, out_dir),
                    pool.submit(write_preview, made, drawing, where, colours[0][0], out_dir),
                )

        def finished() -> dict[str, bytes]:
            for written, _ in finishing.values():
                written.result()  # (raises a refusal)
            return {key: shown.result() for key, (_, shown) in finishing.items()}

        finish(job.result() for job in as_completed(making))
        del making
        for target in gobo_targets:
            if target.kind == "colour":
                finished()
                finish([make_gobo(drawing, where, target, settings)])
        shown = finished()
        for key, job in pixel_files.items():
            files[key], pixels[key] = job.result()
    previews = {t.key: shown[t.key] for t in gobo_targets}
    for target in gobo_targets:
        info = infos[target.key]
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
        audience = plain_audience(drawing, where, gobo_target("glass"))
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
    write_json(out_dir / "palette.json", palette_doc)
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


