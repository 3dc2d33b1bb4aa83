"""sACN source identity: one CID (a UUID) per output per installation.

Kept in `<state>/sacn-cid.json` as {"output name": "uuid"}, made the first time an output
is opened and never changed after, so receivers and sACNView see the same source across
restarts and upgrades. Renaming an output makes it a new source. A damaged file is left
as it is for a person to look at, and the CIDs are derived from the state directory and
the output name meanwhile (stable too, but different from the stored ones).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from pathlib import Path

from hardware.durable import write_durably

CID_FILE = "sacn-cid.json"
log = logging.getLogger("gobo.output")


def load_cids(state_dir: Path, names: Iterable[str]) -> dict[str, bytes]:
    """The CID of each named output, adding (and saving) new ones for names not yet seen;
    never raises (the show goes on), a problem is logged."""
    path = state_dir / CID_FILE
    wanted = list(names)
    try:
        known = _read(path)
    except OSError as exc:
        log.error("%s; sACN CIDs derived from the state directory meanwhile", exc)
        return {name: uuid.uuid5(uuid.NAMESPACE_URL, f"{path}#{name}").bytes for name in wanted}
    missing = [name for name in wanted if name not in known]
    if missing:
        for name in missing:
            known[name] = uuid.uuid4()
        try:
            _write(path, known)
            log.info("sACN CID for %s kept in %s", ", ".join(missing), path)
        except OSError as exc:
            log.error("cannot keep the sACN CID of %s in %s: %s", ", ".join(missing), path, exc)
    return {name: known[name].bytes for name in wanted}


def _read(path: Path) -> dict[str, uuid.UUID]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise OSError(f"{path}: unreadable ({exc}); move it aside to make new CIDs") from None
    if not isinstance(raw, dict):
        raise OSError(f"{path}: not a JSON object; move it aside to make new CIDs")
    try:
        return {str(name): uuid.UUID(str(value)) for name, value in raw.items()}
    except ValueError as exc:
        raise OSError(f"{path}: {exc}; move it aside to make new CIDs") from None


def _write(path: Path, cids: dict[str, uuid.UUID]) -> None:
    text = json.dumps({name: str(cid) for name, cid in sorted(cids.items())}, indent=2) + "\n"
    write_durably(path, text.encode())
