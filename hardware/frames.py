"""Frame assembly: fixture attribute values (0..1) -> 512-byte DMX frames per universe.

`FrameAssembler(patch)` precomputes, for every logical channel (coarse + fine
bytes), which value slot drives it, its DMX range and where its bytes go, so a
frame is a handful of numpy operations whatever the size of the patch.
Attributes not given in a frame go to the channel's rest value (its default;
shutter channels: open), so every frame is a pure function of its input.
"""

from __future__ import annotations

import functools
import math
from array import array as _array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter, methodcaller
from typing import Any

import numpy as np

from hardware.patch import Patch, PatchedFixture
from hardware.profiles import ATTRIBUTES, COLOUR_ATTRIBUTES, Capability, Channel

Values = Mapping[str, Mapping[str, Any]]
Frames = dict[str, dict[int, bytes]]
_DISCRETE = ("gobo", "strobe")
_LIGHT = ("intensity", *COLOUR_ATTRIBUTES)
_RGB = ("red", "green", "blue")


def parse_value(attr: str, text: str) -> float | tuple[float, float, float]:
    """Parse a typed or OSC value: "50%", "0.5", "3" (gobo slot), "#ff8800" (color)."""
    text = text.strip()
    if attr == "color":
        digits = text.removeprefix("#")
        if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError(f"color={text!r}: use #rrggbb, e.g. #ff8800")
        r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
        return (r, g, b)
    if attr not in ATTRIBUTES:
        raise ValueError(f"unknown attribute {attr!r} (attributes: {', '.join(ATTRIBUTES)}, color)")
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{attr}={text!r}: not a number (use 0..1 or NN%)") from None
    if attr == "gobo":
        if value < 1 or not value.is_integer():  # also refuses inf and nan
            raise ValueError(f"gobo={text!r}: a wheel slot number, 1 for the first slot")
        return value
    if not 0 <= value <= 1:
        raise ValueError(f"{attr}={text!r}: values are 0..1 or 0%..100%")
    return value


def curve_exponent(curve: str) -> float:
    if curve == "linear":
        return 1.0
    if curve == "square-law":
        return 2.0
    return float(curve.removeprefix("gamma"))


@dataclass(frozen=True)
class _Group:
    """One logical channel: its bytes in the fixture and its DMX mapping."""

    fixture: PatchedFixture
    attribute: str
    channels: tuple[Channel, ...]  # coarse first
    resolution: int
    lo: int
    hi: int
    rest: int
    off: int  # in the last frame before the daemon exits: dark, shutter closed, else default
    open_value: int | None  # strobe: the "shutter open" DMX value
    slots: dict[int, tuple[int, int]]  # gobo: wheel slot -> DMX range

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        return self.channels[0].capabilities


def _groups(fixture: PatchedFixture) -> list[_Group]:
    by_group: dict[str, list[Channel]] = {}
    for channel in fixture.channels:
        if channel.attribute:
            by_group.setdefault(channel.group, []).append(channel)
    groups = []
    for channels in by_group.values():
        channels.sort(key=lambda c: ("coarse", "fine", "fine2").index(c.byte))
        first = channels[0]
        attr = first.attribute
        assert attr is not None
        resolution = first.resolution
        full = 256**resolution - 1
        caps = [c for c in first.capabilities if c.attribute == attr]
        lo, hi = 0, full
        slots: dict[int, tuple[int, int]] = {}
        open_value = None
        if attr == "gobo":
            slots = {c.slot: (c.start, c.end) for c in caps if c.slot is not None}
        elif attr == "strobe":
            opens = [c for c in caps if c.effect == "Open"]
            open_value = (opens[0].start + opens[0].end) // 2 if opens else None
            strobes = [c for c in caps if c.effect not in ("Open", "Closed")] or caps
            if strobes:
                best = max(strobes, key=lambda c: abs(c.end - c.start))
                lo, hi = best.start, best.end
        elif caps:
            best = max(caps, key=lambda c: abs(c.end - c.start))
            lo, hi = best.start, best.end
        default = min(first.default, full)
        rest = open_value if open_value is not None else default
        off = lo if attr in _LIGHT else default
        if attr == "strobe":
            closed = [c for c in caps if c.effect == "Closed"]
            off = (closed[0].start + closed[0].end) // 2 if closed else default
        groups.append(
            _Group(fixture, attr, tuple(channels), resolution, lo, hi, rest, off, open_value,
                   slots)
        )
    return groups


