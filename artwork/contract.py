"""What passes between the converter and its callers: the styles, a conversion's result, a
refusal, and the named steps a runner runs.

Light on purpose (no image libraries): the daemon runs every conversion in a child process
(artwork.isolated) and names the step to run, so it never loads OpenCV (about 35 MB).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STYLES = ("lines", "fills", "painting")

# The steps a runner can run, as "module:function", called with
# (source, out_dir, targets, settings, *more) and returning a Conversion.
CONVERT_DRAWING = "artwork.convert:convert_drawing"
CONVERT_TARGETS = "artwork.convert:convert_targets"  # from a stored cleaned.png, in a style


class RejectedDrawing(Exception):
    """Bad input; `reason` is plain words for the artist (also the str)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass
class Conversion:
    files: dict[str, Path]
    palette: list[tuple[str, float]]
    style: str
    warnings: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


# How a conversion is run: `run(step, source, out_dir, targets, settings, *more)`; in-process
# by default, the daemon passes artwork.isolated.in_child (a child process that exits).
Runner = Callable[..., Conversion]


def step_function(step: str) -> Callable[..., Conversion]:
    if step not in (CONVERT_DRAWING, CONVERT_TARGETS):
        raise ValueError(f"not a conversion step: {step!r}")
    module, name = step.split(":")
    function: Callable[..., Conversion] = getattr(importlib.import_module(module), name)
    return function


def in_process(step: str, *args: Any) -> Conversion:
    return step_function(step)(*args)
