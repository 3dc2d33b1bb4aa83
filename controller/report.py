"""KPI report from the run log: hours lit, energy, CO2, showings per artwork, outages."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from controller.runlog import SITE, RunLog


@dataclass(frozen=True)
class ReportSettings:
    grid_gco2_per_kwh: float = 40.0
    retention_days: int = 90  # per-minute rows older than this are folded into night summaries


def build_report(
    log: RunLog, first: date, last: date, settings: ReportSettings, now: float
) -> dict[str, Any]:
    """Per-night figures and totals. Open rows (still showing, still down) count up to `now`,
    or up to the log's last sample if the daemon stopped sampling (a crash not yet recovered)."""
    sampled = log.last_sample()
    now = min(now, sampled) if sampled is not None else now
    nights: dict[str, dict[str, Any]] = defaultdict(_empty_night)
    for night, fixture, lit_seconds, energy_wh in log.use_by_night(first, last):
        entry = nights[night]
        if fixture == SITE:
            entry["hours_lit"] = lit_seconds / 3600.0
            continue
        entry["fixtures"][fixture] = {
            "hours_lit": round(lit_seconds / 3600.0, 4),
            "energy_kwh": round(energy_wh / 1000.0, 6),
        }
        entry["energy_kwh"] += energy_wh / 1000.0
    for night, artwork, start, end in log.showings(first, last):
        shown = nights[night]["artworks"].setdefault(artwork, {"showings": 0, "minutes": 0.0})
        shown["showings"] += 1
        shown["minutes"] += ((end if end is not None else now) - start) / 60.0
    for night, output, start, end, detail in log.outages(first, last):
        nights[night]["outages"].append(
            {
                "output": output,
                "start": start,
                "end": end,
                "minutes": round(((end if end is not None else now) - start) / 60.0, 2),
                "detail": detail,
            }
        )
    per_night = []
    for night in sorted(nights):
        entry = nights[night]
        entry["night"] = night
        entry["co2_kg"] = round(entry["energy_kwh"] * settings.grid_gco2_per_kwh / 1000.0, 6)
        entry["hours_lit"] = round(entry["hours_lit"], 4)
        entry["energy_kwh"] = round(entry["energy_kwh"], 6)
        for shown in entry["artworks"].values():
            shown["minutes"] = round(shown["minutes"], 2)
        per_night.append(entry)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "grid_gco2_per_kwh": settings.grid_gco2_per_kwh,
        "nights": per_night,
        "totals": _totals(per_night),
    }


def _empty_night() -> dict[str, Any]:
    return {"hours_lit": 0.0, "energy_kwh": 0.0, "fixtures": {}, "artworks": {}, "outages": []}


def _totals(per_night: list[dict[str, Any]]) -> dict[str, Any]:
    artworks: dict[str, dict[str, float]] = defaultdict(lambda: {"showings": 0, "minutes": 0.0})
    fixtures: dict[str, dict[str, float]] = defaultdict(
        lambda: {"hours_lit": 0.0, "energy_kwh": 0.0}
    )
    for entry in per_night:
        for artwork, shown in entry["artworks"].items():
            artworks[artwork]["showings"] += shown["showings"]
            artworks[artwork]["minutes"] += shown["minutes"]
        for fixture, use in entry["fixtures"].items():
            fixtures[fixture]["hours_lit"] += use["hours_lit"]
            fixtures[fixture]["energy_kwh"] += use["energy_kwh"]
    return {
        "nights": len(per_night),
        "hours_lit": round(sum(e["hours_lit"] for e in per_night), 4),
        "energy_kwh": round(sum(e["energy_kwh"] for e in per_night), 6),
        "co2_kg": round(sum(e["co2_kg"] for e in per_night), 6),
        "showings": sum(int(s["showings"]) for s in artworks.values()),
        "artworks": {
            k: {"showings": int(v["showings"]), "minutes": round(v["minutes"], 2)}
            for k, v in sorted(artworks.items())
        },
        "fixtures": {
            k: {"hours_lit": round(v["hours_lit"], 4), "energy_kwh": round(v["energy_kwh"], 6)}
            for k, v in sorted(fixtures.items())
        },
        "outages": sum(len(e["outages"]) for e in per_night),
    }


def report_csv(report: dict[str, Any]) -> str:
    """One row per night and artwork (blank artwork for the night's own figures)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["night", "hours_lit", "energy_kwh", "co2_kg", "artwork", "showings", "minutes", "outages"]
    )
    for entry in report["nights"]:
        writer.writerow(
            [
                entry["night"],
                entry["hours_lit"],
                entry["energy_kwh"],
                entry["co2_kg"],
                "",
                "",
                "",
                len(entry["outages"]),
            ]
        )
        for artwork, shown in sorted(entry["artworks"].items()):
            writer.writerow(
                [entry["night"], "", "", "", artwork, shown["showings"], shown["minutes"], ""]
            )
    return buffer.getvalue()


def report_text(report: dict[str, Any]) -> str:
    lines = [
        f"Run report {report['from']} .. {report['to']} "
        f"(grid {report['grid_gco2_per_kwh']:g} gCO2/kWh)"
    ]
    lines.append(
        f"{'night':<12}{'hours lit':>10}{'kWh':>10}{'kg CO2':>10}{'showings':>10}{'outages':>9}"
    )
    for entry in report["nights"]:
        showings = sum(s["showings"] for s in entry["artworks"].values())
        lines.append(
            f"{entry['night']:<12}{entry['hours_lit']:>10.2f}{entry['energy_kwh']:>10.3f}"
            f"{entry['co2_kg']:>10.4f}{showings:>10}{len(entry['outages']):>9}"
        )
    totals = report["totals"]
    lines.append(
        f"{'total':<12}{totals['hours_lit']:>10.2f}{totals['energy_kwh']:>10.3f}"
        f"{totals['co2_kg']:>10.4f}{totals['showings']:>10}{totals['outages']:>9}"
    )
    if totals["artworks"]:
        lines.append("")
        lines.append("Drawings shown (showings, minutes):")
        for artwork, shown in totals["artworks"].items():
            lines.append(f"  {artwork}  {shown['showings']:>4}  {shown['minutes']:>8.1f}")
    if totals["fixtures"]:
        lines.append("")
        lines.append("Fixture hours and energy:")
        for fixture, use in totals["fixtures"].items():
            lines.append(f"  {fixture:<16}{use['hours_lit']:>8.2f} h{use['energy_kwh']:>10.3f} kWh")
    for entry in report["nights"]:
        for outage in entry["outages"]:
            lines.append(
                f"outage {entry['night']} {outage['output']}: "
                f"{outage['minutes']} min ({outage['detail']})"
            )
    return "\n".join(lines)
