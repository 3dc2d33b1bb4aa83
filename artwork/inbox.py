"""The watched inbox: drawings dropped in a folder enter the library, nothing is ever lost.

A file is taken only when complete: no process holds it open (inotify open/close events) and
its size and mtime have stayed unchanged for settings.stable_seconds, however it arrived
(written in one go, appended in chunks, moved in, found at start-up; polling where inotify is
missing). A refused file is moved to inbox/rejected/ only once it has been unchanged for
REFUSE_AFTER_S: a damaged file that is still being written is waited for and taken again when
it changes. Its NAME.reason.txt is written before it moves, so no file in rejected/ is ever
without one. Accepted files leave the inbox only after the library has committed them, and only
as they were read (one that changed meanwhile is taken again). A site fault (disk full, library
not readable) leaves the file where it is, retried every _RETRY_SECONDS. Ingest runs in one
worker thread (the library converts in a child process), so the show's frame loop never waits
for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import (
    DirMovedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from artwork.contract import RejectedDrawing
from artwork.library import AddResult, Library, Target, fsync_dir, sanitize_name
from artwork.safemove import move_without_overwrite
from artwork.settings import Settings

log = logging.getLogger(__name__)

REJECTED_DIR = "rejected"
_IGNORED_SUFFIXES = (".part", ".tmp", "~", ".crdownload", ".partial", ".swp", ".reason.txt")
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}
_TICK_SECONDS = 0.2
_RESCAN_SECONDS = 30.0  # safety net for lost events (inotify queue overflow)
_RETRY_SECONDS = 30.0  # after a site failure (disk full, database locked)
REFUSE_AFTER_S = 30.0  # a refused file must be this old (unchanged) before it goes to rejected/
# An open count left over from lost events must not hold a file forever.
_STALE_OPEN_SECONDS = 3600.0


def is_ignored(name: str) -> bool:
    """Hidden, temporary and system files that are never drawings."""
    lowered = name.lower()
    return (
        lowered.startswith(".")  # dotfiles, .DS_Store, ._AppleDouble
        or lowered.endswith(_IGNORED_SUFFIXES)
        or lowered in _IGNORED_NAMES
    )


@dataclass(frozen=True)
class InboxOutcome:
    """What happened to one inbox file: added (maybe as a duplicate) or refused."""

    source: Path
    result: AddResult | None = None
    reason: str | None = None
    moved_to: Path | None = None
    refuse_at: float | None = None  # refused, but changed too recently: looked at again then


@dataclass
class _Candidate:
    signature: tuple[int, int] | None = None
    changed_at: float = field(default_factory=time.monotonic)
    open_count: int = 0  # writers (or readers) holding it open, from inotify


class _Events(FileSystemEventHandler):
    """Forwards watchdog's thread events into the asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, inbox: Inbox) -> None:
        self.loop = loop
        self.inbox = inbox

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == "deleted":
            return
        if isinstance(event, DirMovedEvent):
            self.loop.call_soon_threadsafe(self.inbox._scan_dir, Path(os.fsdecode(event.dest_path)))
            return
        if event.is_directory:
            return
        if isinstance(event, FileMovedEvent):
            path, kind = Path(os.fsdecode(event.dest_path)), "complete"
        else:
            path = Path(os.fsdecode(event.src_path))
            kind = {
                FileOpenedEvent: "opened",
                FileClosedEvent: "closed",
                FileClosedNoWriteEvent: "closed_no_write",
            }.get(type(event), "changed")
        self.loop.call_soon_threadsafe(self.inbox._note, path, kind)


