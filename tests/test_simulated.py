"""The simulated output: frames in, a PNG of the projected beams out, checked at beam centres."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from hardware import parse_patch
from hardware.frames import FrameAssembler
from hardware.outputs import create_output, simulated
from hardware.outputs.render import layout
from hardware.outputs.simulated import SimulatedOutput

SIZE = (600, 400)


def _output(
    fixtures: list[dict[str, Any]], base_dir: Path = Path(".")
) -> tuple[SimulatedOutput, FrameAssembler]:
    patch = parse_patch(
        [{"name": "sim", "type": "simulated"}, {"name": "other", "type": "simulated"}],
        fixtures,
        base_dir,
    )
    output = create_output(patch.outputs[0], patch.fixtures)
    assert isinstance(output, SimulatedOutput)
    return output, FrameAssembler(patch)


def _show(output: SimulatedOutput, fa: FrameAssembler, values: dict, tmp_path: Path) -> Image.Image:
    output.send(fa.assemble(values)["sim"])
    path = output.save_png(tmp_path / "beams.png", SIZE)
    with Image.open(path) as image:
        image.load()
        return image


def _near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 2) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_beam_centres_show_colour_times_intensity(tmp_path: Path) -> None:
    output, fa = _output(
        [
            {"name": "wash", "profile": "generic-drgb", "output": "sim", "address": 1},
            {"name": "rgb", "profile": "generic-rgb", "output": "sim", "address": 10},
            {"name": "dim", "profile": "generic-dimmer", "output": "sim", "address": 20},
            {"name": "rgbw", "profile": "generic-rgbw", "output": "sim", "address": 30},
            {"name": "elsewhere", "profile": "generic-dimmer", "output": "other", "address": 1},
        ]
    )
    assert [f.name for f in output.fixtures] == ["wash", "rgb", "dim", "rgbw"]
    asyncio.run(output.open())
    assert output.health().state == "ok"
    image = _show(
        output,
        fa,
        {
            "wash": {"intensity": 0.5, "color": "#ff8000"},
            "rgb": {"intensity": 0.5, "red": 1.0},
            "dim": {"intensity": 0.25},
            "rgbw": {"blue": 0.4, "white": 0.2},
        },
        tmp_path,
    )
    centres = layout(output.fixtures, SIZE)
    expected = {
        "wash": (128, 64, 0),
        "rgb": (128, 0, 0),
        "dim": (64, 64, 64),
        "rgbw": (51, 51, 153),
    }
    for name, colour in expected.items():
        x, y, _ = centres[name]
        assert _near(image.getpixel((x, y)), colour), name
    assert "exif" not in image.info and not image.text  # a fresh image, no metadata


def test_dark_fixtures_are_dark(tmp_path: Path) -> None:
    output, fa = _output(
        [{"name": "wash", "profile": "generic-drgb", "output": "sim", "address": 1}]
    )
    image = _show(output, fa, {"wash": {"red": 1.0}}, tmp_path)  # colour but no intensity
    x, y, _ = layout(output.fixtures, SIZE)["wash"]
    assert image.getpixel((x, y)) == (0, 0, 0)


def _half_gobo(path: Path) -> Path:
    """Light passes on the left half only."""
    gobo = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(gobo).rectangle((0, 0, 99, 199), fill=255)
    gobo.save(path)
    return path


def test_gobo_image_masks_and_rotates(tmp_path: Path) -> None:
    output, fa = _output(
        [{"name": "g", "profile": "generic-led-gobo", "output": "sim", "address": 1}]
    )
    output.set_gobo_image("g", None, _half_gobo(tmp_path / "half.png"))
    x, y, r = layout(output.fixtures, SIZE)["g"]
    left, right = (x - r // 2, y), (x + r // 2, y)
    still = _show(output, fa, {"g": {"intensity": 1.0, "color": "#00ff00"}}, tmp_path)
    assert _near(still.getpixel(left), (0, 255, 0)) and still.getpixel(right) == (0, 0, 0)
    turned = _show(
        output, fa, {"g": {"intensity": 1.0, "color": "#00ff00", "gobo_rotation": 0.5}}, tmp_path
    )
    assert turned.getpixel(left) == (0, 0, 0) and _near(turned.getpixel(right), (0, 255, 0))


def test_wheel_slot_with_a_made_gobo_and_the_open_slot(tmp_path: Path) -> None:
    output, fa = _output(
        [{"name": "w", "profile": "generic-gobo-wheel", "output": "sim", "address": 1}]
    )
    output.set_gobo_image("w", 2, _half_gobo(tmp_path / "half.png"))
    x, y, r = layout(output.fixtures, SIZE)["w"]
    made = _show(output, fa, {"w": {"intensity": 1.0, "gobo": 2, "white": 1.0}}, tmp_path)
    assert made.getpixel((x + r // 2, y)) == (0, 0, 0)
    open_slot = _show(output, fa, {"w": {"intensity": 1.0, "gobo": 1, "white": 1.0}}, tmp_path)
    assert _near(open_slot.getpixel((x + r // 2, y)), (255, 255, 255))


def test_ofl_wheel_slot_resource_is_drawn(tmp_path: Path, ofl_dir: Path) -> None:
    output, fa = _output(
        [
            {
                "name": "irock",
                "profile": "fixtures/jb-systems/irock-5c.json",
                "output": "sim",
                "address": 1,
            }
        ],
        ofl_dir,
    )
    x, y, r = layout(output.fixtures, SIZE)["irock"]
    # slot 2 is "10 circles": a ring of holes, metal in the middle
    circles = _show(output, fa, {"irock": {"intensity": 1.0, "gobo": 2}}, tmp_path)
    assert circles.getpixel((x, y)) == (0, 0, 0)
    ring = [circles.getpixel((x + dx, y + dy)) for dx in range(-r, r, 4) for dy in (-r // 2,)]
    assert max(p[0] for p in ring) > 200  # light through the holes
    open_slot = _show(output, fa, {"irock": {"intensity": 1.0, "gobo": 1}}, tmp_path)
    assert _near(open_slot.getpixel((x, y)), (255, 255, 255))


def _svg_gobos(ofl: Path) -> list[Path]:
    return sorted((ofl / "resources" / "gobos").glob("*.svg"))


def test_every_ofl_svg_gobo_is_rasterised_as_metal_and_holes(ofl_dir: Path) -> None:
    gobos = _svg_gobos(ofl_dir)
    assert len(gobos) >= 10
    for path in gobos:  # sizes in px, in pt (dpi needed) and viewBox only
        image = simulated._load(path)
        assert image is not None, path
        assert max(image.size) == 256, path
        histogram = image.convert("L").histogram()  # metal is black, glass coloured
        light = sum(histogram[193:]) / (image.width * image.height)
        assert 0.03 < light < 0.85, (path.name, light)


def test_broken_or_oversized_svg_is_not_drawn_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg")
    huge = tmp_path / "huge.svg"
    huge.write_bytes(b"<svg>" + b" " * (2 << 20) + b"</svg>")
    assert simulated._load(broken) is None
    assert simulated._load(huge) is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"gobo image {broken} not drawn",
        f"gobo image {huge} not drawn",
    ]


def test_pixel_fixture_is_a_grid_of_cells(tmp_path: Path) -> None:
    output, fa = _output(
        [
            {
                "name": "m",
                "profile": "generic-pixel-matrix",
                "pixels": [2, 1],
                "output": "sim",
                "address": 1,
            }
        ]
    )
    image = _show(output, fa, {"m": {"pixels": [(1, 0, 0), (0, 0, 0.5)]}}, tmp_path)
    x, y, r = layout(output.fixtures, SIZE)["m"]
    assert _near(image.getpixel((x - r // 2, y)), (255, 0, 0))
    assert _near(image.getpixel((x + r // 2, y)), (0, 0, 128))


def test_send_keeps_latest_frame_per_universe_and_values_decode() -> None:
    output, fa = _output(
        [
            {"name": "a", "profile": "generic-dimmer", "output": "sim", "address": 1},
            {
                "name": "b",
                "profile": "generic-dimmer",
                "output": "sim",
                "universe": 2,
                "address": 1,
            },
        ]
    )
    output.send(fa.assemble({"a": {"intensity": 1.0}, "b": {"intensity": 0.2}})["sim"])
    output.send({1: fa.assemble({"a": {"intensity": 0.6}})["sim"][1]})
    assert output.values()["a"]["intensity"] == pytest.approx(0.6, abs=0.01)
    assert output.values()["b"]["intensity"] == pytest.approx(0.2, abs=0.01)
    asyncio.run(output.close())
    assert output.health().state == "disconnected"
