"""A year of nights on one picture: dates across, time of day down (noon to noon).

Each day is a column: the sky's shade (day, civil, nautical, astronomical twilight, night),
the sun-event curves, and the show windows as bands coloured by level. Dark nights get a
red tick in the strip below, blackouts a black one. Derived image: no metadata is written.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw, ImageFont

from schedules.plan import plan_night
from schedules.rules import Rules
from schedules.site import SiteLocation
from schedules.sun import night_sky

DAY_W = 3
HOUR_H = 28
LEFT, TOP, RIGHT = 64, 84, 24
STRIP_H, BOTTOM = 14, 44

SKY = {  # shade of the sky between two event curves
    "day": (246, 242, 222),
    "civil": (178, 193, 218),
    "nautical": (120, 138, 176),
    "astronomical": (78, 92, 128),
    "night": (40, 48, 78),
}
CURVES = {
    "sunset / sunrise": (("sunset", "sunrise"), (20, 20, 20)),
    "civil dusk / dawn": (("civil_dusk", "civil_dawn"), (255, 255, 255)),
    "nautical dusk / dawn": (("nautical_dusk", "nautical_dawn"), (200, 215, 255)),
}
DARK_TICK = (210, 40, 40)
BLACKOUT_TICK = (0, 0, 0)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def level_colour(level: float) -> tuple[int, int, int]:
    """Pale yellow (dim) to deep orange (full): visible on both day and night shades."""
    def mix(low: int, high: int) -> int:
        return round(low + (high - low) * level)

    return mix(255, 235), mix(236, 90), mix(150, 0)


def render_year(site: SiteLocation, rules: Rules, year: int, title: str = "") -> Image.Image:
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    plot_w, plot_h = days * DAY_W, 24 * HOUR_H
    width = LEFT + plot_w + RIGHT
    height = TOP + plot_h + STRIP_H + BOTTOM
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    tz = site.tz

    def y_of(night: date, at: datetime) -> float:
        # Wall-clock minutes after local noon of the night: DST days show local time as read.
        local = at.astimezone(tz).replace(tzinfo=None)
        minutes = (local - datetime.combine(night, time(12))).total_seconds() / 60
        return TOP + max(0.0, min(24 * 60.0, minutes)) * HOUR_H / 60

    curve_points: dict[str, list[tuple[float, float] | None]] = {k: [] for k in CURVES}
    for n in range(days):
        night = first + timedelta(days=n)
        x0 = LEFT + n * DAY_W
        sky = night_sky(site, night)
        ev = sky.events
        midnight = sky.midnight
        evening = [ev["sunset"], ev["civil_dusk"], ev["nautical_dusk"], ev["astronomical_dusk"]]
        morning = [ev["astronomical_dawn"], ev["nautical_dawn"], ev["civil_dawn"], ev["sunrise"]]
        edges = [
            y_of(night, datetime.combine(night, time(12), tzinfo=tz)),
            *(y_of(night, e or midnight) for e in evening),
            *(y_of(night, e or midnight) for e in morning),
            TOP + plot_h,
        ]
        shades = ["day", "civil", "nautical", "astronomical", "night",
                  "astronomical", "nautical", "civil", "day"]
        for shade, top, bottom in zip(shades, edges, edges[1:], strict=False):
            if bottom > top:
                draw.rectangle([x0, top, x0 + DAY_W - 1, bottom], fill=SKY[shade])
        plan = plan_night(site, rules, night)
        for window in plan.windows:
            draw.rectangle(
                [x0, y_of(night, window.start), x0 + DAY_W - 1, y_of(night, window.end)],
                fill=level_colour(window.level),
            )
        if not plan.windows:
            colour = BLACKOUT_TICK if plan.note.startswith("blackout") else DARK_TICK
            draw.rectangle([x0, TOP + plot_h + 3, x0 + DAY_W - 1, TOP + plot_h + STRIP_H - 2],
                           fill=colour)
        for label, ((evening_name, morning_name), _) in CURVES.items():
            at_evening, at_morning = ev[evening_name], ev[morning_name]
            x = x0 + DAY_W / 2
            curve_points[label].append(
                (x, y_of(night, at_evening), y_of(night, at_morning))  # type: ignore[arg-type]
                if at_evening and at_morning else None
            )
    for label, (_, colour) in CURVES.items():
        _polyline(draw, curve_points[label], 1, colour)
        _polyline(draw, curve_points[label], 2, colour)

    # Hour grid and labels, noon at the top.
    for hour in range(0, 25, 3):
        y = TOP + hour * HOUR_H
        draw.line([LEFT - 4, y, LEFT + plot_w, y], fill=(150, 150, 150) if 0 < hour < 24 else
                  (60, 60, 60))
        draw.text((LEFT - 8, y), f"{(12 + hour) % 24:02d}:00", font=small, fill=(0, 0, 0),
                  anchor="rm")
    # Month grid and labels.
    for month in range(1, 13):
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        x = LEFT + (start - first).days * DAY_W
        mid = LEFT + ((start - first).days + (end - start).days / 2) * DAY_W
        draw.line([x, TOP, x, TOP + plot_h + STRIP_H], fill=(90, 90, 90))
        draw.text((mid, TOP + plot_h + STRIP_H + 6), MONTHS[month - 1], font=font,
                  fill=(0, 0, 0), anchor="mt")
    draw.rectangle([LEFT, TOP, LEFT + plot_w, TOP + plot_h], outline=(0, 0, 0))
    draw.text((LEFT - 8, TOP + plot_h + STRIP_H / 2), "dark", font=small, fill=(0, 0, 0),
              anchor="rm")

    heading = f"{title} {year}: show windows and the sky".strip()
    draw.text((LEFT, 10), heading, font=ImageFont.load_default(size=17), fill=(0, 0, 0))
    draw.text((LEFT, 32), f"local time ({site.timezone}), noon to noon; "
              f"{site.latitude:.4f} N {site.longitude:.4f} E", font=small, fill=(60, 60, 60))
    levels = sorted({w.level for w in rules.windows}
                    | {w.level for e in rules.events for w in e.windows}, reverse=True)
    _legend(draw, small, LEFT, 54, levels)
    return image


def _polyline(
    draw: ImageDraw.ImageDraw, points: list, index: int, colour: tuple[int, int, int]
) -> None:
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                draw.line(run, fill=colour, width=1)
            run = []
        else:
            run.append((point[0], point[index]))


def _legend(
    draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont, x: int, y: int, levels: list[float]
) -> None:
    items: list[tuple[str, tuple[int, int, int], str]] = [
        *((f"show {level * 100:.0f}%", level_colour(level), "box") for level in levels),
        *((label, colour, "line") for label, (_, colour) in CURVES.items()),
        ("day", SKY["day"], "box"),
        ("twilight", SKY["nautical"], "box"),
        ("night", SKY["night"], "box"),
        ("dark night", DARK_TICK, "box"),
        ("blackout", BLACKOUT_TICK, "box"),
    ]
    for label, colour, kind in items:
        if kind == "box":
            draw.rectangle([x, y, x + 14, y + 12], fill=colour, outline=(80, 80, 80))
        else:
            draw.rectangle([x, y, x + 14, y + 12], fill=SKY["nautical"])
            draw.line([x, y + 6, x + 14, y + 6], fill=colour, width=2)
        x += 18
        draw.text((x, y + 6), label, font=font, fill=(0, 0, 0), anchor="lm")
        x += int(draw.textlength(label, font=font)) + 14
