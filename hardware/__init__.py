"""Hardware: fixture profiles, patch, frame assembly and DMX outputs."""

from hardware.errors import PatchError
from hardware.patch import Patch, PatchedFixture, parse_patch

__all__ = ["Patch", "PatchError", "PatchedFixture", "parse_patch"]
