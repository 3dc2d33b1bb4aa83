"""Open Fixture Library import: one fixture .json -> Profile.

Supported: modes (name / shortName), fine channels (fineChannelAliases,
dmxValueResolution), capability DMX ranges, gobo wheels with resource images,
matrices (pixelCount / pixelKeys, pixelGroups, templateChannels, matrixChannels
insert blocks) and fixture-redirect files. Anything else still yields a usable
profile plus a warning, or a ProfileError naming what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.profiles.model import ATTRIBUTES, Capability, Channel, Mode, Profile, WheelSlot

COLOURS = {
    "Red": "red",
    "Green": "green",
    "Blue": "blue",
    "White": "white",
    "Amber": "amber",
    "UV": "uv",
}
_PLAIN = {
    "Intensity": "intensity",
    "ShutterStrobe": "strobe",
    "Pan": "pan",
    "Tilt": "tilt",
    "Focus": "focus",
    "Zoom": "zoom",
}
_PRIORITY = {name: i for i, name in enumerate(ATTRIBUTES)}
_PRIORITY["strobe"] = _PRIORITY["gobo"] + 0.5  # a shutter/dimmer channel stays a dimmer
MAX_REDIRECTS = 3


class ProfileError(ValueError):
    """The profile file cannot be used; the message says why."""


@dataclass(frozen=True)
class _Slot:
    key: str | None  # OFL channel key (coarse), None for an unused slot
    byte: int  # 0 coarse, 1 fine, 2 fine2
    pixel_key: str | None = None
    template: str | None = None  # template key when expanded from templateChannels


def load_ofl(path: Path) -> Profile:
    notes: list[str] = []
    data = _read(path)
    for _ in range(MAX_REDIRECTS + 1):  # the last pass only checks the final target
        if "redirectTo" not in data:
            break
        fixtures_dir = path.resolve().parent.parent
        target = (fixtures_dir / f"{data['redirectTo']}.json").resolve()
        if not target.is_relative_to(fixtures_dir) or not target.is_file():
            raise ProfileError(
                f"{path}: redirects to {data['redirectTo']!r}, which is not in {fixtures_dir}"
            )
        notes.append(
            f"{path.name}: OFL redirect to {data['redirectTo']} ({data.get('reason', 'no reason')})"
        )
        path, data = target, _read(target)
    else:
        raise ProfileError(f"{path}: more than {MAX_REDIRECTS} redirects")
    try:
        return _Importer(path, data, notes).profile()
    except ProfileError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, re.error) as exc:
        # The file passed the JSON parser but not OFL's schema: refuse it, naming the file.
        raise ProfileError(
            f"{path}: not a valid OFL fixture ({type(exc).__name__}: {exc})"
        ) from None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not ("modes" in data or "redirectTo" in data):
        raise ProfileError(f"{path}: not an Open Fixture Library fixture (no 'modes')")
    return data


class _Importer:
    def __init__(self, path: Path, data: dict[str, Any], notes: list[str]) -> None:
        self.path = path
        self.data = data
        self.warnings = notes
        self.tree = path.resolve().parent.parent.parent  # <tree>/fixtures/<maker>/<key>.json
        self.channels: dict[str, dict[str, Any]] = data.get("availableChannels", {})
        self.templates: dict[str, dict[str, Any]] = data.get("templateChannels", {})
        self.fine: dict[str, tuple[str, int]] = {}
        for key, chan in {**self.channels, **self.templates}.items():
            for index, alias in enumerate(chan.get("fineChannelAliases", []), start=1):
                self.fine[alias] = (key, index)
        self.pixel_index, self.pixels = self._matrix()
        self.groups = self._pixel_groups()
        self.gobo_wheel_name = self._gobo_wheel_name()

    def profile(self) -> Profile:
        modes = tuple(self._mode(m) for m in self.data.get("modes", []))
        if not modes:
            raise ProfileError(f"{self.path}: has no modes")
        power = self.data.get("physical", {}).get("power")
        return Profile(
            name=self.data.get("name", self.path.stem),
            source=str(self.path),
            modes=modes,
            power_watts=float(power) if isinstance(power, int | float) else None,
            warnings=tuple(dict.fromkeys(self.warnings)),
        )

    # -- matrix ---------------------------------------------------------------------------
    def _matrix(self) -> tuple[dict[str, tuple[int, int, int]], tuple[int, int] | None]:
        matrix = self.data.get("matrix")
        if not matrix:
            return {}, None
        positions: dict[str, tuple[int, int, int]] = {}
        if "pixelCount" in matrix:
            nx, ny, nz = matrix["pixelCount"]
            used = sum(n > 1 for n in (nx, ny, nz))
            for z in range(nz):
                for y in range(ny):
                    for x in range(nx):
                        if used <= 1:
                            key = str(max(x, y, z) + 1)
                        elif used == 2 and nz == 1:
                            key = f"({x + 1}, {y + 1})"
                        else:
                            key = f"({x + 1}, {y + 1}, {z + 1})"
                        positions[key] = (x, y, z)
        else:
            for z, plane in enumerate(matrix.get("pixelKeys", [])):
                for y, row in enumerate(plane):
                    for x, key in enumerate(row):
                        if key is not None:
                            positions[key] = (x, y, z)
        if not positions:
            raise ProfileError(f"{self.path}: matrix has no pixels")
        width = max(p[0] for p in positions.values()) + 1
        height = max(p[1] for p in positions.values()) + 1
        depth = max(p[2] for p in positions.values()) + 1
        if depth > 1:
            self.warnings.append(f"{self.path.name}: 3-D matrix flattened, layers stacked as rows")
        return positions, (width, height * depth)

    def _index(self, key: str) -> int:
        width, _ = self.pixels or (1, 1)
        x, y, z = self.pixel_index[key]
        height = max(p[1] for p in self.pixel_index.values()) + 1
        return (z * height + y) * width + x

    def _pixel_groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for name, spec in (self.data.get("matrix") or {}).get("pixelGroups", {}).items():
            if spec == "all":
                groups[name] = list(self.pixel_index)
            elif isinstance(spec, list):
                groups[name] = list(spec)
            else:
                groups[name] = [k for k, pos in self.pixel_index.items() if _matches(spec, pos, k)]
        return groups

    def _order(self, how: str | list[str]) -> list[str]:
        if isinstance(how, list):
            return how
        keys = list(self.pixel_index)
        if how == "eachPixelABC":
            return sorted(keys)
        if how == "eachPixelGroup":
            return list(self.groups)
        axes = how.removeprefix("eachPixel")  # e.g. "XYZ": X changes fastest
        if sorted(axes) != ["X", "Y", "Z"]:
            raise ProfileError(f"{self.path}: unknown repeatFor {how!r}")
        order = ["XYZ".index(a) for a in reversed(axes)]
        return sorted(keys, key=lambda k: tuple(self.pixel_index[k][i] for i in order))

    # -- modes ----------------------------------------------------------------------------
    def _expand(self, mode: dict[str, Any]) -> Iterator[_Slot]:
        for entry in mode.get("channels", []):
            if entry is None:
                yield _Slot(None, 0)
            elif isinstance(entry, str):
                yield self._slot(entry, mode)
            elif isinstance(entry, dict) and entry.get("insert") == "matrixChannels":
                pixel_keys = self._order(entry.get("repeatFor", "eachPixelXYZ"))
                names = entry.get("templateChannels", [])
                pairs = (
                    [(p, t) for t in names for p in pixel_keys]
                    if entry.get("channelOrder") == "perChannel"
                    else [(p, t) for p in pixel_keys for t in names]
                )
                for pixel_key, template in pairs:
                    yield self._slot(template.replace("$pixelKey", pixel_key), mode)
            else:
                raise ProfileError(f"{self.path}: mode {mode.get('name')!r}: bad entry {entry!r}")

    def _slot(self, name: str, mode: dict[str, Any]) -> _Slot:
        coarse, byte = self.fine.get(name, (name, 0))
        if coarse in self.channels:
            return _Slot(coarse, byte)
        for template in self.templates:
            pattern = "^" + re.escape(template).replace(r"\$pixelKey", "(.+)") + "$"
            for candidate in (name, coarse):
                found = re.match(pattern, candidate)
                if found and (found[1] in self.pixel_index or found[1] in self.groups):
                    fine_byte = byte if candidate == coarse else 0
                    return _Slot(template, fine_byte, found[1], template)
            for index, alias in enumerate(
                self.templates[template].get("fineChannelAliases", []), 1
            ):
                pattern = "^" + re.escape(alias).replace(r"\$pixelKey", "(.+)") + "$"
                found = re.match(pattern, name)
                if found:
                    return _Slot(template, index, found[1], template)
        self.warnings.append(
            f"{self.path.name}: mode {mode.get('name')!r}: channel {name!r} is not defined "
            "(switching channels are not supported); it is held at 0"
        )
        return _Slot(None, 0)

    def _mode(self, mode: dict[str, Any]) -> Mode:
        slots = list(self._expand(mode))
        resolution: dict[tuple[str | None, str | None], int] = {}
        for slot in slots:
            group = (slot.key, slot.pixel_key)
            resolution[group] = max(resolution.get(group, 0), slot.byte + 1)
        channels = []
        for offset, slot in enumerate(slots, start=1):
            if slot.key is None:
                channels.append(Channel(offset, None, "coarse", "(unused)", f"unused {offset}"))
                continue
            channels.append(self._channel(offset, slot, resolution[(slot.key, slot.pixel_key)]))
        wheel = self._wheel() if any(c.attribute == "gobo" for c in channels) else ()
        has_pixels = any(c.pixel is not None for c in channels)
        return Mode(
            name=mode.get("name", ""),
            short_name=mode.get("shortName", mode.get("name", "")),
            channels=tuple(channels),
            pixels=self.pixels if has_pixels else None,
            gobo_wheel=wheel,
        )

    def _channel(self, offset: int, slot: _Slot, resolution: int) -> Channel:
        assert slot.key is not None
        source = self.templates if slot.template else self.channels
        spec = source[slot.key]
        name = slot.key.replace("$pixelKey", slot.pixel_key or "")
        native = {"8bit": 1, "16bit": 2, "24bit": 3}.get(
            spec.get("dmxValueResolution", ""), 1 + len(spec.get("fineChannelAliases", []))
        )
        caps_json = spec.get("capabilities") or [
            {**spec.get("capability", {}), "dmxRange": [0, 256**native - 1]}
        ]
        caps = tuple(self._capability(c, name, native, resolution) for c in caps_json)
        ranked = [c.attribute for c in caps if c.attribute]
        attribute = min(ranked, key=_PRIORITY.__getitem__) if ranked else None
        pixel = None
        if slot.pixel_key is not None:
            if slot.pixel_key in self.groups:
                members = self.groups[slot.pixel_key] or list(self.pixel_index)
                pixel = min(self._index(k) for k in members)
                self.warnings.append(
                    f"{self.path.name}: pixel-group channels follow the group's first pixel"
                )
            else:
                pixel = self._index(slot.pixel_key)
        return Channel(
            offset=offset,
            attribute=attribute,
            byte=("coarse", "fine", "fine2")[slot.byte],
            name=name if slot.byte == 0 else f"{name} fine{'' if slot.byte == 1 else '2'}",
            group=f"{slot.key}@{slot.pixel_key}",
            resolution=resolution,
            default=_scale(_default(spec.get("defaultValue", 0), native), native, resolution),
            capabilities=caps,
            pixel=pixel,
        )

    def _capability(
        self, cap: dict[str, Any], channel: str, native: int, resolution: int
    ) -> Capability:
        start, end = cap.get("dmxRange", [0, 256**native - 1])
        kind = cap.get("type", "")
        attribute: str | None = _PLAIN.get(kind)
        if kind == "ColorIntensity":
            attribute = COLOURS.get(cap.get("color", ""))
        wheel = cap.get("wheel", channel)
        on_gobo_wheel = self.gobo_wheel_name is not None and wheel == self.gobo_wheel_name
        slot = None
        if kind == "WheelSlot" and on_gobo_wheel:
            attribute = "gobo"
            slot = cap.get("slotNumber") if isinstance(cap.get("slotNumber"), int) else None
        elif kind == "WheelSlotRotation" and (on_gobo_wheel or "wheel" not in cap):
            attribute = (
                "gobo_rotation" if "angle" in cap or "angleStart" in cap else "rotation_speed"
            )
        elif kind == "WheelRotation" and on_gobo_wheel:
            attribute = "rotation_speed"
        lo, hi = _scale(start, native, resolution), _scale_end(end, native, resolution)
        if attribute in ("intensity", *COLOURS.values()) and _inverted(cap):
            lo, hi = hi, lo  # brightness falls as DMX rises
        return Capability(lo, hi, kind, attribute, slot, cap.get("shutterEffect", ""))

    # -- wheels ---------------------------------------------------------------------------
    def _gobo_wheel_name(self) -> str | None:
        wheels: dict[str, Any] = self.data.get("wheels", {})
        for name, wheel in wheels.items():
            if any(s.get("type") == "Gobo" for s in wheel.get("slots", [])):
                return name
        return None

    def _wheel(self) -> tuple[WheelSlot, ...]:
        assert self.gobo_wheel_name is not None
        slots = self.data["wheels"][self.gobo_wheel_name].get("slots", [])
        result = []
        for number, slot in enumerate(slots, start=1):
            resource = slot.get("resource")
            path = self._resource(resource) if isinstance(resource, str) else None
            label = slot.get("name") or (resource.rsplit("/", 1)[-1] if resource else "")
            result.append(
                WheelSlot(number, slot.get("type", ""), label or slot.get("type", ""), path)
            )
        return tuple(result)

    def _resource(self, reference: str) -> Path | None:
        gobos = self.tree / "resources" / "gobos"
        key = reference.removeprefix("gobos/")
        if key.startswith("aliases/"):
            alias_set, _, alias = key.removeprefix("aliases/").partition("/")
            try:
                aliases = json.loads((gobos / "aliases" / f"{alias_set}.json").read_text())
            except (OSError, ValueError):
                return None
            key = aliases.get(alias, "")
        for suffix in (".png", ".svg"):
            candidate = gobos / f"{key}{suffix}"
            if key and candidate.is_file():
                return candidate
        return None


def _matches(spec: dict[str, Any], pos: tuple[int, int, int], key: str) -> bool:
    for axis, index in (("x", 0), ("y", 1), ("z", 2)):
        for rule in spec.get(axis, []):
            if not _rule(rule, pos[index] + 1):
                return False
    return "name" not in spec or re.fullmatch(spec["name"], key) is not None


def _rule(rule: str, n: int) -> bool:
    if rule == "even":
        return n % 2 == 0
    if rule == "odd":
        return n % 2 == 1
    for prefix, test in (
        ("<=", lambda v: n <= v),
        (">=", lambda v: n >= v),
        ("=", lambda v: n == v),
    ):
        if rule.startswith(prefix):
            return bool(test(int(rule[len(prefix) :])))
    step, _, rest = rule.partition("n")
    return n % int(step) == (int(rest.lstrip("+")) if rest else 0) % int(step)


def _default(value: int | str, native: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return round(float(value[:-1]) / 100 * (256**native - 1))
    return int(value)


def _scale(value: int, native: int, resolution: int) -> int:
    shift = 8 * abs(native - resolution)
    return value >> shift if native > resolution else value << shift


def _scale_end(value: int, native: int, resolution: int) -> int:
    if native >= resolution:
        return _scale(value, native, resolution)
    return ((value + 1) << 8 * (resolution - native)) - 1


def _inverted(cap: dict[str, Any]) -> bool:
    start, end = cap.get("brightnessStart"), cap.get("brightnessEnd")
    levels = {"off": 0.0, "dark": 0.0, "bright": 100.0}

    def level(v: Any) -> float | None:
        if isinstance(v, str):
            return levels.get(v, float(v[:-1]) if v.endswith("%") else None)
        return None

    a, b = level(start), level(end)
    return a is not None and b is not None and a > b