class _Plan:
    """One layout of the values mapping: which flattened value goes to which vector slots."""

    def __init__(
        self,
        scalars: Callable[[list[Any]], tuple[Any, ...]],
        scalar_slots: np.ndarray,
        colour_positions: tuple[int, ...],
        colour_slots: np.ndarray,
        pixel_positions: tuple[int, ...],
        pixel_tables: tuple[np.ndarray, ...],
    ) -> None:
        self.scalars = scalars
        self.scalar_slots = scalar_slots
        self.only_scalars = not colour_positions and not pixel_positions
        self.colour_positions = colour_positions
        self.colour_slots = colour_slots  # red, green, blue slots per colour value
        self.pixel_positions = pixel_positions
        self.pixel_tables = pixel_tables  # per pixel value: its fixture's (pixels, 4) slots
        self._pixel_index: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def pixel_index(self, widths: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """For pixel arrays of these widths, raveled and joined: (slots, which cells fill them)."""
        index = self._pixel_index.get(widths)
        if index is None:
            joined = np.concatenate(
                [t[:, :w].ravel() for t, w in zip(self.pixel_tables, widths, strict=True)]
            )
            keep = joined >= 0
            index = self._pixel_index[widths] = (joined[keep], keep)
        return index


def _getter(positions: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        only = positions[0]
        return lambda flat: (flat[only],)
    return lambda flat: ()


@functools.lru_cache(maxsize=256)
def _hex_colour(text: str) -> tuple[float, float, float]:
    rgb = parse_value("color", text)
    assert isinstance(rgb, tuple)
    return rgb


class FrameAssembler:
    """Precomputed patch -> frame mapping. `assemble(values)` is pure: same values, same frames."""

    def __init__(self, patch: Patch) -> None:
        self.patch = patch
        keys = sorted(patch.universes())
        self.universes: tuple[tuple[str, int], ...] = tuple(keys)
        row = {key: i for i, key in enumerate(keys)}
        self._slot_names: list[tuple[str, str]] = [("", "one")]
        rest_values: list[float] = [1.0]
        curve_slots: list[int] = []
        curve_exps: list[float] = []
        self._slots: dict[str, dict[str, int]] = {}
        self._pixel_slots: dict[str, np.ndarray] = {}
        self._groups: list[_Group] = []
        g_slot: list[int] = []
        g_mult: list[int] = []
        template = np.zeros((len(keys), 512), dtype=np.uint8)
        c_pos: list[int] = []
        c_group: list[int] = []
        c_shift: list[int] = []

        def new_slot(fixture: str, attr: str, rest: float) -> int:
            self._slot_names.append((fixture, attr))
            rest_values.append(rest)
            return len(rest_values) - 1

        for fixture in patch.fixtures:
            base = row[(fixture.output, fixture.universe)] * 512 + fixture.address - 2
            for channel in fixture.channels:
                shift = 8 * (
                    channel.resolution - 1 - ("coarse", "fine", "fine2").index(channel.byte)
                )
                template.flat[base + channel.offset] = (channel.default >> shift) & 0xFF
            table: dict[str, int] = {}
            pixel_table = None
            if fixture.pixels:
                pixel_table = np.full((fixture.pixels[0] * fixture.pixels[1], 4), -1, np.int64)
            groups = _groups(fixture)
            has_dimmer = any(g.attribute == "intensity" for g in groups)
            table["intensity"] = new_slot(fixture.name, "intensity", 0.0 if has_dimmer else 1.0)
            curve_slots.append(table["intensity"])
            curve_exps.append(curve_exponent(fixture.curve))
            for group in groups:
                pixel = group.channels[0].pixel
                attr = group.attribute
                if pixel is not None and pixel_table is not None and attr in COLOUR_ATTRIBUTES[:4]:
                    column = COLOUR_ATTRIBUTES.index(attr)
                    if pixel_table[pixel, column] < 0:
                        pixel_table[pixel, column] = new_slot(
                            fixture.name, f"pixel{pixel}.{attr}", 0.0
                        )
                    slot = int(pixel_table[pixel, column])
                elif pixel is not None:
                    continue  # per-pixel dimmers etc. stay at their default
                else:
                    if attr not in table:
                        table[attr] = new_slot(fixture.name, attr, 0.0)
                    slot = table[attr]
                colour_needs_dimming = attr in COLOUR_ATTRIBUTES and not has_dimmer
                self._groups.append(group)
                g_slot.append(slot)
                g_mult.append(table["intensity"] if colour_needs_dimming else 0)
                for channel in group.channels:
                    byte = ("coarse", "fine", "fine2").index(channel.byte)
                    c_pos.append(base + channel.offset)
                    c_group.append(len(self._groups) - 1)
                    c_shift.append(8 * (group.resolution - 1 - byte))
            self._slots[fixture.name] = table
            if pixel_table is not None:
                self._pixel_slots[fixture.name] = pixel_table
        self._rest = np.array(rest_values, dtype=np.float64)
        self._curve_slots = np.array(curve_slots, dtype=np.int64)
        self._curve_exps = np.array(curve_exps, dtype=np.float64)
        self._g_slot = np.array(g_slot, dtype=np.int64)
        self._g_mult = np.array(g_mult, dtype=np.int64)
        self._g_lo = np.array([g.lo for g in self._groups], dtype=np.float64)
        self._g_span = np.array([g.hi - g.lo for g in self._groups], dtype=np.float64)
        self._g_rest = np.array([g.rest for g in self._groups], dtype=np.int64)
        self._discrete = [(i, g) for i, g in enumerate(self._groups) if g.attribute in _DISCRETE]
        self._template = template
        self._layout: tuple[list[Any], ...] | None = None
        self._plan: _Plan | None = None
        self._c_pos = np.array(c_pos, dtype=np.int64)
        self._c_group = np.array(c_group, dtype=np.int64)
        self._c_shift = np.array(c_shift, dtype=np.int64)
        # all channels 8-bit, one per group in group order: the DMX numbers are the bytes
        self._plain_bytes = bool(
            np.array_equal(self._c_group, np.arange(len(self._groups))) and not any(c_shift)
        )

    # -- fast path: a value vector ----------------------------------------------------------
    def slot(self, fixture: str, attr: str) -> int:
        """Index of one fixture attribute in the value vector (for callers that build vectors)."""
        try:
            return self._slots[fixture][attr]
        except KeyError:
            raise ValueError(self._unknown(fixture, attr)) from None

    def vector(self) -> tuple[np.ndarray, np.ndarray]:
        """A fresh (values, is_set) pair at rest, to fill and pass to `assemble_vector`."""
        return self._rest.copy(), np.zeros(len(self._rest), dtype=bool)

    def assemble_vector(self, values: np.ndarray, is_set: np.ndarray) -> Frames:
        v = np.clip(np.asarray(values, dtype=np.float64), 0.0, None)
        if not np.isfinite(v).all():  # rare: checking is cheaper than nan_to_num every frame
            np.nan_to_num(v, copy=False)
        v[self._curve_slots] = np.power(np.minimum(v[self._curve_slots], 1.0), self._curve_exps)
        # in place on one array; whole DMX numbers stay exact in float64 until the cast
        level = v[self._g_slot]
        level *= v[self._g_mult]
        np.minimum(level, 1.0, out=level)
        level *= self._g_span
        np.rint(level, out=level)
        level += self._g_lo
        dmx = level.astype(np.int64)
        unset = ~is_set[self._g_slot]
        if unset.any():
            np.copyto(dmx, self._g_rest, where=unset)
        for index, group in self._discrete:
            slot = self._g_slot[index]
            if is_set[slot]:
                dmx[index] = _discrete_dmx(group, float(values[slot]))
        return self._frames(dmx)

    def assemble_off(self) -> Frames:
        """Every channel at its closed or off value: light 0, a shutter closed where the
        fixture has one, everything else at its default. Sent last, before the daemon exits."""
        return self._frames(np.array([g.off for g in self._groups], dtype=np.int64))

    def _frames(self, dmx: np.ndarray) -> Frames:
        """DMX numbers per group -> the universes' bytes."""
        buffer = self._template.copy()
        # plain bytes: 0..255 already, and the uint8 store wraps exactly like & 0xFF anyway
        plain = self._plain_bytes
        data = dmx if plain else (dmx[self._c_group] >> self._c_shift) & 0xFF
        buffer.reshape(-1)[self._c_pos] = data
        frames: Frames = {}
        for (output, universe), row in zip(self.universes, buffer, strict=True):
            frames.setdefault(output, {})[universe] = row.tobytes()
        return frames

    # -- mapping path ----------------------------------------------------------------------
    def assemble(self, values: Values) -> Frames:
        """{fixture: {attr: value}} -> {output: {universe: 512 bytes}}; ValueError on bad input."""
        # A frame loop sends the same fixtures and attributes every frame: remember the plan
        # of the last layout; checking it and reading the numbers runs in C loops.
        layout = (
            list(values),
            list(map(len, values.values())),
            list(chain.from_iterable(values.values())),
        )
        if layout == self._layout:
            plan = self._plan
        else:
            plan = self._make_plan(values)
            self._layout, self._plan = layout, plan
        if plan is not None:
            try:
                frames = self._assemble_planned(plan, values)
            except (TypeError, ValueError, OverflowError):
                frames = None  # bad input: the careful path names the first problem
            if frames is not None:
                return frames
        return self._assemble_careful(values)

    def _make_plan(self, values: Values) -> _Plan | None:
        """Where each value of this layout goes; None when the careful path must judge it."""
        scalar_pos: list[int] = []
        scalar_slots: list[int] = []
        colour_pos: list[int] = []
        colour_slots: list[int] = []
        pixel_pos: list[int] = []
        pixel_tables: list[np.ndarray] = []
        position = 0
        for name, attrs in values.items():
            table = self._slots.get(name)
            if table is None:
                return None
            for attr in attrs:
                if attr in table:
                    scalar_pos.append(position)
                    scalar_slots.append(table[attr])
                elif attr == "pixels" and name in self._pixel_slots:
                    pixel_pos.append(position)
                    pixel_tables.append(self._pixel_slots[name])
                elif (
                    attr == "color"
                    and "color" in self.patch.fixture(name).attributes
                    and all(c in table and c not in attrs for c in _RGB)
                ):
                    colour_pos.append(position)
                    colour_slots.extend(table[c] for c in _RGB)
                else:
                    return None
                position += 1
        return _Plan(
            _getter(scalar_pos),
            np.array(scalar_slots, dtype=np.int64),
            tuple(colour_pos),
            np.array(colour_slots, dtype=np.int64),
            tuple(pixel_pos),
            tuple(pixel_tables),
        )

    def _assemble_planned(self, plan: _Plan, values: Values) -> Frames | None:
        """The careful path's result for a planned layout, or None to let it decide."""
        flat = list(chain.from_iterable(map(methodcaller("values"), values.values())))
        vector, is_set = self.vector()
        scalars = flat if plan.only_scalars else plan.scalars(flat)
        try:  # one C loop that also refuses what is not a number, text included
            numbers = _array("d", scalars)
        except (TypeError, OverflowError):  # text such as "50%": value by value
            slots = plan.scalar_slots.tolist()
            numbers = _array("d", map(self._number, slots, scalars))
        vector[plan.scalar_slots] = np.frombuffer(numbers)
        is_set[plan.scalar_slots] = True
        if plan.colour_positions:
            levels: list[float] = []
            for position in plan.colour_positions:
                rgb = flat[position]
                rgb = _hex_colour(rgb) if isinstance(rgb, str) else rgb
                if not isinstance(rgb, Sequence) or len(rgb) != 3:
                    return None
                levels.extend(rgb)
            slots = plan.colour_slots
            vector[slots] = list(map(self._number, slots.tolist(), levels))
            is_set[slots] = True
        if plan.pixel_positions:
            arrays = []
            for position, table in zip(plan.pixel_positions, plan.pixel_tables, strict=True):
                cells = np.asarray(flat[position], dtype=np.float64)
                if cells.ndim != 2 or cells.shape[0] != len(table) or cells.shape[1] not in (3, 4):
                    return None
                arrays.append(cells)
            slots, keep = plan.pixel_index(tuple(a.shape[1] for a in arrays))
            vector[slots] = np.concatenate([a.ravel() for a in arrays])[keep]
            is_set[slots] = True
        return self.assemble_vector(vector, is_set)

    def _assemble_careful(self, values: Values) -> Frames:
        vector, is_set = self.vector()
        indices: list[int] = []
        numbers: list[Any] = []
        for name, attrs in values.items():
            if name not in self._slots:
                raise ValueError(self._unknown(name, None))
            self._parse(name, attrs, indices, numbers, vector, is_set)
        array = np.array([self._number(i, n) for i, n in zip(indices, numbers, strict=True)])
        vector[indices] = array
        is_set[indices] = True
        return self.assemble_vector(vector, is_set)

    def _number(self, slot: int, value: Any) -> float:
        name, attr = self._slot_names[slot]
        if isinstance(value, str):
            parsed = parse_value(attr, value)
            if isinstance(parsed, float):
                return parsed
        else:
            try:  # the fast path's conversion: floats, ints and numbers such as numpy's
                return _array("d", (value,))[0]
            except (TypeError, OverflowError):
                pass
        raise ValueError(f"{name}.{attr}: {value!r} is not a number")

    def _parse(
        self,
        name: str,
        attrs: Mapping[str, Any],
        indices: list[int],
        numbers: list[Any],
        vector: np.ndarray,
        is_set: np.ndarray,
    ) -> None:
        table = self._slots[name]
        for attr, value in attrs.items():
            if attr in table:
                indices.append(table[attr])
                numbers.append(value)
            elif attr == "pixels":
                self._fill_pixels(name, value, vector, is_set)
            elif attr == "color" and "color" in self.patch.fixture(name).attributes:
                rgb = parse_value("color", value) if isinstance(value, str) else value
                if not isinstance(rgb, Sequence) or len(rgb) != 3:
                    raise ValueError(f"{name}.color: use #rrggbb or three 0..1 numbers")
                for channel, level in zip(("red", "green", "blue"), rgb, strict=True):
                    indices.append(table[channel])
                    numbers.append(level)
            else:
                raise ValueError(self._unknown(name, attr))

    def _fill_pixels(self, name: str, pixels: Any, vector: np.ndarray, is_set: np.ndarray) -> None:
        table = self._pixel_slots.get(name)
        if table is None:
            raise ValueError(self._unknown(name, "pixels"))
        array = np.asarray(pixels, dtype=np.float64)
        if array.ndim != 2 or array.shape[0] != len(table) or array.shape[1] not in (3, 4):
            raise ValueError(
                f"{name}.pixels: need {len(table)} (r, g, b) or (r, g, b, w) tuples in row-major "
                f"order, got shape {array.shape}"
            )
        for column in range(array.shape[1]):
            slots = table[:, column]
            present = slots >= 0
            vector[slots[present]] = array[present, column]
            is_set[slots[present]] = True

    def _unknown(self, fixture: str, attr: str | None) -> str:
        if fixture not in self._slots:
            known = ", ".join(self._slots) or "none patched"
            return f"unknown fixture {fixture!r} (fixtures: {known})"
        has = sorted(self.patch.fixture(fixture).attributes)
        return f"fixture {fixture!r} has no attribute {attr!r} (it has: {', '.join(has)})"

    # -- decoding --------------------------------------------------------------------------
    def decode(self, frames: Mapping[str, Mapping[int, bytes]]) -> dict[str, dict[str, Any]]:
        """What each fixture receives, as attribute values (after curves), from DMX frames."""
        result: dict[str, dict[str, Any]] = {}
        pixels: dict[str, np.ndarray] = {}
        for fixture in self.patch.fixtures:
            attrs: dict[str, Any] = {}
            if fixture.name in self._pixel_slots:
                pixels[fixture.name] = np.zeros((len(self._pixel_slots[fixture.name]), 4))
            if "intensity" not in {g.attribute for g in _groups(fixture)}:
                attrs["intensity"] = 1.0  # colours already carry the level
            result[fixture.name] = attrs
        for group in self._groups:
            fixture = group.fixture
            frame = frames.get(fixture.output, {}).get(fixture.universe)
            if frame is None:
                continue
            dmx = 0
            for channel in group.channels:
                dmx = dmx * 256 + frame[fixture.address + channel.offset - 2]
            value = _decode_value(group, dmx)
            pixel = group.channels[0].pixel
            if pixel is not None:
                if group.attribute in COLOUR_ATTRIBUTES[:4]:
                    pixels[fixture.name][pixel, COLOUR_ATTRIBUTES.index(group.attribute)] = value
            else:
                result[fixture.name].setdefault(group.attribute, value)
        for name, array in pixels.items():
            width = (
                4 if "white" in {g.attribute for g in self._groups if g.fixture.name == name} else 3
            )
            result[name]["pixels"] = [tuple(float(v) for v in p[:width]) for p in array]
        return result


def _discrete_dmx(group: _Group, value: float) -> int:
    if group.attribute == "gobo":
        slot = round(value) if math.isfinite(value) else None
        if slot not in group.slots:
            raise ValueError(
                f"{group.fixture.name}.gobo={value:g}: wheel slots are "
                f"{min(group.slots, default=1)}..{max(group.slots, default=0)}"
            )
        start, end = group.slots[slot]
        return (start + end) // 2
    level = min(max(value, 0.0), 1.0) if not math.isnan(value) else 0.0  # as nan elsewhere
    if level == 0 and group.open_value is not None:
        return group.open_value
    return group.lo + round(level * (group.hi - group.lo))


def _decode_value(group: _Group, dmx: int) -> float:
    if group.attribute == "gobo":
        for slot, (start, end) in group.slots.items():
            if min(start, end) <= dmx <= max(start, end):
                return float(slot)
        return 0.0
    if group.attribute == "strobe" and group.open_value is not None:
        for cap in group.capabilities:
            if cap.effect == "Open" and cap.start <= dmx <= cap.end:
                return 0.0
    span = group.hi - group.lo
    return min(max((dmx - group.lo) / span, 0.0), 1.0) if span else 0.0


def assemble(patch: Patch, values: Values) -> Frames:
    """One-off frame assembly; build a FrameAssembler once for a frame loop."""
    return FrameAssembler(patch).assemble(values)


def decode(patch: Patch, frames: Mapping[str, Mapping[int, bytes]]) -> dict[str, dict[str, Any]]:
    return FrameAssembler(patch).decode(frames)
