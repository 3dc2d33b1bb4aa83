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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteconfig import Table

TYPES = ("artnet", "sacn", "enttec-usb-pro", "simulated")
DEFAULT_PORTS = {"artnet": 6454, "sacn": 5568}
UNIVERSE_RANGES = {
    "artnet": (0, 32767),
    "sacn": (1, 63999),
    "enttec-usb-pro": (1, 1),
    "simulated": (0, 32767),
}
# Keys that belong to some types only: named as such rather than as unknown.
_TYPE_KEYS = {
    "host": ("artnet", "sacn"),
    "port": ("artnet", "sacn"),
    "bind": ("artnet",),
    "multicast": ("sacn",),
    "priority": ("sacn",),
    "source_name": ("sacn",),
    "device": ("enttec-usb-pro",),
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

    @property
    def universe_range(self) -> tuple[int, int]:
        return UNIVERSE_RANGES[self.type]


def parse_output(
    entry: Table | Mapping[str, Any], key: str, file: Path | str | None = None
) -> OutputConfig:
    """One [[output]] table -> OutputConfig, or ConfigError naming the key (unknown keys too:
    each type takes only its own)."""
    read = Table.of(entry, key, file)
    kind = read.choice("type", TYPES)
    for name, kinds in _TYPE_KEYS.items():
        if name in read and kind not in kinds:
            raise read.fail(name, f"not a key of a {kind} output (only of {', '.join(kinds)})")
    name = read.text("name", nonempty=True)
    fps = read.number("fps", 1, 44, 40.0)
    refresh = read.number("refresh_seconds", 0.1, 1.0, 0.8)
    if kind in ("artnet", "sacn"):
        multicast = read.boolean("multicast", False) if kind == "sacn" else False
        config = OutputConfig(
            name=name,
            type=kind,
            host=_ip(read, multicast),
            port=read.integer("port", 1, 65535, DEFAULT_PORTS[kind]),
            fps=fps,
            refresh_seconds=refresh,
            priority=read.integer("priority", 0, 200, 100) if kind == "sacn" else 100,
            source_name=_source_name(read) if kind == "sacn" else "gobo",
            multicast=multicast,
            bind=_bind(read) if kind == "artnet" else "0.0.0.0",
        )
    elif kind == "enttec-usb-pro":
        device = read.text("device", "")
        if not device.startswith("/"):
            raise read.missing(
                "device",
                "required: the serial device path, e.g. "
                "/dev/serial/by-id/usb-ENTTEC_DMX_USB_PRO_EN123456-if00-port0",
            )
        config = OutputConfig(name=name, type=kind, device=device, fps=fps,
                              refresh_seconds=refresh)
    else:
        config = OutputConfig(name=name, type=kind, fps=fps, refresh_seconds=refresh)
    read.close()
    return config


def _ip(read: Table, multicast: bool) -> str:
    what = "the local interface address to send multicast from" if multicast else "the node's IP"
    host = read.text("host", "")
    if not host:
        raise read.missing("host", f"required: {what}, e.g. \"192.168.1.50\"")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise read.fail(
            "host",
            f"{host!r} is not an IP address; give {what} (host names are refused: "
            "they would be looked up on every packet and stall when DNS is away)",
        ) from None
    if address.is_multicast:
        raise read.fail(
            "host",
            "give a unicast address; for multicast set multicast = true and host = the "
            "local interface address (groups are computed per universe)",
        )
    return host


def _bind(read: Table) -> str:
    value = read.value("bind", "0.0.0.0")
    try:
        address = ipaddress.IPv4Address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if address is None or address.is_multicast or address == ipaddress.IPv4Address(
            "255.255.255.255"):
        raise read.fail(
            "bind",
            f"{value!r}: give an IPv4 address of this machine for UDP 6454 (ArtPoll and "
            "ArtDmx), or \"0.0.0.0\" for every interface",
        )
    return str(address)


def _source_name(read: Table) -> str:
    value = read.text("source_name", "gobo")
    if not value or len(value.encode("utf-8")) > 63:
        raise read.fail("source_name", "must be a text of 1 to 63 bytes (UTF-8)")
    return value