class Inbox:
    def __init__(
        self,
        inbox_dir: Path,
        library: Library,
        targets_provider: Callable[[], Sequence[Target]],
        settings: Settings,
        on_added: Callable[[InboxOutcome], object] | None = None,
        on_rejected: Callable[[InboxOutcome], object] | None = None,
        force_polling: bool = False,
    ) -> None:
        self.inbox_dir = Path(inbox_dir)
        self._real_inbox = self.inbox_dir.resolve()
        self.library = library
        self.targets_provider = targets_provider
        self.settings = settings
        self.on_added = on_added
        self.on_rejected = on_rejected
        self.force_polling = force_polling
        self.observer_kind = ""  # "inotify" or "polling" once running
        self._candidates: dict[Path, _Candidate] = {}
        # Our own read of a file raises inotify open/close events that would make it
        # ready again after stable_seconds: a failed file waits here instead.
        self._retry_at: dict[Path, float] = {}
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gobo-inbox")

    # -- discovery ---------------------------------------------------------------------------

    def _eligible(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.inbox_dir)
        except ValueError:
            return False
        parts = relative.parts
        if not parts or parts[0] == REJECTED_DIR or any(is_ignored(part) for part in parts):
            return False
        # A symlinked folder must not lead out of the inbox (a symlinked file is refused later).
        return path.parent.resolve().is_relative_to(self._real_inbox)

    def _walk(self, top: Path) -> Iterator[Path]:
        # followlinks=False: a symlinked folder never leads the scan out of the inbox.
        for directory, dirs, names in os.walk(top, followlinks=False):
            here = Path(directory)
            dirs[:] = sorted(
                d for d in dirs if self._eligible(here / d) and not (here / d).is_symlink()
            )
            for name in sorted(names):
                if self._eligible(here / name):
                    yield here / name

    def pending_files(self) -> list[Path]:
        """Every file in the inbox that would be ingested, oldest first."""
        if not self.inbox_dir.is_dir():
            return []
        return sorted(self._walk(self.inbox_dir), key=_mtime)

    def _scan_dir(self, top: Path) -> None:
        for path in self._walk(top):
            self._note(path, "found")

    def _note(self, path: Path, kind: str) -> None:
        if not self._eligible(path):
            return
        candidate = self._candidates.setdefault(path, _Candidate())
        if kind == "found":
            # Found by a scan: a file untouched for a while counts as already stable.
            with contextlib.suppress(OSError):
                age = max(0.0, time.time() - path.lstat().st_mtime)
                candidate.changed_at = min(candidate.changed_at, time.monotonic() - age)
        elif kind == "opened":
            candidate.open_count += 1
        elif kind == "closed_no_write":
            candidate.open_count = max(0, candidate.open_count - 1)
        else:  # written, closed after writing, moved in: the stable period starts again
            if kind == "closed":
                candidate.open_count = max(0, candidate.open_count - 1)
            candidate.changed_at = time.monotonic()
        self._wake.set()

    def _ready(self) -> list[Path]:
        now = time.monotonic()
        ready = []
        for path, candidate in list(self._candidates.items()):
            signature = _signature(path)
            if signature is None:
                del self._candidates[path]
                self._retry_at.pop(path, None)
                continue
            if signature != candidate.signature:
                if candidate.signature is not None:
                    candidate.changed_at = now
                    self._retry_at.pop(path, None)  # a new version: take it as it comes
                candidate.signature = signature
            quiet = now - candidate.changed_at
            if candidate.open_count and quiet < _STALE_OPEN_SECONDS:
                continue  # still being written (or read) by someone
            if now < self._retry_at.get(path, 0.0):
                continue
            if quiet >= self.settings.stable_seconds:
                ready.append(path)
        return ready

    # -- processing --------------------------------------------------------------------------

    def credit_for(self, path: Path) -> str | None:
        """The subfolder a drawing was dropped in names its artist."""
        parts = path.relative_to(self.inbox_dir).parts[:-1]
        return " / ".join(sanitize_name(part) for part in parts) or None

    def ingest(self, path: Path, wait_if_young: bool = False) -> InboxOutcome:
        """Add one inbox file to the library, or move it to rejected/ with the reason (sync).

        wait_if_young: a refused file changed less than REFUSE_AFTER_S ago stays (it may still
        be arriving); the outcome says when to look at it again.
        """
        try:
            read = _signature(path)
            result = self.library.add(
                path, self.credit_for(path), self.targets_provider(), self.settings
            )
        except RejectedDrawing as exc:
            if wait_if_young:
                with contextlib.suppress(OSError):
                    settled = path.lstat().st_mtime + REFUSE_AFTER_S
                    if settled > time.time():
                        return InboxOutcome(source=path, reason=str(exc), refuse_at=settled)
            return self._reject(path, str(exc))
        except (OSError, sqlite3.Error):
            raise  # the site's problem (disk full, locked database), not the drawing's: retry later
        except Exception as exc:  # a converter bug must not take the daemon down
            log.exception("inbox: %s could not be converted", path)
            return self._reject(
                path,
                f"could not be converted because of an internal error ({type(exc).__name__}); "
                "a technician can retry it with `gobo artwork add`",
            )
        # Only now, with the library entry committed and synced, may the inbox copy go, and only
        # as it was read: one that changed meanwhile (an upload that paused longer than the
        # stable period, then went on) stays and is taken again as it is now.
        if _signature(path) == read:
            path.unlink(missing_ok=True)
            fsync_dir(path.parent)
        return InboxOutcome(source=path, result=result)

    def _reject(self, path: Path, reason: str) -> InboxOutcome:
        if not os.path.lexists(path):  # taken meanwhile by another process (CLI and daemon)
            return InboxOutcome(source=path, reason=f"gone from the inbox ({reason})")
        relative = path.relative_to(self.inbox_dir)
        folder = self.inbox_dir / REJECTED_DIR
        for part in relative.parts[:-1]:
            folder = folder / sanitize_name(part)
        folder.mkdir(parents=True, exist_ok=True)
        text = (
            f"{path.name} was not added to the gobo library: {reason}.\n"
            "Fix it and drop it into the inbox again.\n"
        )
        destination = move_without_overwrite(path, folder, sanitize_name(path.name), text)
        log.warning("inbox: refused %s: %s", relative, reason)
        return InboxOutcome(source=path, reason=reason, moved_to=destination)

    def process_existing(self) -> list[InboxOutcome]:
        """Ingest every file now in the inbox, one by one (start-up, tests, CLI)."""
        return [self.ingest(path) for path in self.pending_files()]

    # -- the daemon's loop -------------------------------------------------------------------

    def _start_observer(self, loop: asyncio.AbstractEventLoop) -> BaseObserver:
        handler = _Events(loop, self)
        if not self.force_polling:
            observer: BaseObserver = Observer()
            try:
                observer.schedule(handler, str(self.inbox_dir), recursive=True)
                observer.start()
                self.observer_kind = "inotify"
                return observer
            except OSError as exc:  # inotify limits reached, or not supported here
                log.warning("inbox: inotify unavailable (%s); polling instead", exc)
                with contextlib.suppress(Exception):
                    observer.stop()
        observer = PollingObserver(timeout=max(0.5, min(self.settings.stable_seconds, 2.0)))
        observer.schedule(handler, str(self.inbox_dir), recursive=True)
        observer.start()
        self.observer_kind = "polling"
        return observer

    async def run(self) -> None:
        """Watch until stop(); files already present are processed first."""
        loop = asyncio.get_running_loop()
        self.inbox_dir.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        observer = self._start_observer(loop)
        try:
            self._scan_dir(self.inbox_dir)
            last_scan = time.monotonic()
            while not self._stop.is_set():
                for path in self._ready():
                    if self._stop.is_set():
                        break
                    try:
                        outcome = await loop.run_in_executor(
                            self._executor, self.ingest, path, True
                        )
                    except (OSError, sqlite3.Error) as exc:
                        # e.g. a full disk or a folder without write permission: the file
                        # stays in the inbox and is tried again after _RETRY_SECONDS.
                        log.error("inbox: cannot process %s: %s", path, exc)
                        self._retry_at[path] = time.monotonic() + _RETRY_SECONDS
                        continue
                    if outcome.refuse_at is not None:
                        # Maybe still arriving: a change takes it again, silence refuses it.
                        wait = outcome.refuse_at - time.time()
                        self._retry_at[path] = time.monotonic() + max(0.0, wait)
                        continue
                    if not os.path.lexists(path):  # else it changed while it was added
                        self._candidates.pop(path, None)
                        self._retry_at.pop(path, None)
                    self._report(outcome)
                if time.monotonic() - last_scan > _RESCAN_SECONDS:
                    self._scan_dir(self.inbox_dir)
                    last_scan = time.monotonic()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), _TICK_SECONDS)
        finally:
            observer.stop()
            await loop.run_in_executor(None, observer.join, 5.0)

    def _report(self, outcome: InboxOutcome) -> None:
        callback = self.on_added if outcome.result is not None else self.on_rejected
        if callback is None:
            return
        try:
            callback(outcome)
        except Exception:  # a listener's bug must not stop the inbox
            log.exception("inbox: callback failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and modification time: what tells one version of a file from the next."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    return info.st_size, info.st_mtime_ns


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0
