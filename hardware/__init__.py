"""Hardware: fixture profiles, patch, frame assembly and DMX outputs."""

from hardware.patch import Patch, PatchedFixture, parse_patch

__all__ = ["Patch", "PatchedFixture", "parse_patch"]
