"""The simulated output: keeps the latest frame of its fixtures and draws what they project."""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import resvg_py
from PIL import Image, UnidentifiedImageError

from hardware.frames import FrameAssembler
from hardware.outputs import render as renderer
from hardware.outputs.base import OK, Health, HealthTracker, Output
from hardware.outputs.config import OutputConfig
from hardware.patch import Patch, PatchedFixture

log = logging.getLogger("gobo.output.simulated")
_SVG_LIMIT = 1 << 20  # OFL's gobo drawings are a few KiB


class SimulatedOutput(Output):
    def __init__(self, config: OutputConfig, fixtures: Sequence[PatchedFixture]) -> None:
        self.name = config.name
        self.fixtures = tuple(f for f in fixtures if f.output == config.name)
        self._assembler = FrameAssembler(Patch((config,), self.fixtures))
        self._frames: dict[int, bytes] = {}
        self._gobo_paths: dict[tuple[str, int | None], Path | None] = {}
        self._images: dict[Path, Image.Image | None] = {}
        self._health = HealthTracker(self.name)

    async def open(self) -> None:
        self._health.set(OK, f"simulated, {len(self.fixtures)} fixtures")

    def send(self, universes: Mapping[int, bytes]) -> None:
        self._frames.update(universes)

    async def close(self) -> None:
        self._health.closed()

    def health(self) -> Health:
        return self._health.get()

    def values(self) -> dict[str, dict[str, Any]]:
        """What each fixture receives now, decoded from the latest frames."""
        return self._assembler.decode({self.name: self._frames})

    def set_gobo_image(self, fixture_name: str, slot: int | None, path: Path | None) -> None:
        """The image in a fixture's gate: slot None for a fixture without a wheel (always in the
        gate), else the image of that wheel slot (a made gobo); path None forgets it."""
        self._gobo_paths[(fixture_name, slot)] = path

    def render(self, size: tuple[int, int] = (800, 600)) -> Image.Image:
        values = self.values()
        gobos = {f.name: self._gobo(f, values.get(f.name, {})) for f in self.fixtures}
        return renderer.render(self.fixtures, values, gobos, size)

    def save_png(self, path: Path, size: tuple[int, int] = (800, 600)) -> Path:
        """Write the rendering atomically (a fresh image: no metadata)."""
        path = Path(path)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
        os.close(handle)
        try:
            self.render(size).save(temp, "PNG")
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)
        return path

    def _gobo(self, fixture: PatchedFixture, values: Mapping[str, Any]) -> Image.Image | None:
        if not fixture.wheel:
            path = self._gobo_paths.get((fixture.name, None))
            return self._image(path) if path else None
        slot = round(float(values.get("gobo", 1)))
        path = self._gobo_paths.get((fixture.name, slot))
        if path is None and 1 <= slot <= len(fixture.wheel):
            path = fixture.wheel[slot - 1].resource
        return self._image(path) if path else None

    def _image(self, path: Path) -> Image.Image | None:
        if path not in self._images:
            self._images[path] = _load(path)
        return self._images[path]


def _load(path: Path) -> Image.Image | None:
    """Gobo image as RGB; OFL's SVG gobos are rasterised by resvg."""
    try:
        if path.suffix.lower() == ".svg":
            return _rasterise_svg(path)
        with Image.open(path) as image:
            return _on_white(image)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        log.warning("gobo image %s not drawn: %s", path, exc)
        return None


def _rasterise_svg(path: Path) -> Image.Image:
    """Fits the drawing in 256x256. OFL's SVGs carry no text, so no system fonts are scanned;
    dpi=96 as in browsers, which gives sizes in pt (resvg-py's default of 0 rejects them)."""
    with path.open("rb") as handle:
        svg = handle.read(_SVG_LIMIT + 1)
    if len(svg) > _SVG_LIMIT:
        raise ValueError(f"larger than {_SVG_LIMIT // 1024} KiB")
    png = resvg_py.svg_to_bytes(
        svg_string=svg.decode("utf-8", errors="replace"),
        width=256,
        height=256,
        dpi=96,
        skip_system_fonts=True,
    )
    with Image.open(io.BytesIO(png)) as image:
        return _on_white(image)


def _on_white(image: Image.Image) -> Image.Image:
    # OFL draws the metal in black on a transparent ground: transparent parts pass light.
    rgba = image.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(base, rgba).convert("RGB")
