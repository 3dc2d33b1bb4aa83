"""Errors raised by the hardware layer's configuration parsers."""

from __future__ import annotations


class PatchError(ValueError):
    """A bad [[output]] or [[fixture]] entry: `key` names it (e.g. "fixture[2].address")."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")
