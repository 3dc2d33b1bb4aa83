"""Uploads from the console: checked, then handed to the inbox like any dropped drawing.

The upload's own file name is never a path: the file is written under a hidden name in the
inbox (which the inbox ignores), checked with the ingest's limits before anything is
decoded, and renamed to `<credit>/web-<token><ext>` so the inbox takes it in one step. The
uploads log (JSON lines under the state directory) remembers who sent what, so an artist
sees their own drawings and the page can tell what became of each upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from artwork.contract import RejectedDrawing
from artwork.inbox import REJECTED_DIR
from artwork.ingest import open_drawing
from artwork.library import Library
from artwork.settings import Settings

_EXTENSIONS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif",
               "BMP": ".bmp", "GIF": ".gif", "HEIF": ".heic", "AVIF": ".avif"}
_CHUNK = 1 << 20
MAX_CREDIT = 80


@dataclass(frozen=True)
class Upload:
    token: str
    user: str
    sha256: str
    credit: str
    file: str  # the inbox file's path relative to the inbox
    at: float


def credit_folder(credit: str) -> str:
    """The inbox subfolder that carries a credit (the inbox reads the credit from it)."""
    text = "".join(ch if ch.isprintable() and ch not in "/\\" else " " for ch in credit)
    folder = " ".join(text.split()).lstrip(". ")[:MAX_CREDIT]
    return f"{folder} (credit)" if folder.lower() == REJECTED_DIR else folder


class Uploads:
    def __init__(self, inbox_dir: Path, log_path: Path, library: Library) -> None:
        self.inbox_dir = Path(inbox_dir)
        self.log_path = Path(log_path)
        self.library = library
        self._lock = threading.Lock()
        self._by_token: dict[str, Upload] = {}
        self._read_log()

    def receive(self, source: BinaryIO, credit: str, user: str, settings: Settings) -> Upload:
        """Check and hand over one upload (sync: call from a worker thread).

        Raises RejectedDrawing with the reason in plain words; nothing stays behind then.
        """
        token = secrets.token_hex(8)
        self.inbox_dir.mkdir(parents=True, exist_ok=True)
        staging = self.inbox_dir / f".web-{token}.part"
        digest = hashlib.sha256()
        limit = settings.max_file_mb * 1024 * 1024
        try:
            with staging.open("xb") as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    if out.tell() > limit:
                        raise RejectedDrawing(
                            f"too large: over {settings.max_file_mb:g} MB (the limit)"
                        )
                out.flush()
                os.fsync(out.fileno())
            with open_drawing(staging, settings) as image:  # limits, from the header only
                extension = _EXTENSIONS.get(image.format or "", ".img")
            folder = credit_folder(credit)
            relative = Path(folder, f"web-{token}{extension}") if folder else Path(
                f"web-{token}{extension}"
            )
            destination = self.inbox_dir / relative
            destination.parent.mkdir(exist_ok=True)
            inside = destination.parent.resolve().is_relative_to(self.inbox_dir.resolve())
            if destination.parent.is_symlink() or not inside:  # must not lead out of the inbox
                raise RejectedDrawing(f"the inbox folder {folder!r} is a link: ask a technician")
            os.rename(staging, destination)  # one step: the inbox sees a complete file
        finally:
            staging.unlink(missing_ok=True)
        upload = Upload(token, user, digest.hexdigest(), folder, str(relative), time.time())
        self._append(upload)
        return upload

    def get(self, token: str) -> Upload | None:
        return self._by_token.get(token)

    def by_user(self, user: str) -> list[Upload]:
        return [u for u in self._by_token.values() if u.user == user]

    def uploader_of(self) -> dict[str, str]:
        """sha256 -> who uploaded it (the first to send those bytes)."""
        found: dict[str, str] = {}
        for upload in self._by_token.values():
            found.setdefault(upload.sha256, upload.user)
        return found

    def outcome(self, upload: Upload) -> dict[str, Any]:
        """What became of an upload: waiting in the inbox, added (or a duplicate), refused."""
        record = self.library.find_sha256(upload.sha256)
        if record is not None:
            duplicate = record.added_at.timestamp() < upload.at - 1
            return {"state": "duplicate" if duplicate else "added", "artwork": record.to_json()}
        name = Path(upload.file).name
        refused = self.inbox_dir / REJECTED_DIR / Path(upload.file).parent / f"{name}.reason.txt"
        if refused.is_file():
            return {"state": "refused", "reason": _reason(refused, name)}
        if (self.inbox_dir / upload.file).is_file():
            return {"state": "waiting"}
        return {"state": "gone"}

    def _read_log(self) -> None:
        try:
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                upload = Upload(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut short by a power cut
            self._by_token[upload.token] = upload

    def _append(self, upload: Upload) -> None:
        with self._lock:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(asdict(upload)) + "\n")
                out.flush()
                os.fsync(out.fileno())
            self._by_token[upload.token] = upload


def _reason(note: Path, name: str) -> str:
    """The inbox's reason line without its preamble ('NAME was not added ...: ')."""
    first = note.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    prefix = f"{name} was not added to the gobo library: "
    return first.removeprefix(prefix).rstrip(".") or first
