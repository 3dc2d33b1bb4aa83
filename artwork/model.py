"""A model of the drawing: the child's line work, coloured areas, the paper, and its style.

From the cleaned picture (marks in their own colours on pure white):
- line work: dark marks (outlines, eyes, mouths, writing): near black, or grey and
  dark, or grey and thin (a pencil outline beside a crayon fill);
- fills: the other marks, closed over the grain of crayon and paint;
- holes: small patches of paper that line work and fills enclose (an eye's white).
Styles, and what light each one's gobos let through:
- lines: a drawing of strokes; the strokes glow, in their own hue;
- fills: a coloured-in drawing; the fills and their small holes glow, the line
  work stays dark as lead in a stained-glass window, so a face keeps its eyes;
- painting: paint covers the sheet; the colour gobo is the painting itself, and
  one-colour gobos glow in its main shapes, dark along the edges between them.
Pure: arrays in, arrays out.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from artwork.contract import STYLES
from artwork.paper import darkness
from artwork.regions import area_edges, colour_areas

_MODEL_PX = 1200  # about the long edge for region work (closing, holes)
_REGIONS_PX = 400  # long edge for a painting's colour areas
_PAINTED = 0.3  # less paper than this on the sheet: a painting ...
_SOLID = 0.25  # ... when at least this share of the picture is solid colour, not hatching
_FILLED = 0.25  # fills make up at least this share of the figure: coloured in
_BACKGROUND = 0.25  # a painting's colour area this large at the sheet's edge is its background
_FIGURE = 0.06  # ... when the rest covers at least this much
_NEAR_BLACK = 48  # a pixel this dark (brightest channel, 0..255) takes the hue around it ...
_CELL = 8  # ... of the near black in the 3 x 3 cells this wide around it
_FAINTEST = 20  # a mark is at least this dark (0..255) on the cleaned picture's white
_GREY_SPREAD = 6  # channels this close (0..255) are grey however dark
_HOLE = 0.03  # enclosed paper up to this share of the drawing's area is part of it ...
_GAP = 0.15  # ... and up to this share where a fill rims it all round (a crayon gap) ...
_FILL_RIMMED = 0.9  # ... that is, at least this share of its rim
_SQUARED_OFF_GREY = ((np.arange(256) - 128) ** 2).astype(np.uint16)  # 8-bit a* or b*, squared


@dataclass(frozen=True)
class Drawing:
    style: str  # the style its gobos show
    light: np.ndarray  # uint8 H x W: light through a one-colour gobo (255 open)
    colour: np.ndarray  # uint8 H x W x 3: light leaving a colour gobo (black: none)
    automatic: str | None = None  # the converter's own choice of style ...
    reason: str = ""  # ... and why, in words
    measured: dict[str, float] = field(default_factory=dict)  # ... and in numbers (shares)
    shares: dict[str, float] = field(default_factory=dict)  # of the picture: line work, fills


@dataclass(frozen=True)
class _Parts:
    marks: np.ndarray  # bool, full size
    line_work: np.ndarray  # bool, full size
    fills: np.ndarray  # bool, full size: coloured areas wider than a marker's stroke
    chromatic: np.ndarray  # bool, full size: marks with a colour (not black or grey)
    coloured_small: np.ndarray  # bool, model size: every mark not line work, grain closed
    figure: np.ndarray | None  # bool, model size: the drawing's silhouette, to choose a style by


def model_drawing(
    cleaned: np.ndarray,
    style: str | None = None,
    paper_share: float | None = None,
    dark: np.ndarray | None = None,
) -> Drawing:
    """The drawing's light in `style` (None: the converter's choice). With `paper_share`
    (of the sheet, from the cleanup) the converter's choice is made and told too; `dark`:
    paper.darkness of `cleaned`, where the cleanup has it."""
    if style is not None and style not in STYLES:
        raise ValueError(f"style {style!r} is not one of {', '.join(STYLES)}")
    # Work that needs only the picture, or only its marks, is done on a second core meanwhile;
    # the line style's light too, before the style is chosen: most drawings are line drawings.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-model") as helper:
        parts, in_lines = _parts(
            cleaned,
            darkness(cleaned) if dark is None else dark,
            helper,
            lines=style in (None, "lines"),
            choosing=paper_share is not None,
        )
        automatic, reason, measured = (
            (None, "", {}) if paper_share is None else _choose(parts, paper_share)
        )
    style = style or automatic or "lines"
    if style == "lines":
        assert in_lines is not None
        light, colour = in_lines.result()
    del in_lines  # a coloured-in drawing's line style, let go before its own is made
    if style == "fills":
        light, colour = _fills(cleaned, parts)
    elif style == "painting":
        light, colour = _painting(cleaned, parts)
    size = parts.marks.size
    shares = {
        "line_work": round(float(np.count_nonzero(parts.line_work)) / size, 4),
        "fills": round(float(np.count_nonzero(parts.fills)) / size, 4),
    }
    return Drawing(style, light, colour, automatic, reason, measured, shares)


def _choose(parts: _Parts, paper_share: float) -> tuple[str, str, dict[str, float]]:
    """The style a curator would most likely pick, and why, in words and in numbers (the
    console words them in its own language)."""
    scale = _model_scale(parts.marks.shape)
    covered = round(1 - paper_share, 2)
    measured: dict[str, float] = {}
    hatched = ""
    if paper_share < _PAINTED:
        if _solid_share(_down(parts.marks, scale)) >= _SOLID:
            return "painting", f"paint covers {covered:.0%} of the sheet", {"painted": covered}
        # Crayon or pencil hatched over the sheet shows paper between its strokes at full size.
        measured["hatched"] = covered
        hatched = f"; hatched, not painted, over {covered:.0%} of the sheet"
    assert parts.figure is not None
    coloured = _down(parts.fills & parts.chromatic, scale)
    share = float(coloured.sum()) / max(1, int(parts.figure.sum()))
    measured["coloured"] = round(share, 2)
    if share >= _FILLED:
        return "fills", f"coloured areas fill {share:.0%} of the figure{hatched}", measured
    return "lines", f"strokes (coloured areas fill {share:.0%} of the figure{hatched})", measured


def _solid_share(marks: np.ndarray) -> float:
    """Share of the picture covered solidly: marks in nine tenths of the pixels around."""
    side = max(3, round(0.01 * math.hypot(*marks.shape)))
    around = cv2.blur(marks.view(np.uint8) * 255, (side, side))
    return float(np.count_nonzero(around >= 230)) / around.size


def _parts(
    cleaned: np.ndarray, dark: np.ndarray, helper: Executor, lines: bool, choosing: bool
) -> tuple[_Parts, Future[tuple[np.ndarray, np.ndarray]] | None]:
    """The parts (with `choosing`, the figure too), and with `lines` the line style's light and
    colour (made in `helper`, as are the figure and the darker lines)."""
    lightness, a, b = cv2.split(cv2.cvtColor(cleaned, cv2.COLOR_RGB2Lab))  # L* 0..100 as 0..255
    darker = helper.submit(_darker_lines, lightness)
    chroma2 = _squared_chroma(a, b)
    del a, b
    marks = dark > _FAINTEST
    scale = _model_scale(marks.shape)
    figure = helper.submit(_figure, marks, scale) if choosing else None
    in_lines = helper.submit(_lines, cleaned, dark) if lines else None
    del dark
    grey = marks & (chroma2 < 14**2)
    dull = chroma2 < 45**2
    del chroma2
    chromatic = marks & ~grey  # (a colour: chroma at least 14)
    stroke = max(1, round(0.004 * math.hypot(*marks.shape) * scale))
    thin_grey = grey & ~_up(_opening(_down(grey, scale), stroke), marks.shape)
    # Dark and dull is ink (black, pencil, a dark felt-tip); a saturated colour, even a
    # dark blue, is a colour to keep. (L* 25, 45, 55, 80 on the 0..255 scale.)
    line_work = lightness < 64
    line_work |= (lightness < 115) & dull
    line_work |= grey & (lightness < 140)
    line_work |= thin_grey & (lightness < 204)
    del grey, thin_grey, lightness, dull
    line_work |= darker.result()
    line_work &= marks
    coloured_small = _down(marks & ~line_work, scale)
    diagonal = math.hypot(*marks.shape) * scale
    grain = max(1, round(0.003 * diagonal))
    broad = max(2, round(0.02 * diagonal))  # a fill is wider than a marker's stroke
    closed = _closing(coloured_small, grain)
    fills = _up(_opening(closed, broad), marks.shape) & ~line_work
    figure_small = figure.result() if figure else None
    return _Parts(marks, line_work, fills, chromatic, closed, figure_small), in_lines


def _figure(marks: np.ndarray, scale: float) -> np.ndarray:
    return _filled(_closing(_down(marks, scale), 2))


def _darker_lines(lightness: np.ndarray) -> np.ndarray:
    """Lines drawn in a darker colour over a fill (a red mouth on orange): far darker than the
    fill around them, which a closing (lightest nearby, over a stroke's width) gives. Over
    paper (light crayon hatching, a stroke a little wider than that) that contrast is the
    colour itself, not a line: a closing twice as wide reaches the paper."""
    reach = max(3, round(0.006 * math.hypot(*lightness.shape)))
    around = cv2.morphologyEx(lightness, cv2.MORPH_CLOSE, np.ones((2 * reach + 1,) * 2, np.uint8))
    darker = (cv2.subtract(around, lightness) > 45) & (around < 225)
    return darker & (_closed(lightness, 2 * reach) < 225)


def _squared_chroma(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a*^2 + b*^2 from OpenCV's 8-bit Lab planes (offset 128), in uint16 (at most 32768)."""
    return cv2.add(cv2.LUT(a, _SQUARED_OFF_GREY), cv2.LUT(b, _SQUARED_OFF_GREY))


def _lines(cleaned: np.ndarray, dark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every mark glows, as strongly as it is dark (faint pen included), in its own hue.
    `dark`: the cleaned picture's darkness."""
    marks = dark > _FAINTEST
    strong = float(np.percentile(dark[marks], 75)) if marks.any() else 255.0
    gain = 255.0 / max(40.0, 0.6 * strong)
    light = cv2.convertScaleAbs(dark, alpha=gain)
    light *= marks  # none off the marks
    return light, _glow(cleaned, light, marks)


def _fills(cleaned: np.ndarray, parts: _Parts) -> tuple[np.ndarray, np.ndarray]:
    """Everything coloured, and the paper it encloses, glows in its own colours; line work
    stays dark."""
    # Only this style shows the coloured areas closed and the paper they enclose.
    shape = parts.marks.shape
    lines_small = _down(parts.line_work, _model_scale(shape))
    holes = _up(_holes(lines_small, parts.coloured_small), shape) & ~parts.marks
    coloured = _up(parts.coloured_small, shape)
    open_ = _despeckled((coloured | holes) & ~parts.line_work)
    light = _soft(open_)
    smooth = cv2.medianBlur(cleaned, 5)  # crayon grain into colour glass
    colour = _times(smooth, light)
    return light, colour


def _painting(cleaned: np.ndarray, parts: _Parts) -> tuple[np.ndarray, np.ndarray]:
    """The painting's main shapes glow against its background (the largest colour area at
    the sheet's edge, a sky), dark along the edges between them and where the paint is
    near black; the colour gobo is the painting itself."""
    scale = min(1.0, _REGIONS_PX / max(parts.marks.shape))
    small = cv2.resize(cleaned, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    regions = colour_areas(small)
    shapes = ~area_edges(regions)
    border = np.unique(np.concatenate([regions[0], regions[-1], regions[:, 0], regions[:, -1]]))
    sizes = np.bincount(regions.ravel())
    background = border[np.argmax(sizes[border])]
    others = regions.size - sizes[background]
    # Against a background only when enough else shows (a figure, not a sun and a speck).
    if sizes[background] >= _BACKGROUND * regions.size and others >= _FIGURE * regions.size:
        shapes &= regions != background
    light = _soft(_up(shapes, parts.marks.shape) & ~parts.line_work)
    colour = _times(cv2.medianBlur(cleaned, 3), _soft(~parts.line_work))
    return light, colour


def _glow(cleaned: np.ndarray, light: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Each mark's hue at full brightness (black and grey: white), times its light. Near black
    a pixel has no hue of its own (in a dim photo a level of noise would be one): it takes
    the average colour of the near black around it, so a black stroke stays black and a dark
    violet pen's core violet."""
    glow = np.zeros(cleaned.shape, np.uint8)  # C-contiguous: its items are put in place
    width = cleaned.shape[1]
    rows = max(1, _BLOCK // width)
    near_black: list[np.ndarray] = []  # flat indices
    # Only the marks have light: their pixels alone, a band of rows at a time (a painting's
    # marks are the whole picture), in one row (OpenCV masks an N x 1 picture row by row, ten
    # times as slowly), gathered and put back whole (3-byte items).
    for top in range(0, cleaned.shape[0], rows):
        band = slice(top, top + rows)
        at = np.flatnonzero(marks[band])
        if at.size:
            hue, peak = _hue(_gathered(cleaned[band], at))
            near_black.append(top * width + at[peak[0] < _NEAR_BLACK])
            _times(hue, np.take(light[band].ravel(), at)[None])
            np.put(_items(glow[band]), at, _items(hue))
    at = np.concatenate(near_black) if near_black else np.zeros(0, np.intp)
    if at.size:
        hue = _hue(_average_around(cleaned, *np.divmod(at, width))[None])[0]
        _times(hue, np.take(light.ravel(), at)[None])
        np.put(_items(glow), at, _items(hue))
    return glow


def _gathered(rgb: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The pixels of `rgb` at flat indices `at`, as one row (1 x N x 3)."""
    return np.take(_items(rgb), at).view(np.uint8).reshape(1, -1, 3)


def _items(rgb: np.ndarray) -> np.ndarray:
    """A C-contiguous RGB picture as a row of 3-byte items (a view)."""
    return rgb.reshape(-1, 3).view("V3").ravel()


def _hue(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's colour at full brightness (less colourful than 12 % of its brightness, or
    within a few levels of black, it reads as grey: white), and its brightest channel."""
    r, g, b = cv2.split(rgb)
    peak = cv2.max(cv2.max(r, g), b)
    spread = cv2.subtract(peak, cv2.min(cv2.min(r, g), b))
    del r, g, b
    colourless = cv2.convertScaleAbs(peak, alpha=0.12)
    np.maximum(colourless, _GREY_SPREAD, out=colourless)
    grey = cv2.compare(spread, colourless, cv2.CMP_LE)
    del spread, colourless
    hue = cv2.divide(rgb, cv2.merge([peak] * 3), scale=255)
    # White where grey, in place: no three-channel copy of grey (numpy's broadcast over the
    # channels takes seven times as long).
    return cv2.bitwise_or(hue, (255, 255, 255, 0), dst=hue, mask=grey), peak


def _average_around(rgb: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """For each pixel (ys, xs): the average colour of all those pixels in the 3 x 3 cells of
    _CELL pixels around its own (N x 3 uint8); sums per cell, so only those pixels are read."""
    rows, cols = -(-rgb.shape[0] // _CELL), -(-rgb.shape[1] // _CELL)
    cell = (ys // _CELL) * cols + xs // _CELL
    values = rgb[ys, xs].astype(np.float32)
    sums = np.stack(
        [np.bincount(cell, values[:, c], minlength=rows * cols) for c in range(3)], axis=-1
    ).reshape(rows, cols, 3).astype(np.float32)
    count = np.bincount(cell, minlength=rows * cols).reshape(rows, cols).astype(np.float32)
    box = {"ksize": (3, 3), "normalize": False, "borderType": cv2.BORDER_CONSTANT}
    sums = cv2.boxFilter(sums, -1, **box).reshape(-1, 3)
    count = cv2.boxFilter(count, -1, **box).ravel()
    return np.round(sums[cell] / count[cell, None]).astype(np.uint8)


def _times(rgb: np.ndarray, light: np.ndarray) -> np.ndarray:
    """`rgb` (C-contiguous) times `light` (0..255 as 0..1), in place, a million pixels at a
    time: no three-channel copy of a whole picture's light."""
    pixels, levels = rgb.reshape(1, -1, 3), light.reshape(1, -1)
    for start in range(0, levels.size, _BLOCK):
        part = slice(start, start + _BLOCK)
        cv2.multiply(pixels[:, part], cv2.merge([levels[:, part]] * 3), dst=pixels[:, part],
                     scale=1 / 255)
    return rgb


_BLOCK = 1 << 20


def _despeckled(mask: np.ndarray) -> np.ndarray:
    """`mask` without specks of either side (crayon grain in a dark eye, a fleck of dark
    in a fill): areas smaller than 0.4 % of the picture's diagonal, squared."""
    least = (0.004 * math.hypot(*mask.shape)) ** 2
    out = mask.copy()
    for side in (True, False):
        _, labels, stats, _ = cv2.connectedComponentsWithStats((out == side).view(np.uint8))
        speck = stats[:, cv2.CC_STAT_AREA] < least
        speck[0] = False
        out[np.take(speck, labels)] = not side
        del labels  # (26 MB at 6 Mpx: not two at once)
    return out


def _soft(mask: np.ndarray) -> np.ndarray:
    """A mask as 0/255 with a pixel of soft edge, so a gobo's outline is smooth."""
    return cv2.GaussianBlur(mask.view(np.uint8) * 255, (3, 3), 0)


def _model_scale(shape: tuple[int, ...]) -> float:
    """1/k for the whole k nearest to shrinking the long edge to _MODEL_PX: OpenCV averages
    whole k x k boxes 20 times faster than fractional ones."""
    return 1 / max(1, round(max(shape[:2]) / _MODEL_PX))


def _down(mask: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return mask
    small = cv2.resize(
        mask.view(np.uint8) * 255, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
    )
    return small > 127


def _up(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if mask.shape == shape[:2]:
        return mask
    big = cv2.resize(
        mask.view(np.uint8) * 255, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR
    )
    return big > 127


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _opening(mask: np.ndarray, radius: int) -> np.ndarray:
    """Opening by a disc, from distances: as fast for a fill's width as for a stroke's (a
    morphology kernel 65 px wide costs 70 ms on the model copy)."""
    inner = _distance(mask) > radius
    return _distance(~inner) <= radius


def _distance(mask: np.ndarray) -> np.ndarray:
    """Each pixel's distance to the nearest pixel outside `mask` (Euclidean, within 2 %)."""
    return cv2.distanceTransform(mask.view(np.uint8), cv2.DIST_L2, 5)


def _closed(grey: np.ndarray, radius: int) -> np.ndarray:
    """`grey` closed by a square 2 * radius + 1 wide, on a copy shrunk by whole boxes (a
    wide kernel's work, and a guide's precision, at a fraction of the pixels)."""
    k = max(1, radius // 4)
    if k == 1:
        return cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((2 * radius + 1,) * 2, np.uint8))
    small = cv2.resize(grey, None, fx=1 / k, fy=1 / k, interpolation=cv2.INTER_AREA)
    side = 2 * (radius // k) + 1
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))
    return cv2.resize(closed, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def _closing(mask: np.ndarray, radius: int) -> np.ndarray:
    return cv2.morphologyEx(mask.view(np.uint8), cv2.MORPH_CLOSE, _disc(radius)).view(bool)


def _filled(mask: np.ndarray) -> np.ndarray:
    """`mask` with every enclosed background area filled in: the figure's silhouette."""
    # A frame of background joins every area that reaches the picture's edge into one.
    framed = cv2.copyMakeBorder((~mask).view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    _, labels = cv2.connectedComponents(framed, connectivity=4)
    return labels[1:-1, 1:-1] != labels[0, 0]


def _background_areas(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The areas off `mask` (4-connected): their labels (0: `mask` itself), each one's
    pixel count, and whether `mask` encloses it (it does not reach the picture's edge)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(
        (~mask).view(np.uint8), connectivity=4
    )
    h, w = mask.shape
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    enclosed = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)
    enclosed[0] = False
    return labels, area, enclosed


def _holes(lines: np.ndarray, fills: np.ndarray) -> np.ndarray:
    """Paper that the drawing encloses and that belongs to it: an eye's white, drawn round
    with a line, up to _HOLE of the drawing's area; a gap the crayon left in a figure's fill
    (fill all round it, inside the figure's outline), up to _GAP, so a patch the child did
    not colour in is not a dark blot. (Paper in a loop of paint is no such gap.)"""
    mask = lines | fills
    outlined = _filled(_closing(lines, 2))
    labels, area, enclosed = _background_areas(mask)
    count = area.size
    # What rims each area: the pixels of the drawing beside it, fill or line.
    beside = cv2.dilate(labels.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int32)
    rim = mask & (beside > 0)
    rim_fill = np.bincount(beside[rim], weights=(fills & ~lines)[rim], minlength=count)
    rim_all = np.maximum(np.bincount(beside[rim], minlength=count), 1)
    within = np.bincount(labels.ravel(), weights=outlined.ravel(), minlength=count)
    within /= np.maximum(area, 1)
    gap = (rim_fill / rim_all >= _FILL_RIMMED) & (within > 0.5)
    limit = np.where(gap, _GAP, _HOLE) * max(1, int(mask.sum()))
    return np.take(enclosed & (area < limit), labels)
