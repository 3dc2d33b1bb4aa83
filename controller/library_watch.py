"""The library watcher: keeps the show's artworks in step with the library.

It opens the library (retrying every poll while it cannot be read: a full or failing disk),
then notices approvals made by the CLI in another process by the library's revision and loads
the approved artworks as looks in a worker thread. Its `fault` says why the library cannot be
read, for `gobo why`; each distinct fault is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from controller.looks import Look, look_from_record, read_palette_file

log = logging.getLogger("gobo.library")

POLL_S = 2.0  # approvals made with the CLI in another process show up this fast


class LibraryWatcher:
    def __init__(
        self,
        state_dir: Path,
        on_looks: Callable[[list[Look]], None],
        on_open: Callable[[Any], None],
        open_library: Callable[[Path], Any],
    ) -> None:
        self.state_dir = state_dir
        self.library: Any = None  # artwork.Library once it could be opened
        self.fault: str | None = None
        self._on_looks = on_looks
        self._on_open = on_open
        self._open_library = open_library
        self._revision: int | None = None
        self._known: dict[str, Look] = {}
        self._dirty = asyncio.Event()

    def changed(self) -> None:
        """Look now (an inbox file was added, the patch changed)."""
        self._dirty.set()

    async def run(self) -> None:
        while True:
            await self.refresh()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), POLL_S)
            self._dirty.clear()

    async def refresh(self) -> None:
        try:
            if self.library is None:
                self.library = await asyncio.to_thread(self._open_library, self.state_dir)
                self._on_open(self.library)
            revision = await asyncio.to_thread(self.library.revision)
            if revision != self._revision:
                revision, looks = await asyncio.to_thread(load_looks, self.library, self._known)
                self._revision = revision
                self._known = {look.artwork_id: look for look in looks}
                self._on_looks(looks)
        except Exception as exc:  # a locked, damaged or unreadable catalogue must not stop the show
            reason = _plain(exc)
            if reason != self.fault:
                log.error("library in %s not readable: %s", self.state_dir, reason)
            self.fault = reason
            return
        if self.fault is not None:
            log.info("library in %s readable again", self.state_dir)
            self.fault = None

    async def ensure_derivatives(self, targets: Sequence[Any], settings: Any) -> None:
        """Gobo and pixel files for fixtures added since the artworks were converted."""
        if self.library is None:
            return
        made = await asyncio.to_thread(self.library.ensure_derivatives, targets, settings)
        if made:
            log.info("made missing artwork files for %d artworks", len(made))
            self.changed()


def _plain(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def load_looks(library: Any, known: dict[str, Look]) -> tuple[int, list[Look]]:
    """Approved artworks as looks, in approval order; already loaded ones are reused unless
    they were redrawn in another style (a curator's choice: new files, a new palette)."""
    revision = library.revision()
    looks = []
    for record in library.approved():
        look = known.get(record.id)
        if look is not None and look.style != record.style:
            look = None
        if look is not None and look.credit != (record.credit or ""):
            look = replace(look, credit=record.credit or "")  # edited in the web console
        if look is None:
            try:
                files = library.files(record.id)
                palette = list(record.palette)
                if not palette and "palette" in files:
                    palette = read_palette_file(files["palette"])
                look = look_from_record(record.id, record.credit, palette, files,
                                        record.style)
            except Exception as exc:  # one broken artwork directory must not empty the show
                log.error("artwork %s skipped: %s", record.id, exc)
                continue
        looks.append(look)
    return revision, looks
