"""Artwork library: an SQLite catalogue of drawings, content-addressed by sha256.

Layout under the state directory:
  library.sqlite3                 catalogue (WAL, so the daemon and the CLI can share it)
  originals/<sha256><ext>         each original kept byte for byte
  artworks/<id>/                  derivatives written by convert_drawing

Adding is crash-safe in this order: copy + fsync the original, convert into a
scratch directory, then rename it into place and commit the row in one write
transaction. The caller (the inbox) removes its copy only after that commit, so
a power cut at any step leaves either the inbox file or a committed entry, and
a redo finds the same sha256 and converges on exactly one entry.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from artwork.contract import CONVERT_DRAWING, STYLES, RejectedDrawing, Runner, in_process
from artwork.derivatives import Target, derive_into, read_manifest, target_file_name
from artwork.originals import fsync_dir, sanitize_name, store_original
from artwork.settings import Settings

STATUSES = ("pending", "approved", "rejected", "retired")
ID_LENGTH = 12

_SCHEMA = """
CREATE TABLE IF NOT EXISTS artworks (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    original_file TEXT NOT NULL,
    credit TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'retired')),
    added_at REAL NOT NULL,
    approved_at REAL,
    palette TEXT NOT NULL,
    warnings TEXT NOT NULL,
    reason TEXT,
    style TEXT,
    style_chosen_by TEXT
);
CREATE INDEX IF NOT EXISTS artworks_status ON artworks (status, approved_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0);
"""


class LibraryError(Exception):
    """A library operation that cannot be done (unknown id, bad status, ...)."""


class ArtworkNotFound(LibraryError):
    pass


@dataclass(frozen=True)
class ArtworkRecord:
    id: str
    sha256: str
    original_name: str
    original: Path
    credit: str | None
    status: str
    added_at: datetime
    approved_at: datetime | None
    palette: tuple[tuple[str, float], ...]
    directory: Path
    warnings: tuple[str, ...]
    style: str  # lines | fills | painting: how its gobos show it
    style_chosen_by: str  # converter | curator
    reason: str | None = None  # why a curator rejected it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "original": str(self.original),
            "credit": self.credit,
            "status": self.status,
            "added_at": self.added_at.isoformat(),
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "palette": [[colour, weight] for colour, weight in self.palette],
            "directory": str(self.directory),
            "warnings": list(self.warnings),
            "reason": self.reason,
            "style": self.style,
            "style_chosen_by": self.style_chosen_by,
        }


@dataclass(frozen=True)
class AddResult:
    record: ArtworkRecord
    duplicate: bool


class Library:
    """The catalogue. Each call opens its own connection, so any thread may use it."""

    def __init__(self, state_dir: Path, run: Runner | None = None) -> None:
        self.state_dir = Path(state_dir)
        self._run: Runner = run or in_process
        self.originals_dir = self.state_dir / "originals"
        self.artworks_dir = self.state_dir / "artworks"
        self.db_path = self.state_dir / "library.sqlite3"
        for directory in (self.state_dir, self.originals_dir, self.artworks_dir):
            directory.mkdir(parents=True, exist_ok=True)
        # SQLite creates its file 0644 whatever the umask allows. Made here, the catalogue gets
        # 0666 & ~umask like any file, so the service's UMask=0007 shares it with group gobo
        # (technicians list and approve with the CLI); its -wal and -shm copy that mode.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.db_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(artworks)")}
            # Libraries from before rejections had reasons, and before styles.
            for column in ("reason", "style", "style_chosen_by"):
                if column not in columns:
                    db.execute(f"ALTER TABLE artworks ADD COLUMN {column} TEXT")

    # -- connections -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE for writers).
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- reading ---------------------------------------------------------------------------

    def _record(self, row: sqlite3.Row) -> ArtworkRecord:
        return ArtworkRecord(
            id=row["id"],
            sha256=row["sha256"],
            original_name=row["original_name"],
            original=self.state_dir / row["original_file"],
            credit=row["credit"],
            status=row["status"],
            added_at=datetime.fromtimestamp(row["added_at"], UTC),
            approved_at=(
                datetime.fromtimestamp(row["approved_at"], UTC) if row["approved_at"] else None
            ),
            palette=tuple((str(c), float(w)) for c, w in json.loads(row["palette"])),
            directory=self.artworks_dir / row["id"],
            warnings=tuple(json.loads(row["warnings"])),
            reason=row["reason"],
            # Artworks converted before there were styles were drawn as lines.
            style=row["style"] or "lines",
            style_chosen_by=row["style_chosen_by"] or "converter",
        )

    def revision(self) -> int:
        """Grows with every change; the daemon compares it to notice CLI edits cheaply."""
        with self._connect() as db:
            return int(db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    def get(self, id_or_prefix: str) -> ArtworkRecord:
        prefix = id_or_prefix.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{1,64}", prefix):
            raise ArtworkNotFound(f"{id_or_prefix!r} is not an artwork id (hex digits)")
        column = "sha256" if len(prefix) > ID_LENGTH else "id"
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM artworks WHERE {column} >= ? AND {column} < ? ORDER BY id LIMIT 3",
                (prefix, prefix + "g"),
            ).fetchall()
        if not rows:
            raise ArtworkNotFound(f"no artwork {id_or_prefix!r} in the library")
        if len(rows) > 1:
            ids = ", ".join(row["id"] for row in rows)
            raise LibraryError(
                f"{id_or_prefix!r} matches several artworks ({ids}...); give more digits"
            )
        return self._record(rows[0])

    def find_sha256(self, sha256: str) -> ArtworkRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM artworks WHERE sha256 = ?", (sha256,)).fetchone()
        return self._record(row) if row else None

    def list(self, status: str | None = None) -> builtins.list[ArtworkRecord]:
        """All artworks (or those with one status), oldest first."""
        if status is not None and status not in STATUSES:
            raise LibraryError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        with self._connect() as db:
            if status is None:
                rows = db.execute("SELECT * FROM artworks ORDER BY added_at, id").fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM artworks WHERE status = ? ORDER BY added_at, id", (status,)
                ).fetchall()
        return [self._record(row) for row in rows]

    def approved(self) -> builtins.list[ArtworkRecord]:
        """Artworks the show may project, in the order they were approved."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM artworks WHERE status = 'approved' ORDER BY approved_at, id"
            ).fetchall()
        return [self._record(row) for row in rows]

    def files(self, artwork_id: str) -> dict[str, Path]:
        """Derivatives by name: "gobo-steel-B", "pixels-16x6", "preview", "cleaned", "palette"."""
        record = self.get(artwork_id)
        found = {path.stem: path for path in sorted(record.directory.glob("*.png"))}
        palette = record.directory / "palette.json"
        if palette.is_file():
            found["palette"] = palette
        return found

    # -- writing ---------------------------------------------------------------------------

    def set_status(
        self, artwork_id: str, status: str, reason: str | None = None
    ) -> ArtworkRecord:
        """A new status; `reason` says why (kept for a rejection, cleared otherwise)."""
        if status not in STATUSES:
            raise LibraryError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        record = self.get(artwork_id)
        if status != "rejected":
            reason = None
        reason = " ".join((reason or "").split())[:500] or None
        with self._write() as db:
            if status == "approved" and record.status != "approved":
                # Re-approval puts the artwork at the end of the playlist order.
                db.execute(
                    "UPDATE artworks SET status = ?, approved_at = ?, reason = NULL WHERE id = ?",
                    (status, time.time(), record.id),
                )
            else:
                db.execute(
                    "UPDATE artworks SET status = ?, reason = ? WHERE id = ?",
                    (status, reason, record.id),
                )
        return self.get(record.id)

    def set_credit(self, artwork_id: str, credit: str | None) -> ArtworkRecord:
        """Who made it (a child's first name and age), as shown beside the projection."""
        record = self.get(artwork_id)
        text = " ".join((credit or "").split())
        if len(text) > 80 or not all(ch.isprintable() for ch in text):
            raise LibraryError("credit: at most 80 printable characters")
        with self._write() as db:
            db.execute("UPDATE artworks SET credit = ? WHERE id = ?", (text or None, record.id))
        return self.get(record.id)

    def add(
        self,
        path: Path,
        credit: str | None,
        targets: Sequence[Target],
        settings: Settings,
        name: str | None = None,
    ) -> AddResult:
        """Copy, convert and catalogue one drawing; raises RejectedDrawing with a plain reason.

        Symlinks are refused (the inbox is untrusted) and the size limit is enforced
        while copying, so an oversized or growing file is never read in full.
        """
        path = Path(path)
        display_name = sanitize_name(name or path.name)
        sha256, stored = store_original(self.originals_dir, path, settings)
        existing = self.find_sha256(sha256)
        if existing is not None:
            self._discard_original(stored, sha256)
            return AddResult(existing, duplicate=True)
        artwork_id = sha256[:ID_LENGTH]
        scratch = self.artworks_dir / f".tmp-{artwork_id}-{uuid.uuid4().hex[:8]}"
        try:
            conversion = self._run(CONVERT_DRAWING, stored, scratch, tuple(targets), settings)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            self._discard_original(stored, sha256)
            raise
        for written in scratch.iterdir():
            with written.open("rb") as handle:
                os.fsync(handle.fileno())
        fsync_dir(scratch)
        return self._commit(
            sha256, stored, scratch, display_name, credit, conversion.palette,
            conversion.warnings, conversion.style, settings,
        )

    async def add_async(
        self,
        path: Path,
        credit: str | None,
        targets: Sequence[Target],
        settings: Settings,
        name: str | None = None,
    ) -> AddResult:
        """add() in a worker thread: conversion takes seconds and must not block the show."""
        return await asyncio.to_thread(self.add, path, credit, targets, settings, name)

    def _discard_original(self, stored: Path, sha256: str) -> None:
        """Drop a copy no catalogue row refers to (a duplicate or a refused drawing)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT original_file FROM artworks WHERE sha256 = ?", (sha256,)
            ).fetchone()
        if row is None or self.state_dir / row["original_file"] != stored:
            stored.unlink(missing_ok=True)

    def _commit(
        self,
        sha256: str,
        stored: Path,
        scratch: Path,
        name: str,
        credit: str | None,
        palette: Sequence[tuple[str, float]],
        warnings: Sequence[str],
        style: str,
        settings: Settings,
    ) -> AddResult:
        artwork_id = sha256[:ID_LENGTH]
        final = self.artworks_dir / artwork_id
        now = time.time()
        status = "pending" if settings.require_approval else "approved"
        with self._write() as db:
            row = db.execute("SELECT * FROM artworks WHERE sha256 = ?", (sha256,)).fetchone()
            if row is not None:  # another process added the same bytes meanwhile
                shutil.rmtree(scratch, ignore_errors=True)
                return AddResult(self._record(row), duplicate=True)
            clash = db.execute("SELECT sha256 FROM artworks WHERE id = ?", (artwork_id,)).fetchone()
            if clash is not None:
                shutil.rmtree(scratch, ignore_errors=True)
                raise LibraryError(f"artwork id {artwork_id} already used by another drawing")
            if final.exists():  # left over from a crash before a commit: redo it
                shutil.rmtree(final)
            os.rename(scratch, final)
            fsync_dir(self.artworks_dir)
            db.execute(
                "INSERT INTO artworks (id, sha256, original_name, original_file, credit, status,"
                " added_at, approved_at, palette, warnings, style, style_chosen_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'converter')",
                (
                    artwork_id, sha256, name, str(stored.relative_to(self.state_dir)),
                    credit, status, now, now if status == "approved" else None,
                    json.dumps([[c, float(w)] for c, w in palette]), json.dumps(list(warnings)),
                    style,
                ),
            )
        return AddResult(self.get(artwork_id), duplicate=False)

    def ensure_derivatives(
        self, targets: Sequence[Target], settings: Settings
    ) -> dict[str, builtins.list[str]]:
        """Produce the target files any artwork lacks (after a patch change), from cleaned.png.

        Returns artwork id -> names of the files made. An artwork whose cleaned image
        is missing or fails is reported in its list as "error: ..." and skipped.
        """
        made: dict[str, builtins.list[str]] = {}
        for record in self.list():
            missing = [t for t in targets if not (record.directory / target_file_name(t)).is_file()]
            if not missing:
                continue
            try:
                derive_into(record.directory, missing, settings, record.style, run=self._run)
            except (OSError, ValueError, RuntimeError, RejectedDrawing) as exc:
                made[record.id] = [f"error: {exc}"]
                continue
            made[record.id] = [target_file_name(t) for t in missing]
        return made

    async def ensure_derivatives_async(
        self, targets: Sequence[Target], settings: Settings
    ) -> dict[str, builtins.list[str]]:
        return await asyncio.to_thread(self.ensure_derivatives, targets, settings)

    def set_style(
        self, artwork_id: str, style: str | None, targets: Sequence[Target], settings: Settings
    ) -> ArtworkRecord:
        """A curator's choice of style (None: back to the converter's), its gobos redrawn.
        The files are replaced before the catalogue says so; a refusal changes nothing."""
        record = self.get(artwork_id)
        manifest = read_manifest(record.directory)
        automatic = manifest.get("style", {}).get("automatic", "lines")
        if style is not None and style not in STYLES:
            raise LibraryError(f"unknown style {style!r} (one of {', '.join(STYLES)})")
        used = style or automatic
        conversion = derive_into(record.directory, targets, settings, used, run=self._run,
                                 all_files=True,
                                 chosen_by="curator" if style else "converter")
        with self._write() as db:
            db.execute(
                "UPDATE artworks SET style = ?, style_chosen_by = ?, palette = ? WHERE id = ?",
                (used, "curator" if style else "converter",
                 json.dumps([[c, float(w)] for c, w in conversion.palette]), record.id),
            )
        return self.get(record.id)
