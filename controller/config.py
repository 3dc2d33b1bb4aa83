"""Site configuration: one TOML file, validated into frozen dataclasses.

Each part of the system parses its own sections (hardware: outputs and
fixtures, schedules: rules, artwork: conversion settings) and raises an
error that carries the offending key; this module adds the file name so a
technician sees `site.toml: fixture[2].address: ...` and nothing else.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import artwork
import hardware
import schedules
from controller.report import ReportSettings

DEFAULT_CONFIG = Path("/etc/gobo/site.toml")
CONFIG_ENV = "GOBO_CONFIG"


class ConfigError(Exception):
    """A configuration problem: which file, which key, what is wrong."""

    def __init__(self, file: Path | str | None, key: str, message: str) -> None:
        self.file = str(file) if file else "<config>"
        self.key = key
        self.message = message
        super().__init__(f"{self.file}: {key}: {message}" if key else f"{self.file}: {message}")


class NoConfigError(ConfigError):
    """No --config, no GOBO_CONFIG and nothing at the default path."""


@dataclass(frozen=True)
class Site(schedules.SiteLocation):
    """The site's location (what the schedule needs) and its name."""

    name: str = "gobo site"


@dataclass(frozen=True)
class OscSettings:
    host: str
    port: int
    allow: tuple[str, ...]
    enabled: bool = True
    reply_port: int | None = None  # /gobo/status replies go here on the sender's address


@dataclass(frozen=True)
class ControlSettings:
    socket: Path
    group: str | None


@dataclass(frozen=True)
class ShowSettings:
    fps: float = 40.0
    rotation_minutes: float = 10.0
    crossfade_seconds: float = 5.0
    window_fade_seconds: float = 10.0
    safe_state: str = "dark"  # what to hold while the clock is untrusted


@dataclass(frozen=True)
class SiteConfig:
    path: Path | None
    site: Site
    state_dir: Path
    inbox_dir: Path
    control: ControlSettings
    osc: OscSettings
    show: ShowSettings
    patch: hardware.Patch
    schedule: schedules.Rules
    artwork: artwork.Settings
    report: ReportSettings
    raw: dict[str, Any]  # the whole parsed file, for sections read by later parts


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--config beats GOBO_CONFIG beats the default path; a missing file is an error."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(path, "", "no such configuration file")
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(path, "", f"no such configuration file (from {CONFIG_ENV})")
        return path
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    raise NoConfigError(
        DEFAULT_CONFIG,
        "",
        "no site configuration; pass --config PATH, or try `gobo demo --out DIR` "
        "and then `gobo --config DIR/site.toml ...` (example: README, 'Site configuration')",
    )


def load_site_config(path: Path) -> SiteConfig:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror}") from None
    return parse_site_config(data, path)


