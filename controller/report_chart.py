"""`gobo report --png`: hours lit and energy per night as a bar chart (Pillow only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1000, 520
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 70, 50, 90
HOURS_COLOUR = (255, 190, 70)
ENERGY_COLOUR = (90, 170, 255)


def render_report_chart(report: dict[str, Any]) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), (24, 26, 32))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    nights = report["nights"]
    title = (
        f"Hours lit and energy per night, {report['from']} .. {report['to']}  "
        f"(total {report['totals']['hours_lit']:.1f} h, {report['totals']['energy_kwh']:.2f} kWh, "
        f"{report['totals']['co2_kg']:.3f} kg CO2)"
    )
    draw.text((MARGIN_LEFT, 15), title, fill=(230, 230, 230), font=font)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    base_y = MARGIN_TOP + plot_h
    draw.line([(MARGIN_LEFT, base_y), (WIDTH - MARGIN_RIGHT, base_y)], fill=(150, 150, 150))
    if not nights:
        draw.text(
            (MARGIN_LEFT + 20, MARGIN_TOP + 20),
            "no nights in the run log for this period",
            fill=(200, 200, 200),
            font=font,
        )
        return image
    max_hours = max(max(n["hours_lit"] for n in nights), 0.01)
    max_kwh = max(max(n["energy_kwh"] for n in nights), 0.001)
    slot = plot_w / len(nights)
    bar = max(1.0, slot * 0.38)
    for index, night in enumerate(nights):
        x = MARGIN_LEFT + index * slot + slot * 0.1
        hours_h = plot_h * night["hours_lit"] / max_hours
        kwh_h = plot_h * night["energy_kwh"] / max_kwh
        draw.rectangle([x, base_y - hours_h, x + bar, base_y], fill=HOURS_COLOUR)
        draw.rectangle([x + bar, base_y - kwh_h, x + 2 * bar, base_y], fill=ENERGY_COLOUR)
        if len(nights) <= 31 or index % max(1, len(nights) // 20) == 0:
            draw.text((x, base_y + 6), night["night"][5:], fill=(200, 200, 200), font=font)
    for fraction in (0.25, 0.5, 0.75, 1.0):
        y = base_y - plot_h * fraction
        draw.line([(MARGIN_LEFT, y), (WIDTH - MARGIN_RIGHT, y)], fill=(55, 58, 66))
        draw.text((8, y - 6), f"{max_hours * fraction:.1f} h", fill=HOURS_COLOUR, font=font)
        draw.text(
            (WIDTH - MARGIN_RIGHT + 6, y - 6),
            f"{max_kwh * fraction:.2f} kWh",
            fill=ENERGY_COLOUR,
            font=font,
        )
    legend_y = HEIGHT - 35
    draw.rectangle([MARGIN_LEFT, legend_y, MARGIN_LEFT + 14, legend_y + 10], fill=HOURS_COLOUR)
    draw.text((MARGIN_LEFT + 20, legend_y - 1), "hours lit", fill=(220, 220, 220), font=font)
    draw.rectangle(
        [MARGIN_LEFT + 120, legend_y, MARGIN_LEFT + 134, legend_y + 10], fill=ENERGY_COLOUR
    )
    draw.text((MARGIN_LEFT + 140, legend_y - 1), "energy (kWh)", fill=(220, 220, 220), font=font)
    return image


def save_report_chart(report: dict[str, Any], path: Path) -> None:
    render_report_chart(report).save(path, format="PNG")
