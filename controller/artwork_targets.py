"""Which gobo and pixel artwork the site's patch needs from every drawing."""

from __future__ import annotations

from collections.abc import Iterable

from artwork.targets import GoboTarget, PixelTarget, gobo_target
from hardware import Patch, PatchedFixture

Target = GoboTarget | PixelTarget


def targets_for_fixtures(fixtures: Iterable[PatchedFixture]) -> tuple[Target, ...]:
    """One target per distinct gobo (kind, size, flip, keystone) and pixel matrix in the patch.

    A patch without any gobo fixture still gets steel-B and glass-B, so the library
    holds print-ready files for the common Source Four size before a fixture exists.
    """
    found: dict[str, Target] = {}
    for fixture in fixtures:
        if fixture.gobo_kind:
            target = gobo_target(
                fixture.gobo_kind,
                size=fixture.gobo_size,
                image_mm=fixture.gobo_image_mm,
                flip=fixture.flip,
                keystone=fixture.keystone,
            )
            found.setdefault(target.key, target)
        if fixture.pixels:
            width, height = fixture.pixels
            pixel = PixelTarget(width, height)
            found.setdefault(pixel.key, pixel)
    if not any(isinstance(target, GoboTarget) for target in found.values()):
        for kind in ("steel", "glass"):
            default = gobo_target(kind, size="B")
            found.setdefault(default.key, default)
    return tuple(found.values())


def targets_for_patch(patch: Patch) -> tuple[Target, ...]:
    return targets_for_fixtures(patch.fixtures)
