"""What the pages and the API show, gathered from the library, the run log and the schedule.

Synchronous (SQLite, astral): handlers call these in a worker thread.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from artwork.derivatives import read_manifest
from artwork.library import ArtworkRecord, LibraryError
from controller.report import build_report
from controller.runlog import SITE, RunLog
from controller.web.auth import may
from controller.web.context import Console
from controller.web.sessions import Session

RUNLOG_NAME = "runlog.sqlite3"
REPORT_NIGHTS = 30


def pictures(record: ArtworkRecord) -> dict[str, Path]:
    """The pictures a page shows for an artwork: original, steel, glass, colour, preview..."""
    found: dict[str, Path] = {"original": record.original}
    for path in sorted(record.directory.glob("*.png")):
        stem = path.stem
        if stem in ("preview", "cleaned"):
            found[stem] = path
        elif stem.startswith("gobo-") and not stem.startswith("gobo-glass-grey"):
            found.setdefault(stem.split("-")[1], path)  # gobo-<kind>-<size>...: one per kind
    return found


def automatic_style(record: ArtworkRecord) -> dict[str, Any]:
    """The converter's own choice of style and why, in words and in numbers, from
    manifest.json (an artwork converted before there were styles has none of them)."""
    style = read_manifest(record.directory).get("style", {})
    return {
        "style": style.get("automatic"),
        "reason": style.get("reason"),
        "measured": style.get("measured") or {},
    }


def artworks(c: Console, session: Session) -> list[dict[str, Any]]:
    """`gobo artwork list --json`'s entries (an artist's own uploads only), with how often
    and how long each was shown, who uploaded it and which pictures it has; for those who
    may choose another style (curators and technicians), the converter's choice and why."""
    chooses_style = may(session.role, "curator")
    uploader = c.uploads.uploader_of()
    shown = showings(c)
    rows = []
    for record in c.library.list():
        by = uploader.get(record.sha256)
        if session.role == "artist" and by != session.user:
            continue
        entry = record.to_json()
        times, minutes = shown.get(record.id, (0, 0.0))
        entry["shown"] = {"times": times, "minutes": round(minutes, 1)}
        entry["uploaded_by"] = by
        entry["pictures"] = sorted(pictures(record))
        if chooses_style:
            entry["automatic_style"] = automatic_style(record)
        rows.append(entry)
    return rows


def style_of(c: Console, artwork_id: str | None) -> str:
    """The style an artwork is drawn in, for its pictures' addresses: a redraw changes them,
    so a phone that kept the old pictures fetches the new ones."""
    try:
        return c.library.get(artwork_id).style if artwork_id else ""
    except LibraryError:
        return ""


def may_see(c: Console, session: Session, artwork_id: str, current: str | None) -> bool:
    """Artists see their own uploads and what is on the ground now; others everything."""
    if session.role != "artist":
        return True
    record = c.library.get(artwork_id)
    return record.id == current or c.uploads.uploader_of().get(record.sha256) == session.user


def showings(c: Console) -> dict[str, tuple[int, float]]:
    """artwork id -> (times shown, minutes shown) over the whole run log."""
    log = _runlog(c)
    if log is None:
        return {}
    now = time.time()
    totals: dict[str, tuple[int, float]] = {}
    try:
        for _night, artwork, start, end in log.showings(date.min, date.max):
            times, minutes = totals.get(artwork, (0, 0.0))
            totals[artwork] = (times + 1, minutes + ((end or now) - start) / 60.0)
    finally:
        log.close()
    return totals


def lit_totals(c: Console) -> tuple[float, float]:
    """(hours any fixture was lit, kWh) since the run log began."""
    log = _runlog(c)
    if log is None:
        return 0.0, 0.0
    hours = energy = 0.0
    try:
        for _night, fixture, lit_seconds, energy_wh in log.use_by_night(date.min, date.max):
            if fixture == SITE:
                hours += lit_seconds / 3600.0
            else:
                energy += energy_wh / 1000.0
    finally:
        log.close()
    return hours, energy


def report(c: Console, now: float) -> dict[str, Any] | None:
    log = _runlog(c)
    if log is None:
        return None
    last = _night(c, now)
    try:
        return build_report(log, last - timedelta(days=REPORT_NIGHTS - 1), last, c.config.report,
                            now)
    finally:
        log.close()


def tonight(c: Console, now: float) -> dict[str, Any]:
    """Tonight's show windows in local time, with the planner's notes."""
    from schedules import plan_night

    tz = c.config.site.tz
    plan = plan_night(c.config.site, c.config.schedule, _night(c, now))
    return {
        "night": plan.night.isoformat(),
        "note": plan.note,
        "windows": [
            {
                "start": w.start.astimezone(tz).isoformat(timespec="minutes"),
                "end": w.end.astimezone(tz).isoformat(timespec="minutes"),
                "level": w.level,
                "rule": w.rule,
                "note": w.note,
            }
            for w in plan.windows
        ],
    }


def counts(c: Console) -> dict[str, int]:
    found: dict[str, int] = {}
    for record in c.library.list():
        found[record.status] = found.get(record.status, 0) + 1
    return found


def _night(c: Console, now: float) -> date:
    from schedules import night_of

    return night_of(c.config.site, datetime.fromtimestamp(now, UTC))


def _runlog(c: Console) -> RunLog | None:
    path = c.config.state_dir / RUNLOG_NAME
    return RunLog(path) if path.is_file() else None
