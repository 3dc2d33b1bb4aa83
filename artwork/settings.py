"""Artwork settings from the site configuration (to be completed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SettingsError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class Settings:
    require_approval: bool = False


def parse_settings(table: dict[str, Any]) -> Settings:
    return Settings()
