"""Untrusted files copied into the library: no links followed, the size limit held while
copying, the copy synced to disk and named by its content (sha256)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import uuid
from pathlib import Path

from artwork.contract import RejectedDrawing
from artwork.settings import Settings

_CHUNK = 1 << 20


def sanitize_name(name: str, limit: int = 120) -> str:
    """A file name safe to store and show: no directories, control characters or leading dots."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch if ch.isprintable() else "_" for ch in base).strip().lstrip(".")
    if len(base) > limit:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else base[:limit]
    return base or "drawing"


def _extension(name: str) -> str:
    match = re.search(r"\.([A-Za-z0-9]{1,5})$", name)
    return "." + match.group(1).lower() if match else ""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_original(originals_dir: Path, path: Path, settings: Settings) -> tuple[str, Path]:
    limit = int(settings.max_file_mb * 1024 * 1024)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if path.is_symlink():
            raise RejectedDrawing("a link to another file, not a drawing") from None
        raise RejectedDrawing(f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RejectedDrawing("not a regular file")
        if info.st_size > limit:
            raise RejectedDrawing(_too_large(info.st_size, settings))
        if info.st_size == 0:
            raise RejectedDrawing("empty file")
        digest = hashlib.sha256()
        scratch = originals_dir / f".tmp-{uuid.uuid4().hex}"
        try:
            with scratch.open("xb") as target:
                copied = 0
                while chunk := source.read(_CHUNK):
                    copied += len(chunk)
                    if copied > limit:
                        raise RejectedDrawing(_too_large(copied, settings))
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            sha256 = digest.hexdigest()
            stored = originals_dir / f"{sha256}{_extension(path.name)}"
            os.replace(scratch, stored)
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
    fsync_dir(originals_dir)
    return sha256, stored


def _too_large(size: int, settings: Settings) -> str:
    return f"too large: {size / 1024 / 1024:.1f} MB (limit {settings.max_file_mb:g} MB)"
