"""Run log: what was projected when, fixture energy, outages — SQLite beside the library.

The daemon feeds a `RunRecorder` about once a second (never per frame, and from its own
thread: controller.recorder); rows older than the retention age are folded into per-night
summaries so storage stays bounded while totals stay exact. Every sample stamps the log, so
after a crash the rows it left open are closed at that last sample, not at the restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    ts REAL NOT NULL, night TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS showings (
    id INTEGER PRIMARY KEY, night TEXT NOT NULL, artwork TEXT NOT NULL,
    start REAL NOT NULL, end REAL, level REAL NOT NULL, fixtures TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fixture_use (
    night TEXT NOT NULL, fixture TEXT NOT NULL, minute REAL NOT NULL,
    lit_seconds REAL NOT NULL, energy_wh REAL NOT NULL,
    PRIMARY KEY (night, fixture, minute)
);
CREATE TABLE IF NOT EXISTS outages (
    id INTEGER PRIMARY KEY, night TEXT NOT NULL, output TEXT NOT NULL,
    start REAL NOT NULL, end REAL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS night_summary (
    night TEXT NOT NULL, fixture TEXT NOT NULL, lit_seconds REAL NOT NULL, energy_wh REAL NOT NULL,
    PRIMARY KEY (night, fixture)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS showings_night ON showings (night);
CREATE INDEX IF NOT EXISTS events_night ON events (night);
"""


SITE = "*"  # pseudo-fixture: seconds in which any fixture was lit


class Sample(NamedTuple):
    """What the show drives at one instant, as the run log wants it."""

    ts: float
    intensities: Mapping[str, float]  # effective 0..1 per fixture
    artwork: str | None  # shown now (None when dark)
    level: float
    outputs: Mapping[str, tuple[str, str]]  # name -> (state, detail)


def night_of(ts: float, tz: ZoneInfo) -> date:
    """The night an instant belongs to: the evening's date (before local noon -> the day before)."""
    local = datetime.fromtimestamp(ts, tz)
    return (local - timedelta(hours=12)).date()


class RunLog:
    """The SQLite run log. Safe to read from the CLI while the daemon writes (WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        # A power cut may lose the last second's rows, never the file: no fsync per sample.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add_event(self, ts: float, night: date, kind: str, detail: str) -> None:
        self.db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?)", (ts, night.isoformat(), kind, detail)
        )

    def start_showing(
        self, ts: float, night: date, artwork: str, level: float, fixtures: Iterable[str]
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO showings (night, artwork, start, level, fixtures) VALUES (?, ?, ?, ?, ?)",
            (night.isoformat(), artwork, ts, level, ",".join(sorted(fixtures))),
        )
        return int(cursor.lastrowid or 0)

    def end_showing(self, showing_id: int, ts: float) -> None:
        self.db.execute("UPDATE showings SET end = ? WHERE id = ?", (ts, showing_id))

    def start_outage(self, ts: float, night: date, output: str, detail: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO outages (night, output, start, detail) VALUES (?, ?, ?, ?)",
            (night.isoformat(), output, ts, detail),
        )
        return int(cursor.lastrowid or 0)

    def end_outage(self, outage_id: int, ts: float) -> None:
        self.db.execute("UPDATE outages SET end = ? WHERE id = ?", (ts, outage_id))

    def add_use(self, rows: Iterable[tuple[str, str, float, float, float]]) -> None:
        """(night, fixture, minute start, lit seconds, watt-hours), summed into the minute row."""
        with self.db:
            self.db.executemany(
                "INSERT INTO fixture_use VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (night, fixture, minute) DO UPDATE SET "
                "lit_seconds = lit_seconds + excluded.lit_seconds, "
                "energy_wh = energy_wh + excluded.energy_wh",
                rows,
            )

    def mark_sample(self, ts: float) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES ('last_sample', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (ts,),
        )

    def last_sample(self) -> float | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_sample'").fetchone()
        return None if row is None else float(row[0])

    def close_open_rows(self, ts: float) -> int:
        """Showings and outages left open end at `ts` (never before they began)."""
        with self.db:
            closed = self.db.execute(
                "UPDATE showings SET end = MAX(start, ?) WHERE end IS NULL", (ts,)
            ).rowcount
            closed += self.db.execute(
                "UPDATE outages SET end = MAX(start, ?) WHERE end IS NULL", (ts,)
            ).rowcount
        return closed

    def recover(self) -> tuple[int, float | None]:
        """At start: rows a crash left open end at the last sample before it. Returns how many
        were closed and that sample's time."""
        last = self.last_sample()
        return (self.close_open_rows(last if last is not None else 0.0), last)

    def fold_before(self, night: date) -> int:
        """Fold per-minute use of nights before `night` into per-night summaries."""
        key = night.isoformat()
        with self.db:
            self.db.execute(
                "INSERT INTO night_summary "
                "SELECT night, fixture, SUM(lit_seconds), SUM(energy_wh) FROM fixture_use "
                "WHERE night < ? GROUP BY night, fixture "
                "ON CONFLICT (night, fixture) DO UPDATE SET "
                "lit_seconds = lit_seconds + excluded.lit_seconds, "
                "energy_wh = energy_wh + excluded.energy_wh",
                (key,),
            )
            return self.db.execute("DELETE FROM fixture_use WHERE night < ?", (key,)).rowcount

    def use_by_night(self, first: date, last: date) -> list[tuple[str, str, float, float]]:
        """(night, fixture, lit seconds, Wh) from minute rows and folded summaries alike."""
        bounds = (first.isoformat(), last.isoformat())
        return self.db.execute(
            "SELECT night, fixture, SUM(lit), SUM(wh) FROM ("
            " SELECT night, fixture, lit_seconds AS lit, energy_wh AS wh FROM fixture_use"
            " WHERE night BETWEEN ? AND ?"
            " UNION ALL SELECT night, fixture, lit_seconds, energy_wh FROM night_summary"
            " WHERE night BETWEEN ? AND ?) GROUP BY night, fixture ORDER BY night, fixture",
            bounds + bounds,
        ).fetchall()

    def showings(self, first: date, last: date) -> list[tuple[str, str, float, float | None]]:
        return self.db.execute(
            "SELECT night, artwork, start, end FROM showings WHERE night BETWEEN ? AND ? "
            "ORDER BY start",
            (first.isoformat(), last.isoformat()),
        ).fetchall()

    def outages(self, first: date, last: date) -> list[tuple[str, str, float, float | None, str]]:
        return self.db.execute(
            "SELECT night, output, start, end, detail FROM outages WHERE night BETWEEN ? AND ? "
            "ORDER BY start",
            (first.isoformat(), last.isoformat()),
        ).fetchall()

    def events(self, first: date, last: date) -> list[tuple[float, str, str, str]]:
        return self.db.execute(
            "SELECT ts, night, kind, detail FROM events WHERE night BETWEEN ? AND ? ORDER BY ts",
            (first.isoformat(), last.isoformat()),
        ).fetchall()


