"""Schedule rules from the site configuration (to be completed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class RuleError(ValueError):
    def __init__(self, key: str, message: str, file: Path | None = None) -> None:
        self.key = key
        self.message = message
        self.file = file
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class Rules:
    windows: tuple[Any, ...] = ()


def parse_rules(table: dict[str, Any], base_dir: Path) -> Rules:
    return Rules()
