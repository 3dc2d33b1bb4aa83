"""Moving a file into a folder without ever replacing one, its note written first.

Used for inbox/rejected/: the drawing keeps its name (or gets -2, -3...), and its
NAME.reason.txt is on disk before the drawing moves, so a failure half-way (disk full, no file
descriptors left) leaves the drawing where it was, never a moved file without its reason.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from artwork.library import fsync_dir


def move_without_overwrite(
    source: Path, folder: Path, name: str, note: str | None = None
) -> Path:
    """Move source into folder as name, or name-2, name-3... never replacing a file.

    With `note`, NAME.reason.txt holding it is written (and synced) first: if anything fails
    on the way (disk full, no file descriptors) the source stays put and no moved file is
    ever left without its note.
    """
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for attempt in range(1, 10_000):
        suffix = f".{ext}" if ext else ""
        candidate = folder / (name if attempt == 1 else f"{stem}-{attempt}{suffix}")
        if candidate.exists() or candidate.is_symlink():
            continue
        note_path = candidate.with_name(candidate.name + ".reason.txt")
        try:
            if note is not None:
                _write_new_synced(note_path, note)
        except FileExistsError:
            continue
        try:
            if _place(source, candidate):
                break
        except BaseException:
            if note is not None:
                note_path.unlink(missing_ok=True)
            raise
        if note is not None:
            note_path.unlink(missing_ok=True)
    else:
        raise OSError(f"no free name for {name} in {folder}")
    fsync_dir(folder)
    if os.path.lexists(source):
        source.unlink()
    fsync_dir(source.parent)
    return candidate


def _place(source: Path, candidate: Path) -> bool:
    """Hard-link source as candidate (False if that name is taken meanwhile); where there are
    no hard links (vfat, SMB) rename it instead."""
    try:
        os.link(source, candidate, follow_symlinks=False)  # fails if it exists: no overwrite
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        if candidate.exists() or candidate.is_symlink():
            return False
        os.rename(source, candidate)
    return True


def _write_new_synced(path: Path, text: str) -> None:
    """Create path (never replacing one) with text, on disk before returning."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