def parse_site_config(data: dict[str, Any], path: Path | None) -> SiteConfig:
    base_dir = path.parent if path else Path.cwd()
    reader = _Reader(path)
    site_table = reader.table(data, "site", required=True)
    site = Site(
        name=reader.string(site_table, "site.name", default="gobo site"),
        latitude=reader.number(site_table, "site.latitude", low=-90, high=90, required=True),
        longitude=reader.number(site_table, "site.longitude", low=-180, high=180, required=True),
        timezone=reader.timezone(site_table, "site.timezone"),
    )
    paths = reader.table(data, "paths")
    state_dir = reader.path(paths, "paths.state", base_dir, default="/var/lib/gobo")
    inbox_dir = reader.path(paths, "paths.inbox", base_dir, default="/srv/gobo/inbox")

    control_table = reader.table(data, "control")
    control = ControlSettings(
        socket=reader.path(control_table, "control.socket", base_dir, "/run/gobo/control.sock"),
        group=reader.string(control_table, "control.group", default="") or None,
    )
    osc = _parse_osc(reader, reader.table(data, "osc"))
    show_table = reader.table(data, "show")
    show = ShowSettings(
        fps=reader.number(show_table, "show.fps", low=1, high=44, default=40.0),
        rotation_minutes=reader.number(
            show_table, "show.rotation_minutes", low=0.1, high=24 * 60, default=10.0
        ),
        crossfade_seconds=reader.number(
            show_table, "show.crossfade_seconds", low=0, high=600, default=5.0
        ),
        window_fade_seconds=reader.number(
            show_table, "show.window_fade_seconds", low=0, high=3600, default=10.0
        ),
        safe_state=reader.choice(
            show_table, "show.untrusted_clock", ("dark", "schedule"), default="dark"
        ),
    )
    report_table = reader.table(data, "report")
    report = ReportSettings(
        grid_gco2_per_kwh=reader.number(
            report_table, "report.grid_gco2_per_kwh", low=0, high=2000, default=40.0
        ),
        retention_days=int(
            reader.number(report_table, "report.retention_days", low=1, high=36500, default=90)
        ),
    )
    try:
        patch = hardware.parse_patch(
            data.get("output", []), data.get("fixture", []), base_dir
        )
    except hardware.PatchError as exc:
        raise ConfigError(path, exc.key, exc.message) from None
    try:
        rules = schedules.parse_rules(reader.table(data, "schedule"), base_dir)
    except schedules.RuleError as exc:
        raise ConfigError(exc.file or path, exc.key, exc.message) from None
    try:
        artwork_settings = artwork.parse_settings(reader.table(data, "artwork"))
    except artwork.SettingsError as exc:
        raise ConfigError(path, exc.key, exc.message) from None
    return SiteConfig(
        path=path,
        site=site,
        state_dir=state_dir,
        inbox_dir=inbox_dir,
        control=control,
        osc=osc,
        show=show,
        patch=patch,
        schedule=rules,
        artwork=artwork_settings,
        report=report,
        raw=data,
    )


def _parse_osc(reader: _Reader, table: dict[str, Any]) -> OscSettings:
    listen = reader.string(table, "osc.listen", default="127.0.0.1:9000")
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(reader.file, "osc.listen", f"{listen!r} is not host:port")
    host = host.strip("[]")
    allow = table.get("allow", ["127.0.0.1"])
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise ConfigError(reader.file, "osc.allow", "must be a list of addresses")
    for index, entry in enumerate(allow):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                reader.file, f"osc.allow[{index}]", f"{entry!r} is not an address or network"
            ) from None
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(reader.file, "osc.enabled", "must be true or false")
    reply_port = table.get("reply_port")
    if reply_port is not None and (
        isinstance(reply_port, bool) or not isinstance(reply_port, int)
        or not 0 < reply_port < 65536
    ):
        raise ConfigError(reader.file, "osc.reply_port", f"{reply_port!r} is not a port 1..65535")
    return OscSettings(
        host=host, port=int(port_text), allow=tuple(allow), enabled=enabled,
        reply_port=reply_port,
    )


class _Reader:
    """Typed look-ups that name the key when a value is wrong."""

    def __init__(self, file: Path | None) -> None:
        self.file = file

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.file, key, message)

    def table(self, data: dict[str, Any], key: str, required: bool = False) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(key, f"missing [{key}] table")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table [{key}]")
        return value

    def string(self, table: dict[str, Any], key: str, default: str | None = None) -> str:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if value is None:
            raise self.fail(key, "missing")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {value!r}")
        return value

    def number(
        self,
        table: dict[str, Any],
        key: str,
        low: float,
        high: float,
        default: float | None = None,
        required: bool = False,
    ) -> float:
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            if required or default is None:
                raise self.fail(key, "missing")
            return default
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low}..{high}")
        return float(value)

    def choice(
        self, table: dict[str, Any], key: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = self.string(table, key, default=default)
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def path(self, table: dict[str, Any], key: str, base_dir: Path, default: str) -> Path:
        value = Path(self.string(table, key, default=default)).expanduser()
        return value if value.is_absolute() else base_dir / value

    def timezone(self, table: dict[str, Any], key: str) -> str:
        name = self.string(table, key, default="Europe/Helsinki")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(key, f"unknown time zone {name!r}") from None
        return name