@dataclass
class _Open:
    row_id: int
    key: str


class RunRecorder:
    """Turns the show's state, sampled about once a second, into run-log rows.

    Energy integrates power x intensity over the sampling interval (a step
    function), which is exact for the step-wise levels the engine holds and
    within one interval's share for fades.
    """

    def __init__(
        self, log: RunLog, tz: ZoneInfo, power_watts: Mapping[str, float], flush_every: float = 60.0
    ) -> None:
        self.log = log
        self.tz = tz
        self.power = dict(power_watts)
        self.flush_every = flush_every
        self._last_ts: float | None = None
        self._last_intensity: dict[str, float] = {}
        self._pending: dict[tuple[str, str, float], list[float]] = {}
        self._last_flush: float | None = None
        self._showing: _Open | None = None
        self._outages: dict[str, _Open] = {}

    def sample(
        self,
        ts: float,
        intensities: Mapping[str, float],
        artwork: str | None,
        level: float,
        outputs: Mapping[str, tuple[str, str]],
    ) -> None:
        """intensities: effective 0..1 per fixture now; outputs: name -> (state, detail)."""
        self.log.mark_sample(ts)
        if self._last_ts is not None and ts > self._last_ts:
            self._accumulate(self._last_ts, ts)
        self._last_ts = ts
        self._last_intensity = {name: max(0.0, min(1.0, v)) for name, v in intensities.items()}
        self._track_showing(ts, artwork, level)
        self._track_outages(ts, outputs)
        if self._last_flush is None:
            self._last_flush = ts
        elif ts - self._last_flush >= self.flush_every:
            self.flush()
            self._last_flush = ts

    def event(self, ts: float, kind: str, detail: str) -> None:
        self.log.add_event(ts, night_of(ts, self.tz), kind, detail)

    def finish(self, ts: float) -> None:
        """Close everything at shutdown (the last interval counts)."""
        self.sample(ts, {}, None, 0.0, {})
        self.flush()

    def flush(self) -> None:
        rows = [
            (night, fixture, minute, lit, wh)
            for (night, fixture, minute), (lit, wh) in self._pending.items()
        ]
        self._pending.clear()
        if rows:
            self.log.add_use(rows)

    def _accumulate(self, start: float, end: float) -> None:
        # Split at minute boundaries so a row never straddles two nights.
        while start < end:
            minute = start - start % 60.0
            stop = min(end, minute + 60.0)
            seconds = stop - start
            night = night_of(minute, self.tz).isoformat()
            if any(value > 0.0 for value in self._last_intensity.values()):
                site = self._pending.setdefault((night, SITE, minute), [0.0, 0.0])
                site[0] += seconds
            for fixture, intensity in self._last_intensity.items():
                if intensity <= 0.0:
                    continue
                cell = self._pending.setdefault((night, fixture, minute), [0.0, 0.0])
                cell[0] += seconds
                cell[1] += self.power.get(fixture, 0.0) * intensity * seconds / 3600.0
            start = stop

    def _track_showing(self, ts: float, artwork: str | None, level: float) -> None:
        current = self._showing
        if current is not None and current.key == artwork:
            return
        if current is not None:
            self.log.end_showing(current.row_id, ts)
            self._showing = None
        if artwork is not None:
            lit = [name for name, value in self._last_intensity.items() if value > 0.0]
            row_id = self.log.start_showing(ts, night_of(ts, self.tz), artwork, level, lit)
            self._showing = _Open(row_id, artwork)

    def _track_outages(self, ts: float, outputs: Mapping[str, tuple[str, str]]) -> None:
        for name, (state, detail) in outputs.items():
            open_row = self._outages.get(name)
            if state == "ok" and open_row is not None:
                self.log.end_outage(open_row.row_id, ts)
                del self._outages[name]
            elif state != "ok" and open_row is None:
                row_id = self.log.start_outage(
                    ts, night_of(ts, self.tz), name, f"{state}: {detail}"
                )
                self._outages[name] = _Open(row_id, state)
        for name in set(self._outages) - set(outputs):
            self.log.end_outage(self._outages.pop(name).row_id, ts)
