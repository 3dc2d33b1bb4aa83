"""Looks generated per artwork: what each fixture does while one drawing is shown.

A look is pure data (palette colours, pixel images); `fixture_look` turns it into
attribute values for one fixture at time t. Loading pixel images happens once per
artwork in `look_from_record`, never per frame.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RGB = tuple[float, float, float]

# Slow enough to read as calm light on a facade, fast enough to be seen to live.
COLOUR_DWELL_S = 24.0  # time spent on each palette colour (incl. the blend to the next)
BREATH_PERIOD_S = 9.0
BREATH_DEPTH = 0.15  # intensity dips to 85 % at the bottom of a breath
ROTATION_PERIOD_S = 240.0  # one full gobo turn
ROTATION_SPEED = 0.08  # for fixtures with a speed channel instead of an indexed angle
WARM_WHITE: RGB = (1.0, 0.85, 0.6)  # used when an artwork has no usable palette


@dataclass(frozen=True)
class Look:
    """Everything the engine needs to show one artwork."""

    artwork_id: str
    credit: str = ""
    colours: tuple[RGB, ...] = (WARM_WHITE,)
    # (width, height) -> row-major (N, 3) RGB floats 0..1, gamma already applied by the
    # converter; numpy so a frame passes them on without a per-pixel Python loop
    pixels: Mapping[tuple[int, int], np.ndarray] = field(default_factory=dict)
    # target key ("gobo-glass-M", ...) -> image file, for digital gobo fixtures
    gobo_images: Mapping[str, Path] = field(default_factory=dict)
    style: str = "lines"  # how its files show the drawing (artwork.contract.STYLES)


def hex_to_rgb(text: str) -> RGB:
    value = text.strip().lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {text!r}")
    number = int(value, 16)
    return ((number >> 16) / 255.0, ((number >> 8) & 0xFF) / 255.0, (number & 0xFF) / 255.0)


def palette_colours(palette: Sequence[tuple[str, float]]) -> tuple[RGB, ...]:
    """Palette entries heaviest first, each normalised so its brightest channel is full."""
    colours = []
    for hex_colour, _weight in sorted(palette, key=lambda entry: -entry[1]):
        r, g, b = hex_to_rgb(hex_colour)
        peak = max(r, g, b)
        if peak > 0.02:
            colours.append((r / peak, g / peak, b / peak))
    return tuple(colours) or (WARM_WHITE,)


def look_from_record(
    artwork_id: str,
    credit: str | None,
    palette: Sequence[tuple[str, float]],
    files: Mapping[str, Path],
    style: str,
) -> Look:
    """Build a look from a library record's palette, derivative files (reads the pixel PNGs)
    and style."""
    pixels: dict[tuple[int, int], np.ndarray] = {}
    gobo_images: dict[str, Path] = {}
    for key, path in files.items():
        if key.startswith("pixels-"):
            image = _read_pixels(path)
            if image is not None:
                pixels[image[0]] = image[1]
        elif key.startswith("gobo-") and Path(path).suffix == ".png":
            gobo_images[key] = Path(path)
    return Look(artwork_id, credit or "", palette_colours(palette), pixels, gobo_images, style)


def _read_pixels(path: Path) -> tuple[tuple[int, int], np.ndarray] | None:
    from PIL import Image  # the daemon needs Pillow; the CLI path must not import it

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            size = rgb.size
            data = rgb.tobytes()
    except (OSError, ValueError):
        return None
    cells = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3) / 255.0
    cells.flags.writeable = False
    return size, cells


def read_palette_file(path: Path) -> list[tuple[str, float]]:
    """palette.json as the converter writes it: {"colours": [{"hex", "weight"}]} or a list."""
    data: Any = json.loads(Path(path).read_text())
    entries = data.get("colours", data.get("palette", [])) if isinstance(data, dict) else data
    palette = []
    for entry in entries:
        if isinstance(entry, dict):
            palette.append((str(entry["hex"]), float(entry.get("weight", 1.0))))
        else:
            palette.append((str(entry[0]), float(entry[1])))
    return palette


# -- animation: pure functions of time ---------------------------------------------------------


def drift_colour(colours: Sequence[RGB], t: float, phase: float = 0.0) -> RGB:
    """Walk through the palette, dwelling on each colour and blending smoothly to the next."""
    if len(colours) == 1:
        return colours[0]
    position = (t / COLOUR_DWELL_S + phase) % len(colours)
    index = int(position)
    frac = position - index
    # hold for the first half of the dwell, then an eased blend to the next colour
    blend = 0.0 if frac < 0.5 else 0.5 - 0.5 * math.cos(math.pi * (frac - 0.5) * 2.0)
    a, b = colours[index], colours[(index + 1) % len(colours)]
    return (
        a[0] + (b[0] - a[0]) * blend,
        a[1] + (b[1] - a[1]) * blend,
        a[2] + (b[2] - a[2]) * blend,
    )


def breathing(t: float, phase: float = 0.0) -> float:
    """Gentle intensity swell, 1.0 at the top, 1 - BREATH_DEPTH at the bottom."""
    wave = 0.5 + 0.5 * math.cos(2.0 * math.pi * (t / BREATH_PERIOD_S + phase))
    return 1.0 - BREATH_DEPTH * (1.0 - wave)


def rotation_angle(t: float) -> float:
    """Gobo angle as a fraction of a turn (indexed rotation channels)."""
    return (t / ROTATION_PERIOD_S) % 1.0


def colour_attributes(rgb: RGB, attributes: frozenset[str] | set[str]) -> dict[str, float]:
    """RGB to the fixture's emitters; white takes the common part on RGBW fixtures."""
    r, g, b = rgb
    values: dict[str, float] = {}
    if "white" in attributes:
        w = min(r, g, b)
        values["white"] = w
        r, g, b = r - w, g - w, b - w
    if "red" in attributes:
        values["red"] = r
    if "green" in attributes:
        values["green"] = g
    if "blue" in attributes:
        values["blue"] = b
    return values


