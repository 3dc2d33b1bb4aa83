"""Patch: outputs and fixtures from the site configuration (to be completed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PatchError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class Patch:
    outputs: tuple[Any, ...] = ()
    fixtures: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def parse_patch(outputs: list[dict[str, Any]], fixtures: list[dict[str, Any]], base_dir: Path) -> Patch:
    return Patch()
