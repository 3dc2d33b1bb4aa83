"""An artwork's derived files made again from its cleaned.png: new targets for a changed
patch, or every gobo in a curator's choice of style.

Written aside and renamed in, so a crash never leaves a half-written gobo file; the
manifest and palette.json are updated after the files they describe.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artwork.contract import CONVERT_TARGETS, Conversion, Runner, in_process
from artwork.png import write_json
from artwork.settings import Settings
from artwork.targets import GoboTarget, PixelTarget

Target = GoboTarget | PixelTarget


def target_file_name(target: Target) -> str:
    """The file convert_drawing writes for a target (pixel keys already start with "pixels-")."""
    if isinstance(target, PixelTarget):
        return f"{target.key}.png"
    return f"gobo-{target.key}.png"


def derive_into(
    directory: Path,
    targets: Sequence[Target],
    settings: Settings,
    style: str,
    run: Runner = in_process,
    all_files: bool = False,
    chosen_by: str | None = None,
) -> Conversion:
    """Make `targets` in `directory` from its cleaned.png, converted by `run`. `all_files`:
    also the preview and palette (a new style changes them); `chosen_by`: record the style
    in the manifest."""
    scratch = directory / f".tmp-{uuid.uuid4().hex[:8]}"
    try:
        conversion = run(
            CONVERT_TARGETS, directory / "cleaned.png", scratch, tuple(targets), settings, style
        )
        for written in sorted(scratch.iterdir()):
            name = written.name
            if (name.endswith(".png") and (all_files or name != "preview.png")) or (
                name.startswith("gobo-") and name.endswith(".json")
            ):
                os.replace(written, directory / name)
        if all_files:
            os.replace(scratch / "palette.json", directory / "palette.json")
        else:
            _merge_pixel_notes(directory / "palette.json", scratch / "palette.json")
        if chosen_by:
            _record_style(directory / "manifest.json", conversion, chosen_by)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return conversion


def _merge_pixel_notes(palette: Path, fresh: Path) -> None:
    """Add the new pixel grids' channel notes to palette.json, keeping colours and the rest."""
    if not fresh.is_file():
        return
    document = _read(palette)
    added = json.loads(fresh.read_text()).get("pixels", {})
    if not added:
        return
    document.setdefault("pixels", {}).update(added)
    write_json(palette, document)


def _record_style(manifest: Path, conversion: Conversion, chosen_by: str) -> None:
    document = _read(manifest)
    style = document.setdefault("style", {})
    style["used"] = conversion.style
    style["chosen_by"] = chosen_by
    document["gobos"] = conversion.manifest["gobos"]
    document["palette"] = conversion.manifest["palette"]
    write_json(manifest, document)


def describe_changes(changes: Sequence[dict[str, Any]]) -> str:
    """Changes from a manifest in a few words: 'specks removed (12); bridges added (4)'."""
    return "; ".join(
        f"{change['change']} ({count})" if count is not None else str(change["change"])
        for change in changes
        for count in [change.get("count", change.get("filled"))]
    )


def read_manifest(directory: Path) -> dict[str, Any]:
    """An artwork's manifest.json ({} where it is missing or unreadable)."""
    return _read(directory / "manifest.json")


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