@functools.lru_cache(maxsize=4096)
def fixture_phase(name: str) -> float:
    """A stable per-fixture offset so washes do not pulse in lockstep."""
    return (sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 997) / 997.0


def is_gobo_fixture(fixture: Any) -> bool:
    return bool(getattr(fixture, "gobo_kind", None)) or "gobo" in fixture.attributes


def fixture_look(
    fixture: Any, look: Look, t: float, scale: float = 1.0,
    fading_from: Look | None = None, x: float = 1.0,
) -> dict[str, Any]:
    """Attribute values of one fixture for one artwork, intensity times `scale`.

    With `fading_from`, washes and pixels crossfade their colours from that artwork's
    (x = 0) to this one's (x = 1); intensity and breathing run on unchanged.
    """
    attributes = fixture.attributes
    values: dict[str, Any] = {}
    if is_gobo_fixture(fixture):
        # gobo fixtures lead with the main colour and drift slowly, all in step
        values.update(colour_attributes(drift_colour(look.colours, t), attributes))
        slot = wheel_slot(fixture, look.artwork_id)
        if slot is not None:
            values["gobo"] = slot
        if "gobo_rotation" in attributes:
            values["gobo_rotation"] = rotation_angle(t)
        elif "rotation_speed" in attributes:
            values["rotation_speed"] = ROTATION_SPEED
        values["intensity"] = breathing(t) * scale
        return values
    phase = fixture_phase(fixture.name)
    colour = drift_colour(look.colours, t, phase)
    if fixture.pixels:
        cells = pixel_cells(look, fixture.pixels, colour)
        if fading_from is not None:
            old = drift_colour(fading_from.colours, t, phase)
            before = pixel_cells(fading_from, fixture.pixels, old)
            cells = before + (cells - before) * x
        values["pixels"] = cells
    elif fading_from is not None:
        old = drift_colour(fading_from.colours, t, phase)
        values.update(colour_attributes(mix(old, colour, x), attributes))
    else:
        values.update(colour_attributes(colour, attributes))
    values["intensity"] = breathing(t, phase) * scale
    return values


def mix(a: RGB, b: RGB, x: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * x, a[1] + (b[1] - a[1]) * x, a[2] + (b[2] - a[2]) * x)


def wheel_slot(fixture: Any, artwork_id: str) -> int | None:
    """The wheel slot holding this artwork's made gobo, if the site configured one."""
    for slot, slot_artwork in (getattr(fixture, "gobo_slots", None) or {}).items():
        if artwork_id.startswith(slot_artwork) or slot_artwork.startswith(artwork_id):
            return int(slot)
    return None


def pixel_cells(look: Look, size: tuple[int, int], fallback: RGB) -> np.ndarray:
    image = look.pixels.get((size[0], size[1]))
    if image is not None and image.shape == (size[0] * size[1], 3):
        return image
    return np.tile(np.asarray(fallback, dtype=np.float64), (size[0] * size[1], 1))


def gobo_image_for(fixture: Any, look: Look) -> Path | None:
    """The artwork's gobo file made for exactly this fixture (kind, size, flip, keystone);
    failing that one of its kind and size, then any gobo image."""
    from artwork.targets import gobo_target

    try:
        exact = "gobo-" + gobo_target(
            fixture.gobo_kind, size=fixture.gobo_size, image_mm=fixture.gobo_image_mm,
            flip=fixture.flip, keystone=fixture.keystone,
        ).key
    except ValueError:
        exact = ""
    if exact in look.gobo_images:
        return Path(look.gobo_images[exact])
    prefix = f"gobo-{fixture.gobo_kind}-{fixture.gobo_size}"
    keys = sorted(look.gobo_images)
    for key in keys:
        if key.startswith(prefix):
            return Path(look.gobo_images[key])
    return Path(look.gobo_images[keys[0]]) if keys else None
