"""The demo's own drawings, drawn the way a child draws: wobbly marker lines on paper.

They are generated (seeded, so every run draws the same pictures) rather
than copied from anywhere; `gobo demo` drops them in its inbox like an artist.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

Point = tuple[float, float]
SIZE = (1400, 1050)
PAPER = (246, 242, 232)


class _Crayon:
    def __init__(self, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
        self.draw = draw
        self.rng = rng

    def _wobble(self, points: Sequence[Point], amount: float) -> list[Point]:
        phase = self.rng.uniform(0, math.tau)
        return [
            (x + amount * math.sin(phase + i * 0.7), y + amount * math.cos(phase + i * 0.9))
            for i, (x, y) in enumerate(points)
        ]

    def line(self, points: Sequence[Point], colour: tuple[int, int, int], width: int) -> None:
        dense: list[Point] = []
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            steps = max(2, int(math.dist((x0, y0), (x1, y1)) / 12))
            dense += [
                (x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(steps)
            ]
        dense.append(points[-1])
        self.draw.line(self._wobble(dense, 3.0), fill=colour, width=width, joint="curve")

    def ellipse(
        self,
        centre: Point,
        radii: Point,
        colour: tuple[int, int, int],
        width: int,
        fill: tuple[int, int, int] | None = None,
    ) -> None:
        cx, cy = centre
        rx, ry = radii
        # A child's circle does not quite close: overshoot a little.
        points = [
            (cx + rx * math.cos(a / 40 * math.tau), cy + ry * math.sin(a / 40 * math.tau))
            for a in range(43)
        ]
        if fill is not None:
            self.draw.polygon(self._wobble(points[:40], 2.0), fill=fill)
        self.line(points, colour, width)

    def scribble_fill(
        self, box: tuple[float, float, float, float], colour: tuple[int, int, int]
    ) -> None:
        """Crayon fill: back-and-forth strokes that leave paper showing through."""
        x0, y0, x1, y1 = box
        y = y0
        while y < y1:
            self.line([(x0, y), (x1, y + 6)], colour, 7)
            y += 11


def _sun(crayon: _Crayon) -> None:
    yellow, orange = (250, 200, 20), (240, 120, 20)
    crayon.ellipse((700, 520), (230, 230), orange, 14, fill=yellow)
    for k in range(12):
        angle = k / 12 * math.tau
        inner = (700 + 270 * math.cos(angle), 520 + 270 * math.sin(angle))
        outer = (700 + 420 * math.cos(angle), 520 + 400 * math.sin(angle))
        crayon.line([inner, outer], orange, 16)
    crayon.ellipse((620, 460), (28, 36), (40, 40, 40), 10)
    crayon.ellipse((780, 460), (28, 36), (40, 40, 40), 10)
    crayon.line([(590, 600), (640, 650), (700, 665), (760, 650), (810, 600)], (200, 40, 40), 12)


def _house(crayon: _Crayon) -> None:
    red, blue, green, brown = (210, 40, 40), (40, 80, 200), (40, 160, 60), (120, 70, 30)
    crayon.line([(380, 520), (380, 900), (1000, 900), (1000, 520), (380, 520)], blue, 12)
    crayon.line([(340, 540), (690, 230), (1040, 540)], red, 14)
    crayon.scribble_fill((470, 420, 910, 500), red)
    crayon.line([(620, 900), (620, 720), (740, 720), (740, 900)], brown, 12)
    crayon.line([(450, 600), (560, 600), (560, 690), (450, 690), (450, 600)], blue, 10)
    crayon.line([(505, 600), (505, 690)], blue, 8)
    crayon.line([(820, 600), (930, 600), (930, 690), (820, 690), (820, 600)], blue, 10)
    for x in range(120, 1300, 40):
        crayon.line([(x, 960), (x + 12, 915), (x + 24, 960)], green, 8)


def _cat(crayon: _Crayon) -> None:
    purple, pink = (120, 40, 170), (240, 110, 170)
    crayon.ellipse((700, 620), (260, 210), purple, 14)
    crayon.line([(500, 480), (540, 270), (640, 420)], purple, 14)
    crayon.line([(760, 420), (860, 270), (900, 480)], purple, 14)
    crayon.ellipse((610, 580), (34, 42), (40, 120, 60), 10, fill=(120, 200, 90))
    crayon.ellipse((790, 580), (34, 42), (40, 120, 60), 10, fill=(120, 200, 90))
    crayon.ellipse((700, 670), (26, 18), pink, 10, fill=pink)
    for side in (-1, 1):
        for dy in (-20, 10, 40):
            crayon.line([(700 + side * 60, 690 + dy / 3), (700 + side * 260, 660 + dy)], purple, 6)
    crayon.line([(950, 700), (1100, 640), (1150, 520), (1120, 430)], purple, 14)


def _flower(crayon: _Crayon) -> None:
    pink, yellow, green = (235, 80, 150), (250, 205, 30), (50, 150, 60)
    crayon.line([(700, 520), (690, 700), (710, 980)], green, 16)
    crayon.ellipse((600, 820), (90, 36), green, 10, fill=(110, 190, 90))
    crayon.ellipse((810, 760), (90, 36), green, 10, fill=(110, 190, 90))
    for k in range(7):
        angle = k / 7 * math.tau
        centre = (700 + 170 * math.cos(angle), 400 + 170 * math.sin(angle))
        crayon.ellipse(centre, (95, 95), pink, 12)
    crayon.ellipse((700, 400), (90, 90), (230, 140, 20), 12, fill=yellow)


DRAWINGS: dict[str, Callable[[_Crayon], None]] = {
    "aurinko": _sun,  # sun
    "talo": _house,  # house
    "kissa": _cat,  # cat
    "kukka": _flower,  # flower
}
# Made-up young artists: the inbox takes a subfolder's name as the credit.
ARTISTS = {"aurinko": "Aino 6 v", "talo": "Eetu 5 v", "kissa": "Venla 7 v", "kukka": "Onni 4 v"}


def draw_demo_drawing(name: str, seed: int = 7) -> Image.Image:
    """One drawing on slightly uneven paper, like a scan from a home printer."""
    rng = random.Random(f"{name}-{seed}")
    paper = Image.new("RGB", SIZE, PAPER)
    shade = Image.linear_gradient("L").resize(SIZE).point(lambda v: 255 - v // 12)
    paper = Image.composite(paper, Image.new("RGB", SIZE, (226, 220, 206)), shade)
    draw = ImageDraw.Draw(paper)
    DRAWINGS[name](_Crayon(draw, rng))
    return paper.filter(ImageFilter.GaussianBlur(1.2))


def write_demo_drawings(inbox: Path, names: Sequence[str] = tuple(DRAWINGS)) -> list[Path]:
    """Each drawing in its artist's folder, as a parent would upload it."""
    paths = []
    for name in names:
        folder = inbox / ARTISTS[name]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        draw_demo_drawing(name).save(path, format="PNG")
        paths.append(path)
    return paths
