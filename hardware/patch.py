"""Patch: the [[output]] and [[fixture]] tables validated into frozen objects.

Keys in errors count tables from 1: "fixture[2].address" is the second
[[fixture]] table of the file.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardware.outputs.artnet_packets import parse_port_address
from hardware.outputs.config import OutputConfig, parse_output
from hardware.profiles import Channel, Mode, ProfileError, WheelSlot, load_profile
from siteconfig import ConfigError, Table

GOBO_KINDS = ("steel", "glass", "glass-grey", "colour")
GOBO_SIZES = ("A", "B", "M", "E")
_CURVE = re.compile(r"^(linear|square-law|gamma(\d+(\.\d+)?))$")


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
    outputs: Sequence[Table | Mapping[str, Any]],
    fixtures: Sequence[Table | Mapping[str, Any]],
    base_dir: Path,
    file: Path | str | None = None,
) -> Patch:
    """[[output]] and [[fixture]] tables -> Patch, or ConfigError naming the key."""
    if not isinstance(outputs, list):
        raise ConfigError("output", "must be an array of tables ([[output]])", file)
    if not isinstance(fixtures, list):
        raise ConfigError("fixture", "must be an array of tables ([[fixture]])", file)
    parsed_outputs: dict[str, OutputConfig] = {}
    for index, entry in enumerate(outputs, start=1):
        read = Table.of(entry, f"output[{index}]", file)
        config = parse_output(read, read.key)
        if config.name in parsed_outputs:
            raise read.fail("name", f"duplicate output name {config.name!r}")
        parsed_outputs[config.name] = config
    warnings: list[str] = []
    patched: list[PatchedFixture] = []
    for index, entry in enumerate(fixtures, start=1):
        read = Table.of(entry, f"fixture[{index}]", file)
        fixture = _fixture(read, parsed_outputs, base_dir, warnings)
        if any(f.name == fixture.name for f in patched):
            raise read.fail("name", f"duplicate fixture name {fixture.name!r}")
        patched.append(fixture)
    _check_overlaps(patched, file)
    return Patch(tuple(parsed_outputs.values()), tuple(patched), tuple(dict.fromkeys(warnings)))


def _fixture(
    read: Table, outputs: dict[str, OutputConfig], base_dir: Path, warnings: list[str]
) -> PatchedFixture:
    name = read.text("name")
    if not name.strip() or "/" in name:
        raise read.fail("name", f"{name!r}: a fixture needs a name without '/'")
    output_name = read.text("output", next(iter(outputs), ""))
    if output_name not in outputs:
        known = ", ".join(outputs) or "none: add an [[output]] table"
        raise read.fail("output", f"unknown output {output_name!r} (outputs: {known})")
    output = outputs[output_name]
    universe = _universe(read, output)
    address = read.integer("address", 1, 512)
    pixels = _pixels(read)
    profile_spec = read.text("profile")
    try:
        profile = load_profile(profile_spec, base_dir, pixels)
        mode: Mode = profile.mode(read.text("mode", ""))
    except ProfileError as exc:
        raise read.fail("profile", str(exc)) from None
    except LookupError as exc:
        raise read.fail("mode", str(exc.args[0])) from None
    warnings.extend(f"fixture {name!r}: {w}" for w in profile.warnings)
    last = address + mode.footprint - 1
    if last > 512:
        channel = mode.channels[512 - address + 1]
        raise read.fail(
            "address",
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
    gobo_slots = _gobo_slots(read, len(wheel))
    tilt = read.number("tilt", -89, 89, None)
    beam = read.number("beam_angle", 1, 120, None)
    if (tilt is None) != (beam is None):
        raise read.fail(
            "beam_angle" if beam is None else "tilt",
            "keystone needs both tilt (degrees) and beam_angle (degrees)",
        )
    power = read.number("power", 0, 100_000, None)
    fixture = PatchedFixture(
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
        gobo_kind=read.choice("gobo_kind", GOBO_KINDS, None),
        gobo_size=read.choice("gobo_size", GOBO_SIZES, "B"),
        gobo_image_mm=read.number("gobo_image_mm", 5, 100, None),
        flip=read.boolean("flip", False),
        keystone=(tilt, beam) if tilt is not None and beam is not None else None,
        gobo_slots=gobo_slots,
        power_watts=power if power is not None else profile.power_watts,
        curve=_curve(read),
    )
    read.close()
    return fixture


def _check_overlaps(fixtures: list[PatchedFixture], file: Path | str | None) -> None:
    by_universe: dict[tuple[str, int], list[tuple[int, PatchedFixture]]] = {}
    for index, fixture in enumerate(fixtures, start=1):
        by_universe.setdefault((fixture.output, fixture.universe), []).append((index, fixture))
    for (output, universe), members in by_universe.items():
        members.sort(key=lambda m: m[1].address)
        for (_, a), (index_b, b) in itertools.pairwise(members):
            if b.address <= a.last_address:
                raise ConfigError(
                    f"fixture[{index_b}].address",
                    f"fixture {b.name!r} (DMX {b.address}-{b.last_address}) overlaps fixture "
                    f"{a.name!r} (DMX {a.address}-{a.last_address}) on channels "
                    f"{b.address}-{min(a.last_address, b.last_address)} of output {output!r} "
                    f"universe {universe}",
                    file,
                )


def _universe(read: Table, output: OutputConfig) -> int:
    """An integer in the output's range; for Art-Net also "net:subnet:universe"."""
    low, high = output.universe_range
    value = read.value("universe", max(low, 1))
    if isinstance(value, str):
        if output.type != "artnet":
            raise read.fail("universe", f"{value!r}: the \"net:subnet:universe\" form is for "
                            "Art-Net outputs; give a number")
        try:
            return parse_port_address(value)
        except ValueError as exc:
            raise read.fail("universe", str(exc)) from None
    return read.integer("universe", low, high, max(low, 1))


def _curve(read: Table) -> str:
    value = read.text("curve", "linear")
    if not _CURVE.match(value) or (value.startswith("gamma") and float(value[5:]) <= 0):
        raise read.fail("curve", f"{value!r}: use linear, square-law or gammaN (e.g. gamma2.2)")
    return value


def _pixels(read: Table) -> tuple[int, int] | None:
    value = read.value("pixels", None)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
    ):
        raise read.fail("pixels", f"must be [width, height] in pixels, not {value!r}")
    if value[0] * value[1] * 3 > 512:
        raise read.fail("pixels", f"{value[0]}x{value[1]} RGB pixels need more than 512 channels")
    return value[0], value[1]


def _gobo_slots(read: Table, wheel_slots: int) -> dict[int, str]:
    """`gobo_slots = { "2" = "<artwork id>" }`: wheel slot -> the artwork made as that gobo."""
    value = read.value("gobo_slots", {})
    if not isinstance(value, Mapping):
        raise read.fail("gobo_slots", 'must be a table like {"2" = "<artwork id>"}')
    if value and not wheel_slots:
        raise read.fail("gobo_slots", "this fixture's profile and mode have no gobo wheel")
    slots: dict[int, str] = {}
    for slot_text, artwork_id in value.items():
        if not slot_text.isdecimal() or not 1 <= int(slot_text) <= wheel_slots:
            raise read.fail(f"gobo_slots.{slot_text}", f"wheel slots are 1..{wheel_slots}")
        if not isinstance(artwork_id, str) or not artwork_id:
            raise read.fail(f"gobo_slots.{slot_text}", "must be an artwork id string")
        slots[int(slot_text)] = artwork_id
    return slots
