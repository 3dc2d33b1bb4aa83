"""Hardware: fixture profiles, patch, frame assembly and DMX outputs."""

from hardware.patch import Patch, PatchError, parse_patch

__all__ = ["Patch", "PatchError", "parse_patch"]
