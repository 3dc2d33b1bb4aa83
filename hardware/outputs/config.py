"""[[output]] entries of the site configuration, validated into OutputConfig.

Universe numbers in [[fixture]] mean, per output type:
- artnet: the 15-bit Art-Net Port-Address itself (0..32767): universe = 1 is Net 0,
  Sub-Net 0, Universe 1 ("0:0:1"); a node showing "0:0:0" needs universe = 0.
  A [[fixture]] may also write it "net:subnet:universe" (hardware/patch.py).
- sacn: the E1.31 universe (1..63999).
- enttec-usb-pro: the widget's one DMX port, universe 1.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from hardware.errors import PatchError

TYPES = ("artnet", "sacn", "enttec-usb-pro", "simulated")
DEFAULT_PORTS = {"artnet": 6454, "sacn": 5568}
UNIVERSE_RANGES = {
    "artnet": (0, 32767),
    "sacn": (1, 63999),
    "enttec-usb-pro": (1, 1),
    "simulated": (0, 32767),
}
_COMMON = {"name", "type", "fps", "refresh_seconds"}
_KEYS = {
    "artnet": _COMMON | {"host", "port", "bind"},
    "sacn": _COMMON | {"host", "port", "priority", "source_name", "multicast"},
    "enttec-usb-pro": _COMMON | {"device"},
}


@dataclass(frozen=True)
class OutputConfig:
    name: str
    type: str
    host: str | None = None  # destination IP; sACN multicast: the local interface address
    port: int | None = None
    fps: float = 40.0
    refresh_seconds: float = 0.8  # keep-alive for unchanged universes
    priority: int = 100
    source_name: str = "gobo"
    multicast: bool = False
    device: str | None = None
    bind: str = "0.0.0.0"  # Art-Net: the local address of UDP 6454 (ArtPoll, ArtDmx source)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # simulated-only keys

    @property
    def universe_range(self) -> tuple[int, int]:
        return UNIVERSE_RANGES[self.type]


def parse_output(entry: dict[str, Any], key: str) -> OutputConfig:
    if not isinstance(entry, dict):
        raise PatchError(key, "must be a table ([[output]])")
    kind = entry.get("type")
    if kind not in TYPES:
        raise PatchError(f"{key}.type", f"must be one of {', '.join(TYPES)}, not {kind!r}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PatchError(f"{key}.name", "required: a non-empty name that fixtures refer to")
    extra: dict[str, Any] = {}
    if kind == "simulated":
        extra = {k: v for k, v in entry.items() if k not in _COMMON}
    else:
        unknown = sorted(set(entry) - _KEYS[kind])
        if unknown:
            raise PatchError(
                f"{key}.{unknown[0]}",
                f"not a key of a {kind} output (keys: {', '.join(sorted(_KEYS[kind]))})",
            )
    fps = _number(entry, key, "fps", 1, 44, 40.0)
    refresh = _number(entry, key, "refresh_seconds", 0.1, 1.0, 0.8)
    if kind in ("artnet", "sacn"):
        multicast = _bool(entry, key, "multicast", False)
        return OutputConfig(
            name=name,
            type=kind,
            host=_ip(entry, key, multicast),
            port=_integer(entry, key, "port", 1, 65535, DEFAULT_PORTS[kind]),
            fps=fps,
            refresh_seconds=refresh,
            priority=_integer(entry, key, "priority", 0, 200, 100),
            source_name=_source_name(entry, key),
            multicast=multicast,
            bind=_bind(entry, key) if kind == "artnet" else "0.0.0.0",
        )
    if kind == "enttec-usb-pro":
        device = entry.get("device")
        if not isinstance(device, str) or not device.startswith("/"):
            raise PatchError(
                f"{key}.device",
                "required: the serial device path, e.g. "
                "/dev/serial/by-id/usb-ENTTEC_DMX_USB_PRO_EN123456-if00-port0",
            )
        return OutputConfig(name=name, type=kind, device=device, fps=fps, refresh_seconds=refresh)
    return OutputConfig(name=name, type=kind, fps=fps, refresh_seconds=refresh, extra=extra)


def _ip(entry: dict[str, Any], key: str, multicast: bool) -> str:
    what = "the local interface address to send multicast from" if multicast else "the node's IP"
    host = entry.get("host")
    if not isinstance(host, str) or not host:
        raise PatchError(f"{key}.host", f"required: {what}, e.g. \"192.168.1.50\"")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise PatchError(
            f"{key}.host",
            f"{host!r} is not an IP address; give {what} (host names are refused: "
            "they would be looked up on every packet and stall when DNS is away)",
        ) from None
    if address.is_multicast:
        raise PatchError(
            f"{key}.host",
            "give a unicast address; for multicast set multicast = true and host = the "
            "local interface address (groups are computed per universe)",
        )
    return host


def _bind(entry: dict[str, Any], key: str) -> str:
    value = entry.get("bind", "0.0.0.0")
    try:
        address = ipaddress.IPv4Address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if address is None or address.is_multicast or address == ipaddress.IPv4Address(
            "255.255.255.255"):
        raise PatchError(
            f"{key}.bind",
            f"{value!r}: give an IPv4 address of this machine for UDP 6454 (ArtPoll and "
            "ArtDmx), or \"0.0.0.0\" for every interface",
        )
    return str(address)


def _number(entry: dict[str, Any], key: str, name: str, low: float, high: float,
            default: float) -> float:
    value = entry.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PatchError(f"{key}.{name}", f"must be a number {low:g}..{high:g}, not {value!r}")
    return float(value)


def _integer(entry: dict[str, Any], key: str, name: str, low: int, high: int, default: int) -> int:
    value = entry.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PatchError(f"{key}.{name}", f"must be a whole number {low}..{high}, not {value!r}")
    return value


def _bool(entry: dict[str, Any], key: str, name: str, default: bool) -> bool:
    value = entry.get(name, default)
    if not isinstance(value, bool):
        raise PatchError(f"{key}.{name}", f"must be true or false, not {value!r}")
    return value


def _source_name(entry: dict[str, Any], key: str) -> str:
    value = entry.get("source_name", "gobo")
    if not isinstance(value, str) or not value or len(value.encode("utf-8")) > 63:
        raise PatchError(f"{key}.source_name", "must be a text of 1 to 63 bytes (UTF-8)")
    return value
