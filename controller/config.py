"""Site configuration: one TOML file, validated into frozen dataclasses.

Every part reads its tables through the one reader (`siteconfig.Table`): hardware its outputs
and fixtures, schedules its rules, artwork its settings, this module the rest. Errors carry the
file and the key, so a technician sees `site.toml: fixture[2].address: ...`, and any key or
table nobody reads is refused with the nearest known name (`show.fsp: unknown key (did you mean
'fps'?)`).
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
from controller.web.settings import WebSettings, parse_web
from siteconfig import ConfigError, Table

DEFAULT_CONFIG = Path("/etc/gobo/site.toml")
CONFIG_ENV = "GOBO_CONFIG"


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
    web: WebSettings  # read by `gobo web`, a process beside the daemon


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--config beats GOBO_CONFIG beats the default path; a missing file is an error."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("", "no such configuration file", path)
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError("", f"no such configuration file (from {CONFIG_ENV})", path)
        return path
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    raise NoConfigError(
        "",
        "no site configuration; pass --config PATH, or try `gobo demo --out DIR` "
        "and then `gobo --config DIR/site.toml ...` (example: README, 'Site configuration')",
        DEFAULT_CONFIG,
    )


def load_site_config(path: Path) -> SiteConfig:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"not valid TOML: {exc}", path) from None
    except OSError as exc:
        raise ConfigError("", f"cannot read: {exc.strerror}", path) from None
    return parse_site_config(data, path)


def parse_site_config(data: dict[str, Any], path: Path | None) -> SiteConfig:
    """The parsed TOML -> SiteConfig, or ConfigError naming the file (an included rules file
    where the problem is there) and the key."""
    try:
        return _parse(data, path)
    except ConfigError as exc:
        raise exc.in_file(path) from None


def _parse(data: dict[str, Any], path: Path | None) -> SiteConfig:
    base_dir = path.parent if path else Path.cwd()
    root = Table(data, "", path)
    site_table = root.table("site", required=True)
    site = Site(
        name=site_table.text("name", "gobo site"),
        latitude=site_table.number("latitude", -90, 90),
        longitude=site_table.number("longitude", -180, 180),
        timezone=_timezone(site_table),
    )
    site_table.close()
    paths = root.table("paths")
    state_dir = _path(paths, "state", base_dir, "/var/lib/gobo")
    inbox_dir = _path(paths, "inbox", base_dir, "/srv/gobo/inbox")
    paths.close()
    control_table = root.table("control")
    control = ControlSettings(
        socket=_path(control_table, "socket", base_dir, "/run/gobo/control.sock"),
        group=control_table.text("group", "") or None,
    )
    control_table.close()
    artwork_settings = artwork.parse_settings(root.table("artwork"))
    config = SiteConfig(
        path=path,
        site=site,
        state_dir=state_dir,
        inbox_dir=inbox_dir,
        control=control,
        osc=_parse_osc(root.table("osc")),
        show=_parse_show(root.table("show")),
        patch=hardware.parse_patch(root.tables("output"), root.tables("fixture"), base_dir),
        schedule=schedules.parse_rules(root.table("schedule"), base_dir),
        artwork=artwork_settings,
        report=_parse_report(root.table("report")),
        web=parse_web(root.table("web"), base_dir, artwork_settings.max_file_mb),
    )
    root.close()
    return config


def _parse_show(read: Table) -> ShowSettings:
    show = ShowSettings(
        fps=read.number("fps", 1, 44, 40.0),
        rotation_minutes=read.number("rotation_minutes", 0.1, 24 * 60, 10.0),
        crossfade_seconds=read.number("crossfade_seconds", 0, 600, 5.0),
        window_fade_seconds=read.number("window_fade_seconds", 0, 3600, 10.0),
        safe_state=read.choice("untrusted_clock", ("dark", "schedule"), "dark"),
    )
    read.close()
    return show


def _parse_report(read: Table) -> ReportSettings:
    report = ReportSettings(
        grid_gco2_per_kwh=read.number("grid_gco2_per_kwh", 0, 2000, 40.0),
        retention_days=read.integer("retention_days", 1, 36500, 90),
    )
    read.close()
    return report


def _parse_osc(read: Table) -> OscSettings:
    listen = read.text("listen", "127.0.0.1:9000")
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise read.fail("listen", f"{listen!r} is not host:port")
    allow = read.value("allow", ["127.0.0.1"])
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise read.fail("allow", "must be a list of addresses")
    for index, entry in enumerate(allow):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise read.fail(
                f"allow[{index}]", f"{entry!r} is not an address or network"
            ) from None
    osc = OscSettings(
        host=host.strip("[]"),
        port=int(port_text),
        allow=tuple(allow),
        enabled=read.boolean("enabled", True),
        reply_port=read.integer("reply_port", 1, 65535, None),
    )
    read.close()
    return osc


def _path(read: Table, name: str, base_dir: Path, default: str) -> Path:
    value = Path(read.text(name, default)).expanduser()
    return value if value.is_absolute() else base_dir / value


def _timezone(read: Table) -> str:
    name = read.text("timezone", "Europe/Helsinki")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise read.fail("timezone", f"unknown time zone {name!r}") from None
    return name
