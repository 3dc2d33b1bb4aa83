"""Patch: the [[output]] and [[fixture]] tables validated into frozen objects.

Keys in errors count tables from 1: "fixture[2].address" is the second
[[fixture]] table of the file.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardware.errors import PatchError
from hardware.outputs.artnet_packets import parse_port_address
from hardware.outputs.config import OutputConfig, parse_output
from hardware.profiles import Channel, Mode, ProfileError, WheelSlot, load_profile

GOBO_KINDS = ("steel", "glass", "glass-grey", "colour")
GOBO_SIZES = ("A", "B", "M", "E")
_CURVE = re.compile(r"^(linear|square-law|gamma(\d+(\.\d+)?))$")
_FIXTURE_KEYS = {
    "name",
    "profile",
    "mode",
    "output",
    "universe",
    "address",
    "pixels",
    "gobo_kind",
    "gobo_size",
    "gobo_image_mm",
    "flip",
    "tilt",
    "beam_angle",
    "gobo_slots",
    "power",
    "curve",
}


@dataclass(frozen=True)
class PatchedFixture:
    name: str
    profile: str  # as written in the config (built-in name or OFL path)
    profile_name: str  # the profile's own name
    mode: str
    output: str
    universe: int
    address: int  # 1..512
    footprint: int
    channels: tuple[Channel, ...]
    attributes: frozenset[str]
    pixels: tuple[int, int] | None
    wheel: tuple[WheelSlot, ...]  # gobo wheel slots, empty without a wheel
    gobo_kind: str | None = None
    gobo_size: str = "B"
    gobo_image_mm: float | None = None
    flip: bool = False
    keystone: tuple[float, float] | None = None  # (tilt_deg, beam_deg)
    gobo_slots: dict[int, str] = field(default_factory=dict, hash=False)
    power_watts: float | None = None
    curve: str = "linear"

    @property
    def wheel_slots(self) -> int:
        return len(self.wheel)

    @property
    def last_address(self) -> int:
        return self.address + self.footprint - 1


@dataclass(frozen=True)
class Patch:
    outputs: tuple[OutputConfig, ...] = ()
    fixtures: tuple[PatchedFixture, ...] = ()
    warnings: tuple[str, ...] = ()

    def fixture(self, name: str) -> PatchedFixture:
        for fixture in self.fixtures:
            if fixture.name == name:
                return fixture
        raise KeyError(f"no fixture {name!r} in the patch")

    def output(self, name: str) -> OutputConfig:
        for output in self.outputs:
            if output.name == name:
                return output
        raise KeyError(f"no output {name!r} in the patch")

    def universes(self) -> set[tuple[str, int]]:
        return {(f.output, f.universe) for f in self.fixtures}


def parse_patch(
    outputs: list[dict[str, Any]], fixtures: list[dict[str, Any]], base_dir: Path
) -> Patch:
    if not isinstance(outputs, list):
        raise PatchError("output", "must be an array of tables ([[output]])")
    if not isinstance(fixtures, list):
        raise PatchError("fixture", "must be an array of tables ([[fixture]])")
    parsed_outputs: dict[str, OutputConfig] = {}
    for index, entry in enumerate(outputs, start=1):
        config = parse_output(entry, f"output[{index}]")
        if config.name in parsed_outputs:
            raise PatchError(f"output[{index}].name", f"duplicate output name {config.name!r}")
        parsed_outputs[config.name] = config
    warnings: list[str] = []
    patched: list[PatchedFixture] = []
    for index, entry in enumerate(fixtures, start=1):
        fixture = _fixture(entry, f"fixture[{index}]", parsed_outputs, base_dir, warnings)
        if any(f.name == fixture.name for f in patched):
            raise PatchError(f"fixture[{index}].name", f"duplicate fixture name {fixture.name!r}")
        patched.append(fixture)
    _check_overlaps(patched)
    return Patch(tuple(parsed_outputs.values()), tuple(patched), tuple(dict.fromkeys(warnings)))


def _fixture(
    entry: Any, key: str, outputs: dict[str, OutputConfig], base_dir: Path, warnings: list[str]
) -> PatchedFixture:
    if not isinstance(entry, dict):
        raise PatchError(key, "must be a table ([[fixture]])")
    read = _Reader(entry, key)
    name = read.text("name")
    if not name.strip() or "/" in name:
        raise PatchError(f"{key}.name", f"{name!r}: a fixture needs a name without '/'")
    for unknown in sorted(set(entry) - _FIXTURE_KEYS):
        warnings.append(f"{key}.{unknown}: unknown key ignored (fixture {name!r})")
    output_name = read.text("output", default=next(iter(outputs), ""))
    if output_name not in outputs:
        known = ", ".join(outputs) or "none: add an [[output]] table"
        raise PatchError(f"{key}.output", f"unknown output {output_name!r} (outputs: {known})")
    output = outputs[output_name]
    universe = read.universe(output)
    address = read.integer("address", 1, 512)
    pixels = read.pixels()
    profile_spec = read.text("profile")
    try:
        profile = load_profile(profile_spec, base_dir, pixels)
        mode: Mode = profile.mode(read.text("mode", default=""))
    except ProfileError as exc:
        raise PatchError(f"{key}.profile", str(exc)) from None
    except LookupError as exc:
        raise PatchError(f"{key}.mode", str(exc.args[0])) from None
    warnings.extend(f"fixture {name!r}: {w}" for w in profile.warnings)
    last = address + mode.footprint - 1
    if last > 512:
        channel = mode.channels[512 - address + 1]
        raise PatchError(
            f"{key}.address",
            f"fixture {name!r} ({mode.footprint} channels from address {address}) ends at {last}: "
            f"its channel {channel.offset} ({channel.name}) would be at DMX "
            f"{address + channel.offset - 1}, beyond 512",
        )
    attributes = set(mode.attributes) | {"intensity"}
    if {"red", "green", "blue"} <= attributes:
        attributes.add("color")
    if mode.pixels:
        attributes.add("pixels")
    wheel = mode.gobo_wheel
    gobo_slots = read.gobo_slots(len(wheel))
    tilt = read.number("tilt", -89, 89, default=None)
    beam = read.number("beam_angle", 1, 120, default=None)
    if (tilt is None) != (beam is None):
        raise PatchError(
            f"{key}.{'beam_angle' if beam is None else 'tilt'}",
            "keystone needs both tilt (degrees) and beam_angle (degrees)",
        )
    power = read.number("power", 0, 100_000, default=None)
    return PatchedFixture(
        name=name,
        profile=profile_spec,
        profile_name=profile.name,
        mode=mode.name,
        output=output_name,
        universe=universe,
        address=address,
        footprint=mode.footprint,
        channels=mode.channels,
        attributes=frozenset(attributes),
        pixels=mode.pixels,
        wheel=wheel,
        gobo_kind=read.choice("gobo_kind", GOBO_KINDS, default=None),
        gobo_size=read.choice("gobo_size", GOBO_SIZES, default="B") or "B",
        gobo_image_mm=read.number("gobo_image_mm", 5, 100, default=None),
        flip=read.boolean("flip"),
        keystone=(tilt, beam) if tilt is not None and beam is not None else None,
        gobo_slots=gobo_slots,
        power_watts=power if power is not None else profile.power_watts,
        curve=read.curve(),
    )


def _check_overlaps(fixtures: list[PatchedFixture]) -> None:
    by_universe: dict[tuple[str, int], list[tuple[int, PatchedFixture]]] = {}
    for index, fixture in enumerate(fixtures, start=1):
        by_universe.setdefault((fixture.output, fixture.universe), []).append((index, fixture))
    for (output, universe), members in by_universe.items():
        members.sort(key=lambda m: m[1].address)
        for (_, a), (index_b, b) in itertools.pairwise(members):
            if b.address <= a.last_address:
                raise PatchError(
                    f"fixture[{index_b}].address",
                    f"fixture {b.name!r} (DMX {b.address}-{b.last_address}) overlaps fixture "
                    f"{a.name!r} (DMX {a.address}-{a.last_address}) on channels "
                    f"{b.address}-{min(a.last_address, b.last_address)} of output {output!r} "
                    f"universe {universe}",
                )


class _Reader:
    """Typed look-ups in one [[fixture]] table, errors naming the key."""

    def __init__(self, table: dict[str, Any], key: str) -> None:
        self.table = table
        self.key = key

    def fail(self, name: str, message: str) -> PatchError:
        return PatchError(f"{self.key}.{name}", message)

    def text(self, name: str, default: str | None = None) -> str:
        value = self.table.get(name, default)
        if value is None:
            raise self.fail(name, "missing")
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, not {value!r}")
        return value

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        value = self.table.get(name, default)
        if value is None:
            raise self.fail(name, f"missing (a whole number {low}..{high})")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(name, f"{value} is outside {low}..{high}")
        return value

    def universe(self, output: OutputConfig) -> int:
        """An integer in the output's range; for Art-Net also "net:subnet:universe"."""
        low, high = output.universe_range
        value = self.table.get("universe", max(low, 1))
        if isinstance(value, str):
            if output.type != "artnet":
                raise self.fail("universe", f"{value!r}: the \"net:subnet:universe\" form is "
                                "for Art-Net outputs; give a number")
            try:
                return parse_port_address(value)
            except ValueError as exc:
                raise self.fail("universe", str(exc)) from None
        return self.integer("universe", low, high, default=value)

    def number(self, name: str, low: float, high: float, default: float | None) -> float | None:
        value = self.table.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(name, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(name, f"{value} is outside {low}..{high}")
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self.table.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, not {value!r}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.table.get(name, default)
        if value is not None and value not in choices:
            raise self.fail(name, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def curve(self) -> str:
        value = self.text("curve", default="linear")
        if not _CURVE.match(value) or (value.startswith("gamma") and float(value[5:]) <= 0):
            raise self.fail("curve", f"{value!r}: use linear, square-law or gammaN (e.g. gamma2.2)")
        return value

    def pixels(self) -> tuple[int, int] | None:
        value = self.table.get("pixels")
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        ):
            raise self.fail("pixels", f"must be [width, height] in pixels, not {value!r}")
        if value[0] * value[1] * 3 > 512:
            raise self.fail(
                "pixels", f"{value[0]}x{value[1]} RGB pixels need more than 512 channels"
            )
        return value[0], value[1]

    def gobo_slots(self, wheel_slots: int) -> dict[int, str]:
        value = self.table.get("gobo_slots", {})
        if not isinstance(value, dict):
            raise self.fail("gobo_slots", 'must be a table like {"2" = "<artwork id>"}')
        if value and not wheel_slots:
            raise self.fail("gobo_slots", "this fixture's profile and mode have no gobo wheel")
        slots: dict[int, str] = {}
        for slot_text, artwork_id in value.items():
            if not slot_text.isdecimal() or not 1 <= int(slot_text) <= wheel_slots:
                raise self.fail(f"gobo_slots.{slot_text}", f"wheel slots are 1..{wheel_slots}")
            if not isinstance(artwork_id, str) or not artwork_id:
                raise self.fail(f"gobo_slots.{slot_text}", "must be an artwork id string")
            slots[int(slot_text)] = artwork_id
        return slots
